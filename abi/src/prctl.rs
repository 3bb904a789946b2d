//! `prctl` options and x86_64 `arch_prctl` codes.
//!
//! Both are `i32` (the `option`/`code` arguments are C `int`s).

// `arch_prctl` codes.
/// Set the GS base to the argument.
pub const ARCH_SET_GS: i32 = 0x1001;
/// Set the FS base (the thread pointer on x86_64) to the argument.
pub const ARCH_SET_FS: i32 = 0x1002;
/// Store the FS base at the user address in the argument.
pub const ARCH_GET_FS: i32 = 0x1003;
/// Store the GS base at the user address in the argument.
pub const ARCH_GET_GS: i32 = 0x1004;
pub const ARCH_GET_CPUID: i32 = 0x1011;
pub const ARCH_SET_CPUID: i32 = 0x1012;

// `prctl` options.
/// Signal sent to this process when its parent dies.
pub const PR_SET_PDEATHSIG: i32 = 1;
pub const PR_GET_PDEATHSIG: i32 = 2;
pub const PR_GET_DUMPABLE: i32 = 3;
pub const PR_SET_DUMPABLE: i32 = 4;
pub const PR_GET_KEEPCAPS: i32 = 7;
pub const PR_SET_KEEPCAPS: i32 = 8;
pub const PR_GET_TIMING: i32 = 13;
pub const PR_SET_TIMING: i32 = 14;
/// Set the thread name (`comm`, up to 15 bytes plus NUL).
pub const PR_SET_NAME: i32 = 15;
/// Read the thread name into a 16-byte buffer.
pub const PR_GET_NAME: i32 = 16;
pub const PR_GET_ENDIAN: i32 = 19;
pub const PR_SET_ENDIAN: i32 = 20;
pub const PR_GET_SECCOMP: i32 = 21;
pub const PR_SET_SECCOMP: i32 = 22;
pub const PR_CAPBSET_READ: i32 = 23;
pub const PR_CAPBSET_DROP: i32 = 24;
pub const PR_GET_TSC: i32 = 25;
pub const PR_SET_TSC: i32 = 26;
/// PR_SET_TSC modes: user mode may read the TSC, or RDTSC raises SIGSEGV.
pub const PR_TSC_ENABLE: i32 = 1;
pub const PR_TSC_SIGSEGV: i32 = 2;
pub const PR_GET_SECUREBITS: i32 = 27;
pub const PR_SET_SECUREBITS: i32 = 28;
pub const PR_SET_TIMERSLACK: i32 = 29;
pub const PR_GET_TIMERSLACK: i32 = 30;
pub const PR_MCE_KILL: i32 = 33;
pub const PR_MCE_KILL_GET: i32 = 34;
pub const PR_SET_MM: i32 = 35;
/// Become the reaper of orphaned descendants.
pub const PR_SET_CHILD_SUBREAPER: i32 = 36;
pub const PR_GET_CHILD_SUBREAPER: i32 = 37;
pub const PR_SET_NO_NEW_PRIVS: i32 = 38;
pub const PR_GET_NO_NEW_PRIVS: i32 = 39;
pub const PR_GET_TID_ADDRESS: i32 = 40;
pub const PR_SET_THP_DISABLE: i32 = 41;
pub const PR_GET_THP_DISABLE: i32 = 42;
pub const PR_SET_FP_MODE: i32 = 45;
pub const PR_GET_FP_MODE: i32 = 46;
pub const PR_CAP_AMBIENT: i32 = 47;
/// Name an anonymous memory range (with `PR_SET_VMA_ANON_NAME`).
pub const PR_SET_VMA: i32 = 0x5356_4d41;
pub const PR_SET_VMA_ANON_NAME: i32 = 0;

/// Size of a thread name buffer including the NUL (`TASK_COMM_LEN`).
pub const TASK_COMM_LEN: usize = 16;
