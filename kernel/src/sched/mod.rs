//! The scheduler: Linux's classes on one run queue (runqueue.rs):
//! SCHED_FIFO and SCHED_RR by priority, ahead of SCHED_OTHER, SCHED_BATCH
//! and SCHED_IDLE, which share the CPU by virtual runtime weighted by nice
//! (policy.rs); the idle task (the boot context) when nothing is runnable.
//! The timer tick charges the running task and asks for preemption, which
//! happens at the return to user mode (the kernel itself is not
//! preempted); a wake-up asks for it when the woken task should run first.
//! Real-time tasks may use 950 ms of each second while others wait.
//!
//! Rule for exits: a task's last switch (`exit_current`) holds no Arc of its
//! own on the stack, so its Task can be freed once it is reaped.

pub mod deferred;
pub mod policy;
pub mod runqueue;
pub mod sleep;
pub mod stats;
pub mod task;
pub mod timer;
pub mod wait;

use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use spin::{Mutex, Once};

use crate::arch::cpu::without_interrupts;
use crate::arch::entry::{switch_final, switch_to};
use crate::arch::fpu;
use policy::{ideal_slice, vruntime_delta, weight, Policy, RR_TIMESLICE_NS, RT_PERIOD_NS, RT_RUNTIME_NS};
use runqueue::RunQueue;
use task::{Comm, Pid, SchedParams, Task};

static IDLE: Once<Arc<Task>> = Once::new();
/// The running task (per CPU once SMP exists).
static CURRENT: Mutex<Option<Arc<Task>>> = Mutex::new(None);
static RUN_QUEUE: Mutex<RunQueue<Arc<Task>>> = Mutex::new(RunQueue::new());
static NEED_RESCHED: AtomicBool = AtomicBool::new(false);
static TICKS: AtomicU64 = AtomicU64::new(0);
/// The CPU time one tick stands for.
const TICK_NS: u64 = crate::time::NSEC_PER_SEC / crate::time::HZ;
/// Real-time CPU time in the current throttling period, and the tick the
/// period began at.
static RT_USED_NS: AtomicU64 = AtomicU64::new(0);
static RT_PERIOD_START: AtomicU64 = AtomicU64::new(0);

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

/// How a task comes onto the run queue.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Arrival {
    /// A new task: behind the running ones by a slice (Linux's
    /// START_DEBIT), so forking cannot take more than a fair share.
    New,
    /// After sleeping: at most half a latency period of credit.
    Woken,
    /// Switched out while runnable.
    Requeued,
}

/// Queues `task` by its class; `waiting_since` starts its wait for the
/// CPU (schedstat), None when a queued task only moves.
fn enqueue(rq: &mut RunQueue<Arc<Task>>, task: Arc<Task>, arrival: Arrival, waiting_since: Option<u64>) {
    let mut e = task.entity.lock();
    if let Some(now) = waiting_since {
        e.queued_at = now;
    }
    let last = core::mem::take(&mut e.requeue_last);
    if let Some(priority) = e.rt_priority() {
        let first = arrival == Arrival::Requeued && !last;
        drop(e);
        rq.push_rt(task, priority, first);
        return;
    }
    let w = weight(e.params.policy, e.params.nice);
    let min = rq.min_vruntime();
    match arrival {
        Arrival::New => e.vruntime = e.vruntime.max(min) + vruntime_delta(ideal_slice(w, rq.fair_weight() + w), w),
        Arrival::Woken => e.vruntime = e.vruntime.max(min.saturating_sub(policy::SCHED_LATENCY_NS / 2)),
        Arrival::Requeued if last => e.vruntime = e.vruntime.max(rq.leftmost_vruntime().unwrap_or(0)),
        Arrival::Requeued => {}
    }
    let vruntime = e.vruntime;
    drop(e);
    rq.push_fair(task, vruntime, w);
}

/// Whether `task`, just made runnable, should run before the current one.
fn should_preempt(current: &Task, task: &Task) -> bool {
    if current.is_idle() {
        return true;
    }
    if core::ptr::eq(current, task) {
        return false;
    }
    let (cur, new) = (current.entity.lock(), task.entity.lock());
    match (cur.rt_priority(), new.rt_priority()) {
        (None, Some(_)) => true,
        (Some(cur), Some(new)) => new > cur,
        (Some(_), None) => false,
        // Linux's wake-up granularity: 1 ms of virtual runtime.
        (None, None) => {
            new.params.policy != Policy::Idle
                && new.vruntime + 1_000_000 < cur.vruntime
                && cur.params.policy != Policy::Batch
        }
    }
}

pub fn add_task(task: Arc<Task>) {
    without_interrupts(|| enqueue(&mut RUN_QUEUE.lock(), task, Arrival::New, Some(crate::time::uptime_ns())));
}

/// Makes a runnable-again task wait for the CPU (woken or continued).
fn make_runnable(task: Arc<Task>) {
    if should_preempt(&current(), &task) {
        NEED_RESCHED.store(true, Ordering::Relaxed);
    }
    enqueue(&mut RUN_QUEUE.lock(), task, Arrival::Woken, Some(crate::time::uptime_ns()));
}

/// Makes `task` runnable if `asleep` says its state is a sleep to end.
fn wake_if(task: Arc<Task>, asleep: impl Fn(&Task) -> bool) {
    without_interrupts(|| {
        if asleep(&task) {
            task.set_state(task::TaskState::Runnable);
            make_runnable(task);
        }
    });
}

/// Makes a task in interruptible sleep runnable (a signal for it): one in
/// uninterruptible sleep sleeps on.
pub fn wake_interruptible(task: Arc<Task>) {
    wake_if(task, |t| t.state() == task::TaskState::Sleeping);
}

/// Makes a sleeping task runnable.
pub fn wake(task: Arc<Task>) {
    wake_if(task, Task::is_sleeping);
}

/// Called by the timer interrupt: when a tick is due, charges the running
/// task its tick and asks for a reschedule at the next return to user
/// mode when its slice is over or a task of a higher class waits; then
/// programs the timer's next firing. True when it was a tick.
pub fn timer_tick(from_user: bool) -> bool {
    let ticks = timer::tick_due(crate::time::uptime_ns());
    if ticks > 0 {
        tick(from_user, ticks);
    }
    // The idle loop programs the timer itself when it sleeps.
    timer::program_timer(true, u64::MAX);
    ticks > 0
}

/// A tick, standing for `ticks` of them in the CPU-time statistics (a
/// late interrupt's missed ticks went to what was running).
fn tick(from_user: bool, ticks: u64) {
    let now = TICKS.fetch_add(1, Ordering::Relaxed) + 1;
    let task = current();
    stats::tick(&task, from_user, ticks);
    if now - RT_PERIOD_START.load(Ordering::Relaxed) >= RT_PERIOD_NS / TICK_NS {
        RT_PERIOD_START.store(now, Ordering::Relaxed);
        RT_USED_NS.store(0, Ordering::Relaxed);
    }
    let mut rq = RUN_QUEUE.lock();
    if task.is_idle() {
        if !rq.is_empty() {
            NEED_RESCHED.store(true, Ordering::Relaxed);
        }
        return;
    }
    if charge_tick(&task, &mut rq) {
        NEED_RESCHED.store(true, Ordering::Relaxed);
    }
}

/// True while real-time tasks have used up their share of the period.
fn rt_throttled() -> bool {
    RT_USED_NS.load(Ordering::Relaxed) >= RT_RUNTIME_NS
}

/// Charges the running task one tick; true when it should give way.
fn charge_tick(task: &Task, rq: &mut RunQueue<Arc<Task>>) -> bool {
    let mut e = task.entity.lock();
    e.ran += TICK_NS;
    let higher_rt = |priority: u32| rq.top_rt_priority().is_some_and(|top| top > priority) && !rt_throttled();
    match e.rt_priority() {
        Some(priority) => {
            RT_USED_NS.fetch_add(TICK_NS, Ordering::Relaxed);
            if rt_throttled() && rq.has_fair() {
                return true;
            }
            if e.params.policy == Policy::Rr && e.boost <= e.params.rt_priority && e.ran >= RR_TIMESLICE_NS {
                e.ran = 0;
                e.requeue_last = true;
                return true;
            }
            higher_rt(priority)
        }
        None => {
            let w = weight(e.params.policy, e.params.nice);
            e.vruntime += vruntime_delta(TICK_NS, w);
            rq.advance_min_vruntime(e.vruntime);
            if rq.top_rt_priority().is_some() && !rt_throttled() {
                return true;
            }
            rq.has_fair() && e.ran >= ideal_slice(w, rq.fair_weight() + w)
        }
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
            make_runnable(task);
        }
    });
}

/// The next task to run: a real-time one unless they are throttled and a
/// fair one waits, else the fair one with the least virtual runtime, else
/// the idle task. A runnable `prev` is queued again first, waiting from
/// `now`.
fn pick_next(prev: &Arc<Task>, now: u64) -> Arc<Task> {
    let mut rq = RUN_QUEUE.lock();
    if prev.is_runnable() && !prev.is_idle() {
        enqueue(&mut rq, prev.clone(), Arrival::Requeued, Some(now));
    }
    let rt = if rt_throttled() && rq.has_fair() { None } else { rq.pop_rt() };
    let next = rt.or_else(|| rq.pop_fair().map(|(task, _)| task));
    let Some(next) = next else { return IDLE.get().expect("sched::init ran").clone() };
    let mut e = next.entity.lock();
    if e.rt_priority().is_none() {
        e.ran = 0; // a new slice; RR keeps what is left of its quantum
    }
    drop(e);
    next
}

/// The scheduling parameters of a task change (sched_setscheduler,
/// setpriority...): a queued task moves to its new place, and the CPU is
/// rescheduled when the change may put another task first.
pub fn set_params(task: &Arc<Task>, params: SchedParams) {
    without_interrupts(|| {
        let mut rq = RUN_QUEUE.lock();
        let queued = rq.remove(|t| Arc::ptr_eq(t, task));
        {
            let mut e = task.entity.lock();
            if e.params.policy.is_realtime() && !params.policy.is_realtime() {
                e.vruntime = rq.min_vruntime();
            }
            e.params = params;
        }
        if let Some(t) = queued {
            enqueue(&mut rq, t, Arrival::Requeued, None);
        }
        NEED_RESCHED.store(true, Ordering::Relaxed);
    });
}

/// Lends `task` the real-time priority `boost` (0: none) while it holds
/// a priority-inheritance futex that a higher-priority task waits for.
pub fn set_boost(task: &Arc<Task>, boost: u32) {
    without_interrupts(|| {
        let mut rq = RUN_QUEUE.lock();
        if task.entity.lock().boost == boost {
            return;
        }
        let queued = rq.remove(|t| Arc::ptr_eq(t, task));
        {
            let mut e = task.entity.lock();
            if e.rt_priority().is_some() && boost == 0 && !e.params.policy.is_realtime() {
                e.vruntime = rq.min_vruntime();
            }
            e.boost = boost;
        }
        if let Some(t) = queued {
            enqueue(&mut rq, t, Arrival::Requeued, None);
        }
        NEED_RESCHED.store(true, Ordering::Relaxed);
    });
}

/// A new task's scheduling state, from the task that forked it: the same
/// policy, priority and nice, unless SCHED_RESET_ON_FORK asks for the
/// defaults (SCHED_OTHER, and nice 0 if it was below), and its virtual
/// runtime (placed after the others when queued).
pub fn inherit(child: &Task, parent: &Task) {
    let p = parent.entity.lock();
    let mut params = p.params;
    if params.reset_on_fork {
        if params.policy.is_realtime() {
            params.policy = Policy::Normal;
            params.rt_priority = 0;
        }
        params.nice = params.nice.max(0);
        params.reset_on_fork = false;
    }
    let mut c = child.entity.lock();
    c.params = params;
    c.vruntime = p.vruntime;
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

/// Charges `prev` its time on the CPU and `next` its wait for it, at `now`.
fn account_switch(prev: &Task, next: &Task, now: u64) {
    prev.entity.lock().switched_out(now);
    next.entity.lock().switched_in(now);
}

/// Tasks runnable now (the running one included).
pub fn runnable_count() -> usize {
    without_interrupts(|| RUN_QUEUE.lock().len()) + usize::from(!current().is_idle())
}

/// sched_yield(2): behind the tasks of the same class and priority.
pub fn sys_sched_yield() -> Result<usize, abi::Errno> {
    current().entity.lock().requeue_last = true;
    schedule();
    Ok(0)
}

/// Gives the CPU to the next runnable task, if any other.
pub fn schedule() {
    without_interrupts(|| {
        let prev = current();
        let now = crate::time::uptime_ns();
        let next = pick_next(&prev, now);
        if Arc::ptr_eq(&prev, &next) {
            return;
        }
        switch_cpu_state(Some(&prev), &next);
        account_switch(&prev, &next, now);
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
        let now = crate::time::uptime_ns();
        let next = pick_next(&prev, now);
        switch_cpu_state(None, &next);
        account_switch(&prev, &next, now);
        next
    };
    let context = next.context.clone();
    *CURRENT.lock() = Some(next);
    switch_final(context)
}

/// Run by a new task on its first switch-in, before it returns to user
/// mode through its prepared TrapFrame. Nothing to finish yet.
pub fn schedule_tail() {}

/// The longest the idle CPU sleeps without a deadline.
const MAX_IDLE_NS: u64 = crate::time::NSEC_PER_SEC;

/// The idle loop of the boot CPU. With nothing to run it stops the tick
/// and sleeps until the next deadline (a sleeper's, or deferred work's)
/// or an interrupt: tickless idle.
pub fn idle_loop() -> ! {
    loop {
        run_deferred_work();
        schedule();
        // Sleep only if no interrupt left work since: checked with
        // interrupts off, then `sti; hlt` cannot miss the next one.
        crate::arch::cpu::disable_interrupts();
        let busy = deferred::any_pending() || !RUN_QUEUE.lock().is_empty();
        let now = crate::time::uptime_ns();
        let next = [timer::next_deadline(), deferred::next_deadline()].into_iter().flatten().min();
        if busy || next.is_some_and(|d| d <= now) {
            crate::arch::cpu::enable_interrupts();
            continue;
        }
        let idle_until = deferred::next_deadline().map_or(now + MAX_IDLE_NS, |d| d.min(now + MAX_IDLE_NS));
        timer::program_timer(false, idle_until);
        let ticks = TICKS.load(Ordering::Relaxed);
        crate::arch::cpu::wait_for_interrupt();
        crate::arch::cpu::disable_interrupts();
        timer::program_timer(true, u64::MAX);
        let slept = crate::time::uptime_ns() - now;
        let counted = TICKS.load(Ordering::Relaxed) - ticks;
        stats::add_idle_ns(slept.saturating_sub(counted * TICK_NS));
        crate::arch::cpu::enable_interrupts();
    }
}
