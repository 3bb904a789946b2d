//! kestrel's hardware-facing base. Every line of unsafe code of the kernel
//! lives in this crate, behind safe owning types:
//!
//! - `arch`: boot CPU set-up, descriptor tables, the entry paths (traps,
//!   SYSCALL, context switch), per-CPU data, the FPU, the LAPIC and I/O
//!   APICs, TSC calibration, running code on a spare stack.
//! - `boot`: the boot protocol (PVH or multiboot2) decoded into `BootInfo`, and the
//!   `entry_point!` through which the boot CPU enters the kernel.
//! - `mm`: physical frames (`Frame`, freed with its last reference), user
//!   page tables (`PageTable`), kernel stacks, the kernel heap.
//! - `user`: the one path to user memory, with fault recovery.
//! - `io`, `dma`: port I/O ranges and DMA buffers for drivers.
//! - `fb`: the display the boot loader set up (framebuffer or VGA text).
//! - `firmware`: the ACPI tables (through the `acpi` crate) and power-off.
//! - `console`: where fatal reports are written.
//!
//! Its API is safe; an `unsafe fn` appears only where a caller must uphold
//! something the types cannot express, with a `# Safety` section. Nothing
//! here knows processes, files or the scheduler: what the kernel must do on
//! a trap it registers through `arch::traps::set_hooks`.

#![no_std]

extern crate alloc;

pub mod arch;
pub mod boot;
pub mod console;
pub mod dma;
pub mod fb;
pub mod firmware;
pub mod io;
pub mod mm;
mod mmio;
pub mod sync;
pub mod user;
