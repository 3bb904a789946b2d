//! Wait queues: a task sleeps on one until a condition holds; whoever
//! changes the condition wakes the queue. The sleeper marks itself asleep
//! and joins the queue before it checks the condition, so no wakeup is
//! lost to a waker on another CPU or in an interrupt.

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

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
    /// Told of every wake (epoll's entries on the queue's file).
    watchers: Mutex<Vec<Weak<dyn Watcher>>>,
}

/// Something told when a queue is woken, without sleeping on it: an
/// epoll entry marking its file as worth a look.
pub trait Watcher: Send + Sync {
    /// Called from wake_all, possibly with interrupts off: it must not
    /// sleep, and takes its own locks with interrupts masked.
    fn woken(&self);
}

/// Where poll, select and epoll_wait sleep. A file's readiness changes
/// only along with a wake of one of its queues, so every wake of any
/// queue also wakes this one while someone is polling.
pub static POLL_QUEUE: WaitQueue = WaitQueue::new();
/// Tasks sleeping on `POLL_QUEUE` or about to: when none, waking a queue
/// costs nothing more.
static POLLERS: AtomicUsize = AtomicUsize::new(0);

/// Marks the caller as polling while it lives (see `POLL_QUEUE`).
pub struct Polling(());

impl Polling {
    pub fn start() -> Polling {
        POLLERS.fetch_add(1, Ordering::SeqCst);
        Polling(())
    }
}

impl Drop for Polling {
    fn drop(&mut self) {
        POLLERS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Wakes the pollers: for a readiness change that wakes no queue of its
/// own (a signal queued for a signalfd).
pub fn wake_pollers() {
    if POLLERS.load(Ordering::SeqCst) > 0 {
        POLL_QUEUE.wake_sleepers();
    }
}

impl WaitQueue {
    pub const fn new() -> WaitQueue {
        WaitQueue { sleepers: Mutex::new(Vec::new()), watchers: Mutex::new(Vec::new()) }
    }

    /// Adds a watcher, told of each wake until it is dropped.
    pub fn watch(&self, watcher: Weak<dyn Watcher>) {
        without_interrupts(|| {
            let mut w = self.watchers.lock();
            w.retain(|x| x.strong_count() > 0);
            w.push(watcher);
        });
    }

    /// Sleeps until `condition` returns Some, and returns its value;
    /// signals do not end the sleep (uninterruptible: "D" in /proc).
    pub fn wait_until<T>(&self, mut condition: impl FnMut() -> Option<T>) -> T {
        let me = super::current();
        loop {
            self.prepare(&me, TaskState::DiskSleep);
            if let Some(v) = condition() {
                self.finish(&me);
                return v;
            }
            super::schedule();
            self.finish(&me);
        }
    }

    /// Sleeps until `condition` returns Some, or until a signal the task
    /// does not block arrives (ERESTARTSYS: the caller's system call is
    /// restarted or fails with EINTR, as the signal's disposition decides).
    pub fn wait_interruptible<T>(&self, mut condition: impl FnMut() -> Option<T>) -> Result<T, Errno> {
        let me = super::current();
        loop {
            self.prepare(&me, TaskState::Sleeping);
            if let Some(v) = condition() {
                self.finish(&me);
                return Ok(v);
            }
            if signal_pending(&me) {
                self.finish(&me);
                return Err(Errno::ERESTARTSYS);
            }
            super::schedule();
            // Woken by a signal or a timer, maybe not by this queue.
            self.finish(&me);
        }
    }

    /// The sleeper's first step: asleep and on the queue *before* it looks
    /// at its condition, so a waker on any CPU that changes the condition
    /// after the look finds it there and wakes it.
    fn prepare(&self, me: &Arc<Task>, state: TaskState) {
        me.set_state(state);
        without_interrupts(|| self.sleepers.lock().push(me.clone()));
    }

    /// The sleeper's last step: runnable, and off the queue.
    fn finish(&self, me: &Arc<Task>) {
        without_interrupts(|| self.sleepers.lock().retain(|t| !Arc::ptr_eq(t, me)));
        me.set_state(TaskState::Runnable);
    }

    /// Makes every sleeper runnable again, and the pollers, who may be
    /// watching a file this queue belongs to.
    pub fn wake_all(&self) {
        self.wake_sleepers();
        self.tell_watchers();
        if !core::ptr::eq(self, &POLL_QUEUE) {
            wake_pollers();
        }
    }

    fn tell_watchers(&self) {
        let watchers: Vec<Arc<dyn Watcher>> = without_interrupts(|| {
            let w = self.watchers.lock();
            if w.is_empty() {
                return Vec::new();
            }
            w.iter().filter_map(Weak::upgrade).collect()
        });
        for w in watchers {
            w.woken();
        }
    }

    fn wake_sleepers(&self) {
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
