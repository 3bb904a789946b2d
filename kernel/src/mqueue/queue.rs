//! One message queue: its messages by priority (highest first, in
//! arrival order within one), its size limits, its mq_notify
//! registration, and one wait queue where blocked senders and receivers
//! (and pollers) wait for a change.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

use abi::Errno;
use spin::Mutex;

use super::charge::Charge;
use super::notify::{Notification, Registration};
use crate::sched::timer::wait_with_deadline;
use crate::sched::wait::WaitQueue;
use crate::time::{realtime_ns, uptime_ns};

/// Queues that exist, named or not yet closed (checked against queues_max).
static LIVE_QUEUES: AtomicUsize = AtomicUsize::new(0);

pub fn live_queues() -> usize {
    LIVE_QUEUES.load(Ordering::Relaxed)
}

/// How long a send or receive may wait.
#[derive(Clone, Copy)]
pub struct Wait {
    /// O_NONBLOCK: EAGAIN instead of waiting.
    pub nonblock: bool,
    /// An absolute CLOCK_REALTIME deadline in ns (ETIMEDOUT after it).
    pub deadline: Option<i64>,
}

impl Wait {
    /// The deadline as uptime ns, as the scheduler's sleepers keep it.
    fn uptime_deadline(&self) -> Option<u64> {
        let offset = realtime_ns() - uptime_ns() as i64;
        self.deadline.map(|d| d.saturating_sub(offset).max(0) as u64)
    }
}

#[derive(Default)]
struct State {
    messages: BTreeMap<u32, VecDeque<Vec<u8>>>,
    count: usize,
    /// Bytes of all queued messages (QSIZE).
    bytes: usize,
    /// Receivers asleep for a message: a message then goes to one of
    /// them, and does not notify.
    receivers_waiting: usize,
    notify: Option<Registration>,
    /// Sends and receives so far (edge-triggered epoll).
    events: u64,
}

impl State {
    /// Queues a message; returns the registration to notify when it is
    /// the first in an empty queue and nobody waits to receive it.
    fn push(&mut self, message: Vec<u8>, priority: u32) -> Option<Registration> {
        self.bytes += message.len();
        self.count += 1;
        self.events += 1;
        self.messages.entry(priority).or_default().push_back(message);
        if self.count == 1 && self.receivers_waiting == 0 {
            self.notify.take()
        } else {
            None
        }
    }

    /// The oldest message of the highest priority.
    fn pop(&mut self) -> Option<(Vec<u8>, u32)> {
        let mut highest = self.messages.last_entry()?;
        let priority = *highest.key();
        let message = highest.get_mut().pop_front()?;
        if highest.get().is_empty() {
            highest.remove();
        }
        self.count -= 1;
        self.bytes -= message.len();
        self.events += 1;
        Some((message, priority))
    }
}

pub struct Queue {
    pub max_messages: usize,
    pub message_size: usize,
    /// The creator's RLIMIT_MSGQUEUE charge, given back with the queue.
    _charge: Charge,
    state: Mutex<State>,
    wait: WaitQueue,
}

impl Queue {
    pub fn new(max_messages: usize, message_size: usize, charge: Charge) -> Queue {
        LIVE_QUEUES.fetch_add(1, Ordering::Relaxed);
        let state = Mutex::new(State::default());
        Queue { max_messages, message_size, _charge: charge, state, wait: WaitQueue::new() }
    }

    /// Queues `message`, waiting for room as `how` allows.
    pub fn send(&self, message: Vec<u8>, priority: u32, how: Wait) -> Result<(), Errno> {
        let mut message = Some(message);
        let sent = wait_with_deadline(&self.wait, how.uptime_deadline(), || {
            let mut s = self.state.lock();
            if s.count < self.max_messages {
                return message.take().map(|m| Ok(s.push(m, priority)));
            }
            how.nonblock.then_some(Err(Errno::EAGAIN))
        })?;
        let to_notify = sent.ok_or(Errno::ETIMEDOUT)??;
        self.wait.wake_all();
        if let Some(registration) = to_notify {
            registration.fire();
        }
        Ok(())
    }

    /// Takes the next message and its priority, waiting for one as `how`
    /// allows.
    pub fn receive(&self, how: Wait) -> Result<(Vec<u8>, u32), Errno> {
        let take = || {
            let mut s = self.state.lock();
            match s.pop() {
                Some(m) => Some(Ok(m)),
                None => how.nonblock.then_some(Err(Errno::EAGAIN)),
            }
        };
        let received = if how.nonblock {
            take()
        } else {
            self.state.lock().receivers_waiting += 1;
            let r = wait_with_deadline(&self.wait, how.uptime_deadline(), take);
            self.state.lock().receivers_waiting -= 1;
            r?
        };
        let message = received.ok_or(Errno::ETIMEDOUT)??;
        self.wait.wake_all();
        Ok(message)
    }

    pub fn current_messages(&self) -> usize {
        self.state.lock().count
    }

    /// (messages queued, their bytes, sends and receives so far).
    pub fn occupancy(&self) -> (usize, usize, u64) {
        let s = self.state.lock();
        (s.count, s.bytes, s.events)
    }

    /// Runs `f` on the mq_notify registration.
    pub fn with_registration<T>(&self, f: impl FnOnce(&mut Option<Registration>) -> T) -> T {
        let mut s = self.state.lock();
        if s.notify.as_ref().is_some_and(|r| !r.owner_alive()) {
            s.notify = None;
        }
        f(&mut s.notify)
    }

    /// The registration as /proc-style text shows it.
    pub fn notification(&self) -> Option<Notification> {
        self.with_registration(|r| r.as_ref().map(Registration::describe))
    }

    pub fn wait_queue(&self) -> &WaitQueue {
        &self.wait
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        LIVE_QUEUES.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_priority_comes_first_and_each_in_arrival_order() {
        let mut s = State::default();
        for (text, priority) in [("a", 1), ("b", 5), ("c", 5), ("d", 0)] {
            assert!(s.push(text.into(), priority).is_none());
        }
        assert_eq!((s.count, s.bytes), (4, 4));
        let order: Vec<(Vec<u8>, u32)> = core::iter::from_fn(|| s.pop()).collect();
        let expected: Vec<(Vec<u8>, u32)> =
            [("b", 5), ("c", 5), ("a", 1), ("d", 0)].iter().map(|&(t, p)| (t.into(), p)).collect();
        assert_eq!(order, expected);
        assert_eq!((s.count, s.bytes, s.messages.len()), (0, 0, 0));
    }

    #[test]
    fn every_send_and_receive_is_an_event() {
        let mut s = State::default();
        s.push(Vec::new(), 0);
        s.pop();
        assert_eq!(s.events, 2);
        assert!(s.pop().is_none());
        assert_eq!(s.events, 2);
    }
}
