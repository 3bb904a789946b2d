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

/// Sleepers by deadline (the second key keeps equal deadlines apart).
static SLEEPERS: Mutex<BTreeMap<(u64, u64), ()>> = Mutex::new(BTreeMap::new());
static SLEEP_QUEUE: WaitQueue = WaitQueue::new();
/// Tasks with an armed ITIMER_REAL.
static REAL_TIMERS: Mutex<BTreeMap<u32, Weak<Task>>> = Mutex::new(BTreeMap::new());
static NEXT_KEY: Mutex<u64> = Mutex::new(0);

/// Sleeps until `deadline` (ns of uptime); ERESTARTSYS if a signal came first.
pub fn sleep_until(deadline: u64) -> Result<(), Errno> {
    let key = without_interrupts(|| {
        let mut k = NEXT_KEY.lock();
        *k += 1;
        let key = (deadline, *k);
        SLEEPERS.lock().insert(key, ());
        key
    });
    let result = SLEEP_QUEUE.wait_interruptible(|| (uptime_ns() >= deadline).then_some(()));
    without_interrupts(|| SLEEPERS.lock().remove(&key));
    result
}

pub fn arm_real_timer(task: &Arc<Task>) {
    without_interrupts(|| REAL_TIMERS.lock().insert(task.pid, Arc::downgrade(task)));
}

/// Wakes sleepers whose deadline passed and fires expired ITIMER_REAL timers.
pub fn run_expired() {
    let now = uptime_ns();
    let due = without_interrupts(|| SLEEPERS.lock().keys().next().is_some_and(|&(d, _)| d <= now));
    if due {
        SLEEP_QUEUE.wake_all();
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
