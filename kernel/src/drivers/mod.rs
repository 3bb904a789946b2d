//! Device drivers.

pub mod acpi;
pub mod rtc;
pub mod uart16550;
