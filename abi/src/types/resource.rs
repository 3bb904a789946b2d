//! Resource limits (`getrlimit`/`setrlimit`/`prlimit64`) and usage
//! (`getrusage`, `wait4`).

use bytemuck::{Pod, Zeroable};

use super::Timeval;

/// `struct rlimit` (also `struct rlimit64`: identical on 64-bit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Rlimit {
    /// Soft limit, enforced.
    pub rlim_cur: u64,
    /// Hard limit, the ceiling for `rlim_cur`.
    pub rlim_max: u64,
}

impl Rlimit {
    /// No limit at all.
    pub const UNLIMITED: Rlimit = Rlimit { rlim_cur: RLIM_INFINITY, rlim_max: RLIM_INFINITY };
}

/// "No limit".
pub const RLIM_INFINITY: u64 = u64::MAX;

// Resource numbers (the `resource` argument, an `unsigned int`).
pub const RLIMIT_CPU: u32 = 0;
pub const RLIMIT_FSIZE: u32 = 1;
pub const RLIMIT_DATA: u32 = 2;
pub const RLIMIT_STACK: u32 = 3;
pub const RLIMIT_CORE: u32 = 4;
pub const RLIMIT_RSS: u32 = 5;
pub const RLIMIT_NPROC: u32 = 6;
pub const RLIMIT_NOFILE: u32 = 7;
pub const RLIMIT_MEMLOCK: u32 = 8;
pub const RLIMIT_AS: u32 = 9;
pub const RLIMIT_LOCKS: u32 = 10;
pub const RLIMIT_SIGPENDING: u32 = 11;
pub const RLIMIT_MSGQUEUE: u32 = 12;
pub const RLIMIT_NICE: u32 = 13;
pub const RLIMIT_RTPRIO: u32 = 14;
pub const RLIMIT_RTTIME: u32 = 15;
/// Number of resources; valid resources are `0..RLIM_NLIMITS`.
pub const RLIM_NLIMITS: u32 = 16;

/// `struct rusage` (144 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Rusage {
    pub ru_utime: Timeval,
    pub ru_stime: Timeval,
    /// Peak resident set size, in KiB.
    pub ru_maxrss: i64,
    pub ru_ixrss: i64,
    pub ru_idrss: i64,
    pub ru_isrss: i64,
    pub ru_minflt: i64,
    pub ru_majflt: i64,
    pub ru_nswap: i64,
    pub ru_inblock: i64,
    pub ru_oublock: i64,
    pub ru_msgsnd: i64,
    pub ru_msgrcv: i64,
    pub ru_nsignals: i64,
    pub ru_nvcsw: i64,
    pub ru_nivcsw: i64,
}

// `who` argument of `getrusage`.
pub const RUSAGE_SELF: i32 = 0;
pub const RUSAGE_CHILDREN: i32 = -1;
pub const RUSAGE_THREAD: i32 = 1;

// Sizes the ABI fixes; checked at compile time on every target.
const _: () = assert!(core::mem::size_of::<Rlimit>() == 16);
const _: () = assert!(core::mem::size_of::<Rusage>() == 144);
