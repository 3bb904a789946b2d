//! System-wide scheduler statistics, as /proc/stat, /proc/loadavg and
//! sysinfo report them: CPU time by state, context switches, processes
//! created, and Linux's exponentially damped load averages.

use core::sync::atomic::{AtomicU64, Ordering};

use machine::arch::percpu::{cpu_index, MAX_CPUS};

use super::task::{Task, TaskState};

/// One CPU's counters: ticks spent in user mode (of tasks at nice 0 or
/// below, and of niced ones), in the kernel, and idle; interrupts by
/// source (the local timer, reschedule requests, the ISA IRQs).
struct CpuStats {
    user: AtomicU64,
    nice: AtomicU64,
    system: AtomicU64,
    idle: AtomicU64,
    timer_interrupts: AtomicU64,
    reschedule_interrupts: AtomicU64,
    irq_interrupts: [AtomicU64; IRQS],
}

static CPU_STATS: [CpuStats; MAX_CPUS] = [const {
    CpuStats {
        user: AtomicU64::new(0),
        nice: AtomicU64::new(0),
        system: AtomicU64::new(0),
        idle: AtomicU64::new(0),
        timer_interrupts: AtomicU64::new(0),
        reschedule_interrupts: AtomicU64::new(0),
        irq_interrupts: [const { AtomicU64::new(0) }; IRQS],
    }
}; MAX_CPUS];

fn this_cpu() -> &'static CpuStats {
    &CPU_STATS[cpu_index()]
}

static CONTEXT_SWITCHES: AtomicU64 = AtomicU64::new(0);
static FORKS: AtomicU64 = AtomicU64::new(0);

/// Load averages in Linux's fixed point (FSHIFT = 11), and when they were
/// last updated (every LOAD_FREQ, 5 s).
static LOADS: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];
static NEXT_LOAD_UPDATE_NS: AtomicU64 = AtomicU64::new(5_000_000_000);

pub const FSHIFT: u32 = 11;
const FIXED_1: u64 = 1 << FSHIFT;
/// 1/exp(5s/1min), 1/exp(5s/5min), 1/exp(5s/15min) in fixed point.
const EXP: [u64; 3] = [1884, 2014, 2037];
const LOAD_FREQ_NS: u64 = 5_000_000_000;

/// The timer interrupt's share: `ticks` to the CPU state it found, and
/// to the running thread's own user or system time.
pub fn tick(task: &Task, from_user: bool, ticks: u64) {
    let c = this_cpu();
    let counter = if task.is_idle.load(Ordering::Relaxed) {
        &c.idle
    } else if from_user {
        task.utime.fetch_add(ticks, Ordering::Relaxed);
        if task.entity.lock().params.nice > 0 {
            &c.nice
        } else {
            &c.user
        }
    } else {
        task.stime.fetch_add(ticks, Ordering::Relaxed);
        &c.system
    };
    counter.fetch_add(ticks, Ordering::Relaxed);
}

/// Idle time the ticks did not see (the CPU slept without them).
pub fn add_idle_ns(ns: u64) {
    this_cpu().idle.fetch_add(ns / (crate::time::NSEC_PER_SEC / crate::time::HZ), Ordering::Relaxed);
}

pub fn count_timer_interrupt() {
    this_cpu().timer_interrupts.fetch_add(1, Ordering::Relaxed);
}

pub fn count_reschedule_interrupt() {
    this_cpu().reschedule_interrupts.fetch_add(1, Ordering::Relaxed);
}

/// The device interrupt lines counted: the I/O APIC's 24 inputs (ISA
/// IRQs 0-15 and PCI's 16-23).
pub const IRQS: usize = 24;

pub fn count_irq(irq: usize) {
    if let Some(counter) = this_cpu().irq_interrupts.get(irq) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// CPU `cpu`'s interrupts: local timer, reschedule requests, and each
/// device interrupt line's count.
pub struct InterruptCounts {
    pub timer: u64,
    pub reschedule: u64,
    pub irq: [u64; IRQS],
}

pub fn interrupt_counts(cpu: usize) -> InterruptCounts {
    let c = &CPU_STATS[cpu];
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    InterruptCounts {
        timer: load(&c.timer_interrupts),
        reschedule: load(&c.reschedule_interrupts),
        irq: core::array::from_fn(|i| load(&c.irq_interrupts[i])),
    }
}

/// Tasks in uninterruptible sleep now.
static UNINTERRUPTIBLE: AtomicU64 = AtomicU64::new(0);

/// A task went from state `old` to `new`: keeps the count of
/// uninterruptible sleepers.
pub fn state_changed(old: TaskState, new: TaskState) {
    match (old == TaskState::DiskSleep, new == TaskState::DiskSleep) {
        (false, true) => UNINTERRUPTIBLE.fetch_add(1, Ordering::Relaxed),
        (true, false) => UNINTERRUPTIBLE.fetch_sub(1, Ordering::Relaxed),
        _ => 0,
    };
}

pub fn uninterruptible_count() -> usize {
    UNINTERRUPTIBLE.load(Ordering::Relaxed) as usize
}

pub fn context_switched() {
    CONTEXT_SWITCHES.fetch_add(1, Ordering::Relaxed);
}

pub fn forked() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// CPU time by state since boot, in ticks (/proc/stat's first columns).
pub struct CpuTicks {
    pub user: u64,
    /// User time of tasks with a positive nice.
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
}

/// CPU `cpu`'s time by state.
pub fn cpu_ticks_of(cpu: usize) -> CpuTicks {
    let c = &CPU_STATS[cpu];
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    CpuTicks { user: load(&c.user), nice: load(&c.nice), system: load(&c.system), idle: load(&c.idle) }
}

/// The online CPUs' time by state, summed.
pub fn cpu_ticks() -> CpuTicks {
    let mut sum = CpuTicks { user: 0, nice: 0, system: 0, idle: 0 };
    for t in online_cpus().map(cpu_ticks_of) {
        sum.user += t.user;
        sum.nice += t.nice;
        sum.system += t.system;
        sum.idle += t.idle;
    }
    sum
}

/// The online CPUs' numbers.
pub fn online_cpus() -> impl Iterator<Item = usize> {
    super::cpu::online()
}

pub fn context_switches() -> u64 {
    CONTEXT_SWITCHES.load(Ordering::Relaxed)
}

pub fn forks() -> u64 {
    FORKS.load(Ordering::Relaxed)
}

/// The 1, 5 and 15 minute load averages in fixed point (FSHIFT bits).
pub fn loads() -> [u64; 3] {
    [LOADS[0].load(Ordering::Relaxed), LOADS[1].load(Ordering::Relaxed), LOADS[2].load(Ordering::Relaxed)]
}

/// Every 5 s: load = load * e + active * (1 - e), with `active` the
/// runnable tasks and the uninterruptible sleepers, as Linux counts.
pub fn update_load(now_ns: u64) {
    let due = NEXT_LOAD_UPDATE_NS.load(Ordering::Relaxed);
    // One CPU takes each update (every CPU calls this).
    if now_ns < due
        || NEXT_LOAD_UPDATE_NS.compare_exchange(due, due + LOAD_FREQ_NS, Ordering::AcqRel, Ordering::Relaxed).is_err()
    {
        return;
    }
    let active = (super::runnable_count() + uninterruptible_count()) as u64 * FIXED_1;
    for (load, exp) in LOADS.iter().zip(EXP) {
        let old = load.load(Ordering::Relaxed);
        let mut new = old * exp + active * (FIXED_1 - exp);
        // Round up while rising, as Linux's calc_load.
        if active >= old {
            new += FIXED_1 - 1;
        }
        load.store(new / FIXED_1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uninterruptible_sleepers_are_counted_until_they_wake() {
        let before = uninterruptible_count();
        state_changed(TaskState::Runnable, TaskState::DiskSleep);
        state_changed(TaskState::DiskSleep, TaskState::DiskSleep);
        assert_eq!(uninterruptible_count(), before + 1);
        state_changed(TaskState::Runnable, TaskState::Sleeping);
        assert_eq!(uninterruptible_count(), before + 1);
        state_changed(TaskState::DiskSleep, TaskState::Runnable);
        assert_eq!(uninterruptible_count(), before);
    }
}
