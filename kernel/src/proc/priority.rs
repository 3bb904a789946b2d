//! Scheduling policy and priority calls: getpriority(2) and
//! setpriority(2) (nice), sched_setscheduler(2), sched_getscheduler(2),
//! sched_setparam(2), sched_getparam(2), sched_get_priority_max(2),
//! sched_get_priority_min(2), sched_rr_get_interval(2), sched_setattr(2)
//! and sched_getattr(2), with Linux's
//! permission rules: an unprivileged user changes only its own tasks,
//! lowers nice only as far as RLIMIT_NICE allows, and takes a real-time
//! policy only up to RLIMIT_RTPRIO.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::sched::*;
use abi::{Errno, Timespec, RLIMIT_NICE, RLIMIT_RTPRIO};

use super::pid;
use crate::sched::policy::{ideal_slice, weight, Policy, NICE_MAX, NICE_MIN, RR_TIMESLICE_NS};
use crate::sched::task::{SchedParams, Task};
use crate::sched::{current, set_params};
use crate::uaccess::{copy_from_user, copy_to_user, read_user, write_user};

const PRIO_PROCESS: i32 = 0;
const PRIO_PGRP: i32 = 1;
const PRIO_USER: i32 = 2;

/// The tasks `which` and `who` name (who 0: the caller's own).
fn targets(which: i32, who: i32) -> Result<Vec<Arc<Task>>, Errno> {
    let me = current();
    let who = who as u32;
    Ok(match which {
        PRIO_PROCESS if who == 0 => alloc::vec![me],
        PRIO_PROCESS => pid::find(who).into_iter().collect(),
        PRIO_PGRP => {
            let pgrp = if who == 0 { me.pgid() } else { who };
            pid::tasks_where(|t| t.pgid() == pgrp)
        }
        PRIO_USER => {
            let uid = if who == 0 { me.cred.lock().uid } else { who };
            pid::tasks_where(|t| t.cred.lock().uid == uid)
        }
        _ => return Err(Errno::EINVAL),
    })
}

/// getpriority: the highest priority of the tasks named, as 20 - nice
/// (1..40: the raw call never returns a negative priority).
pub fn sys_getpriority(which: i32, who: i32) -> Result<usize, Errno> {
    let best = targets(which, who)?.iter().map(|t| t.sched_params().nice).min().ok_or(Errno::ESRCH)?;
    Ok((20 - best) as usize)
}

/// Whether the caller may change `task`'s scheduling: its own, or root.
pub(super) fn may_change(task: &Task) -> bool {
    let me = current().cred.lock().clone();
    let target = task.cred.lock().clone();
    me.capable(abi::capability::CAP_SYS_NICE) || target.uid == me.euid || target.euid == me.euid
}

/// Whether `task` may go down to `nice` (Linux's can_nice): RLIMIT_NICE
/// allows nice values down to 20 - its limit.
fn can_nice(task: &Task, nice: i32) -> bool {
    let limit = task.rlimits.lock().get(RLIMIT_NICE).rlim_cur;
    current().cred.lock().capable(abi::capability::CAP_SYS_NICE) || (20 - nice) as u64 <= limit
}

/// setpriority: the nice value of every task named, clamped to -20..19;
/// the last refusal is the answer (EPERM, EACCES), ESRCH if none matched.
pub fn sys_setpriority(which: i32, who: i32, nice: i32) -> Result<usize, Errno> {
    let nice = nice.clamp(NICE_MIN, NICE_MAX);
    let mut result = Err(Errno::ESRCH);
    for task in targets(which, who)? {
        let params = task.sched_params();
        if !may_change(&task) {
            result = Err(Errno::EPERM);
        } else if nice < params.nice && !can_nice(&task, nice) {
            result = Err(Errno::EACCES);
        } else {
            set_params(&task, SchedParams { nice, ..params });
            if result == Err(Errno::ESRCH) {
                result = Ok(0);
            }
        }
    }
    result
}

/// The task `pid` names for the sched_* calls: the caller for 0, EINVAL
/// for a negative pid.
fn sched_target(pid: i32) -> Result<Arc<Task>, Errno> {
    match pid {
        ..0 => Err(Errno::EINVAL),
        0 => Ok(current()),
        _ => pid::find(pid as u32).ok_or(Errno::ESRCH),
    }
}

/// Linux's __sched_setscheduler checks, then the change.
fn set_scheduler(task: &Arc<Task>, policy: Policy, priority: u32, reset_on_fork: bool) -> Result<usize, Errno> {
    let (min, max) = policy.priority_range();
    if !(min..=max).contains(&priority) {
        return Err(Errno::EINVAL);
    }
    let old = task.sched_params();
    if !current().cred.lock().capable(abi::capability::CAP_SYS_NICE) {
        if policy.is_realtime() {
            let limit = task.rlimits.lock().get(RLIMIT_RTPRIO).rlim_cur;
            if (policy != old.policy && limit == 0) || (priority > old.rt_priority && u64::from(priority) > limit) {
                return Err(Errno::EPERM);
            }
        }
        if !may_change(task) || (old.reset_on_fork && !reset_on_fork) {
            return Err(Errno::EPERM);
        }
    }
    set_params(task, SchedParams { policy, rt_priority: priority, reset_on_fork, ..old });
    Ok(0)
}

/// The struct sched_param's one field, from user memory (EINVAL for NULL).
fn read_param(param: u64) -> Result<u32, Errno> {
    if param == 0 {
        return Err(Errno::EINVAL);
    }
    let priority: i32 = read_user(param)?;
    u32::try_from(priority).map_err(|_| Errno::EINVAL)
}

pub fn sys_sched_setscheduler(pid: i32, policy: i32, param: u64) -> Result<usize, Errno> {
    if pid < 0 || param == 0 {
        return Err(Errno::EINVAL);
    }
    let priority = read_param(param)?;
    let task = sched_target(pid)?;
    let reset_on_fork = policy & SCHED_RESET_ON_FORK != 0;
    let policy = Policy::from_raw(policy & !SCHED_RESET_ON_FORK).ok_or(Errno::EINVAL)?;
    set_scheduler(&task, policy, priority, reset_on_fork)
}

pub fn sys_sched_setparam(pid: i32, param: u64) -> Result<usize, Errno> {
    if pid < 0 || param == 0 {
        return Err(Errno::EINVAL);
    }
    let priority = read_param(param)?;
    let task = sched_target(pid)?;
    let old = task.sched_params();
    set_scheduler(&task, old.policy, priority, old.reset_on_fork)
}

pub fn sys_sched_getscheduler(pid: i32) -> Result<usize, Errno> {
    let params = sched_target(pid)?.sched_params();
    let flag = if params.reset_on_fork { SCHED_RESET_ON_FORK } else { 0 };
    Ok((params.policy as i32 | flag) as usize)
}

pub fn sys_sched_getparam(pid: i32, param: u64) -> Result<usize, Errno> {
    if pid < 0 || param == 0 {
        return Err(Errno::EINVAL);
    }
    let params = sched_target(pid)?.sched_params();
    write_user(param, &(params.rt_priority as i32))?;
    Ok(0)
}

/// SCHED_DEADLINE: a policy Linux knows, with no static priority (0..0),
/// though no task here can have it (sched_setattr refuses it).
const SCHED_DEADLINE: i32 = 6;

pub fn sys_sched_get_priority_max(policy: i32) -> Result<usize, Errno> {
    if policy == SCHED_DEADLINE {
        return Ok(0);
    }
    Policy::from_raw(policy).map(|p| p.priority_range().1 as usize).ok_or(Errno::EINVAL)
}

pub fn sys_sched_get_priority_min(policy: i32) -> Result<usize, Errno> {
    if policy == SCHED_DEADLINE {
        return Ok(0);
    }
    Policy::from_raw(policy).map(|p| p.priority_range().0 as usize).ok_or(Errno::EINVAL)
}

/// sched_rr_get_interval: SCHED_RR's quantum, 0 for SCHED_FIFO, and a
/// fair task's share of the latency period alone on the CPU.
pub fn sys_sched_rr_get_interval(pid: i32, interval: u64) -> Result<usize, Errno> {
    let params = sched_target(pid)?.sched_params();
    let ns = match params.policy {
        Policy::Rr => RR_TIMESLICE_NS,
        Policy::Fifo => 0,
        other => {
            let w = weight(other, params.nice);
            ideal_slice(w, w)
        }
    };
    let ts = Timespec { tv_sec: (ns / 1_000_000_000) as i64, tv_nsec: (ns % 1_000_000_000) as i64 };
    write_user(interval, &ts)?;
    Ok(0)
}

/// sched_setattr: the policy, priority and nice of `struct sched_attr`
/// (any published size; a larger one's unknown tail must be zero), with
/// SCHED_FLAG_KEEP_POLICY and SCHED_FLAG_KEEP_PARAMS. SCHED_DEADLINE is
/// not implemented: EINVAL, as for an unknown policy; the utilization
/// clamps need CONFIG_UCLAMP_TASK, which this kernel does not have:
/// EOPNOTSUPP, as Linux without it.
pub fn sys_sched_setattr(pid: i32, uattr: u64, flags: u32) -> Result<usize, Errno> {
    if uattr == 0 || pid < 0 || flags != 0 {
        return Err(Errno::EINVAL);
    }
    let attr = read_sched_attr(uattr)?;
    let known = SCHED_FLAG_RESET_ON_FORK
        | SCHED_FLAG_RECLAIM
        | SCHED_FLAG_DL_OVERRUN
        | SCHED_FLAG_KEEP_POLICY
        | SCHED_FLAG_KEEP_PARAMS
        | SCHED_FLAG_UTIL_CLAMP_MIN
        | SCHED_FLAG_UTIL_CLAMP_MAX;
    if attr.sched_flags & !known != 0 || (attr.sched_policy as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    if attr.sched_flags & (SCHED_FLAG_UTIL_CLAMP_MIN | SCHED_FLAG_UTIL_CLAMP_MAX) != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let task = sched_target(pid)?;
    let old = task.sched_params();
    let policy = if attr.sched_flags & SCHED_FLAG_KEEP_POLICY != 0 {
        old.policy
    } else {
        Policy::from_raw(attr.sched_policy as i32).ok_or(Errno::EINVAL)?
    };
    let (priority, nice) = if attr.sched_flags & SCHED_FLAG_KEEP_PARAMS != 0 {
        (old.rt_priority, old.nice)
    } else {
        (attr.sched_priority, attr.sched_nice.clamp(NICE_MIN, NICE_MAX))
    };
    if priority > 99 || policy.is_realtime() != (priority != 0) {
        return Err(Errno::EINVAL);
    }
    let reset_on_fork = attr.sched_flags & SCHED_FLAG_RESET_ON_FORK != 0;
    if !policy.is_realtime() && nice < old.nice && !can_nice(&task, nice) {
        return Err(Errno::EPERM);
    }
    set_scheduler(&task, policy, priority, reset_on_fork)?;
    if !policy.is_realtime() {
        set_params(&task, SchedParams { nice, ..task.sched_params() });
    }
    Ok(0)
}

/// Copies `struct sched_attr` in as Linux does: a size of 0 is version 0;
/// below it or past a page is E2BIG (the kernel's size written back); a
/// larger structure's tail must be zero.
fn read_sched_attr(uattr: u64) -> Result<SchedAttr, Errno> {
    let size: u32 = read_user(uattr)?;
    let size = if size == 0 { SCHED_ATTR_SIZE_VER0 } else { size as usize };
    if !(SCHED_ATTR_SIZE_VER0..=4096).contains(&size) {
        write_user(uattr, &(SCHED_ATTR_SIZE_VER1 as u32))?;
        return Err(Errno::E2BIG);
    }
    let mut bytes = alloc::vec![0u8; size];
    copy_from_user(&mut bytes, uattr)?;
    if bytes.iter().skip(SCHED_ATTR_SIZE_VER1).any(|&b| b != 0) {
        write_user(uattr, &(SCHED_ATTR_SIZE_VER1 as u32))?;
        return Err(Errno::E2BIG);
    }
    let mut attr = SchedAttr::default();
    let n = size.min(SCHED_ATTR_SIZE_VER1);
    bytemuck::bytes_of_mut(&mut attr)[..n].copy_from_slice(&bytes[..n]);
    Ok(attr)
}

/// sched_getattr: the task's policy, priority, nice and flags, in as much
/// of the structure as the caller's size holds (at least version 0).
pub fn sys_sched_getattr(pid: i32, uattr: u64, size: u32, flags: u32) -> Result<usize, Errno> {
    let size = size as usize;
    if uattr == 0 || pid < 0 || !(SCHED_ATTR_SIZE_VER0..=4096).contains(&size) || flags != 0 {
        return Err(Errno::EINVAL);
    }
    let params = sched_target(pid)?.sched_params();
    let n = size.min(SCHED_ATTR_SIZE_VER1);
    let attr = SchedAttr {
        size: n as u32,
        sched_policy: params.policy as u32,
        sched_flags: if params.reset_on_fork { SCHED_FLAG_RESET_ON_FORK } else { 0 },
        sched_nice: params.nice,
        sched_priority: params.rt_priority,
        ..SchedAttr::default()
    };
    copy_to_user(uattr, &bytemuck::bytes_of(&attr)[..n])?;
    Ok(0)
}
