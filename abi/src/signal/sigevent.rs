//! `struct sigevent`: how a POSIX timer (or message queue) notifies.

use bytemuck::{Pod, Zeroable};

/// Send a signal to the process.
pub const SIGEV_SIGNAL: i32 = 0;
/// Nothing: the timer is only read with timer_gettime.
pub const SIGEV_NONE: i32 = 1;
/// A thread the C library starts (the kernel sees SIGEV_THREAD_ID).
pub const SIGEV_THREAD: i32 = 2;
/// Send a signal to one thread, `sigev_tid`.
pub const SIGEV_THREAD_ID: i32 = 4;

/// `struct sigevent` (64 bytes): the value, the signal, how to notify,
/// and for SIGEV_THREAD_ID the thread (the union's first int).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Sigevent {
    pub sigev_value: u64,
    pub sigev_signo: i32,
    pub sigev_notify: i32,
    pub sigev_tid: i32,
    pub _pad: [i32; 11],
}

const _: () = assert!(core::mem::size_of::<Sigevent>() == 64);
