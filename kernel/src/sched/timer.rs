//! Sleeping until a moment, and the real-time interval timers. The timer
//! interrupt only counts; expiries are handled on the way back to user mode
//! and in the idle loop, where taking locks and allocating is safe.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};

use abi::Errno;
use spin::Mutex;

use super::task::Task;
use super::wait::WaitQueue;
use crate::arch::cpu::without_interrupts;
use crate::time::uptime_ns;

/// Sleepers by deadline (the second key keeps equal deadlines apart); an
/// expired entry wakes its task, which then finds its deadline passed.
static SLEEPERS: Mutex<BTreeMap<(u64, u64), Weak<Task>>> = Mutex::new(BTreeMap::new());
/// A queue nobody wakes: sleepers on it wait for their deadline or a signal.
static SLEEP_QUEUE: WaitQueue = WaitQueue::new();
/// Tasks with an armed ITIMER_REAL.
static REAL_TIMERS: Mutex<BTreeMap<u32, Weak<Task>>> = Mutex::new(BTreeMap::new());
static NEXT_KEY: Mutex<u64> = Mutex::new(0);

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
            key
        })
    });
    let result = queue.wait_interruptible(|| match condition() {
        Some(v) => Some(Some(v)),
        None if deadline.is_some_and(|d| uptime_ns() >= d) => Some(None),
        None => None,
    });
    if let Some(key) = key {
        without_interrupts(|| SLEEPERS.lock().remove(&key));
    }
    result
}

/// Sleeps until `deadline` (ns of uptime); ERESTARTSYS if a signal came first.
pub fn sleep_until(deadline: u64) -> Result<(), Errno> {
    wait_with_deadline(&SLEEP_QUEUE, Some(deadline), || None::<()>).map(|_| ())
}

pub fn arm_real_timer(task: &Arc<Task>) {
    without_interrupts(|| REAL_TIMERS.lock().insert(task.pid, Arc::downgrade(task)));
}

/// Wakes sleepers whose deadline passed and fires expired ITIMER_REAL timers.
pub fn run_expired() {
    crate::proc::exit::reap_dead_threads();
    let now = uptime_ns();
    super::stats::update_load(now);
    let due: alloc::vec::Vec<Weak<Task>> =
        without_interrupts(|| SLEEPERS.lock().range(..(now + 1, 0)).map(|(_, t)| t.clone()).collect());
    for task in due.iter().filter_map(Weak::upgrade) {
        super::wake(task);
    }
    let armed: alloc::vec::Vec<Weak<Task>> = without_interrupts(|| REAL_TIMERS.lock().values().cloned().collect());
    for weak in armed {
        let Some(task) = weak.upgrade() else { continue };
        let fire = {
            let mut t = task.real_timer.lock();
            if t.0 != 0 && t.0 <= now {
                t.0 = if t.1 != 0 { now + t.1 } else { 0 };
                true
            } else {
                false
            }
        };
        let disarmed = task.real_timer.lock().0 == 0;
        if disarmed {
            without_interrupts(|| REAL_TIMERS.lock().remove(&task.pid));
        }
        if fire {
            let info = abi::Siginfo::new(abi::signal::SIGALRM, abi::signal::SI_KERNEL);
            crate::proc::signal::send_signal(&task, abi::signal::SIGALRM, info);
        }
    }
}
