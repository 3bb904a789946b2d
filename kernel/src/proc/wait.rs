//! wait4(2) and waitid(2): waiting for children to exit, stop or continue,
//! and reaping them.

use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use abi::signal::{CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SIGCHLD, SIGCONT};
use abi::wait::{P_ALL, P_PGID, P_PID, P_PIDFD};
use abi::{Errno, Rusage, Siginfo, WaitFlags};

use super::pid;
use crate::sched::current;
use crate::sched::task::{ExitStatus, Task, TaskState};
use crate::uaccess::write_user;

/// Which children a wait selects.
#[derive(Clone, Copy)]
enum Selector {
    Any,
    Pid(u32),
    Group(u32),
}

impl Selector {
    fn matches(self, child: &Task) -> bool {
        match self {
            Selector::Any => true,
            Selector::Pid(p) => child.pid == p,
            Selector::Group(g) => child.pgid() == g,
        }
    }
}

/// What a wait looks for.
#[derive(Clone, Copy)]
struct Request {
    sel: Selector,
    exited: bool,
    stopped: bool,
    continued: bool,
    /// WNOWAIT: report without consuming the event.
    peek: bool,
}

/// A child's state change, as both calls report it.
#[derive(Clone, Copy)]
enum Event {
    Exited(ExitStatus),
    Stopped(i32),
    Continued,
}

impl Event {
    /// The wait4 status word.
    fn wait_status(self) -> i32 {
        match self {
            Event::Exited(s) => s.wait_status(),
            Event::Stopped(sig) => 0x7f | (sig << 8),
            Event::Continued => 0xffff,
        }
    }

    /// waitid's (si_code, si_status).
    fn code_and_status(self) -> (i32, i32) {
        match self {
            Event::Exited(ExitStatus::Exited(c)) => (CLD_EXITED, i32::from(c)),
            Event::Exited(ExitStatus::Signaled(s)) if s & 0x80 != 0 => (CLD_DUMPED, s & 0x7f),
            Event::Exited(ExitStatus::Signaled(s)) => (CLD_KILLED, s),
            Event::Stopped(sig) => (CLD_STOPPED, sig),
            Event::Continued => (CLD_CONTINUED, SIGCONT),
        }
    }
}

enum Found {
    Report(Arc<Task>, Event),
    OnlyLiving,
    Nothing,
}

fn child_event(child: &Task, req: &Request) -> Option<Event> {
    match child.state() {
        TaskState::Zombie(status) if req.exited => return Some(Event::Exited(status)),
        TaskState::Stopped if req.stopped => {
            let mut s = child.signals.lock();
            if let Some(sig) = s.stop_report {
                if !req.peek {
                    s.stop_report = None;
                }
                return Some(Event::Stopped(sig));
            }
        }
        _ => {}
    }
    if req.continued {
        let mut s = child.signals.lock();
        if s.continue_report {
            s.continue_report = req.peek;
            return Some(Event::Continued);
        }
    }
    None
}

fn find_child(parent: &Task, req: &Request) -> Found {
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
    for child in children.iter().filter(|c| req.sel.matches(c)) {
        any = true;
        if let Some(event) = child_event(child, req) {
            return Found::Report(child.clone(), event);
        }
    }
    if any {
        Found::OnlyLiving
    } else {
        Found::Nothing
    }
}

/// Waits for an event; Ok(None) when WNOHANG found only living children.
fn wait_for(req: Request, nohang: bool) -> Result<Option<(Arc<Task>, Event)>, Errno> {
    // What the children reaped before freed goes back to the frame
    // allocator when it left whole heap runs empty.
    machine::mm::heap_trim();
    let me = current();
    let found = me.child_exit.wait_interruptible(|| match find_child(&me, &req) {
        Found::OnlyLiving if !nohang => None,
        other => Some(other),
    })?;
    match found {
        Found::Nothing => Err(Errno::ECHILD),
        Found::OnlyLiving => Ok(None),
        Found::Report(child, event) => {
            if matches!(event, Event::Exited(_)) && !req.peek {
                me.children.lock().retain(|c| !Arc::ptr_eq(c, &child));
                me.times.absorb_child(&child.times);
                pid::release(child.pid);
            }
            Ok(Some((child, event)))
        }
    }
}

fn write_rusage(rusage: u64, child: &Task) -> Result<(), Errno> {
    if rusage != 0 {
        write_user(rusage, &super::times::child_rusage(child))?;
    }
    Ok(())
}

pub fn sys_wait4(pid_arg: i32, wstatus: u64, options: u32, rusage: u64) -> Result<usize, Errno> {
    let known = WaitFlags::WNOHANG
        | WaitFlags::WUNTRACED
        | WaitFlags::WCONTINUED
        | WaitFlags::__WNOTHREAD
        | WaitFlags::__WALL
        | WaitFlags::__WCLONE;
    let options = WaitFlags::from_bits(options).filter(|o| known.contains(*o)).ok_or(Errno::EINVAL)?;
    let sel = match pid_arg {
        i32::MIN => return Err(Errno::ESRCH),
        -1 => Selector::Any,
        0 => Selector::Group(current().pgid()),
        p if p < -1 => Selector::Group(p.unsigned_abs()),
        p => Selector::Pid(p as u32),
    };
    let req = Request {
        sel,
        exited: true,
        stopped: options.contains(WaitFlags::WUNTRACED),
        continued: options.contains(WaitFlags::WCONTINUED),
        peek: false,
    };
    match wait_for(req, options.contains(WaitFlags::WNOHANG))? {
        None => Ok(0),
        Some((child, event)) => {
            if wstatus != 0 {
                write_user(wstatus, &event.wait_status())?;
            }
            write_rusage(rusage, &child)?;
            Ok(child.pid as usize)
        }
    }
}

pub fn sys_waitid(idtype: i32, id: i32, infop: u64, options: i32, rusage: u64) -> Result<usize, Errno> {
    let known = WaitFlags::WNOHANG
        | WaitFlags::WEXITED
        | WaitFlags::WSTOPPED
        | WaitFlags::WCONTINUED
        | WaitFlags::WNOWAIT
        | WaitFlags::__WNOTHREAD
        | WaitFlags::__WALL
        | WaitFlags::__WCLONE;
    let options = WaitFlags::from_bits(options as u32).filter(|o| known.contains(*o)).ok_or(Errno::EINVAL)?;
    if !options.intersects(WaitFlags::WEXITED | WaitFlags::WSTOPPED | WaitFlags::WCONTINUED) {
        return Err(Errno::EINVAL);
    }
    // A non-blocking pidfd makes the wait WNOHANG, with EAGAIN when
    // nothing changed yet (Linux 5.10).
    let mut nonblocking_pidfd = false;
    let sel = match idtype {
        P_ALL => Selector::Any,
        P_PID if id > 0 => Selector::Pid(id as u32),
        P_PGID if id > 0 => Selector::Group(id as u32),
        P_PGID if id == 0 => Selector::Group(current().pgid()),
        P_PIDFD => {
            let file = super::pidfd::get(id)?;
            nonblocking_pidfd = file.flags().contains(abi::OpenFlags::O_NONBLOCK);
            let pidfd = file.object::<super::pidfd::PidFd>().ok_or(Errno::EBADF)?;
            Selector::Pid(pidfd.pid())
        }
        _ => return Err(Errno::EINVAL),
    };
    let req = Request {
        sel,
        exited: options.contains(WaitFlags::WEXITED),
        stopped: options.contains(WaitFlags::WSTOPPED),
        continued: options.contains(WaitFlags::WCONTINUED),
        peek: options.contains(WaitFlags::WNOWAIT),
    };
    let (info, usage) = match wait_for(req, options.contains(WaitFlags::WNOHANG) || nonblocking_pidfd)? {
        None if nonblocking_pidfd && !options.contains(WaitFlags::WNOHANG) => return Err(Errno::EAGAIN),
        // Nothing changed: Linux fills the siginfo with zeroes.
        None => (Siginfo::new(0, 0), Rusage::default()),
        Some((child, event)) => {
            let (code, status) = event.code_and_status();
            let uid = child.cred.lock().uid;
            (Siginfo::child(code, child.pid as i32, uid, status, 0, 0), super::times::child_rusage(&child))
        }
    };
    if infop != 0 {
        let mut info = info;
        if info.si_code != 0 {
            info.si_signo = SIGCHLD;
        }
        write_user(infop, &info)?;
    }
    if rusage != 0 {
        write_user(rusage, &usage)?;
    }
    Ok(0)
}
