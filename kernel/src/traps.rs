//! What the kernel does on traps, registered with the base at boot:
//! system calls, device and timer interrupts, user-mode exceptions (which
//! become Linux's signals, with Linux's log lines), page faults on user
//! memory, and the work before every return to user mode.

use abi::signal::*;
use machine::arch::apic;
use machine::arch::entry::TrapFrame;
use machine::arch::traps::{
    exception_name, set_hooks, TrapHooks, COM1_VECTOR, ISA_IRQ_BASE, KEYBOARD_VECTOR, RESCHEDULE_VECTOR, TIMER_VECTOR,
    VIRTIO_VECTOR,
};

use crate::mm::fault::{handle_user_fault, Access};

/// Installs the handlers; before interrupts are enabled or user mode runs.
pub fn install() {
    set_hooks(TrapHooks {
        syscall: crate::syscall::handle_syscall,
        interrupt,
        user_exception,
        user_copy_fault,
        return_to_user,
        schedule_tail: crate::sched::schedule_tail,
    });
}

fn interrupt(frame: &mut TrapFrame) {
    match frame.vector {
        TIMER_VECTOR => {
            crate::sched::stats::count_timer_interrupt();
            apic::end_of_interrupt();
            let task = crate::sched::current();
            let ticks = crate::sched::timer_tick(frame.came_from_user());
            if ticks > 0 && !task.is_idle() {
                crate::proc::times::account_tick(&task, frame.came_from_user(), ticks);
            }
        }
        // The work is the return path's (reschedule, signals) or the idle
        // loop's, which the interrupt woke.
        RESCHEDULE_VECTOR => {
            crate::sched::stats::count_reschedule_interrupt();
            apic::end_of_interrupt();
        }
        COM1_VECTOR => {
            crate::sched::stats::count_irq((COM1_VECTOR - ISA_IRQ_BASE) as usize);
            crate::drivers::uart16550::interrupt();
            apic::end_of_interrupt();
        }
        KEYBOARD_VECTOR => {
            crate::sched::stats::count_irq((KEYBOARD_VECTOR - ISA_IRQ_BASE) as usize);
            crate::drivers::input::i8042::interrupt();
            apic::end_of_interrupt();
        }
        VIRTIO_VECTOR => {
            crate::drivers::virtio::interrupt();
            apic::end_of_interrupt();
        }
        v => {
            apic::end_of_interrupt();
            crate::pr_warn!("unexpected interrupt vector {v:#x}");
        }
    }
}

/// Before every return to user mode: the scheduler's work (deferred work,
/// preemption), then signals, which may rewrite the frame or end the task.
pub fn return_to_user(frame: &mut TrapFrame) {
    crate::sched::return_to_user_work();
    crate::proc::cpu_itimer::deliver();
    crate::proc::signal::deliver::handle_signals(frame);
}

/// A page fault in a user-copy routine: maps the page if the address space
/// allows it.
fn user_copy_fault(addr: u64, error_code: u64) -> bool {
    handle_user_fault(addr, Access::from_error_code(error_code)).is_ok()
}

/// An exception in user mode: page faults the address space resolves
/// return at once; the rest become signals.
fn user_exception(frame: &mut TrapFrame, cr2: u64) {
    if frame.vector == 14 {
        if let Err((signal, code)) = handle_user_fault(cr2, Access::from_error_code(frame.error_code)) {
            user_fault(frame, signal, code, cr2);
        }
        return;
    }
    let (signal, code) = match frame.vector {
        0 => (SIGFPE, FPE_INTDIV),
        1 => (SIGTRAP, TRAP_TRACE),
        3 => (SIGTRAP, SI_KERNEL),
        4 | 5 | 10 | 11 | 13 => (SIGSEGV, SI_KERNEL),
        6 => (SIGILL, ILL_ILLOPN),
        12 => (SIGBUS, SI_KERNEL),
        16 | 19 => (SIGFPE, 0),
        17 => (SIGBUS, BUS_ADRALN),
        _ => (SIGSEGV, SI_KERNEL),
    };
    user_fault(frame, signal, code, 0);
}

/// A user-mode fault: the signal, and Linux's log line when no handler
/// will see it.
fn user_fault(frame: &TrapFrame, signal: i32, code: i32, addr: u64) {
    let (pid, comm) = crate::sched::current_pid_comm();
    let handled = !crate::sched::current().signals.lock().action(signal).is_default();
    if !handled {
        if signal == SIGSEGV && frame.vector == 14 {
            crate::pr_info!(
                "{}[{}]: segfault at {:x} ip {:016x} sp {:016x} error {:x}",
                comm.as_str(),
                pid,
                addr,
                frame.rip,
                frame.rsp,
                frame.error_code
            );
        } else {
            crate::pr_info!(
                "traps: {}[{}] {} ip:{:x} sp:{:x} error:{:x}",
                comm.as_str(),
                pid,
                exception_name(frame.vector),
                frame.rip,
                frame.rsp,
                frame.error_code
            );
        }
    }
    crate::proc::signal::force_signal(signal, code, addr);
}
