//! The run queue of a CPU: real-time tasks by priority (first in, first
//! out within one), then fair tasks by virtual runtime. Pure bookkeeping
//! over any kind of item; the scheduler (mod.rs) decides what to queue
//! where and when to preempt.

use alloc::collections::BTreeMap;

pub struct RunQueue<T> {
    /// Keyed by (99 - priority, order): the highest priority first, and
    /// within one, queued order (a negative order puts an item first).
    rt: BTreeMap<(u32, i64), T>,
    /// Keyed by (virtual runtime, order), with each item's weight.
    fair: BTreeMap<(u64, i64), (T, u64)>,
    fair_weight: u64,
    /// Never decreases: where woken and new fair tasks are placed.
    min_vruntime: u64,
    order: i64,
}

impl<T> RunQueue<T> {
    pub const fn new() -> RunQueue<T> {
        RunQueue { rt: BTreeMap::new(), fair: BTreeMap::new(), fair_weight: 0, min_vruntime: 0, order: 0 }
    }

    fn next_order(&mut self) -> i64 {
        self.order += 1;
        self.order
    }

    /// Queues a real-time item of `priority` (1..99), behind the others of
    /// its priority, or before them (`first`: a preempted FIFO task).
    pub fn push_rt(&mut self, item: T, priority: u32, first: bool) {
        let order = self.next_order();
        let order = if first { -order } else { order };
        self.rt.insert((99 - priority.min(99), order), item);
    }

    /// Queues a fair item at `vruntime` with `weight`.
    pub fn push_fair(&mut self, item: T, vruntime: u64, weight: u64) {
        let order = self.next_order();
        self.fair.insert((vruntime, order), (item, weight));
        self.fair_weight += weight;
    }

    /// The highest real-time priority queued.
    pub fn top_rt_priority(&self) -> Option<u32> {
        self.rt.keys().next().map(|&(p, _)| 99 - p)
    }

    pub fn has_fair(&self) -> bool {
        !self.fair.is_empty()
    }

    /// The smallest virtual runtime queued.
    pub fn leftmost_vruntime(&self) -> Option<u64> {
        self.fair.keys().next().map(|&(v, _)| v)
    }

    /// The total weight of the queued fair items.
    pub fn fair_weight(&self) -> u64 {
        self.fair_weight
    }

    pub fn min_vruntime(&self) -> u64 {
        self.min_vruntime
    }

    /// Moves min_vruntime up to `vruntime` (the running task's) if the
    /// queue holds nothing further behind.
    pub fn advance_min_vruntime(&mut self, running: u64) {
        let candidate = self.leftmost_vruntime().map_or(running, |left| left.min(running));
        self.min_vruntime = self.min_vruntime.max(candidate);
    }

    /// Takes the first real-time item.
    pub fn pop_rt(&mut self) -> Option<T> {
        self.rt.pop_first().map(|(_, item)| item)
    }

    /// Takes the fair item with the smallest virtual runtime.
    pub fn pop_fair(&mut self) -> Option<(T, u64)> {
        let ((vruntime, _), (item, weight)) = self.fair.pop_first()?;
        self.fair_weight -= weight;
        self.min_vruntime = self.min_vruntime.max(vruntime);
        Some((item, vruntime))
    }

    /// Takes out the item `is` matches, wherever it is queued.
    pub fn remove(&mut self, is: impl Fn(&T) -> bool) -> Option<T> {
        if let Some(key) = self.rt.iter().find(|(_, item)| is(item)).map(|(&k, _)| k) {
            return self.rt.remove(&key);
        }
        let key = self.fair.iter().find(|(_, (item, _))| is(item)).map(|(&k, _)| k)?;
        let (item, weight) = self.fair.remove(&key)?;
        self.fair_weight -= weight;
        Some(item)
    }

    /// Takes out the last-placed item `is` matches: a fair one furthest
    /// behind, else the lowest real-time one (the best to move away).
    pub fn remove_last(&mut self, is: impl Fn(&T) -> bool) -> Option<T> {
        if let Some(key) = self.fair.iter().rev().find(|(_, (item, _))| is(item)).map(|(&k, _)| k) {
            let (item, weight) = self.fair.remove(&key)?;
            self.fair_weight -= weight;
            return Some(item);
        }
        let key = self.rt.iter().rev().find(|(_, item)| is(item)).map(|(&k, _)| k)?;
        self.rt.remove(&key)
    }

    pub fn len(&self) -> usize {
        self.rt.len() + self.fair.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Default for RunQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_time_goes_by_priority_then_order() {
        let mut q = RunQueue::new();
        q.push_rt("low", 10, false);
        q.push_rt("high-1", 50, false);
        q.push_rt("high-2", 50, false);
        q.push_rt("preempted", 50, true);
        assert_eq!(q.top_rt_priority(), Some(50));
        let order: alloc::vec::Vec<_> = core::iter::from_fn(|| q.pop_rt()).collect();
        assert_eq!(order, ["preempted", "high-1", "high-2", "low"]);
    }

    #[test]
    fn fair_items_come_out_by_virtual_runtime_and_weights_add_up() {
        let mut q = RunQueue::new();
        q.push_fair('b', 2000, 1024);
        q.push_fair('a', 1000, 110);
        q.push_fair('c', 2000, 1024);
        assert_eq!(q.fair_weight(), 2158);
        assert_eq!(q.leftmost_vruntime(), Some(1000));
        assert_eq!(q.pop_fair(), Some(('a', 1000)));
        assert_eq!(q.min_vruntime(), 1000);
        assert_eq!(q.pop_fair(), Some(('b', 2000)), "equal runtimes keep their order");
        assert_eq!(q.remove(|&c| c == 'c'), Some('c'));
        q.push_fair('d', 3000, 1024);
        q.push_fair('e', 4000, 1024);
        q.push_rt('r', 10, false);
        assert_eq!(q.remove_last(|&c| c != 'e'), Some('d'), "the furthest-behind fair item that matches");
        assert_eq!(q.remove_last(|&c| c == 'r'), Some('r'));
        assert_eq!(q.remove_last(|_| true), Some('e'));
        assert!(q.is_empty());
        assert_eq!(q.fair_weight(), 0);
    }

    #[test]
    fn min_vruntime_never_goes_back() {
        let mut q: RunQueue<u8> = RunQueue::new();
        q.advance_min_vruntime(5000);
        assert_eq!(q.min_vruntime(), 5000);
        q.advance_min_vruntime(100);
        assert_eq!(q.min_vruntime(), 5000);
        q.push_fair(1, 7000, 1024);
        q.advance_min_vruntime(9000);
        assert_eq!(q.min_vruntime(), 7000, "held back by the queued task");
    }
}
