//! The signal system calls: rt_sigaction, rt_sigprocmask, rt_sigpending,
//! rt_sigsuspend, pause, rt_sigtimedwait, sigaltstack, kill, tkill, tgkill.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use abi::signal::*;
use abi::{Errno, KernelSigaction, Siginfo, StackT, Timespec};

use super::{send_signal, send_thread_signal, sig_bit, UNBLOCKABLE};
use crate::proc::pid;
use crate::sched::current;
use crate::sched::task::{Pid, Task};
use crate::sched::wait::WaitQueue;
use crate::uaccess::{read_user, write_user};

const SIGSET_SIZE: usize = 8;

fn valid_signal(sig: i32) -> Result<(), Errno> {
    if (1..=64).contains(&sig) {
        Ok(())
    } else {
        Err(Errno::EINVAL)
    }
}

pub fn sys_rt_sigaction(sig: i32, act: u64, oldact: u64, sigsetsize: usize) -> Result<usize, Errno> {
    if sigsetsize != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    valid_signal(sig)?;
    if act != 0 && (sig == SIGKILL || sig == SIGSTOP) {
        return Err(Errno::EINVAL);
    }
    let new: Option<KernelSigaction> = if act != 0 { Some(read_user(act)?) } else { None };
    let task = current();
    let old = {
        let mut state = task.signals.lock();
        let old = state.action(sig);
        if let Some(mut new) = new {
            new.mask &= !UNBLOCKABLE;
            state.actions.set(sig, new);
            // POSIX: setting a pending signal to be ignored discards it.
            if new.is_ignored() || (new.is_default() && default_action(sig) == DefaultAction::Ignore) {
                state.shared.discard(sig_bit(sig));
                for t in task.thread_list() {
                    t.thread_signals.lock().discard(sig_bit(sig));
                }
            }
        }
        old
    };
    if oldact != 0 {
        write_user(oldact, &old)?;
    }
    Ok(0)
}

pub fn sys_rt_sigprocmask(how: i32, set: u64, oldset: u64, sigsetsize: usize) -> Result<usize, Errno> {
    if sigsetsize != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let task = current();
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

pub fn sys_rt_sigpending(set: u64, sigsetsize: usize) -> Result<usize, Errno> {
    if sigsetsize > SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let task = current();
    let pending = super::pending_for(&task) & task.signal_mask.load(Ordering::Relaxed);
    let bytes = pending.to_le_bytes();
    crate::uaccess::copy_to_user(set, &bytes[..sigsetsize])?;
    Ok(0)
}

/// Woken when a signal arrives that every thread blocks (for
/// sigtimedwait); pause and sigsuspend leave it only through a signal.
pub(super) static SIGNAL_WAIT: WaitQueue = WaitQueue::new();

/// The wait ends only with a signal, and then the call fails with EINTR
/// after a handler even with SA_RESTART (Linux's ERESTARTNOHAND), not
/// the wait's ERESTARTSYS, which would restart it.
pub fn sys_pause() -> Result<usize, Errno> {
    let _ = SIGNAL_WAIT.wait_interruptible(|| None::<()>);
    Err(Errno::ERESTARTNOHAND)
}

pub fn sys_rt_sigsuspend(mask: u64, sigsetsize: usize) -> Result<usize, Errno> {
    if sigsetsize != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let new: u64 = read_user(mask)?;
    let task = current();
    let old = task.signal_mask.swap(new & !UNBLOCKABLE, Ordering::Relaxed);
    // Delivery uses (and clears) the saved mask as the one to return to.
    *task.saved_mask.lock() = Some(old);
    drop(task);
    let _ = SIGNAL_WAIT.wait_interruptible(|| None::<()>);
    Err(Errno::ERESTARTNOHAND)
}

pub fn sys_rt_sigtimedwait(set: u64, info: u64, timeout: u64, sigsetsize: usize) -> Result<usize, Errno> {
    if sigsetsize != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let wanted: u64 = read_user::<u64>(set)? & !UNBLOCKABLE;
    let deadline = if timeout != 0 {
        let ts: Timespec = read_user(timeout)?;
        if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
            return Err(Errno::EINVAL);
        }
        Some(crate::time::uptime_ns().saturating_add(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64))
    } else {
        None
    };
    let task = current();
    let take = |task: &Task| super::take_pending(task, wanted);
    let (sig, siginfo) = match take(&task) {
        Some(found) => found,
        None => {
            // The awaited signals are blocked: their arrival wakes
            // SIGNAL_WAIT (see `deliver_to`), other signals end the wait,
            // and a timed wait looks again at every tick until its deadline.
            let result = match deadline {
                Some(d) => loop {
                    if let Some(found) = take(&task) {
                        break Ok(found);
                    }
                    let now = crate::time::uptime_ns();
                    if now >= d {
                        break Err(Errno::EAGAIN);
                    }
                    let tick = crate::time::NSEC_PER_SEC / crate::time::HZ;
                    if crate::sched::timer::sleep_until(d.min(now + tick)).is_err() {
                        break Err(Errno::EINTR);
                    }
                },
                None => SIGNAL_WAIT.wait_interruptible(|| take(&task)).map_err(|_| Errno::EINTR),
            };
            match result {
                Ok(found) => found,
                Err(e) => match take(&task) {
                    Some(found) => found,
                    None => return Err(e),
                },
            }
        }
    };
    if info != 0 {
        write_user(info, &siginfo)?;
    }
    Ok(sig as usize)
}

pub fn sys_sigaltstack(ss: u64, old_ss: u64, user_sp: u64) -> Result<usize, Errno> {
    let task = current();
    let current_stack = *task.altstack.lock();
    let on_stack = super::frame::on_altstack(&current_stack, user_sp);
    if ss != 0 {
        let new: StackT = read_user(ss)?;
        if on_stack {
            return Err(Errno::EPERM);
        }
        let flags = new.ss_flags & !SS_AUTODISARM;
        if flags != 0 && flags != SS_DISABLE && flags != SS_ONSTACK {
            return Err(Errno::EINVAL);
        }
        let stack = if flags == SS_DISABLE {
            StackT { ss_sp: 0, ss_flags: SS_DISABLE, _pad: 0, ss_size: 0 }
        } else {
            if new.ss_size < MINSIGSTKSZ {
                return Err(Errno::ENOMEM);
            }
            StackT { ss_flags: 0, ..new }
        };
        *task.altstack.lock() = stack;
    }
    if old_ss != 0 {
        let flags = if on_stack { SS_ONSTACK } else { current_stack.ss_flags };
        write_user(old_ss, &StackT { ss_flags: flags, ..current_stack })?;
    }
    Ok(0)
}

/// The tasks a kill(2) `pid` names; ESRCH when there are none.
fn kill_targets(pid_arg: i32, me: &Task) -> Result<Vec<Arc<Task>>, Errno> {
    let targets: Vec<Arc<Task>> = match pid_arg {
        p if p > 0 => pid::find(p as Pid).into_iter().collect(),
        0 => pid::tasks_where(|t| t.is_leader() && t.pgid() == me.pgid()),
        -1 => pid::tasks_where(|t| t.is_leader() && t.tgid != 1 && t.tgid != me.tgid),
        p if p == i32::MIN => return Err(Errno::ESRCH),
        p => pid::tasks_where(|t| t.is_leader() && t.pgid() == p.unsigned_abs()),
    };
    // A zombie is still there to be signalled (nothing happens).
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    Ok(targets)
}

/// Linux's rule: root may signal anyone; others only processes whose real
/// or saved uid is the sender's real or effective uid.
fn may_signal(sender: &Task, target: &Task) -> bool {
    let s = sender.cred.lock().clone();
    if s.capable(abi::capability::CAP_KILL) {
        return true;
    }
    let t = target.cred.lock().clone();
    [s.uid, s.euid].iter().any(|&id| id == t.uid || id == t.suid)
}

pub fn sys_kill(pid_arg: i32, sig: i32) -> Result<usize, Errno> {
    if !(0..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    let me = current();
    let uid = me.cred.lock().uid;
    let info = Siginfo::kill(sig, SI_USER, me.pid as i32, uid);
    let targets = kill_targets(pid_arg, &me)?;
    let mut sent = 0;
    for task in targets.iter().filter(|t| may_signal(&me, t)) {
        send_signal(task, sig, info);
        sent += 1;
    }
    // EPERM only when no target at all could be signalled.
    if sent == 0 {
        return Err(Errno::EPERM);
    }
    Ok(0)
}

pub fn sys_tgkill(tgid: i32, tid: i32, sig: i32) -> Result<usize, Errno> {
    if tgid <= 0 || tid <= 0 || !(0..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    let task = pid::find(tid as Pid).filter(|t| t.tgid == tgid as Pid).ok_or(Errno::ESRCH)?;
    if !may_signal(&current(), &task) {
        return Err(Errno::EPERM);
    }
    let info = Siginfo::kill(sig, SI_TKILL, current().pid as i32, 0);
    send_thread_signal(&task, sig, info);
    Ok(0)
}

/// rt_sigqueueinfo and rt_tgsigqueueinfo carry the caller's own siginfo
/// (sigqueue's value). Another process may not be sent a code that
/// claims the kernel or kill sent it (Linux's rule against forgery).
fn queued_info(uinfo: u64, sig: i32, target: i32) -> Result<Siginfo, Errno> {
    let mut info: Siginfo = read_user(uinfo)?;
    if (info.si_code >= 0 || info.si_code == SI_TKILL) && current().pid as i32 != target {
        return Err(Errno::EPERM);
    }
    info.si_signo = sig;
    Ok(info)
}

/// pidfd_send_signal's sending: as kill(2) when `uinfo` is null, as
/// rt_sigqueueinfo with the caller's siginfo (whose signal number must be
/// `sig`) otherwise.
pub fn signal_process(target: &Arc<Task>, sig: i32, uinfo: u64) -> Result<usize, Errno> {
    if !(0..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    let me = current();
    let info = if uinfo == 0 {
        Siginfo::kill(sig, SI_USER, me.pid as i32, me.cred.lock().uid)
    } else {
        let info: Siginfo = read_user(uinfo)?;
        if info.si_signo != sig {
            return Err(Errno::EINVAL);
        }
        queued_info(uinfo, sig, if target.tgid == me.tgid { me.pid as i32 } else { -1 })?
    };
    if !may_signal(&me, target) {
        return Err(Errno::EPERM);
    }
    send_signal(target, sig, info);
    Ok(0)
}

pub fn sys_rt_sigqueueinfo(tgid: i32, sig: i32, uinfo: u64) -> Result<usize, Errno> {
    let info = queued_info(uinfo, sig, tgid)?;
    // Any thread's id names its process, as kill's does on Linux.
    let task = u32::try_from(tgid).ok().and_then(pid::find).ok_or(Errno::ESRCH)?;
    if !(0..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    if !may_signal(&current(), &task) {
        return Err(Errno::EPERM);
    }
    send_signal(&task, sig, info);
    Ok(0)
}

pub fn sys_rt_tgsigqueueinfo(tgid: i32, tid: i32, sig: i32, uinfo: u64) -> Result<usize, Errno> {
    if tgid <= 0 || tid <= 0 {
        return Err(Errno::EINVAL);
    }
    let info = queued_info(uinfo, sig, tid)?;
    let task = pid::find(tid as Pid).filter(|t| t.tgid == tgid as Pid).ok_or(Errno::ESRCH)?;
    if !(0..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    if !may_signal(&current(), &task) {
        return Err(Errno::EPERM);
    }
    send_thread_signal(&task, sig, info);
    Ok(0)
}

pub fn sys_tkill(tid: i32, sig: i32) -> Result<usize, Errno> {
    if tid <= 0 || !(0..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    let task = pid::find(tid as Pid).ok_or(Errno::ESRCH)?;
    if !may_signal(&current(), &task) {
        return Err(Errno::EPERM);
    }
    let info = Siginfo::kill(sig, SI_TKILL, current().pid as i32, 0);
    send_thread_signal(&task, sig, info);
    Ok(0)
}
