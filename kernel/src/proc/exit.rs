//! exit(2), exit_group(2) and the end of threads and processes. A thread's
//! exit ends that thread; the last thread's exit ends the process, whose
//! leader becomes the zombie its parent waits for. exit_group and fatal
//! signals end every thread of the process.

use abi::Errno;

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use spin::Mutex;

use crate::arch::cpu::without_interrupts;
use crate::sched::task::{ExitStatus, Task, TaskState};

/// Exited non-leader threads, kept until they have switched away for good
/// (their kernel stack is in use until then).
static DEAD_THREADS: Mutex<Vec<Arc<Task>>> = Mutex::new(Vec::new());
/// How many DEAD_THREADS holds, kept under its lock: every return to user
/// mode looks, without the lock.
static DEAD_COUNT: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// Frees exited threads other than the running one.
pub fn reap_dead_threads() {
    if DEAD_COUNT.load(Ordering::Acquire) == 0 {
        return;
    }
    let me = crate::sched::current();
    let dead: Vec<Arc<Task>> = without_interrupts(|| {
        let mut list = DEAD_THREADS.lock();
        let (gone, keep): (Vec<_>, Vec<_>) = list.drain(..).partition(|t| !Arc::ptr_eq(t, &me));
        *list = keep;
        DEAD_COUNT.store(list.len(), Ordering::Release);
        gone
    });
    for t in &dead {
        super::pid::release(t.pid);
    }
}

/// Ends the calling thread; the process ends with its last thread. For
/// init, reports how it ended and powers off: this kernel's init is the
/// system (and the test harness reads the line).
pub fn do_exit(status: ExitStatus) -> ! {
    {
        let task = crate::sched::current();
        // While the address space is still there: robust futexes and
        // clear_child_tid (pthread_join's wake-up).
        super::futex::exit_cleanup(
            task.pid,
            task.robust_list.load(Ordering::Relaxed),
            task.clear_child_tid.load(Ordering::Relaxed),
        );
        super::cputime::thread_exited(&task);
        let last = task.live_threads.fetch_sub(1, Ordering::AcqRel) == 1;
        let status = if last { task.group_exit.lock().unwrap_or(status) } else { status };
        if last && task.tgid == 1 {
            report_init_exit(status);
            crate::reboot::power_off();
        }
        // Leave the address space before letting go of it.
        machine::mm::load_kernel_tables();
        drop(task.take_mm());
        task.vfork_done.store(true, Ordering::Release);
        task.vfork_wait.wake_all();
        if !task.is_leader() {
            task.set_state(TaskState::Dead);
            without_interrupts(|| {
                let mut list = DEAD_THREADS.lock();
                list.push(task.clone());
                DEAD_COUNT.store(list.len(), Ordering::Release);
            });
        }
        if last {
            end_process(&task, status);
        } else if task.is_leader() {
            // The leader waits, dead, for the process's last thread.
            task.set_dead_unless_zombie();
        }
    }
    crate::sched::exit_current()
}

/// The last thread has gone: the process's files close, its children go
/// to init, and its leader becomes a zombie for the parent.
fn end_process(task: &Arc<Task>, status: ExitStatus) {
    super::cpu_itimer::forget(task);
    task.files.lock().close_all();
    // POSIX locks held through descriptors other processes still have.
    crate::fs::locks::release_process(task.tgid);
    // Let go of the working directory, so its mount is no longer busy
    // while the zombie waits to be reaped (Linux's exit_fs).
    task.fs.lock().cwd = crate::fs::mount::root_path();
    // Terminal hangup if a session leader; orphaned stopped groups.
    run_exit_hooks(task);
    reparent_children(task);
    let leader = task.leader().unwrap_or_else(|| task.clone());
    leader.set_state(TaskState::Zombie(status));
    let (code, value) = match status {
        ExitStatus::Exited(c) => (abi::signal::CLD_EXITED, i32::from(c)),
        ExitStatus::Signaled(s) => (abi::signal::CLD_KILLED, s),
    };
    if super::signal::parent_discards_children(&leader) {
        leader.autoreap.store(true, Ordering::Relaxed);
    }
    super::signal::notify_parent(&leader, code, value);
    leader.exit_wait.wake_all();
}

/// Ends every thread of the calling process with `status`.
pub fn do_group_exit(status: ExitStatus) -> ! {
    {
        let task = crate::sched::current();
        task.group_exit.lock().get_or_insert(status);
        kill_other_threads(&task);
    }
    do_exit(status)
}

/// SIGKILL to every other thread of the process (exit_group, execve).
pub fn kill_other_threads(task: &Task) {
    for t in task.thread_list().iter().filter(|t| t.pid != task.pid) {
        super::signal::kill_thread(t);
    }
}

/// The process orphans of `task` go to: its nearest living ancestor
/// that asked to be a child subreaper (PR_SET_CHILD_SUBREAPER), else
/// init, as Linux's find_new_reaper.
fn new_reaper(task: &Task) -> Option<Arc<Task>> {
    let mut ancestor = task.parent.lock().upgrade();
    while let Some(a) = ancestor {
        if a.tgid == 1 {
            return Some(a);
        }
        let alive = a.live_threads.load(Ordering::Acquire) > 0;
        if alive && a.child_subreaper.load(Ordering::Relaxed) {
            return Some(a);
        }
        ancestor = a.parent.lock().upgrade();
    }
    super::pid::find(1)
}

/// Orphans become the children of a subreaper ancestor or of init.
fn reparent_children(task: &Task) {
    let orphans = core::mem::take(&mut *task.children.lock());
    if orphans.is_empty() {
        return;
    }
    let Some(reaper) = new_reaper(task) else { return };
    let any_zombie = orphans.iter().any(|c| matches!(c.state(), TaskState::Zombie(_)));
    for child in &orphans {
        *child.parent.lock() = Arc::downgrade(&reaper);
    }
    // PR_SET_PDEATHSIG: the orphans that asked hear of it.
    for child in orphans.iter().filter(|c| !matches!(c.state(), TaskState::Zombie(_))) {
        let sig = child.pdeath_signal.load(Ordering::Relaxed);
        if sig != 0 {
            let info = abi::Siginfo::kill(sig, abi::signal::SI_USER, task.tgid as i32, 0);
            super::signal::send_signal(child, sig, info);
        }
    }
    reaper.children.lock().extend(orphans);
    if any_zombie {
        reaper.child_exit.wake_all();
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

/// exit(2): ends the calling thread only.
pub fn sys_exit(code: i32) -> Result<usize, Errno> {
    do_exit(ExitStatus::Exited(code as u8))
}

pub fn sys_exit_group(code: i32) -> Result<usize, Errno> {
    do_group_exit(ExitStatus::Exited(code as u8))
}

/// What other subsystems do when a process's thread exits (the tty
/// layer: hang up a session leader's terminal), registered at boot.
static EXIT_HOOKS: crate::hooks::Hooks<ExitHook, 8> = crate::hooks::Hooks::new();

type ExitHook = fn(&Arc<Task>);

pub fn register_exit_hook(hook: ExitHook) {
    EXIT_HOOKS.register(hook);
}

fn run_exit_hooks(task: &Arc<Task>) {
    for hook in EXIT_HOOKS.all() {
        hook(task);
    }
}
