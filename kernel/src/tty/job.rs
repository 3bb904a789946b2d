//! Controlling terminals and job control, with Linux's rules (facts from
//! tty_jobctrl.c, exit.c and credentials(7)):
//!
//! - A session leader without a controlling terminal acquires a terminal
//!   that no session has by opening it (without O_NOCTTY, for reading) or
//!   with TIOCSCTTY; the whole session then has it, and its process group
//!   is the foreground group.
//! - A process outside the foreground group that reads gets SIGTTIN (EIO
//!   if it ignores or blocks SIGTTIN, or its group is orphaned); one that
//!   changes the settings, or writes under TOSTOP, gets SIGTTOU (allowed if
//!   it ignores or blocks SIGTTOU).
//! - When the session leader exits, the terminal is hung up: the
//!   foreground group gets SIGHUP, the session loses the terminal, and
//!   files opened on it before read end-of-file and fail writes with EIO.
//! - A process group that becomes orphaned while it has stopped members
//!   gets SIGHUP and SIGCONT.
//!
//! Which terminal a process controls is derived: the terminal whose
//! session is the process's, unless the process gave it up (TIOCNOTTY by a
//! non-leader, kept per process until it exits; a child forked afterwards
//! gets the terminal back, where Linux's child would inherit having none).

use alloc::sync::Arc;

use abi::signal::{SIGCONT, SIGHUP, SIGTTIN, SIGTTOU, SI_KERNEL};
use abi::{Errno, Siginfo};

use super::{all, Tty, TtyState};
use crate::proc::pid;
use crate::sched::current;
use crate::sched::task::{Pid, Task, TaskState};

/// A process (its leader thread) that has ended.
fn is_zombie(t: &Task) -> bool {
    matches!(t.state(), TaskState::Zombie(_) | TaskState::Dead)
}

/// The live processes (by their leader threads) that satisfy `pred`.
fn processes_where(pred: impl Fn(&Task) -> bool) -> alloc::vec::Vec<Arc<Task>> {
    pid::tasks_where(|t| t.is_leader() && !is_zombie(t) && pred(t))
}

fn is_session_leader(t: &Task) -> bool {
    t.sid() == t.tgid
}

fn is_privileged(t: &Task) -> bool {
    t.cred.lock().is_privileged()
}

/// Whether the terminal with state `st` is `task`'s controlling terminal.
fn controls(st: &TtyState, task: &Task) -> bool {
    st.session == Some(task.sid()) && !st.detached.contains(&task.tgid)
}

pub fn is_ctty(tty: &Tty, task: &Task) -> bool {
    controls(&tty.state.lock(), task)
}

/// The calling process's controlling terminal (what /dev/tty opens).
pub fn current_ctty() -> Option<&'static Tty> {
    let me = current();
    all().into_iter().find(|t| is_ctty(t, &me))
}

/// Makes `tty` the controlling terminal of `me`'s session.
fn set_ctty(st: &mut TtyState, me: &Task) {
    st.session = Some(me.sid());
    st.pgrp = Some(me.pgid());
    st.detached.clear();
}

/// open(2) of a terminal by a session leader without one (Linux's
/// tty_open_proc_set_tty).
pub fn acquire_on_open(tty: &Tty, me: &Task) {
    if !is_session_leader(me) || all().into_iter().any(|t| is_ctty(t, me)) {
        return;
    }
    let mut st = tty.state.lock();
    if st.session.is_none() {
        set_ctty(&mut st, me);
    }
}

/// Sends `sig` from the kernel to every live process of group `pgid`.
pub fn signal_pgrp(pgid: Pid, sig: i32) {
    for task in processes_where(|t| t.pgid() == pgid) {
        crate::proc::signal::send_signal(&task, sig, Siginfo::new(sig, SI_KERNEL));
    }
}

/// Linux's will_become_orphaned_pgrp: no member (other than `ignored`) has
/// a parent in another group of the same session. Children of init, and
/// of `dying_parent` (whose children are about to become init's), do not
/// count.
pub fn pgrp_orphaned(pgid: Pid, ignored: Option<Pid>, dying_parent: Option<Pid>) -> bool {
    !processes_where(|t| t.pgid() == pgid).iter().any(|p| {
        if Some(p.tgid) == ignored {
            return false;
        }
        let Some(parent) = p.parent.lock().upgrade() else { return false };
        parent.tgid != 1 && Some(parent.tgid) != dying_parent && parent.pgid() != pgid && parent.sid() == p.sid()
    })
}

fn has_stopped_members(pgid: Pid) -> bool {
    pid::any_task(|t| t.pgid() == pgid && t.state() == TaskState::Stopped)
}

/// Blocked or ignored (Linux's is_ignored in tty_jobctrl.c).
fn ignores(task: &Task, sig: i32) -> bool {
    task.signal_blocked(sig) || task.signals.lock().action(sig).is_ignored()
}

/// Linux's __tty_check_change: may the caller act on `tty` as its
/// foreground? ERESTARTSYS after signalling its group with `sig`.
pub fn check_change(tty: &Tty, sig: i32) -> Result<(), Errno> {
    let me = current();
    let fg = {
        let st = tty.state.lock();
        if !controls(&st, &me) {
            return Ok(());
        }
        st.pgrp
    };
    let Some(fg) = fg else { return Ok(()) };
    if fg == me.pgid() {
        return Ok(());
    }
    if ignores(&me, sig) {
        return if sig == SIGTTIN { Err(Errno::EIO) } else { Ok(()) };
    }
    if pgrp_orphaned(me.pgid(), None, None) {
        return Err(Errno::EIO);
    }
    signal_pgrp(me.pgid(), sig);
    Err(Errno::ERESTARTSYS)
}

/// A read: SIGTTIN for a background process.
pub fn check_read(tty: &Tty) -> Result<(), Errno> {
    check_change(tty, SIGTTIN)
}

/// TIOCGPGRP: the foreground group (0 if none); ENOTTY unless this is the
/// caller's controlling terminal.
pub fn foreground(tty: &Tty) -> Result<Pid, Errno> {
    let me = current();
    let st = tty.state.lock();
    if !controls(&st, &me) {
        return Err(Errno::ENOTTY);
    }
    Ok(st.pgrp.unwrap_or(0))
}

/// TIOCGSID.
pub fn session(tty: &Tty) -> Result<Pid, Errno> {
    let me = current();
    let st = tty.state.lock();
    if !controls(&st, &me) {
        return Err(Errno::ENOTTY);
    }
    st.session.ok_or(Errno::ENOTTY)
}

/// TIOCSPGRP (Linux's tiocspgrp), once `pgrp` is read from the caller.
pub fn set_foreground(tty: &Tty, pgrp: i32) -> Result<(), Errno> {
    if pgrp < 0 {
        return Err(Errno::EINVAL);
    }
    let pgrp = pgrp as Pid;
    let me = current();
    if !is_ctty(tty, &me) {
        return Err(Errno::ENOTTY);
    }
    // The session of the group, or else of the process with that id.
    let member = pid::tasks_where(|t| t.is_leader() && t.pgid() == pgrp).into_iter().next().or_else(|| pid::find(pgrp));
    let Some(member) = member else { return Err(Errno::ESRCH) };
    if member.sid() != me.sid() {
        return Err(Errno::EPERM);
    }
    let mut st = tty.state.lock();
    if !controls(&st, &me) {
        return Err(Errno::ENOTTY);
    }
    st.pgrp = Some(pgrp);
    Ok(())
}

/// TIOCSCTTY (Linux's tiocsctty): `steal` (argument 1) lets a privileged
/// leader take the terminal from another session.
pub fn acquire(tty: &Tty, steal: bool, readable: bool) -> Result<(), Errno> {
    let me = current();
    let privileged = is_privileged(&me);
    let mut st = tty.state.lock();
    if is_session_leader(&me) && st.session == Some(me.sid()) {
        return Ok(());
    }
    if !is_session_leader(&me) {
        return Err(Errno::EPERM);
    }
    if st.session.is_some() && !(steal && privileged) {
        return Err(Errno::EPERM);
    }
    if !readable && !privileged {
        return Err(Errno::EPERM);
    }
    set_ctty(&mut st, &me);
    Ok(())
}

/// TIOCNOTTY: the caller gives up its controlling terminal; a session
/// leader takes it from the whole session, and its foreground group gets
/// SIGHUP and SIGCONT.
pub fn give_up(tty: &Tty) -> Result<(), Errno> {
    let me = current();
    let fg = {
        let mut st = tty.state.lock();
        if !controls(&st, &me) {
            return Err(Errno::ENOTTY);
        }
        if !is_session_leader(&me) {
            st.detached.push(me.tgid);
            return Ok(());
        }
        let fg = st.pgrp;
        st.session = None;
        st.pgrp = None;
        st.detached.clear();
        fg
    };
    if let Some(fg) = fg {
        signal_pgrp(fg, SIGHUP);
        signal_pgrp(fg, SIGCONT);
    }
    Ok(())
}

/// vhangup(2): hangs up the caller's controlling terminal, if it has
/// one; the privileged only (CAP_SYS_TTY_CONFIG).
pub fn sys_vhangup() -> Result<usize, Errno> {
    let me = current();
    if !me.cred.lock().capable(abi::capability::CAP_SYS_TTY_CONFIG) {
        return Err(Errno::EPERM);
    }
    for tty in all() {
        let ours = tty.state.lock().session == Some(me.sid());
        if ours {
            hangup(tty, false);
        }
    }
    Ok(0)
}

/// Hangs `tty` up (Linux's __tty_hangup): open files end, input and output
/// are discarded, the session loses it. On the session leader's exit the
/// foreground group gets SIGHUP; otherwise (TIOCVHANGUP) the leader gets
/// SIGHUP and SIGCONT.
pub fn hangup(tty: &Tty, exit_session: bool) {
    let (session, fg) = {
        let mut st = tty.state.lock();
        let taken = (st.session, st.pgrp);
        st.session = None;
        st.pgrp = None;
        st.detached.clear();
        st.ldisc.flush();
        taken
    };
    tty.driver.flush_buffer();
    tty.generation.fetch_add(1, core::sync::atomic::Ordering::AcqRel);
    if exit_session {
        if let Some(fg) = fg {
            signal_pgrp(fg, SIGHUP);
        }
    } else if let Some(leader) = session.and_then(pid::find).filter(|l| is_session_leader(l) && !is_zombie(l)) {
        for sig in [SIGHUP, SIGCONT] {
            crate::proc::signal::send_signal(&leader, sig, Siginfo::new(sig, SI_KERNEL));
        }
    }
    tty.read_wait.wake_all();
    tty.write_wait.wake_all();
}

/// SIGHUP then SIGCONT to a group that is (about to be) orphaned and has
/// stopped members, so they do not stay stopped with nobody to resume
/// them (Linux's kill_orphaned_pgrp).
fn kill_orphaned_pgrp(pgid: Pid, ignored: Option<Pid>, dying: Pid) {
    if pgrp_orphaned(pgid, ignored, Some(dying)) && has_stopped_members(pgid) {
        signal_pgrp(pgid, SIGHUP);
        signal_pgrp(pgid, SIGCONT);
    }
}

/// Called when a process ends (by its last thread), before its children go
/// to init: a session leader hangs up its terminal; groups orphaned by
/// this exit are told.
pub fn exit_notify(task: &Arc<Task>) {
    for tty in all() {
        let ours = {
            let mut st = tty.state.lock();
            st.detached.retain(|&p| p != task.tgid);
            st.session == Some(task.sid())
        };
        if ours && is_session_leader(task) {
            hangup(tty, true);
        }
    }
    if let Some(parent) = task.parent.lock().upgrade() {
        if parent.pgid() != task.pgid() && parent.sid() == task.sid() {
            kill_orphaned_pgrp(task.pgid(), Some(task.tgid), task.tgid);
        }
    }
    let children = task.children.lock().clone();
    for child in children.iter().filter(|c| !is_zombie(c)) {
        if child.pgid() != task.pgid() && child.sid() == task.sid() {
            kill_orphaned_pgrp(child.pgid(), None, task.tgid);
        }
    }
}

/// TIOCVHANGUP's and TIOCSTI's permission: the controlling terminal, or
/// privilege.
pub fn may_inject(tty: &Tty) -> bool {
    let me = current();
    is_ctty(tty, &me) || is_privileged(&me)
}

/// SIGTTOU: the signal of `check_change` for settings changes.
pub fn check_settings_change(tty: &Tty) -> Result<(), Errno> {
    check_change(tty, SIGTTOU)
}
