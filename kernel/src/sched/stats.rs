//! System-wide scheduler statistics, as /proc/stat, /proc/loadavg and
//! sysinfo report them: CPU time by state, context switches, processes
//! created, and Linux's exponentially damped load averages.

use core::sync::atomic::{AtomicU64, Ordering};

use super::task::{Task, TaskState};

/// Ticks the CPU spent in user mode (of tasks at nice 0 or below, and of
/// niced ones), in the kernel, and idle.
static USER_TICKS: AtomicU64 = AtomicU64::new(0);
static NICE_TICKS: AtomicU64 = AtomicU64::new(0);
static SYSTEM_TICKS: AtomicU64 = AtomicU64::new(0);
static IDLE_TICKS: AtomicU64 = AtomicU64::new(0);
static CONTEXT_SWITCHES: AtomicU64 = AtomicU64::new(0);
/// Interrupts by source: the local timer, and the ISA IRQs (/proc/interrupts).
static TIMER_INTERRUPTS: AtomicU64 = AtomicU64::new(0);
static ISA_INTERRUPTS: [AtomicU64; 16] = [const { AtomicU64::new(0) }; 16];
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
    let counter = if task.is_idle.load(Ordering::Relaxed) {
        &IDLE_TICKS
    } else if from_user {
        task.utime.fetch_add(ticks, Ordering::Relaxed);
        if task.entity.lock().params.nice > 0 {
            &NICE_TICKS
        } else {
            &USER_TICKS
        }
    } else {
        task.stime.fetch_add(ticks, Ordering::Relaxed);
        &SYSTEM_TICKS
    };
    counter.fetch_add(ticks, Ordering::Relaxed);
}

/// Idle time the ticks did not see (the CPU slept without them).
pub fn add_idle_ns(ns: u64) {
    IDLE_TICKS.fetch_add(ns / (crate::time::NSEC_PER_SEC / crate::time::HZ), Ordering::Relaxed);
}

pub fn count_timer_interrupt() {
    TIMER_INTERRUPTS.fetch_add(1, Ordering::Relaxed);
}

pub fn count_isa_interrupt(irq: usize) {
    if let Some(counter) = ISA_INTERRUPTS.get(irq) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Local timer interrupts, and each ISA IRQ's count.
pub fn interrupt_counts() -> (u64, [u64; 16]) {
    (TIMER_INTERRUPTS.load(Ordering::Relaxed), core::array::from_fn(|i| ISA_INTERRUPTS[i].load(Ordering::Relaxed)))
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

pub fn cpu_ticks() -> CpuTicks {
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    CpuTicks { user: load(&USER_TICKS), nice: load(&NICE_TICKS), system: load(&SYSTEM_TICKS), idle: load(&IDLE_TICKS) }
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
    if now_ns < due {
        return;
    }
    NEXT_LOAD_UPDATE_NS.store(due + LOAD_FREQ_NS, Ordering::Relaxed);
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
