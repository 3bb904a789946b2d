//! ioprio_set(2) and ioprio_get(2): each thread's I/O scheduling class
//! and level, kept and inherited by fork. Requests here are served in the
//! order they come (the block layer has no I/O scheduler), as Linux's
//! "none" scheduler does with any priority.

use core::sync::atomic::Ordering;

use abi::Errno;

use crate::sched::current;
use crate::sched::task::Task;

const IOPRIO_WHO_PROCESS: i32 = 1;
const IOPRIO_WHO_PGRP: i32 = 2;
const IOPRIO_WHO_USER: i32 = 3;
const IOPRIO_CLASS_SHIFT: u32 = 13;
const IOPRIO_CLASS_NONE: u32 = 0;
const IOPRIO_CLASS_RT: u32 = 1;
const IOPRIO_CLASS_BE: u32 = 2;
const IOPRIO_CLASS_IDLE: u32 = 3;
/// Levels 0 to 7 in the real-time and best-effort classes.
const IOPRIO_NR_LEVELS: u32 = 8;

/// Linux's ioprio_check_cap: a known class, a level in range, and
/// privilege for the real-time class.
fn check(ioprio: u32) -> Result<(), Errno> {
    let (class, level) = (ioprio >> IOPRIO_CLASS_SHIFT, ioprio & ((1 << IOPRIO_CLASS_SHIFT) - 1));
    match class {
        IOPRIO_CLASS_RT if !current().cred.lock().is_privileged() => Err(Errno::EPERM),
        IOPRIO_CLASS_RT | IOPRIO_CLASS_BE if level >= IOPRIO_NR_LEVELS => Err(Errno::EINVAL),
        IOPRIO_CLASS_RT | IOPRIO_CLASS_BE | IOPRIO_CLASS_IDLE => Ok(()),
        IOPRIO_CLASS_NONE if level == 0 => Ok(()),
        _ => Err(Errno::EINVAL),
    }
}

/// The threads `which` and `who` name (0: the caller, its group or its
/// user); ESRCH when none.
fn targets(which: i32, who: i32) -> Result<alloc::vec::Vec<alloc::sync::Arc<Task>>, Errno> {
    let me = current();
    let who = u32::try_from(who).map_err(|_| Errno::ESRCH)?;
    let found = match which {
        IOPRIO_WHO_PROCESS if who == 0 => alloc::vec![me],
        IOPRIO_WHO_PROCESS => crate::proc::pid::find(who).into_iter().collect(),
        IOPRIO_WHO_PGRP => {
            let pgid = if who == 0 { me.pgid() } else { who };
            crate::proc::pid::tasks_where(|t| t.pgid() == pgid)
        }
        IOPRIO_WHO_USER => {
            let uid = if who == 0 { me.cred.lock().uid } else { who };
            crate::proc::pid::tasks_where(|t| t.cred.lock().uid == uid)
        }
        _ => return Err(Errno::EINVAL),
    };
    if found.is_empty() {
        return Err(Errno::ESRCH);
    }
    Ok(found)
}

pub fn sys_ioprio_set(which: i32, who: i32, ioprio: i32) -> Result<usize, Errno> {
    check(ioprio as u32)?;
    let me = current();
    let mine = me.cred.lock().clone();
    for task in targets(which, who)? {
        let theirs = task.cred.lock().clone();
        if !mine.capable(abi::capability::CAP_SYS_NICE) && mine.euid != theirs.uid && mine.uid != theirs.uid {
            return Err(Errno::EPERM);
        }
        task.ioprio.store(ioprio as u32, Ordering::Relaxed);
    }
    Ok(0)
}

/// The highest priority among the targets: the lowest class number
/// (real-time first), then the lowest level; NONE ranks as best-effort.
pub fn sys_ioprio_get(which: i32, who: i32) -> Result<usize, Errno> {
    let rank = |p: u32| {
        let class = p >> IOPRIO_CLASS_SHIFT;
        (if class == IOPRIO_CLASS_NONE { IOPRIO_CLASS_BE } else { class }, p & 0xfff)
    };
    let best = targets(which, who)?.iter().map(|t| t.ioprio.load(Ordering::Relaxed)).min_by_key(|&p| rank(p));
    Ok(best.unwrap_or(0) as usize)
}
