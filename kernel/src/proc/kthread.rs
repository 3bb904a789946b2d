//! Kernel threads: kthreadd, pid 2 and the parent of the others as on
//! Linux, and the threads the kernel starts under it (the writeback
//! flusher). A kernel thread runs a kernel function in kernel mode, with no
//! address space and no files; `ps` shows it in brackets (its cmdline is
//! empty), and signals sent to it are ignored.

use alloc::sync::Arc;

use abi::Errno;
use spin::Once;

use super::pid;
use super::task::new_kernel_task;
use crate::sched::task::{Comm, Task};
use crate::sched::wait::WaitQueue;

static KTHREADD: Once<Arc<Task>> = Once::new();

/// What kthreadd waits on: nothing wakes it, since threads are started
/// directly (Linux's kthreadd serves a creation list).
static KTHREADD_IDLE: WaitQueue = WaitQueue::new();

fn kthreadd_main() -> ! {
    loop {
        // Interruptible, as Linux's kthreadd ("S"), though no signal
        // reaches a kernel thread: an idle thread is no load.
        let _ = KTHREADD_IDLE.wait_interruptible(|| None::<()>);
    }
}

/// Starts kthreadd; run once at boot, after init took pid 1.
pub fn start_kthreadd() -> Result<(), Errno> {
    let task = start(b"kthreadd", kthreadd_main)?;
    KTHREADD.call_once(|| task);
    Ok(())
}

/// Starts a kernel thread named `name` running `entry`, a child of
/// kthreadd.
pub fn spawn(name: &[u8], entry: fn() -> !) -> Result<Arc<Task>, Errno> {
    let parent = KTHREADD.get().ok_or(Errno::EAGAIN)?.clone();
    let task = start(name, entry)?;
    *task.parent.lock() = Arc::downgrade(&parent);
    parent.children.lock().push(task.clone());
    Ok(task)
}

fn start(name: &[u8], entry: fn() -> !) -> Result<Arc<Task>, Errno> {
    let pid = pid::alloc_pid()?;
    let Some(task) = new_kernel_task(pid, Comm::new(name), entry) else {
        pid::release(pid);
        return Err(Errno::ENOMEM);
    };
    let task = Arc::new(task);
    task.join_thread_list();
    pid::register(&task);
    crate::sched::add_task(task.clone());
    Ok(task)
}
