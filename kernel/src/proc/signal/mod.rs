//! Signals: per-task dispositions, pending sets and the sending side.
//! Delivery (handlers, default actions, syscall restart) is in `deliver`,
//! the user-visible frame in `frame`, the system calls in `syscalls`.
//!
//! Lock order: a process's `signals`, then a thread's `thread_signals`
//! (never the other way round: a thread's lock guard must be gone before
//! its process's lock is taken).

pub mod deliver;
pub mod frame;
pub mod signalfd;
pub mod syscalls;

use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use abi::signal::*;
use abi::{KernelSigaction, Siginfo};

use crate::sched::task::{Task, TaskState};

/// SIGKILL and SIGSTOP can never be blocked, caught or ignored.
pub const UNBLOCKABLE: u64 = sig_bit(SIGKILL) | sig_bit(SIGSTOP);
/// Linux queues at most this many real-time signals per task by default.
const MAX_QUEUED_RT: usize = 1024;

/// Counts signals queued anywhere: a thread that found nothing to
/// deliver at one count, with one mask, need not look again (under two
/// locks) before the count or its mask changes; see deliver.rs.
static QUEUED_EPOCH: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

pub fn queued_epoch() -> u64 {
    QUEUED_EPOCH.load(core::sync::atomic::Ordering::SeqCst)
}

pub const fn sig_bit(sig: i32) -> u64 {
    1 << (sig - 1)
}

const STOP_SIGNALS: u64 = sig_bit(SIGSTOP) | sig_bit(SIGTSTP) | sig_bit(SIGTTIN) | sig_bit(SIGTTOU);

/// Pending signals with their siginfo: per process (kill) or per thread
/// (tgkill, faults). Real-time signals queue; standard ones do not.
#[derive(Default)]
pub struct SigQueue {
    pub pending: u64,
    info: BTreeMap<i32, VecDeque<Siginfo>>,
}

impl SigQueue {
    fn enqueue(&mut self, sig: i32, info: Siginfo) {
        let queue = self.info.entry(sig).or_default();
        if sig >= SIGRTMIN {
            if queue.len() < MAX_QUEUED_RT {
                queue.push_back(info);
            }
        } else if queue.is_empty() {
            queue.push_back(info);
        }
        self.pending |= sig_bit(sig);
        QUEUED_EPOCH.fetch_add(1, core::sync::atomic::Ordering::SeqCst);
    }

    /// Removes one instance of `sig`, returning its siginfo.
    pub fn dequeue(&mut self, sig: i32) -> Siginfo {
        let queue = self.info.entry(sig).or_default();
        let info = queue.pop_front().unwrap_or_else(|| Siginfo::user(sig));
        if queue.is_empty() {
            self.info.remove(&sig);
            self.pending &= !sig_bit(sig);
        }
        info
    }

    /// A queued signal of POSIX timer `timer_id` (si_code SI_TIMER).
    fn timer_signal(&mut self, sig: i32, timer_id: i32) -> Option<&mut Siginfo> {
        let queue = self.info.get_mut(&sig)?;
        queue.iter_mut().find(|i| i.si_code == SI_TIMER && i.get_i32(16) == timer_id)
    }

    pub fn discard(&mut self, bits: u64) {
        for sig in 1..=64 {
            if bits & sig_bit(sig) != 0 {
                self.info.remove(&sig);
            }
        }
        self.pending &= !bits;
    }
}

/// A process's signal dispositions. Only those other than the default are
/// stored: most processes set few, and 64 entries would cost 2 KiB each.
#[derive(Clone, Default)]
pub struct Actions(BTreeMap<u8, KernelSigaction>);

impl Actions {
    pub fn get(&self, sig: i32) -> KernelSigaction {
        self.0.get(&(sig as u8)).copied().unwrap_or(KernelSigaction::DEFAULT)
    }

    pub fn set(&mut self, sig: i32, action: KernelSigaction) {
        let d = KernelSigaction::DEFAULT;
        let default =
            (action.handler, action.flags, action.restorer, action.mask) == (d.handler, d.flags, d.restorer, d.mask);
        if default {
            self.0.remove(&(sig as u8));
        } else {
            self.0.insert(sig as u8, action);
        }
    }

    /// execve: caught signals go back to their default; ignored stay ignored.
    fn reset_for_exec(&mut self) {
        self.0.retain(|_, a| a.is_ignored());
    }
}

/// A process's signal dispositions, its process-wide pending signals, and
/// the stop/continue events its parent has not waited for yet.
pub struct SignalState {
    pub actions: Actions,
    pub shared: SigQueue,
    /// A stop or continue not yet reported to the parent by wait4.
    pub stop_report: Option<i32>,
    pub continue_report: bool,
}

impl SignalState {
    pub fn new() -> SignalState {
        SignalState {
            actions: Actions::default(),
            shared: SigQueue::default(),
            stop_report: None,
            continue_report: false,
        }
    }

    pub fn action(&self, sig: i32) -> KernelSigaction {
        self.actions.get(sig)
    }

    /// A copy for fork: the dispositions, nothing pending.
    pub fn fork_copy(&self) -> SignalState {
        SignalState { actions: self.actions.clone(), ..SignalState::new() }
    }

    /// execve: caught signals go back to their default; ignored stay ignored.
    pub fn reset_for_exec(&mut self) {
        self.actions.reset_for_exec();
    }

    /// True when the signal would be thrown away on arrival.
    fn ignores(&self, sig: i32) -> bool {
        let a = self.action(sig);
        a.is_ignored() || (a.is_default() && default_action(sig) == DefaultAction::Ignore)
    }
}

impl Default for SignalState {
    fn default() -> Self {
        Self::new()
    }
}

/// Sends `sig` to the process of `task` (the caller has checked
/// permission): kill(2), timers, SIGCHLD, the terminal. Linux's rules:
/// SIGCONT resumes a stopped process and cancels pending stops; a stop
/// signal cancels a pending SIGCONT; ignored signals are dropped; init gets
/// only the signals it handles. One thread that does not block the signal
/// is woken to take it.
pub fn send_signal(task: &Arc<Task>, sig: i32, info: Siginfo) {
    deliver_to(task, sig, info, false);
}

/// Sends `sig` to the one thread `task` (tgkill, tkill).
pub fn send_thread_signal(task: &Arc<Task>, sig: i32, info: Siginfo) {
    deliver_to(task, sig, info, true);
}

fn deliver_to(task: &Arc<Task>, sig: i32, info: Siginfo, thread_only: bool) {
    // Kernel threads ignore signals (Linux: kill succeeds, nothing happens).
    if sig == 0 || task.kernel_thread.load(core::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let threads = task.thread_list();
    let mut state = task.signals.lock();
    if sig == SIGCONT {
        state.shared.discard(STOP_SIGNALS);
        for t in &threads {
            t.thread_signals.lock().discard(STOP_SIGNALS);
        }
        if threads.iter().any(|t| matches!(t.state(), TaskState::Stopped)) {
            state.continue_report = true;
            state.stop_report = None;
            drop(state);
            for t in &threads {
                crate::sched::resume_stopped(t.clone());
            }
            notify_parent_continued(task);
            state = task.signals.lock();
        }
    } else if STOP_SIGNALS & sig_bit(sig) != 0 {
        state.shared.discard(sig_bit(SIGCONT));
    }
    let unkillable_init = task.tgid == 1 && state.action(sig).is_default();
    let blocked = task.signal_blocked(sig);
    // Blocked signals are never ignored: the disposition may change before
    // they are unblocked, or sigtimedwait may take them (busybox init).
    if !blocked && (unkillable_init || state.ignores(sig)) {
        return;
    }
    if thread_only {
        drop(state);
        task.thread_signals.lock().enqueue(sig, info);
    } else {
        state.shared.enqueue(sig, info);
        drop(state);
    }
    if sig == SIGKILL {
        for t in &threads {
            crate::sched::resume_stopped(t.clone());
        }
    }
    // Wake the target thread, or for a process-directed signal the first
    // thread that does not block it.
    let wake = if thread_only { Some(task.clone()) } else { threads.iter().find(|t| !t.signal_blocked(sig)).cloned() };
    match wake {
        Some(t) => {
            // Running on another CPU, it notices at its next return to user.
            crate::sched::kick(&t);
            crate::sched::wake_interruptible(t)
        }
        // Blocked everywhere: a sigtimedwait or a signalfd reader may be
        // waiting for it.
        None => syscalls::SIGNAL_WAIT.wake_all(),
    }
    // A signalfd polled by epoll or poll turns readable.
    crate::sched::wait::wake_pollers();
}

/// Takes the lowest pending signal of `wanted`, the thread's own first,
/// then the process's (sigtimedwait, signalfd).
pub fn take_pending(task: &Task, wanted: u64) -> Option<(i32, Siginfo)> {
    let own = task.thread_signals.lock().pending & wanted;
    if own != 0 {
        let sig = own.trailing_zeros() as i32 + 1;
        return Some((sig, task.thread_signals.lock().dequeue(sig)));
    }
    let mut state = task.signals.lock();
    let ready = state.shared.pending & wanted;
    (ready != 0).then(|| {
        let sig = ready.trailing_zeros() as i32 + 1;
        (sig, state.shared.dequeue(sig))
    })
}

/// If POSIX timer `timer_id`'s last signal is still queued for `task`,
/// counts `by` more overruns in it (the timer fired again before it was
/// taken) and returns true.
pub fn bump_timer_overrun(task: &Task, sig: i32, timer_id: i32, by: i32) -> bool {
    let bump = |info: &mut Siginfo| info.set_i32(20, info.get_i32(20).saturating_add(by));
    if let Some(info) = task.thread_signals.lock().timer_signal(sig, timer_id) {
        bump(info);
        return true;
    }
    if let Some(info) = task.signals.lock().shared.timer_signal(sig, timer_id) {
        bump(info);
        return true;
    }
    false
}

/// The signals pending for `task` (its own and its process's).
pub fn pending_for(task: &Task) -> u64 {
    let shared = task.signals.lock().shared.pending;
    shared | task.thread_signals.lock().pending
}

/// SIGKILL straight to one thread, past every check: the kernel ending a
/// process's other threads (exit_group, execve, a fatal signal).
pub fn kill_thread(task: &Arc<Task>) {
    task.thread_signals.lock().enqueue(SIGKILL, Siginfo::new(SIGKILL, SI_KERNEL));
    crate::sched::resume_stopped(task.clone());
    crate::sched::kick(task);
    crate::sched::wake(task.clone());
}

/// A signal the kernel raises for the current task's own fault: it cannot
/// be blocked or ignored away (Linux's force_sig), so it is unblocked and,
/// if ignored, reset to the default action.
pub fn force_signal(sig: i32, code: i32, addr: u64) {
    let task = crate::sched::current();
    {
        let mut state = task.signals.lock();
        let a = state.action(sig);
        if a.is_ignored() || task.signal_blocked(sig) {
            state.actions.set(sig, KernelSigaction::DEFAULT);
        }
    }
    task.thread_signals.lock().enqueue(sig, Siginfo::fault(sig, code, addr));
    task.signal_mask.fetch_and(!sig_bit(sig), Ordering::Relaxed);
}

/// A write to a pipe with no reader.
pub fn send_sigpipe() {
    let task = crate::sched::current();
    let info = Siginfo::kill(SIGPIPE, SI_USER, task.tgid as i32, 0);
    send_thread_signal(&task, SIGPIPE, info);
}

/// SIGXFSZ to the calling thread, from a write past RLIMIT_FSIZE.
pub fn send_sigxfsz() {
    let task = crate::sched::current();
    let info = Siginfo::kill(abi::signal::SIGXFSZ, SI_USER, task.tgid as i32, 0);
    send_thread_signal(&task, abi::signal::SIGXFSZ, info);
}

/// True when a signal is pending that the task does not block.
pub fn has_deliverable(task: &Task) -> bool {
    pending_for(task) & !task.signal_mask.load(Ordering::Relaxed) != 0
}

/// SIGCHLD to the parent when a child exits, stops or continues.
pub fn notify_parent(child: &Task, code: i32, status: i32) {
    let Some(parent) = child.parent.lock().upgrade() else { return };
    let action = parent.signals.lock().action(SIGCHLD);
    let stop_or_cont = code == CLD_STOPPED || code == CLD_CONTINUED;
    if !(stop_or_cont && action.flags & SA_NOCLDSTOP != 0) {
        let info = Siginfo::child(code, child.tgid as i32, 0, status, 0, 0);
        send_signal(&parent, SIGCHLD, info);
    }
    parent.child_exit.wake_all();
}

fn notify_parent_continued(task: &Task) {
    notify_parent(task, CLD_CONTINUED, SIGCONT);
}

/// Whether an exiting child is reaped at once: its parent ignores SIGCHLD
/// or set SA_NOCLDWAIT.
pub fn parent_discards_children(child: &Task) -> bool {
    child.parent.lock().upgrade().is_some_and(|p| {
        let a = p.signals.lock().action(SIGCHLD);
        a.is_ignored() || a.flags & SA_NOCLDWAIT != 0
    })
}
