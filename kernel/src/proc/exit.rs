//! exit(2), exit_group(2) and the end of a task.

use abi::Errno;

use crate::sched::task::{ExitStatus, TaskState};

/// Ends the current task. For init, reports how it ended and powers off:
/// this kernel's init is the system (and the test harness reads the line).
pub fn do_exit(status: ExitStatus) -> ! {
    {
        let task = crate::sched::current();
        if task.pid == 1 {
            report_init_exit(status);
            crate::reboot::power_off();
        }
        // Leave the address space before freeing it.
        crate::arch::cpu::write_cr3(crate::mm::kernel_map::kernel_pml4());
        drop(task.take_mm());
        task.files.lock().close_all();
        task.set_state(TaskState::Zombie(status));
    }
    crate::sched::exit_current()
}

fn report_init_exit(status: ExitStatus) {
    match status {
        ExitStatus::Exited(code) => crate::pr_alert!("init exited with status {code}"),
        ExitStatus::Signaled(sig) => {
            let name = abi::signal::signal_name(sig).unwrap_or("?");
            crate::pr_alert!("init killed by signal {sig} ({name})")
        }
    }
}

pub fn sys_exit(code: i32) -> Result<usize, Errno> {
    do_exit(ExitStatus::Exited(code as u8))
}

/// With one thread per process, exit_group ends the same single task.
pub fn sys_exit_group(code: i32) -> Result<usize, Errno> {
    do_exit(ExitStatus::Exited(code as u8))
}
