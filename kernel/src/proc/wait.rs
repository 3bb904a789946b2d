//! wait4(2): waiting for children to exit and reaping them.

use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use abi::{Errno, Rusage, WaitFlags};

use super::pid;
use crate::mm::uaccess::write_user;
use crate::sched::current;
use crate::sched::task::{Task, TaskState};

/// Which children a wait4 `pid` argument selects.
#[derive(Clone, Copy)]
enum Selector {
    Any,
    Pid(u32),
    Group(u32),
}

impl Selector {
    fn from_arg(pid: i32, caller: &Task) -> Selector {
        match pid {
            -1 => Selector::Any,
            0 => Selector::Group(caller.pgid()),
            p if p < -1 => Selector::Group(p.unsigned_abs()),
            p => Selector::Pid(p as u32),
        }
    }

    fn matches(self, child: &Task) -> bool {
        match self {
            Selector::Any => true,
            Selector::Pid(p) => child.pid == p,
            Selector::Group(g) => child.pgid() == g,
        }
    }
}

enum Found {
    /// A child to report: its wait status, and whether to reap it.
    Report(Arc<Task>, i32, bool),
    OnlyLiving,
    Nothing,
}

fn find_child(parent: &Task, sel: Selector, options: WaitFlags) -> Found {
    let mut children = parent.children.lock();
    // Zombies nobody waits for go without a report.
    children.retain(|c| {
        let silent = matches!(c.state(), TaskState::Zombie(_)) && c.autoreap.load(Ordering::Relaxed);
        if silent {
            pid::release(c.pid);
        }
        !silent
    });
    let mut any = false;
    for child in children.iter().filter(|c| sel.matches(c)) {
        any = true;
        match child.state() {
            TaskState::Zombie(status) => return Found::Report(child.clone(), status.wait_status(), true),
            TaskState::Stopped if options.contains(WaitFlags::WUNTRACED) => {
                if let Some(sig) = child.signals.lock().stop_report.take() {
                    return Found::Report(child.clone(), 0x7f | (sig << 8), false);
                }
            }
            _ => {}
        }
        if options.contains(WaitFlags::WCONTINUED) {
            let mut state = child.signals.lock();
            if state.continue_report {
                state.continue_report = false;
                return Found::Report(child.clone(), 0xffff, false);
            }
        }
    }
    if any {
        Found::OnlyLiving
    } else {
        Found::Nothing
    }
}

fn reap(parent: &Task, child: &Arc<Task>) {
    parent.children.lock().retain(|c| !Arc::ptr_eq(c, child));
    pid::release(child.pid);
}

pub fn sys_wait4(pid_arg: i32, wstatus: u64, options: u32, rusage: u64) -> Result<usize, Errno> {
    let known = WaitFlags::WNOHANG
        | WaitFlags::WUNTRACED
        | WaitFlags::WCONTINUED
        | WaitFlags::__WNOTHREAD
        | WaitFlags::__WALL
        | WaitFlags::__WCLONE;
    let options = WaitFlags::from_bits(options).filter(|o| known.contains(*o)).ok_or(Errno::EINVAL)?;
    if pid_arg == i32::MIN {
        return Err(Errno::ESRCH);
    }
    let me = current();
    let sel = Selector::from_arg(pid_arg, &me);
    let found = me.child_exit.wait_interruptible(|| match find_child(&me, sel, options) {
        Found::OnlyLiving if !options.contains(WaitFlags::WNOHANG) => None,
        other => Some(other),
    })?;
    match found {
        Found::Nothing => Err(Errno::ECHILD),
        Found::OnlyLiving => Ok(0),
        Found::Report(child, status, reap_it) => {
            if wstatus != 0 {
                write_user(wstatus, &status)?;
            }
            if rusage != 0 {
                // No per-task CPU accounting exists yet: all fields are zero.
                write_user(rusage, &Rusage::default())?;
            }
            if reap_it {
                reap(&me, &child);
            }
            Ok(child.pid as usize)
        }
    }
}
