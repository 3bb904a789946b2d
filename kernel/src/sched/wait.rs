//! Wait queues: a task sleeps on one until a condition holds; whoever
//! changes the condition wakes the queue. One CPU: checking the condition
//! with interrupts off and sleeping in the same step loses no wakeup.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::Errno;
use spin::{Mutex, Once};

use super::task::{Task, TaskState};
use crate::arch::cpu::without_interrupts;

/// Whether a task has a signal that interrupts its sleep: the signal
/// layer's answer, registered at boot (none before: nothing interrupts).
static SIGNAL_PENDING: Once<fn(&Task) -> bool> = Once::new();

pub fn set_signal_pending_check(check: fn(&Task) -> bool) {
    SIGNAL_PENDING.call_once(|| check);
}

fn signal_pending(task: &Task) -> bool {
    SIGNAL_PENDING.get().is_some_and(|check| check(task))
}

pub struct WaitQueue {
    sleepers: Mutex<Vec<Arc<Task>>>,
}

impl WaitQueue {
    pub const fn new() -> WaitQueue {
        WaitQueue { sleepers: Mutex::new(Vec::new()) }
    }

    /// Sleeps until `condition` returns Some, and returns its value;
    /// signals do not end the sleep (uninterruptible: "D" in /proc).
    pub fn wait_until<T>(&self, mut condition: impl FnMut() -> Option<T>) -> T {
        loop {
            let ready = without_interrupts(|| {
                if let Some(v) = condition() {
                    return Some(v);
                }
                let me = super::current();
                me.set_state(TaskState::DiskSleep);
                self.sleepers.lock().push(me);
                super::schedule();
                None
            });
            if let Some(v) = ready {
                return v;
            }
        }
    }

    /// Sleeps until `condition` returns Some, or until a signal the task
    /// does not block arrives (ERESTARTSYS: the caller's system call is
    /// restarted or fails with EINTR, as the signal's disposition decides).
    pub fn wait_interruptible<T>(&self, mut condition: impl FnMut() -> Option<T>) -> Result<T, Errno> {
        loop {
            let outcome = without_interrupts(|| {
                if let Some(v) = condition() {
                    return Some(Ok(v));
                }
                let me = super::current();
                if signal_pending(&me) {
                    return Some(Err(Errno::ERESTARTSYS));
                }
                me.set_state(TaskState::Sleeping);
                self.sleepers.lock().push(me.clone());
                super::schedule();
                // Woken by a signal or a timer, maybe not by this queue.
                self.sleepers.lock().retain(|t| !Arc::ptr_eq(t, &me));
                None
            });
            if let Some(result) = outcome {
                return result;
            }
        }
    }

    /// Makes every sleeper runnable again.
    pub fn wake_all(&self) {
        let sleepers: Vec<Arc<Task>> = without_interrupts(|| core::mem::take(&mut *self.sleepers.lock()));
        for task in sleepers {
            super::wake(task);
        }
    }
}

impl Default for WaitQueue {
    fn default() -> Self {
        Self::new()
    }
}
