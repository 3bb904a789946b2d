//! Each CPU's scheduler state: its running task, idle task and run queue,
//! its reschedule request and real-time budget; where a task that becomes
//! runnable goes, and how idle or lightly loaded CPUs take work from busy
//! ones (load balancing that honours each task's affinity).
//!
//! Lock order: a task's `run` lock, then run queues (two at once in CPU
//! number order), then a task's `entity` lock.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use machine::arch::percpu::{cpu_index, online_mask, MAX_CPUS};
use machine::sync::IrqSafeMutex;
use spin::Once;

use super::runqueue::RunQueue;
use super::task::Task;

pub struct CpuSched {
    pub(super) current: IrqSafeMutex<Option<Arc<Task>>>,
    /// The running task's process and thread ids (tgid << 32 | pid), set
    /// with `current`: getpid and gettid read them without its lock.
    pub(super) current_ids: AtomicU64,
    pub(super) idle: Once<Arc<Task>>,
    pub(super) rq: IrqSafeMutex<RunQueue<Arc<Task>>>,
    /// Tasks queued on `rq` (read without its lock to compare loads).
    pub(super) queued: AtomicUsize,
    /// True while the idle task runs.
    pub(super) idle_now: AtomicBool,
    pub(super) need_resched: AtomicBool,
    /// A task switched out here that may no longer run here: queued on a
    /// CPU it may use once the switch is over (`finish_task_switch`).
    pub(super) migrating: IrqSafeMutex<Option<Arc<Task>>>,
    /// Ticks taken, and when balancing is next due (in ticks).
    pub(super) ticks: AtomicU64,
    pub(super) balance_due: AtomicBool,
    /// Real-time CPU time in the current throttling period, and the tick
    /// the period began at.
    pub(super) rt_used_ns: AtomicU64,
    pub(super) rt_period_start: AtomicU64,
}

impl CpuSched {
    const fn new() -> CpuSched {
        CpuSched {
            current: IrqSafeMutex::new(None),
            current_ids: AtomicU64::new(0),
            idle: Once::new(),
            rq: IrqSafeMutex::new(RunQueue::new()),
            queued: AtomicUsize::new(0),
            idle_now: AtomicBool::new(true),
            need_resched: AtomicBool::new(false),
            migrating: IrqSafeMutex::new(None),
            ticks: AtomicU64::new(0),
            balance_due: AtomicBool::new(false),
            rt_used_ns: AtomicU64::new(0),
            rt_period_start: AtomicU64::new(0),
        }
    }

    /// The task this CPU runs.
    pub(super) fn current(&self) -> Option<Arc<Task>> {
        self.current.lock().clone()
    }

    /// Runnable tasks on this CPU: queued, and the running one.
    pub(super) fn load(&self) -> usize {
        self.queued.load(Ordering::Relaxed) + usize::from(!self.idle_now.load(Ordering::Relaxed))
    }

    fn is_idle(&self) -> bool {
        self.idle_now.load(Ordering::Relaxed) && self.queued.load(Ordering::Relaxed) == 0
    }
}

static CPUS: [CpuSched; MAX_CPUS] = [const { CpuSched::new() }; MAX_CPUS];

/// The calling CPU's state.
pub(super) fn this_cpu() -> &'static CpuSched {
    &CPUS[cpu_index()]
}

pub(super) fn cpu(index: usize) -> &'static CpuSched {
    &CPUS[index]
}

/// The online CPUs, by number.
pub(super) fn online() -> impl Iterator<Item = usize> {
    let mask = online_mask();
    (0..MAX_CPUS).filter(move |c| mask & (1 << c) != 0)
}

/// The CPUs `task` may run on now (never none: a mask naming only CPUs
/// that are not online falls back to every CPU).
pub(super) fn allowed(task: &Task) -> u64 {
    let mask = task.affinity() & online_mask();
    if mask == 0 {
        online_mask()
    } else {
        mask
    }
}

/// Where a task that becomes runnable goes: the CPU it last ran on if that
/// is idle, else an idle CPU it may run on (this one first), else its
/// last CPU, else the least loaded it may use.
pub(super) fn select_cpu(task: &Task) -> usize {
    let allowed = allowed(task);
    let prev = task.cpu();
    let may = |c: usize| allowed & (1 << c) != 0;
    if may(prev) && cpu(prev).is_idle() {
        return prev;
    }
    let me = cpu_index();
    let idle = core::iter::once(me).chain(online()).find(|&c| may(c) && cpu(c).is_idle());
    if let Some(c) = idle {
        return c;
    }
    if may(prev) {
        return prev;
    }
    online().filter(|&c| may(c)).min_by_key(|&c| cpu(c).load()).unwrap_or(me)
}

/// Asks CPU `index` to reschedule: at once if it is this one (at the next
/// return to user mode), else through an interrupt.
pub(super) fn resched_cpu(index: usize) {
    cpu(index).need_resched.store(true, Ordering::Release);
    if index != cpu_index() {
        kick_cpu(index);
    }
}

/// Interrupts CPU `index`, which then passes through its return-to-user
/// work (reschedule, signals) or leaves its idle sleep.
pub(super) fn kick_cpu(index: usize) {
    if let Some(apic_id) = machine::arch::percpu::apic_id_of(index) {
        machine::arch::apic::send_ipi(apic_id, machine::arch::traps::RESCHEDULE_VECTOR as u8);
    }
}

/// A locked run queue.
type QueueGuard = machine::sync::IrqSafeGuard<'static, RunQueue<Arc<Task>>>;

/// Locks two run queues in CPU number order; `a` != `b`.
fn lock_pair(a: usize, b: usize) -> (QueueGuard, QueueGuard) {
    if a < b {
        let ga = cpu(a).rq.lock();
        (ga, cpu(b).rq.lock())
    } else {
        let gb = cpu(b).rq.lock();
        (cpu(a).rq.lock(), gb)
    }
}

/// Moves one task that may run here from the busiest other CPU's queue to
/// this CPU's, when that CPU has `margin` more runnable tasks than this
/// one. True when a task moved.
pub(super) fn pull_task(margin: usize) -> bool {
    // Interrupts stay off throughout: the two guards may be dropped in
    // either order, and each restores what it found when taken.
    crate::arch::cpu::without_interrupts(|| pull_task_locked(margin))
}

fn pull_task_locked(margin: usize) -> bool {
    let me = cpu_index();
    let mine = cpu(me).load();
    let Some(busiest) = online().filter(|&c| c != me).max_by_key(|&c| cpu(c).load()) else { return false };
    if cpu(busiest).load() < mine + margin || cpu(busiest).queued.load(Ordering::Relaxed) == 0 {
        return false;
    }
    let (mut src, mut dst) = lock_pair(busiest, me);
    // A task still leaving its CPU (just queued again there) stays.
    let Some(task) = src.remove_last(|t| t.affinity() & (1 << me) != 0 && !t.context.is_on_cpu()) else {
        return false;
    };
    cpu(busiest).queued.fetch_sub(1, Ordering::Relaxed);
    task.cpu.store(me, Ordering::Relaxed);
    let (src_min, dst_min) = (src.min_vruntime(), dst.min_vruntime());
    drop(src);
    super::enqueue_migrated(&mut dst, task, src_min, dst_min);
    cpu(me).queued.fetch_add(1, Ordering::Relaxed);
    true
}
