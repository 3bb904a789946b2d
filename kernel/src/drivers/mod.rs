//! Device drivers.

pub mod loopdev;
pub mod pci;
pub mod rtc;
pub mod uart16550;
pub mod virtio;
