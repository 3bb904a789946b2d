//! The system-call entry: looks the number up in the table (table.rs) and
//! encodes the handler's result (-errno on failure). Numbers without a
//! handler return ENOSYS and are logged once each.

use core::sync::atomic::{AtomicU64, Ordering};

mod table;

use abi::Errno;

use crate::arch::entry::TrapFrame;

/// One bit per syscall number (up to 512) already reported as unimplemented.
static REPORTED: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];

fn report_unimplemented(number: usize) {
    let first_time = match REPORTED.get(number / 64) {
        Some(word) => word.fetch_or(1 << (number % 64), Ordering::Relaxed) & (1 << (number % 64)) == 0,
        None => true,
    };
    if first_time {
        let (pid, comm) = crate::sched::current_pid_comm();
        let name = abi::syscall::name(number).unwrap_or("?");
        crate::pr_warn!("unimplemented syscall {} ({}) by {} {}", name, number, pid, comm.as_str());
    }
}

/// Entered from the SYSCALL entry path with interrupts enabled.
pub fn handle_syscall(frame: &mut TrapFrame) {
    let number = frame.rax as usize;
    let args = [frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9];
    // Kept for restarting the call after a signal (Linux's orig_ax).
    frame.error_code = frame.rax;
    if !crate::proc::seccomp::allowed(number) {
        crate::proc::exit::do_exit(crate::sched::task::ExitStatus::Signaled(abi::signal::SIGKILL));
    }
    let result = table::dispatch(number, args, frame).unwrap_or_else(|| {
        report_unimplemented(number);
        Err(Errno::ENOSYS)
    });
    frame.rax = match result {
        Ok(v) => v as u64,
        Err(e) => e.to_syscall_return() as u64,
    };
}
