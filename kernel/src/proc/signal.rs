//! Signals. Only the kernel's own fatal signals exist so far: a fault the
//! process cannot survive marks it, and it dies on its way back to user
//! mode with Linux's default action (terminate).

use core::sync::atomic::Ordering;

use abi::signal::{SIGKILL, SIGSTOP, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK};
use abi::Errno;

use crate::mm::uaccess::{read_user, write_user};

/// Delivers a synchronous fault signal to the current task. With no
/// handlers yet, every such signal is fatal.
pub fn force_signal(signal: i32, _code: i32, _addr: u64) {
    crate::sched::current().fatal_signal.store(signal, Ordering::Relaxed);
}

/// A write to a pipe with no reader: SIGPIPE, whose default action ends the
/// process. (Handlers and ignoring arrive with rt_sigaction.)
pub fn send_sigpipe() {
    let task = crate::sched::current();
    if !task.signal_blocked(abi::signal::SIGPIPE) {
        task.fatal_signal.store(abi::signal::SIGPIPE, Ordering::Relaxed);
    }
}

/// SIGKILL and SIGSTOP can never be blocked.
const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

pub fn sys_rt_sigprocmask(how: i32, set: u64, oldset: u64, sigsetsize: usize) -> Result<usize, Errno> {
    if sigsetsize != 8 {
        return Err(Errno::EINVAL);
    }
    let task = crate::sched::current();
    let old = task.signal_mask.load(Ordering::Relaxed);
    if set != 0 {
        let set: u64 = read_user(set)?;
        let new = match how {
            SIG_BLOCK => old | set,
            SIG_UNBLOCK => old & !set,
            SIG_SETMASK => set,
            _ => return Err(Errno::EINVAL),
        };
        task.signal_mask.store(new & !UNBLOCKABLE, Ordering::Relaxed);
    }
    if oldset != 0 {
        write_user(oldset, &old)?;
    }
    Ok(0)
}
