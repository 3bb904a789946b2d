//! getpid(2), gettid(2), set_tid_address(2).

use core::sync::atomic::Ordering;

use abi::Errno;

use crate::sched::current;

pub fn sys_getpid() -> Result<usize, Errno> {
    Ok(current().pid as usize)
}

pub fn sys_gettid() -> Result<usize, Errno> {
    Ok(current().pid as usize)
}

/// Records where to clear and wake at thread exit; returns the caller's tid.
pub fn sys_set_tid_address(tidptr: u64) -> Result<usize, Errno> {
    let task = current();
    task.clear_child_tid.store(tidptr, Ordering::Relaxed);
    Ok(task.pid as usize)
}
