//! Sleeping until a moment. The timer interrupt only counts; expired
//! sleeps are woken on the way back to user mode and in the idle loop,
//! where taking locks and allocating is safe.

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

/// Wakes the sleepers whose deadline passed, and samples the load.
pub fn run_expired() {
    let now = uptime_ns();
    super::stats::update_load(now);
    let due: alloc::vec::Vec<Weak<Task>> =
        without_interrupts(|| SLEEPERS.lock().range(..(now + 1, 0)).map(|(_, t)| t.clone()).collect());
    for task in due.iter().filter_map(Weak::upgrade) {
        super::wake(task);
    }
}
