//! `wait4`/`waitid` options and the wait-status encoding.

use bitflags::bitflags;

bitflags! {
    /// `options` of `wait4` and `waitid`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct WaitFlags: u32 {
        /// Return at once if no child has changed state.
        const WNOHANG = 0x0000_0001;
        /// Also report stopped children (`wait4` name).
        const WUNTRACED = 0x0000_0002;
        /// Also report stopped children (`waitid` name; same bit).
        const WSTOPPED = 0x0000_0002;
        /// Report terminated children (`waitid` requires it or another
        /// state flag).
        const WEXITED = 0x0000_0004;
        /// Also report children resumed by `SIGCONT`.
        const WCONTINUED = 0x0000_0008;
        /// Leave the child waitable (`waitid` only).
        const WNOWAIT = 0x0100_0000;
        /// Don't wait for children of other threads in the group.
        const __WNOTHREAD = 0x2000_0000;
        /// Wait for all children, whatever their exit signal.
        const __WALL = 0x4000_0000;
        /// Wait only for "clone" children (exit signal other than SIGCHLD).
        const __WCLONE = 0x8000_0000;
    }
}

// `idtype` of `waitid`.
pub const P_ALL: i32 = 0;
pub const P_PID: i32 = 1;
pub const P_PGID: i32 = 2;
pub const P_PIDFD: i32 = 3;

/// Status of a child that exited with `code` (`WIFEXITED`).
pub const fn status_exited(code: i32) -> i32 {
    (code & 0xff) << 8
}

/// Status of a child killed by `sig`, with `core` set if it dumped core
/// (`WIFSIGNALED`, `WCOREDUMP`).
pub const fn status_signaled(sig: i32, core: bool) -> i32 {
    (sig & 0x7f) | if core { 0x80 } else { 0 }
}

/// Status of a child stopped by `sig` (`WIFSTOPPED`).
pub const fn status_stopped(sig: i32) -> i32 {
    ((sig & 0xff) << 8) | 0x7f
}

/// Status of a child resumed by `SIGCONT` (`WIFCONTINUED`).
pub const STATUS_CONTINUED: i32 = 0xffff;
