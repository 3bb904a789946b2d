//! Test harness for the kernel: boots it in QEMU with a given kernel command
//! line, records the serial console line by line with host arrival times, and
//! offers parsers and assertions for the kernel's console protocol.
//!
//! Console protocol (lines may carry a `[    0.123456] ` timestamp prefix):
//! - `Run /demo as init process` just before entering init;
//! - `boot: entry-to-init=NNNus reset-to-init=NNNus`;
//! - `init exited with status N` / `init killed by signal 11 (SIGSEGV)`;
//! - `Failed to execute /path (error -8)` when init cannot be executed;
//! - `NAME[PID]: segfault at ADDR ip IP sp SP error CODE` on a user fault;
//! - `reboot: Power down` before powering off, `Kernel panic - not syncing`;
//! - `unimplemented syscall NAME (NR) by PID COMM`, once per number.
//!
//! Environment: `KERNEL_ELF` and `INITRAMFS` (defaults under `build/`),
//! `KERNEL_ACCEL` (`tcg` or `kvm`), `PROGRAMS_DIR` (default `build/programs`).

pub mod bench;
pub mod elf;
pub mod monitor;
pub mod paths;
pub mod qemu;
pub mod serial;

pub use elf::ElfHeader;
pub use qemu::{run, Qemu, QemuConfig};
pub use serial::{BootFigures, BootResult};
