//! The scheduler: a round-robin run queue, the idle task (the boot
//! context), and preemption by the timer tick at the return to user mode.
//!
//! Rule for exits: a task's last switch (`exit_current`) holds no Arc of its
//! own on the stack, so its Task can be freed once it is reaped.

pub mod deferred;
pub mod sleep;
pub mod stats;
pub mod task;
pub mod timer;
pub mod wait;

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use spin::{Mutex, Once};

use crate::arch::cpu::without_interrupts;
use crate::arch::entry::{switch_final, switch_to};
use crate::arch::fpu;
use task::{Comm, Pid, Task};

static IDLE: Once<Arc<Task>> = Once::new();
/// The running task (per CPU once SMP exists).
static CURRENT: Mutex<Option<Arc<Task>>> = Mutex::new(None);
static RUN_QUEUE: Mutex<VecDeque<Arc<Task>>> = Mutex::new(VecDeque::new());
static NEED_RESCHED: AtomicBool = AtomicBool::new(false);
static TICKS: AtomicU64 = AtomicU64::new(0);
/// A task runs for up to this many ticks (4 ms) before the next one.
const TIMESLICE_TICKS: u64 = 4;

/// Makes the boot context the idle task.
pub fn init(idle: Task) {
    let idle = IDLE.call_once(|| Arc::new(idle));
    *CURRENT.lock() = Some(idle.clone());
}

pub fn current() -> Arc<Task> {
    without_interrupts(|| CURRENT.lock().clone().expect("sched::init ran"))
}

/// Pid and command name of the running task, for log lines.
pub fn current_pid_comm() -> (Pid, Comm) {
    let t = current();
    (t.pid, t.comm())
}

pub fn add_task(task: Arc<Task>) {
    without_interrupts(|| RUN_QUEUE.lock().push_back(task));
}

/// Makes a sleeping task runnable.
pub fn wake(task: Arc<Task>) {
    without_interrupts(|| {
        if task.state() == task::TaskState::Sleeping {
            task.set_state(task::TaskState::Runnable);
            RUN_QUEUE.lock().push_back(task);
        }
    });
}

/// Called by the timer interrupt: asks for a reschedule at the next return
/// to user mode (the kernel itself is not preempted).
pub fn timer_tick(from_user: bool) {
    TICKS.fetch_add(1, Ordering::Relaxed);
    let task = current();
    stats::tick(&task, from_user);
    if TICKS.load(Ordering::Relaxed).is_multiple_of(TIMESLICE_TICKS) {
        NEED_RESCHED.store(true, Ordering::Relaxed);
    }
}

/// Work that interrupt handlers leave for process context: expired
/// timers, then what the subsystems registered (terminal input, the
/// periodic writeback of disk filesystems).
fn run_deferred_work() {
    timer::run_expired();
    deferred::run_all();
}

/// The scheduler's work before a return to user mode: deferred work,
/// then preemption.
pub fn return_to_user_work() {
    run_deferred_work();
    if NEED_RESCHED.swap(false, Ordering::Relaxed) {
        schedule();
    }
}

/// Resumes a task stopped by a signal.
pub fn resume_stopped(task: Arc<Task>) {
    without_interrupts(|| {
        if task.state() == task::TaskState::Stopped {
            task.set_state(task::TaskState::Runnable);
            RUN_QUEUE.lock().push_back(task);
        }
    });
}

fn pick_next(prev: &Arc<Task>) -> Arc<Task> {
    let mut rq = RUN_QUEUE.lock();
    if prev.is_runnable() && !prev.is_idle.load(Ordering::Relaxed) {
        rq.push_back(prev.clone());
    }
    rq.pop_front().unwrap_or_else(|| IDLE.get().expect("sched::init ran").clone())
}

/// Loads `next`'s CPU state (FPU, FS/GS bases, address space, kernel stack)
/// after saving `prev`'s. Interrupts are off.
fn switch_cpu_state(prev: Option<&Task>, next: &Task) {
    if let Some(prev) = prev {
        fpu::save(&mut prev.fpu.lock());
        prev.fs_base.store(crate::arch::user_fs_base(), Ordering::Relaxed);
        prev.gs_base.store(crate::arch::user_gs_base(), Ordering::Relaxed);
    }
    fpu::restore(&next.fpu.lock());
    crate::arch::set_user_fs_base(next.fs_base.load(Ordering::Relaxed));
    crate::arch::set_user_gs_base(next.gs_base.load(Ordering::Relaxed));
    next.activate_page_table();
}

/// Tasks runnable now (the running one included), for the load average.
pub fn runnable_count() -> usize {
    without_interrupts(|| RUN_QUEUE.lock().len()) + usize::from(!current().is_idle.load(Ordering::Relaxed))
}

/// sched_yield(2): to the back of the run queue.
pub fn sys_sched_yield() -> Result<usize, abi::Errno> {
    schedule();
    Ok(0)
}

/// Gives the CPU to the next runnable task, if any other.
pub fn schedule() {
    without_interrupts(|| {
        let prev = current();
        let next = pick_next(&prev);
        if Arc::ptr_eq(&prev, &next) {
            return;
        }
        switch_cpu_state(Some(&prev), &next);
        stats::context_switched();
        // Preempted while runnable: an involuntary switch; else voluntary.
        let counter = if prev.is_runnable() { &prev.nivcsw } else { &prev.nvcsw };
        counter.fetch_add(1, Ordering::Relaxed);
        *CURRENT.lock() = Some(next.clone());
        let context = next.context.clone();
        drop(next);
        drop(prev);
        switch_to(context);
    });
}

/// The exiting task's last switch. The caller holds no Arc of the task;
/// its parent's list of children keeps it (and the kernel stack this runs
/// on) alive until it is reaped, which happens only after this switch.
pub fn exit_current() -> ! {
    crate::arch::cpu::disable_interrupts();
    let next = {
        let prev = current();
        let next = pick_next(&prev);
        switch_cpu_state(None, &next);
        next
    };
    let context = next.context.clone();
    *CURRENT.lock() = Some(next);
    switch_final(context)
}

/// Run by a new task on its first switch-in, before it returns to user
/// mode through its prepared TrapFrame. Nothing to finish yet.
pub fn schedule_tail() {}

/// The idle loop of the boot CPU.
pub fn idle_loop() -> ! {
    loop {
        run_deferred_work();
        schedule();
        // Sleep only if no interrupt left work since: checked with
        // interrupts off, then `sti; hlt` cannot miss the next one.
        crate::arch::cpu::disable_interrupts();
        if deferred::any_pending() {
            crate::arch::cpu::enable_interrupts();
        } else {
            crate::arch::cpu::wait_for_interrupt();
        }
    }
}
