//! Acting on pending signals on the way back to user mode: run a handler
//! (through a signal frame), or the default action (ignore, stop, end the
//! process); and restart or fail with EINTR the system call a signal
//! interrupted, as the handler's SA_RESTART says.

use core::sync::atomic::Ordering;

use abi::signal::*;
use abi::{Errno, KernelSigaction, Siginfo};

use super::{frame, sig_bit};
use crate::arch::entry::TrapFrame;
use crate::sched::current;
use crate::sched::task::{ExitStatus, TaskState};

/// TrapFrame.vector of a system call (see the SYSCALL entry).
const SYSCALL_VECTOR: u64 = 0x100;

enum Next {
    Handler(i32, Siginfo, KernelSigaction),
    Stop(i32),
    Exit(i32),
    Nothing,
}

/// Picks the next signal to act on, lowest number first (SIGKILL first).
fn next_signal() -> Next {
    let task = current();
    // Nothing was deliverable at this count of queued signals with this
    // mask: nothing is now (the count is read before the queues, and a
    // sender counts after queueing).
    let epoch = super::queued_epoch();
    let quiet_mask = task.quiet_mask.load(Ordering::SeqCst);
    if task.quiet_epoch.load(Ordering::SeqCst) == epoch && task.signal_mask.load(Ordering::SeqCst) == quiet_mask {
        return Next::Nothing;
    }
    loop {
        let mask = task.signal_mask.load(Ordering::SeqCst);
        let own = task.thread_signals.lock().pending & !mask;
        let mut state = task.signals.lock();
        let deliverable = own | (state.shared.pending & !mask);
        if deliverable == 0 {
            task.quiet_mask.store(mask, Ordering::SeqCst);
            task.quiet_epoch.store(epoch, Ordering::SeqCst);
            return Next::Nothing;
        }
        let sig = if deliverable & sig_bit(SIGKILL) != 0 { SIGKILL } else { deliverable.trailing_zeros() as i32 + 1 };
        // The thread's own signals first, as Linux's dequeue_signal.
        let info =
            if own & sig_bit(sig) != 0 { task.thread_signals.lock().dequeue(sig) } else { state.shared.dequeue(sig) };
        let action = state.action(sig);
        drop(state);
        if action.is_ignored() && sig != SIGKILL && sig != SIGSTOP {
            continue;
        }
        if !action.is_default() && sig != SIGKILL && sig != SIGSTOP {
            return Next::Handler(sig, info, action);
        }
        match default_action(sig) {
            DefaultAction::Ignore | DefaultAction::Continue => continue,
            DefaultAction::Stop => return Next::Stop(sig),
            DefaultAction::Terminate | DefaultAction::CoreDump => return Next::Exit(sig),
        }
    }
}

/// Stops the current task until SIGCONT or SIGKILL.
fn stop(sig: i32) {
    let task = current();
    task.signals.lock().stop_report = Some(sig);
    // Stopped before the parent hears of it: a parent on another CPU
    // checks the state as soon as it is woken.
    task.set_state(TaskState::Stopped);
    super::notify_parent(&task, CLD_STOPPED, sig);
    drop(task);
    crate::sched::schedule();
}

fn interrupted_errno(frame: &TrapFrame) -> Option<Errno> {
    if frame.vector != SYSCALL_VECTOR {
        return None;
    }
    let code = -(frame.rax as i64);
    [Errno::ERESTARTSYS, Errno::ERESTARTNOINTR, Errno::ERESTARTNOHAND, Errno::ERESTART_RESTARTBLOCK]
        .into_iter()
        .find(|e| i64::from(e.code()) == code)
}

fn restart_syscall(frame: &mut TrapFrame) {
    frame.rax = frame.error_code; // the original system-call number
    frame.rip -= 2; // back onto the SYSCALL instruction
}

pub fn handle_signals(frame: &mut TrapFrame) {
    loop {
        match next_signal() {
            Next::Nothing => break,
            Next::Stop(sig) => stop(sig),
            Next::Exit(sig) => {
                // A thread killed while its process already ends (exit_group,
                // execve) ends alone; otherwise the signal ends the process.
                let task = current();
                let alone = task.group_exit.lock().is_some() || task.exec_in_progress.load(Ordering::Acquire);
                drop(task);
                if alone {
                    crate::proc::exit::do_exit(ExitStatus::Signaled(sig));
                }
                crate::proc::exit::do_group_exit(ExitStatus::Signaled(sig))
            }
            Next::Handler(sig, info, action) => {
                if let Some(e) = interrupted_errno(frame) {
                    let restart =
                        e == Errno::ERESTARTNOINTR || (e == Errno::ERESTARTSYS && action.flags & SA_RESTART != 0);
                    if restart {
                        restart_syscall(frame);
                    } else {
                        frame.rax = Errno::EINTR.to_syscall_return() as u64;
                    }
                }
                run_handler(frame, sig, &info, &action);
                return;
            }
        }
    }
    // No handler ran: an interrupted call resumes as if nothing happened.
    if interrupted_errno(frame).is_some() {
        let task = current();
        if let Some(mask) = task.saved_mask.lock().take() {
            task.signal_mask.store(mask, Ordering::Relaxed);
        }
        restart_syscall(frame);
    }
}

fn run_handler(frame: &mut TrapFrame, sig: i32, info: &Siginfo, action: &KernelSigaction) {
    let task = current();
    let old_mask = task.saved_mask.lock().take().unwrap_or(task.signal_mask.load(Ordering::Relaxed));
    if frame::setup(frame, sig, info, action, old_mask).is_err() {
        drop(task);
        // The frame could not be written: Linux kills with SIGSEGV.
        crate::proc::exit::do_group_exit(ExitStatus::Signaled(SIGSEGV));
    }
    let mut new_mask = old_mask | action.mask;
    if action.flags & SA_NODEFER == 0 {
        new_mask |= sig_bit(sig);
    }
    task.signal_mask.store(new_mask & !super::UNBLOCKABLE, Ordering::Relaxed);
    // Only the handler goes back to SIG_DFL; flags and mask stay, as on Linux.
    if action.flags & SA_RESETHAND != 0 {
        let mut state = task.signals.lock();
        let reset = KernelSigaction { handler: abi::signal::SIG_DFL, ..state.action(sig) };
        state.actions.set(sig, reset);
    }
}
