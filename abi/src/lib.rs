//! The Linux x86_64 system-call ABI as plain data: system-call numbers,
//! error numbers, flag bits, constants and the exact memory layout of every
//! structure exchanged with user space.
//!
//! The crate is `no_std` and has no logic beyond encoding helpers, so both
//! the kernel and host-side test tools can depend on it. Its host tests
//! check every number and layout against the `libc` crate (or against fixed
//! values where the C library's view differs from the kernel's).

#![no_std]

#[cfg(test)]
extern crate std;

pub mod at;
pub mod auxv;
pub mod capability;
pub mod errno;
pub mod fcntl;
pub mod futex;
pub mod ioctl;
pub mod ipc;
pub mod loop_dev;
pub mod mman;
pub mod open;
pub mod personality;
pub mod prctl;
pub mod sched;
pub mod signal;
pub mod socket;
pub mod syscall;
pub mod time;
pub mod types;
pub mod wait;

pub use at::{AtFlags, AT_FDCWD};
pub use errno::Errno;
pub use fcntl::Flock;
pub use mman::{MapFlags, MremapFlags, ProtFlags};
pub use open::OpenFlags;
pub use sched::{CloneArgs, CloneFlags};
pub use signal::{KernelSigaction, SigSet, Siginfo, StackT};
pub use types::*;
pub use wait::WaitFlags;

/// Clock ticks per second as user space sees them (`times`, `/proc`,
/// `AT_CLKTCK`), independent of the kernel's internal timer rate.
pub const USER_HZ: u64 = 100;

/// Size of a page on x86_64.
pub const PAGE_SIZE: usize = 4096;
