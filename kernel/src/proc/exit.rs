//! exit(2), exit_group(2) and the end of a task.

use abi::Errno;

use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use crate::sched::task::{ExitStatus, Task, TaskState};

/// Ends the current task. For init, reports how it ended and powers off:
/// this kernel's init is the system (and the test harness reads the line).
pub fn do_exit(status: ExitStatus) -> ! {
    {
        let task = crate::sched::current();
        if task.pid == 1 {
            report_init_exit(status);
            crate::reboot::power_off();
        }
        // While the address space is still there: robust futexes and
        // clear_child_tid (pthread_join's wake-up).
        super::futex::exit_cleanup(
            task.pid,
            task.robust_list.load(Ordering::Relaxed),
            task.clear_child_tid.load(Ordering::Relaxed),
        );
        // Leave the address space before freeing it.
        crate::arch::cpu::write_cr3(crate::mm::kernel_map::kernel_pml4());
        drop(task.take_mm());
        task.vfork_done.store(true, Ordering::Release);
        task.vfork_wait.wake_all();
        task.files.lock().close_all();
        reparent_children(&task);
        task.set_state(TaskState::Zombie(status));
        let (code, value) = match status {
            ExitStatus::Exited(c) => (abi::signal::CLD_EXITED, i32::from(c)),
            ExitStatus::Signaled(s) => (abi::signal::CLD_KILLED, s),
        };
        if super::signal::parent_discards_children(&task) {
            task.autoreap.store(true, Ordering::Relaxed);
        }
        super::signal::notify_parent(&task, code, value);
    }
    crate::sched::exit_current()
}

/// Orphans become init's children, as on Linux (no subreapers yet).
fn reparent_children(task: &Task) {
    let orphans = core::mem::take(&mut *task.children.lock());
    if orphans.is_empty() {
        return;
    }
    let Some(init) = super::pid::find(1) else { return };
    let any_zombie = orphans.iter().any(|c| matches!(c.state(), TaskState::Zombie(_)));
    for child in &orphans {
        *child.parent.lock() = Arc::downgrade(&init);
    }
    init.children.lock().extend(orphans);
    if any_zombie {
        init.child_exit.wake_all();
    }
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
