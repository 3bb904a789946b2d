//! wait4(2): waiting for children to exit and reaping them.

use alloc::sync::Arc;

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
    Zombie(Arc<Task>, i32),
    OnlyLiving,
    Nothing,
}

fn find_child(parent: &Task, sel: Selector) -> Found {
    let children = parent.children.lock();
    let mut any = false;
    for child in children.iter().filter(|c| sel.matches(c)) {
        any = true;
        if let TaskState::Zombie(status) = child.state() {
            return Found::Zombie(child.clone(), status.wait_status());
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
    let found = me.child_exit.wait_until(|| match find_child(&me, sel) {
        Found::OnlyLiving if !options.contains(WaitFlags::WNOHANG) => None,
        other => Some(other),
    });
    match found {
        Found::Nothing => Err(Errno::ECHILD),
        Found::OnlyLiving => Ok(0),
        Found::Zombie(child, status) => {
            if wstatus != 0 {
                write_user(wstatus, &status)?;
            }
            if rusage != 0 {
                // No per-task CPU accounting exists yet: all fields are zero.
                write_user(rusage, &Rusage::default())?;
            }
            reap(&me, &child);
            Ok(child.pid as usize)
        }
    }
}
