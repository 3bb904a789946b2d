//! Device drivers.

pub mod input;
pub mod loopdev;
pub mod pci;
pub mod ring;
pub mod rtc;
pub mod uart16550;
pub mod virtio;
