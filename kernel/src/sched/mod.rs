//! The scheduler: Linux's classes on a run queue per CPU (runqueue.rs,
//! cpu.rs): SCHED_FIFO and SCHED_RR by priority, ahead of SCHED_OTHER,
//! SCHED_BATCH and SCHED_IDLE, which share the CPU by virtual runtime
//! weighted by nice (policy.rs); the CPU's idle task (its start-up
//! context) when nothing is runnable. A woken task goes to an idle CPU it
//! may use, or back to its last one; idle and lightly loaded CPUs pull
//! queued tasks from the busiest (cpu.rs).
//! The timer tick charges the running task and asks for preemption, which
//! happens at the return to user mode (the kernel itself is not
//! preempted); a wake-up asks for it when the woken task should run first.
//! Real-time tasks may use 950 ms of each second of a CPU while others
//! wait there.
//!
//! Rule for exits: a task's last switch (`exit_current`) holds no Arc of its
//! own on the stack, so its Task can be freed once it is reaped.

pub mod cpu;
pub mod deferred;
pub mod membarrier;
pub mod policy;
pub mod runqueue;
pub mod sleep;
pub mod stats;
pub mod task;
pub mod timer;
pub mod wait;

use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::arch::cpu::without_interrupts;
use crate::arch::entry::{switch_final, switch_to};
use crate::arch::fpu;
use cpu::{cpu, resched_cpu, select_cpu, this_cpu, CpuSched};
use policy::{ideal_slice, vruntime_delta, weight, Policy, RR_TIMESLICE_NS, RT_PERIOD_NS, RT_RUNTIME_NS};
use runqueue::RunQueue;
use task::{Comm, Pid, SchedParams, Task, TaskState};

/// The CPU time one tick stands for.
const TICK_NS: u64 = crate::time::NSEC_PER_SEC / crate::time::HZ;
/// Ticks between two balancing passes of a busy CPU.
const BALANCE_TICKS: u64 = 4;

/// Makes the calling CPU's start-up context its idle task.
pub fn init(idle: Task) {
    let c = this_cpu();
    let idle = c.idle.call_once(|| Arc::new(idle));
    c.current_ids.store(ids_of(idle), Ordering::Relaxed);
    *c.current.lock() = Some(idle.clone());
}

pub fn current() -> Arc<Task> {
    this_cpu().current().expect("sched::init ran")
}

fn ids_of(task: &Task) -> u64 {
    u64::from(task.tgid) << 32 | u64::from(task.pid)
}

/// The running task's (process id, thread id), without taking its
/// reference (getpid, gettid). Interrupts are off for the read, so the
/// task cannot move to another CPU between finding its CPU and reading.
pub fn current_ids() -> (Pid, Pid) {
    let ids = without_interrupts(|| this_cpu().current_ids.load(Ordering::Relaxed));
    ((ids >> 32) as Pid, ids as Pid)
}

/// Whether `task` is on a CPU now.
pub fn is_running(task: &Task) -> bool {
    cpu(task.cpu()).current.lock().as_ref().is_some_and(|t| core::ptr::eq(Arc::as_ptr(t), task))
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

/// A task moved from another CPU's queue: its virtual runtime keeps its
/// distance to the queue's minimum (Linux renormalises the same way).
pub(super) fn enqueue_migrated(rq: &mut RunQueue<Arc<Task>>, task: Arc<Task>, src_min: u64, dst_min: u64) {
    {
        let mut e = task.entity.lock();
        e.vruntime = e.vruntime.saturating_sub(src_min) + dst_min;
    }
    enqueue(rq, task, Arrival::Requeued, None);
}

/// Queues `task` on CPU `target` and asks that CPU to reschedule when the
/// task should run before what it runs.
fn enqueue_on(target: usize, task: Arc<Task>, arrival: Arrival) {
    task.cpu.store(target, Ordering::Relaxed);
    let c = cpu(target);
    {
        let mut rq = c.rq.lock();
        enqueue(&mut rq, task.clone(), arrival, Some(crate::time::uptime_ns()));
        c.queued.store(rq.len(), Ordering::Relaxed);
    }
    if c.current().is_none_or(|running| should_preempt(&running, &task)) {
        resched_cpu(target);
    }
}

/// What preemption compares of a task, read under its lock alone (two
/// tasks' locks are never held together).
struct Standing {
    rt: Option<u32>,
    vruntime: u64,
    policy: Policy,
}

fn standing(task: &Task) -> Standing {
    let e = task.entity.lock();
    Standing { rt: e.rt_priority(), vruntime: e.vruntime, policy: e.params.policy }
}

/// Whether `task`, just made runnable, should run before the current one.
fn should_preempt(current: &Task, task: &Task) -> bool {
    if current.is_idle() {
        return true;
    }
    if core::ptr::eq(current, task) {
        return false;
    }
    let (cur, new) = (standing(current), standing(task));
    match (cur.rt, new.rt) {
        (None, Some(_)) => true,
        (Some(cur), Some(new)) => new > cur,
        (Some(_), None) => false,
        // Linux's wake-up granularity: 1 ms of virtual runtime.
        (None, None) => {
            new.policy != Policy::Idle && new.vruntime + 1_000_000 < cur.vruntime && cur.policy != Policy::Batch
        }
    }
}

pub fn add_task(task: Arc<Task>) {
    let mut run = task.run.lock();
    run.on_rq = true;
    enqueue_on(select_cpu(&task), task.clone(), Arrival::New);
    drop(run);
}

/// Makes `task` runnable if `asleep` says its state is a sleep to end. A
/// task still on its CPU (about to sleep) only becomes runnable again: its
/// own switch keeps it.
fn wake_if(task: Arc<Task>, asleep: impl Fn(TaskState) -> bool) {
    let mut run = task.run.lock();
    if !asleep(run.state) {
        return;
    }
    run.set(TaskState::Runnable);
    if run.on_rq {
        return;
    }
    run.on_rq = true;
    drop(run);
    // It may still be leaving the CPU it slept on: no other CPU may take
    // it before its registers are saved. (`on_rq` keeps other wakers out.)
    task.context.wait_off_cpu();
    enqueue_on(select_cpu(&task), task.clone(), Arrival::Woken);
}

/// Makes a task in interruptible sleep runnable (a signal for it): one in
/// uninterruptible sleep sleeps on.
pub fn wake_interruptible(task: Arc<Task>) {
    wake_if(task, |s| s == TaskState::Sleeping);
}

/// Makes a sleeping task runnable.
pub fn wake(task: Arc<Task>) {
    wake_if(task, |s| matches!(s, TaskState::Sleeping | TaskState::DiskSleep));
}

/// Makes a task running on another CPU pass through its return-to-user
/// work soon (a signal was queued for it).
pub fn kick(task: &Task) {
    let target = task.cpu();
    if target != crate::arch::percpu::cpu_index() && is_running(task) {
        cpu::kick_cpu(target);
    }
}

/// Called by the timer interrupt: when a tick is due, charges the running
/// task its tick and asks for a reschedule at the next return to user
/// mode when its slice is over or a task of a higher class waits; then
/// programs the timer's next firing. How many ticks it stands for (0:
/// none was due; more than one when the interrupt came late).
pub fn timer_tick(from_user: bool) -> u64 {
    let ticks = timer::tick_due(crate::time::uptime_ns());
    if ticks > 0 {
        tick(from_user, ticks);
    }
    // The idle loop programs the timer itself when it sleeps.
    timer::program_timer(true, u64::MAX);
    ticks
}

/// A tick, standing for `ticks` of them in the CPU-time statistics (a
/// late interrupt's missed ticks went to what was running).
fn tick(from_user: bool, ticks: u64) {
    let c = this_cpu();
    let now = c.ticks.fetch_add(1, Ordering::Relaxed) + 1;
    let task = current();
    stats::tick(&task, from_user, ticks);
    if now - c.rt_period_start.load(Ordering::Relaxed) >= RT_PERIOD_NS / TICK_NS {
        c.rt_period_start.store(now, Ordering::Relaxed);
        c.rt_used_ns.store(0, Ordering::Relaxed);
    }
    if now.is_multiple_of(BALANCE_TICKS) {
        c.balance_due.store(true, Ordering::Relaxed);
    }
    let mut rq = c.rq.lock();
    if task.is_idle() {
        if !rq.is_empty() {
            c.need_resched.store(true, Ordering::Relaxed);
        }
        return;
    }
    if charge_tick(c, &task, &mut rq) {
        c.need_resched.store(true, Ordering::Relaxed);
    }
}

/// True while real-time tasks have used up this CPU's share of the period.
fn rt_throttled(c: &CpuSched) -> bool {
    c.rt_used_ns.load(Ordering::Relaxed) >= RT_RUNTIME_NS
}

/// Charges the running task one tick; true when it should give way.
fn charge_tick(c: &CpuSched, task: &Task, rq: &mut RunQueue<Arc<Task>>) -> bool {
    let mut e = task.entity.lock();
    e.ran += TICK_NS;
    let higher_rt = |priority: u32| rq.top_rt_priority().is_some_and(|top| top > priority) && !rt_throttled(c);
    match e.rt_priority() {
        Some(priority) => {
            c.rt_used_ns.fetch_add(TICK_NS, Ordering::Relaxed);
            if rt_throttled(c) && rq.has_fair() {
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
            if rq.top_rt_priority().is_some() && !rt_throttled(c) {
                return true;
            }
            rq.has_fair() && e.ran >= ideal_slice(w, rq.fair_weight() + w)
        }
    }
}

/// Set while a CPU runs the deferred work: one CPU at a time does it.
static DEFERRED_RUNNING: AtomicBool = AtomicBool::new(false);

/// Work that interrupt handlers leave for process context: expired
/// timers, then what the subsystems registered (terminal input, the
/// periodic writeback of disk filesystems). When another CPU is at the
/// registered work, this one leaves it to that one.
fn run_deferred_work() {
    // Every CPU wakes expired sleepers (waking twice does no harm), so a
    // CPU whose timer fired for a deadline never waits for another one.
    timer::run_expired();
    if DEFERRED_RUNNING.swap(true, Ordering::Acquire) {
        return;
    }
    deferred::run_all();
    machine::mm::kstack::trim();
    DEFERRED_RUNNING.store(false, Ordering::Release);
}

/// The scheduler's work before a return to user mode: deferred work,
/// load balancing when due, then preemption.
pub fn return_to_user_work() {
    run_deferred_work();
    let c = this_cpu();
    if c.balance_due.swap(false, Ordering::Relaxed) && cpu::pull_task(2) {
        c.need_resched.store(true, Ordering::Relaxed);
    }
    if c.need_resched.swap(false, Ordering::Acquire) {
        schedule();
    }
}

/// Resumes a task stopped by a signal.
pub fn resume_stopped(task: Arc<Task>) {
    wake_if(task, |s| s == TaskState::Stopped);
}

/// The next task to run on CPU `c`: a real-time one unless they are
/// throttled and a fair one waits, else the fair one with the least
/// virtual runtime, else the idle task.
fn pick_next(c: &CpuSched) -> Arc<Task> {
    let mut rq = c.rq.lock();
    let rt = if rt_throttled(c) && rq.has_fair() { None } else { rq.pop_rt() };
    let next = rt.or_else(|| rq.pop_fair().map(|(task, _)| task));
    c.queued.store(rq.len(), Ordering::Relaxed);
    drop(rq);
    let Some(next) = next else { return c.idle.get().expect("sched::init ran").clone() };
    let mut e = next.entity.lock();
    if e.rt_priority().is_none() {
        e.ran = 0; // a new slice; RR keeps what is left of its quantum
    }
    drop(e);
    next
}

/// Runs `f` on the run queue that holds `task` if it is queued (with the
/// queue's CPU), or with None; the task's CPU cannot change meanwhile.
fn with_queue_of<R>(task: &Arc<Task>, f: impl FnOnce(&mut RunQueue<Arc<Task>>, Option<Arc<Task>>, usize) -> R) -> R {
    loop {
        let c = task.cpu();
        let mut rq = cpu(c).rq.lock();
        if task.cpu() != c {
            continue;
        }
        let queued = rq.remove(|t| Arc::ptr_eq(t, task));
        let r = f(&mut rq, queued, c);
        cpu(c).queued.store(rq.len(), Ordering::Relaxed);
        return r;
    }
}

/// The scheduling parameters of a task change (sched_setscheduler,
/// setpriority...): a queued task moves to its new place, and its CPU is
/// rescheduled when the change may put another task first.
pub fn set_params(task: &Arc<Task>, params: SchedParams) {
    let c = with_queue_of(task, |rq, queued, c| {
        {
            let mut e = task.entity.lock();
            if e.params.policy.is_realtime() && !params.policy.is_realtime() {
                e.vruntime = rq.min_vruntime();
            }
            e.params = params;
        }
        if let Some(t) = queued {
            enqueue(rq, t, Arrival::Requeued, None);
        }
        c
    });
    resched_cpu(c);
}

/// Lends `task` the real-time priority `boost` (0: none) while it holds
/// a priority-inheritance futex that a higher-priority task waits for.
pub fn set_boost(task: &Arc<Task>, boost: u32) {
    let changed = with_queue_of(task, |rq, queued, c| {
        let same = task.entity.lock().boost == boost;
        if !same {
            let mut e = task.entity.lock();
            if e.rt_priority().is_some() && boost == 0 && !e.params.policy.is_realtime() {
                e.vruntime = rq.min_vruntime();
            }
            e.boost = boost;
        }
        if let Some(t) = queued {
            enqueue(rq, t, Arrival::Requeued, None);
        }
        (!same).then_some(c)
    });
    if let Some(c) = changed {
        resched_cpu(c);
    }
}

/// Restricts `task` to the CPUs of `mask` (online ones; the caller checked
/// it names one): a queued task moves to a CPU it may use, a running one
/// moves at its CPU's next reschedule.
pub fn set_affinity(task: &Arc<Task>, mask: u64) {
    let run = task.run.lock();
    task.affinity.store(mask, Ordering::Relaxed);
    if task.affinity() & (1 << task.cpu()) != 0 {
        return;
    }
    let moved = with_queue_of(task, |_, queued, c| queued.ok_or(c));
    let on_rq = run.on_rq;
    drop(run);
    match moved {
        Ok(t) => {
            // Not under its lock: the CPU it may be leaving needs that.
            t.context.wait_off_cpu();
            enqueue_on(select_cpu(&t), t, Arrival::Requeued)
        }
        Err(c) if on_rq => resched_cpu(c),
        Err(_) => {}
    }
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
    crate::arch::set_user_tsc_allowed(!next.tsc_disabled());
    next.activate_page_table();
}

/// Charges `prev` its time on the CPU and `next` its wait for it, at `now`.
fn account_switch(prev: &Task, next: &Task, now: u64) {
    prev.entity.lock().switched_out(now);
    next.entity.lock().switched_in(now);
}

/// Tasks runnable now (the running ones included).
pub fn runnable_count() -> usize {
    cpu::online().map(|c| cpu(c).load()).sum()
}

/// sched_yield(2): behind the tasks of the same class and priority.
pub fn sys_sched_yield() -> Result<usize, abi::Errno> {
    current().entity.lock().requeue_last = true;
    schedule();
    Ok(0)
}

/// Takes `prev` off this CPU: a task still runnable is queued again (here,
/// or on a CPU it may use if this one is no longer allowed); any other
/// leaves the run queues until woken.
/// Returns whether it stayed runnable (preempted rather than asleep).
fn put_prev(c: &CpuSched, prev: &Arc<Task>, now: u64) -> bool {
    if prev.is_idle() {
        return true;
    }
    let mut run = prev.run.lock();
    if run.state != TaskState::Runnable {
        run.on_rq = false;
        return false;
    }
    let me = crate::arch::percpu::cpu_index();
    if cpu::allowed(prev) & (1 << me) == 0 {
        *c.migrating.lock() = Some(prev.clone());
        return true;
    }
    let mut rq = c.rq.lock();
    enqueue(&mut rq, prev.clone(), Arrival::Requeued, Some(now));
    c.queued.store(rq.len(), Ordering::Relaxed);
    true
}

/// Makes `next` this CPU's running task.
fn set_current(c: &CpuSched, next: &Arc<Task>) {
    next.cpu.store(crate::arch::percpu::cpu_index(), Ordering::Relaxed);
    c.idle_now.store(next.is_idle(), Ordering::Relaxed);
    c.current_ids.store(ids_of(next), Ordering::Relaxed);
    *c.current.lock() = Some(next.clone());
}

/// Gives the CPU to the next runnable task, if any other.
pub fn schedule() {
    without_interrupts(|| {
        let c = this_cpu();
        let prev = current();
        let now = crate::time::uptime_ns();
        let preempted = put_prev(c, &prev, now);
        let next = pick_next(c);
        if Arc::ptr_eq(&prev, &next) {
            return;
        }
        // A task that just left another CPU: its registers are saved there.
        next.context.wait_off_cpu();
        switch_cpu_state(Some(&prev), &next);
        account_switch(&prev, &next, now);
        stats::context_switched();
        // Preempted while runnable: an involuntary switch; else voluntary.
        let counter = if preempted { &prev.nivcsw } else { &prev.nvcsw };
        counter.fetch_add(1, Ordering::Relaxed);
        set_current(c, &next);
        let context = next.context.clone();
        drop(next);
        drop(prev);
        switch_to(context);
        finish_task_switch();
    });
}

/// After a switch, on the CPU's new task: the task switched out, now off
/// the CPU, goes to another CPU if it may no longer run on this one.
fn finish_task_switch() {
    if let Some(task) = this_cpu().migrating.lock().take() {
        enqueue_on(select_cpu(&task), task, Arrival::Requeued);
    }
}

/// The exiting task's last switch. The caller holds no Arc of the task;
/// its parent's list of children keeps it alive until it is reaped, and
/// this CPU keeps its kernel stack until it left it.
pub fn exit_current() -> ! {
    crate::arch::cpu::disable_interrupts();
    let c = this_cpu();
    let next = {
        let prev = current();
        let now = crate::time::uptime_ns();
        put_prev(c, &prev, now);
        let next = pick_next(c);
        next.context.wait_off_cpu();
        switch_cpu_state(None, &next);
        account_switch(&prev, &next, now);
        next
    };
    let context = next.context.clone();
    set_current(c, &next);
    drop(next);
    switch_final(context)
}

/// Run by a new task on its first switch-in, before it returns to user
/// mode through its prepared TrapFrame.
pub fn schedule_tail() {
    finish_task_switch();
}

/// The longest the idle CPU sleeps without a deadline.
const MAX_IDLE_NS: u64 = crate::time::NSEC_PER_SEC;

/// A CPU's idle loop. It takes work queued on busier CPUs; with nothing
/// to run it stops the tick and sleeps until the next deadline (a
/// sleeper's, or deferred work's) or an interrupt: tickless idle.
pub fn idle_loop() -> ! {
    let c = this_cpu();
    crate::arch::cpu::enable_interrupts();
    loop {
        run_deferred_work();
        cpu::pull_task(1);
        c.need_resched.store(false, Ordering::Relaxed);
        schedule();
        // Sleep only if no interrupt left work since: checked with
        // interrupts off, then `sti; hlt` cannot miss the next one.
        crate::arch::cpu::disable_interrupts();
        let busy = deferred::any_pending() || !c.rq.lock().is_empty() || c.need_resched.load(Ordering::Acquire);
        let now = crate::time::uptime_ns();
        let next = [timer::next_deadline(), deferred::next_deadline()].into_iter().flatten().min();
        if busy || next.is_some_and(|d| d <= now) {
            crate::arch::cpu::enable_interrupts();
            continue;
        }
        let idle_until = deferred::next_deadline().map_or(now + MAX_IDLE_NS, |d| d.min(now + MAX_IDLE_NS));
        timer::program_timer(false, idle_until);
        let ticks = c.ticks.load(Ordering::Relaxed);
        crate::arch::cpu::wait_for_interrupt();
        crate::arch::cpu::disable_interrupts();
        timer::program_timer(true, u64::MAX);
        let slept = crate::time::uptime_ns() - now;
        let counted = c.ticks.load(Ordering::Relaxed) - ticks;
        stats::add_idle_ns(slept.saturating_sub(counted * TICK_NS));
        crate::arch::cpu::enable_interrupts();
    }
}
