//! The firmware's ACPI tables, read through the `acpi` crate: the FADT and
//! DSDT for power-off, the MADT for the interrupt controllers.

pub mod acpi;
pub mod madt;
