//! Resource limits: getrlimit(2), setrlimit(2), prlimit64(2), with Linux's
//! defaults for init. RLIMIT_NOFILE bounds the descriptor table and
//! RLIMIT_NPROC the processes of a (non-root) user; RLIMIT_STACK sizes new
//! stacks. The others are kept and reported for the subsystems that will
//! enforce them.

use abi::{Errno, Rlimit, RLIMIT_NOFILE, RLIMIT_NPROC, RLIM_INFINITY};

use super::pid;
use crate::fs::file::NR_OPEN;
use crate::sched::current;
use crate::sched::task::{Pid, Task};
use crate::uaccess::{read_user, write_user};

const RLIM_NLIMITS: usize = 16;

#[derive(Clone)]
pub struct Rlimits([Rlimit; RLIM_NLIMITS]);

impl Default for Rlimits {
    /// Linux's values for init (include/asm-generic/resource.h), with the
    /// task limits Linux derives from memory set to its common 63 K.
    fn default() -> Rlimits {
        let inf = Rlimit { rlim_cur: RLIM_INFINITY, rlim_max: RLIM_INFINITY };
        let mut l = [inf; RLIM_NLIMITS];
        l[abi::RLIMIT_STACK as usize] = Rlimit { rlim_cur: 8 << 20, rlim_max: RLIM_INFINITY };
        l[abi::RLIMIT_CORE as usize] = Rlimit { rlim_cur: 0, rlim_max: RLIM_INFINITY };
        l[RLIMIT_NPROC as usize] = Rlimit { rlim_cur: 63_471, rlim_max: 63_471 };
        l[RLIMIT_NOFILE as usize] = Rlimit { rlim_cur: 1024, rlim_max: 4096 };
        l[abi::RLIMIT_MEMLOCK as usize] = Rlimit { rlim_cur: 8 << 20, rlim_max: 8 << 20 };
        l[abi::RLIMIT_SIGPENDING as usize] = Rlimit { rlim_cur: 63_471, rlim_max: 63_471 };
        l[abi::RLIMIT_MSGQUEUE as usize] = Rlimit { rlim_cur: 819_200, rlim_max: 819_200 };
        l[abi::RLIMIT_NICE as usize] = Rlimit { rlim_cur: 0, rlim_max: 0 };
        l[abi::RLIMIT_RTPRIO as usize] = Rlimit { rlim_cur: 0, rlim_max: 0 };
        Rlimits(l)
    }
}

impl Rlimits {
    pub fn get(&self, resource: u32) -> Rlimit {
        self.0[resource as usize]
    }

    /// Moves a soft limit (RLIMIT_CPU's, a second on after each SIGXCPU).
    pub fn set_soft(&mut self, resource: u32, value: u64) {
        self.0[resource as usize].rlim_cur = value;
    }
}

fn check_resource(resource: u32) -> Result<(), Errno> {
    if (resource as usize) < RLIM_NLIMITS {
        Ok(())
    } else {
        Err(Errno::EINVAL)
    }
}

/// Validates and applies a new limit to `task`.
fn set_limit(task: &Task, resource: u32, new: Rlimit) -> Result<(), Errno> {
    if new.rlim_cur > new.rlim_max {
        return Err(Errno::EINVAL);
    }
    if resource == RLIMIT_NOFILE && new.rlim_max > NR_OPEN as u64 {
        return Err(Errno::EPERM);
    }
    let privileged = task.cred.lock().capable(abi::capability::CAP_SYS_RESOURCE);
    let mut limits = task.rlimits.lock();
    if new.rlim_max > limits.0[resource as usize].rlim_max && !privileged {
        return Err(Errno::EPERM);
    }
    limits.0[resource as usize] = new;
    drop(limits);
    if resource == RLIMIT_NOFILE {
        task.files.lock().set_limit(new.rlim_cur);
    }
    Ok(())
}

pub fn sys_getrlimit(resource: u32, rlim: u64) -> Result<usize, Errno> {
    check_resource(resource)?;
    let limit = current().rlimits.lock().get(resource);
    write_user(rlim, &limit)?;
    Ok(0)
}

pub fn sys_setrlimit(resource: u32, rlim: u64) -> Result<usize, Errno> {
    check_resource(resource)?;
    let new: Rlimit = read_user(rlim)?;
    set_limit(&current(), resource, new)?;
    Ok(0)
}

pub fn sys_prlimit64(pid_arg: i32, resource: u32, new: u64, old: u64) -> Result<usize, Errno> {
    check_resource(resource)?;
    let task = match pid_arg {
        0 => current(),
        p if p > 0 => pid::find(p as Pid).ok_or(Errno::ESRCH)?,
        _ => return Err(Errno::EINVAL),
    };
    let new_limit: Option<Rlimit> = if new != 0 { Some(read_user(new)?) } else { None };
    let previous = task.rlimits.lock().get(resource);
    if let Some(limit) = new_limit {
        set_limit(&task, resource, limit)?;
    }
    if old != 0 {
        write_user(old, &previous)?;
    }
    Ok(0)
}

/// fork's RLIMIT_NPROC check: a non-root user may not own more processes.
pub fn may_fork(parent: &Task) -> bool {
    // threads-max bounds everyone (Linux's max_threads).
    if pid::count() >= pid::threads_max() {
        return false;
    }
    let cred = parent.cred.lock().clone();
    if cred.capable(abi::capability::CAP_SYS_RESOURCE) || cred.capable(abi::capability::CAP_SYS_ADMIN) {
        return true;
    }
    let limit = parent.rlimits.lock().get(RLIMIT_NPROC).rlim_cur;
    let owned = pid::tasks_where(|t| t.cred.lock().uid == cred.uid).len() as u64;
    owned < limit
}
