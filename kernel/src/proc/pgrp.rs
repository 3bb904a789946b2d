//! Process groups and sessions: setpgid(2), getpgid(2), getpgrp(2),
//! setsid(2), getsid(2).

use alloc::sync::Arc;

use abi::Errno;

use super::pid;
use crate::sched::current;
use crate::sched::task::{Pid, Task};

/// The caller itself for 0, else the task with that pid (ESRCH for a
/// negative one: no task has it).
fn target(pid_arg: i32) -> Result<Arc<Task>, Errno> {
    match pid_arg {
        0 => Ok(current()),
        p if p < 0 => Err(Errno::ESRCH),
        p => pid::find(p as Pid).ok_or(Errno::ESRCH),
    }
}

fn is_child_of(child: &Task, parent: &Task) -> bool {
    child.ppid() == parent.pid
}

pub fn sys_setpgid(pid_arg: i32, pgid_arg: i32) -> Result<usize, Errno> {
    // A pgid of 0 means the pid's, so setpgid(-1, 0) is EINVAL too.
    if pgid_arg < 0 || (pgid_arg == 0 && pid_arg < 0) {
        return Err(Errno::EINVAL);
    }
    let me = current();
    let task = if pid_arg == 0 { me.clone() } else { target(pid_arg)? };
    if task.pid != me.pid && !is_child_of(&task, &me) {
        return Err(Errno::ESRCH);
    }
    if task.sid() != me.sid() {
        return Err(Errno::EPERM);
    }
    // A child that has run execve is its own program's now.
    if task.pid != me.pid && task.did_exec.load(core::sync::atomic::Ordering::Relaxed) {
        return Err(Errno::EACCES);
    }
    // A session leader's group cannot change.
    if task.sid() == task.pid {
        return Err(Errno::EPERM);
    }
    let pgid = if pgid_arg == 0 { task.pid } else { pgid_arg as Pid };
    if pgid != task.pid && !group_exists_in_session(pgid, me.sid()) {
        return Err(Errno::EPERM);
    }
    task.set_pgid(pgid);
    Ok(0)
}

fn group_exists_in_session(pgid: Pid, sid: Pid) -> bool {
    pid::any_task(|t| t.pgid() == pgid && t.sid() == sid)
}

pub fn sys_getpgid(pid_arg: i32) -> Result<usize, Errno> {
    Ok(target(pid_arg)?.pgid() as usize)
}

pub fn sys_getpgrp() -> Result<usize, Errno> {
    Ok(current().pgid() as usize)
}

pub fn sys_setsid() -> Result<usize, Errno> {
    let me = current();
    if me.pgid() == me.pid {
        return Err(Errno::EPERM);
    }
    me.set_sid(me.pid);
    me.set_pgid(me.pid);
    Ok(me.pid as usize)
}

pub fn sys_getsid(pid_arg: i32) -> Result<usize, Errno> {
    Ok(target(pid_arg)?.sid() as usize)
}
