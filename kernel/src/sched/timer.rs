//! Sleeping until a moment, and the local timer that makes it happen. The
//! timer is one-shot: it fires at the next tick (every 1 ms while tasks
//! run) or at the earliest sleeper's deadline, whichever comes first, so
//! a sleep ends within microseconds of its deadline, and an idle CPU
//! sleeps until its next deadline (tickless idle). Expired sleeps are
//! woken on the way back to user mode and in the idle loop, where taking
//! locks and allocating is safe.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use abi::Errno;
use spin::Mutex;

use super::task::Task;
use super::wait::WaitQueue;
use crate::arch::cpu::without_interrupts;
use crate::arch::percpu::MAX_CPUS;
use crate::time::uptime_ns;

/// Sleepers by deadline (the second key keeps equal deadlines apart); an
/// expired entry wakes its task, which then finds its deadline passed.
static SLEEPERS: Mutex<BTreeMap<(u64, u64), Weak<Task>>> = Mutex::new(BTreeMap::new());
/// The earliest sleeper's deadline (u64::MAX: none), kept with SLEEPERS
/// under its lock, so that a return to user mode sees without a lock
/// that nobody is due.
static EARLIEST: AtomicU64 = AtomicU64::new(u64::MAX);
/// A queue nobody wakes: sleepers on it wait for their deadline or a signal.
static SLEEP_QUEUE: WaitQueue = WaitQueue::new();
static NEXT_KEY: Mutex<u64> = Mutex::new(0);

/// Each CPU's local timer: when its next scheduler tick is due, when the
/// timer fires next (ns of uptime), and whether the idle CPU stopped the
/// tick (the next tick ends a tickless stretch, whose time the idle loop
/// accounts, not a late one).
struct LocalTimer {
    next_tick_ns: AtomicU64,
    programmed_ns: AtomicU64,
    tick_stopped: AtomicBool,
}

static LOCAL: [LocalTimer; MAX_CPUS] = [const {
    LocalTimer {
        next_tick_ns: AtomicU64::new(0),
        programmed_ns: AtomicU64::new(u64::MAX),
        tick_stopped: AtomicBool::new(false),
    }
}; MAX_CPUS];

fn local() -> &'static LocalTimer {
    &LOCAL[crate::arch::percpu::cpu_index()]
}
const TICK_NS: u64 = crate::time::NSEC_PER_SEC / crate::time::HZ;
/// The shortest delay the timer is programmed for.
const MIN_DELAY_NS: u64 = 10_000;

/// Programs the timer for the next tick (`ticking`: tasks run) or, on an
/// idle CPU, `idle_until`, or the earliest deadline if that comes first.
pub fn program_timer(ticking: bool, idle_until: u64) {
    let t = local();
    if !ticking {
        t.tick_stopped.store(true, Ordering::Relaxed);
    }
    let now = uptime_ns();
    let mut next = if ticking { t.next_tick_ns.load(Ordering::Relaxed) } else { idle_until };
    if let Some(deadline) = next_deadline() {
        next = next.min(deadline);
    }
    let next = next.max(now + MIN_DELAY_NS);
    t.programmed_ns.store(next, Ordering::Relaxed);
    crate::time::timer_in_ns(next - now);
}

/// The most ticks one late interrupt accounts (a hypervisor may run the
/// CPU in bursts; this bounds what one interrupt can claim).
const MAX_LATE_TICKS: u64 = 1000;

/// How many scheduler ticks a timer interrupt at `now` stands for: 0 for
/// a sleeper's deadline only, 1 on time or after a tickless stretch, and
/// more when the interrupt came late while the tick ran (the CPU was
/// busy, as under an emulator that ran another thread meanwhile). The
/// next tick is set 1 ms on.
pub fn tick_due(now: u64) -> u64 {
    let t = local();
    let due = t.next_tick_ns.load(Ordering::Relaxed);
    if now + MIN_DELAY_NS < due {
        return 0;
    }
    let stopped = t.tick_stopped.swap(false, Ordering::Relaxed);
    let late = now.saturating_sub(due) / TICK_NS;
    let next = if late > 0 { now + TICK_NS } else { due + TICK_NS };
    t.next_tick_ns.store(next, Ordering::Relaxed);
    if stopped {
        1
    } else {
        1 + late.min(MAX_LATE_TICKS)
    }
}

/// Sleeps on `queue` until `condition` holds (Ok(Some)), the deadline
/// (ns of uptime) passes (Ok(None)), or a signal arrives (ERESTARTSYS).
pub fn wait_with_deadline<T>(
    queue: &WaitQueue,
    deadline: Option<u64>,
    mut condition: impl FnMut() -> Option<T>,
) -> Result<Option<T>, Errno> {
    let key = deadline.map(|d| {
        let me = Arc::downgrade(&super::current());
        without_interrupts(|| {
            let mut k = NEXT_KEY.lock();
            *k += 1;
            let key = (d, *k);
            SLEEPERS.lock().insert(key, me);
            EARLIEST.fetch_min(d, Ordering::AcqRel);
            // A deadline before the timer's next firing brings it forward.
            if d < local().programmed_ns.load(Ordering::Relaxed) {
                program_timer(true, u64::MAX);
            }
            key
        })
    });
    let result = queue.wait_interruptible(|| match condition() {
        Some(v) => Some(Some(v)),
        None if deadline.is_some_and(|d| uptime_ns() >= d) => Some(None),
        None => None,
    });
    if let Some(key) = key {
        without_interrupts(|| {
            let mut sleepers = SLEEPERS.lock();
            sleepers.remove(&key);
            EARLIEST.store(sleepers.keys().next().map_or(u64::MAX, |&(d, _)| d), Ordering::Release);
        });
    }
    result
}

/// Sleeps until `deadline` (ns of uptime); ERESTARTSYS if a signal came first.
pub fn sleep_until(deadline: u64) -> Result<(), Errno> {
    wait_with_deadline(&SLEEP_QUEUE, Some(deadline), || None::<()>).map(|_| ())
}

/// The earliest sleeper's deadline.
pub fn next_deadline() -> Option<u64> {
    without_interrupts(|| SLEEPERS.lock().keys().next().map(|&(deadline, _)| deadline))
}

/// Wakes the sleepers whose deadline passed, and samples the load.
pub fn run_expired() {
    let now = uptime_ns();
    super::stats::update_load(now);
    if now < EARLIEST.load(Ordering::Acquire) {
        return;
    }
    let due: alloc::vec::Vec<Weak<Task>> =
        without_interrupts(|| SLEEPERS.lock().range(..(now + 1, 0)).map(|(_, t)| t.clone()).collect());
    for task in due.iter().filter_map(Weak::upgrade) {
        super::wake(task);
    }
}
