//! `clone`/`clone3` flags and arguments, and scheduling policies.
//!
//! For `clone` the low byte of `flags` is not a flag but the signal sent to
//! the parent when the child exits ([`CloneFlags::CSIGNAL`] masks it); it is
//! kept as a (multi-bit) flag so `from_bits_truncate` preserves it. `clone3`
//! passes that signal in [`CloneArgs::exit_signal`] instead and rejects
//! `CSIGNAL` bits in `flags`, except `CLONE_NEWTIME`, which lives there.

use bitflags::bitflags;
use bytemuck::{Pod, Zeroable};

bitflags! {
    /// `flags` of `clone` (an `unsigned long`) and `clone3` (a `u64`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct CloneFlags: u64 {
        /// Mask of the exit-signal byte (`clone` only).
        const CSIGNAL = 0x0000_00ff;
        /// New time namespace (`clone3` only; overlaps `CSIGNAL`).
        const CLONE_NEWTIME = 0x0000_0080;
        /// Share the address space.
        const CLONE_VM = 0x0000_0100;
        /// Share cwd, root and umask.
        const CLONE_FS = 0x0000_0200;
        /// Share the file-descriptor table.
        const CLONE_FILES = 0x0000_0400;
        /// Share signal handlers (requires `CLONE_VM`).
        const CLONE_SIGHAND = 0x0000_0800;
        /// Return a pidfd through `parent_tid` (`clone`) or `pidfd` (`clone3`).
        const CLONE_PIDFD = 0x0000_1000;
        const CLONE_PTRACE = 0x0000_2000;
        /// Suspend the parent until the child execs or exits.
        const CLONE_VFORK = 0x0000_4000;
        /// The child's parent is the caller's parent.
        const CLONE_PARENT = 0x0000_8000;
        /// Same thread group: a thread, not a process (requires `CLONE_SIGHAND`).
        const CLONE_THREAD = 0x0001_0000;
        const CLONE_NEWNS = 0x0002_0000;
        const CLONE_SYSVSEM = 0x0004_0000;
        /// Set the child's FS base to the `tls` argument.
        const CLONE_SETTLS = 0x0008_0000;
        /// Store the child's tid at `parent_tid` in the parent's memory.
        const CLONE_PARENT_SETTID = 0x0010_0000;
        /// On child exit, zero `child_tid` and futex-wake it.
        const CLONE_CHILD_CLEARTID = 0x0020_0000;
        /// Ignored.
        const CLONE_DETACHED = 0x0040_0000;
        const CLONE_UNTRACED = 0x0080_0000;
        /// Store the child's tid at `child_tid` in the child's memory.
        const CLONE_CHILD_SETTID = 0x0100_0000;
        const CLONE_NEWCGROUP = 0x0200_0000;
        const CLONE_NEWUTS = 0x0400_0000;
        const CLONE_NEWIPC = 0x0800_0000;
        const CLONE_NEWUSER = 0x1000_0000;
        const CLONE_NEWPID = 0x2000_0000;
        const CLONE_NEWNET = 0x4000_0000;
        const CLONE_IO = 0x8000_0000;
        /// Reset all handlers to default in the child (`clone3` only).
        const CLONE_CLEAR_SIGHAND = 0x1_0000_0000;
        /// Place the child in the cgroup `CloneArgs::cgroup` (`clone3` only).
        const CLONE_INTO_CGROUP = 0x2_0000_0000;
    }
}

impl CloneFlags {
    /// The exit signal encoded in the low byte (`clone` only).
    pub const fn exit_signal(self) -> i32 {
        (self.bits() & CloneFlags::CSIGNAL.bits()) as i32
    }

    /// The flags without the exit-signal byte.
    pub const fn without_signal(self) -> CloneFlags {
        self.difference(CloneFlags::CSIGNAL)
    }
}

/// `struct clone_args` of `clone3`. User space passes its size, which is
/// one of the published versions (64, 80 or 88 bytes); a shorter structure
/// means the missing tail fields are zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct CloneArgs {
    pub flags: u64,
    /// User address where a pidfd is stored (`CLONE_PIDFD`).
    pub pidfd: u64,
    /// User address for `CLONE_CHILD_SETTID`/`CLONE_CHILD_CLEARTID`.
    pub child_tid: u64,
    /// User address for `CLONE_PARENT_SETTID`.
    pub parent_tid: u64,
    pub exit_signal: u64,
    /// Lowest address of the child's stack (unlike `clone`, not its top).
    pub stack: u64,
    pub stack_size: u64,
    /// New FS base with `CLONE_SETTLS`.
    pub tls: u64,
    /// User address of an array of tids to request.
    pub set_tid: u64,
    pub set_tid_size: u64,
    /// Target cgroup fd for `CLONE_INTO_CGROUP`.
    pub cgroup: u64,
}

/// Size of the first published `clone_args` (up to `tls`).
pub const CLONE_ARGS_SIZE_VER0: usize = 64;
/// Size with `set_tid`/`set_tid_size`.
pub const CLONE_ARGS_SIZE_VER1: usize = 80;
/// Size with `cgroup`.
pub const CLONE_ARGS_SIZE_VER2: usize = 88;

/// `struct sched_attr` of sched_setattr(2) and sched_getattr(2): version 1
/// (56 bytes, with the utilization clamps); version 0 ends at
/// `sched_period` (48 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct SchedAttr {
    pub size: u32,
    pub sched_policy: u32,
    pub sched_flags: u64,
    pub sched_nice: i32,
    pub sched_priority: u32,
    pub sched_runtime: u64,
    pub sched_deadline: u64,
    pub sched_period: u64,
    pub sched_util_min: u32,
    pub sched_util_max: u32,
}

pub const SCHED_ATTR_SIZE_VER0: usize = 48;
pub const SCHED_ATTR_SIZE_VER1: usize = 56;

// sched_attr.sched_flags.
pub const SCHED_FLAG_RESET_ON_FORK: u64 = 0x01;
pub const SCHED_FLAG_RECLAIM: u64 = 0x02;
pub const SCHED_FLAG_DL_OVERRUN: u64 = 0x04;
pub const SCHED_FLAG_KEEP_POLICY: u64 = 0x08;
pub const SCHED_FLAG_KEEP_PARAMS: u64 = 0x10;
pub const SCHED_FLAG_UTIL_CLAMP_MIN: u64 = 0x20;
pub const SCHED_FLAG_UTIL_CLAMP_MAX: u64 = 0x40;

// Scheduling policies (`sched_setscheduler`).
pub const SCHED_OTHER: i32 = 0;
pub const SCHED_FIFO: i32 = 1;
pub const SCHED_RR: i32 = 2;
pub const SCHED_BATCH: i32 = 3;
pub const SCHED_IDLE: i32 = 5;
pub const SCHED_DEADLINE: i32 = 6;
/// Or-ed into the policy: children revert to `SCHED_OTHER`.
pub const SCHED_RESET_ON_FORK: i32 = 0x4000_0000;

// Sizes the ABI fixes; checked at compile time on every target.
const _: () = assert!(core::mem::size_of::<CloneArgs>() == 88);
const _: () = assert!(core::mem::size_of::<SchedAttr>() == SCHED_ATTR_SIZE_VER1);

/// membarrier(2) commands (bits: QUERY answers with those supported).
pub const MEMBARRIER_CMD_QUERY: i32 = 0;
pub const MEMBARRIER_CMD_GLOBAL: i32 = 1 << 0;
pub const MEMBARRIER_CMD_GLOBAL_EXPEDITED: i32 = 1 << 1;
pub const MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED: i32 = 1 << 2;
pub const MEMBARRIER_CMD_PRIVATE_EXPEDITED: i32 = 1 << 3;
pub const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: i32 = 1 << 4;
pub const MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE: i32 = 1 << 5;
pub const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE: i32 = 1 << 6;
pub const MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ: i32 = 1 << 7;
pub const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ: i32 = 1 << 8;
/// The one flag, for the RSEQ command: act on one CPU.
pub const MEMBARRIER_CMD_FLAG_CPU: u32 = 1;
