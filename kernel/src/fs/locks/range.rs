//! The byte-range arithmetic of record locks (POSIX and OFD locks), kept
//! apart from the kernel's state so the host tests can check it.
//!
//! One owner's locks on a file never overlap: a new lock replaces the
//! owner's locks under it (splitting a lock it cuts through), and merges
//! with the owner's locks of the same type that it overlaps or touches,
//! as Linux's posix_lock_inode does. Different owners' locks conflict
//! when they overlap and one of them is a write lock.

use alloc::vec::Vec;

/// The last byte a lock may reach: a lock "to EOF" ends here.
pub const OFFSET_MAX: u64 = i64::MAX as u64;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LockKind {
    Read,
    Write,
}

impl LockKind {
    /// Two locks of different owners conflict unless both are read locks.
    pub fn conflicts_with(self, other: LockKind) -> bool {
        self == LockKind::Write || other == LockKind::Write
    }
}

/// Who holds a record lock: a process (POSIX locks) or an open file
/// description (OFD locks, flock locks), named by its address.
#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord)]
pub enum Owner {
    Process(u32),
    File(usize),
}

/// One lock on the bytes `start..=end` of a file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RecordLock {
    pub owner: Owner,
    pub kind: LockKind,
    pub start: u64,
    pub end: u64,
    /// The process that set it, for F_GETLK and /proc/locks.
    pub pid: u32,
}

impl RecordLock {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start <= end && start <= self.end
    }

    /// Overlaps `start..=end` or touches it on either side.
    fn overlaps_or_touches(&self, start: u64, end: u64) -> bool {
        self.start <= end.saturating_add(1) && start.saturating_sub(1) <= self.end
    }
}

/// What a process asks for: a lock of `kind` (None: unlock) on
/// `start..=end`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Request {
    pub owner: Owner,
    pub kind: Option<LockKind>,
    pub start: u64,
    pub end: u64,
    pub pid: u32,
}

/// The record locks on one file.
#[derive(Default)]
pub struct RecordLocks {
    locks: Vec<RecordLock>,
}

impl RecordLocks {
    pub fn is_empty(&self) -> bool {
        self.locks.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &RecordLock> {
        self.locks.iter()
    }

    /// The first lock of another owner that stands in the way of a
    /// `kind` lock on `start..=end` (F_GETLK's answer).
    pub fn conflict(&self, owner: Owner, kind: LockKind, start: u64, end: u64) -> Option<RecordLock> {
        self.locks.iter().find(|l| l.owner != owner && l.overlaps(start, end) && l.kind.conflicts_with(kind)).copied()
    }

    /// Applies `req`, or gives back the lock in its way (nothing is
    /// changed then). An unlock never meets a conflict.
    pub fn apply(&mut self, req: &Request) -> Result<(), RecordLock> {
        if let Some(kind) = req.kind {
            if let Some(lock) = self.conflict(req.owner, kind, req.start, req.end) {
                return Err(lock);
            }
        }
        let (mut start, mut end) = (req.start, req.end);
        let mut kept = Vec::with_capacity(self.locks.len() + 2);
        for lock in self.locks.drain(..) {
            if lock.owner != req.owner || !lock.overlaps_or_touches(start, end) {
                kept.push(lock);
            } else if Some(lock.kind) == req.kind {
                // Same type: the new lock swallows it (merge).
                start = start.min(lock.start);
                end = end.max(lock.end);
            } else if !lock.overlaps(req.start, req.end) {
                // Only touching, of another type: untouched.
                kept.push(lock);
            } else {
                // Cut through: what lies outside the request stays.
                if lock.start < req.start {
                    kept.push(RecordLock { end: req.start - 1, ..lock });
                }
                if lock.end > req.end {
                    kept.push(RecordLock { start: req.end + 1, ..lock });
                }
            }
        }
        if let Some(kind) = req.kind {
            // Each owner's locks stay together, in order of start, a new
            // owner's after the others' (Linux's list, which F_GETLK walks).
            let new = RecordLock { owner: req.owner, kind, start, end, pid: req.pid };
            let at = kept
                .iter()
                .position(|l| l.owner == req.owner && l.start > start)
                .or_else(|| kept.iter().rposition(|l| l.owner == req.owner).map(|i| i + 1))
                .unwrap_or(kept.len());
            kept.insert(at, new);
        }
        self.locks = kept;
        Ok(())
    }

    /// Drops every lock of `owner`; true if there was one.
    pub fn remove_owner(&mut self, owner: Owner) -> bool {
        let before = self.locks.len();
        self.locks.retain(|l| l.owner != owner);
        self.locks.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Owner = Owner::Process(10);
    const B: Owner = Owner::Process(20);

    fn req(owner: Owner, kind: Option<LockKind>, start: u64, end: u64) -> Request {
        Request { owner, kind, start, end, pid: 1 }
    }

    fn ranges(locks: &RecordLocks, owner: Owner) -> Vec<(LockKind, u64, u64)> {
        let mut v: Vec<_> = locks.iter().filter(|l| l.owner == owner).map(|l| (l.kind, l.start, l.end)).collect();
        v.sort_by_key(|r| r.1);
        v
    }

    #[test]
    fn the_lowest_lock_of_an_owner_in_the_way_is_reported() {
        let mut l = RecordLocks::default();
        l.apply(&req(A, Some(LockKind::Write), 10, 14)).unwrap();
        l.apply(&req(A, Some(LockKind::Read), 1, 5)).unwrap();
        let first = l.conflict(B, LockKind::Write, 0, OFFSET_MAX).unwrap();
        assert_eq!((first.kind, first.start), (LockKind::Read, 1));
    }

    #[test]
    fn unlocking_the_middle_splits_a_lock() {
        let mut l = RecordLocks::default();
        l.apply(&req(A, Some(LockKind::Write), 0, 99)).unwrap();
        l.apply(&req(A, None, 10, 19)).unwrap();
        assert_eq!(ranges(&l, A), [(LockKind::Write, 0, 9), (LockKind::Write, 20, 99)]);
    }

    #[test]
    fn locks_of_one_type_merge_when_they_touch() {
        let mut l = RecordLocks::default();
        l.apply(&req(A, Some(LockKind::Read), 0, 9)).unwrap();
        l.apply(&req(A, Some(LockKind::Read), 20, 29)).unwrap();
        l.apply(&req(A, Some(LockKind::Read), 10, 19)).unwrap();
        assert_eq!(ranges(&l, A), [(LockKind::Read, 0, 29)]);
    }

    #[test]
    fn another_type_in_the_middle_cuts_a_lock_in_three() {
        let mut l = RecordLocks::default();
        l.apply(&req(A, Some(LockKind::Read), 0, OFFSET_MAX)).unwrap();
        l.apply(&req(A, Some(LockKind::Write), 100, 199)).unwrap();
        let expect = [(LockKind::Read, 0, 99), (LockKind::Write, 100, 199), (LockKind::Read, 200, OFFSET_MAX)];
        assert_eq!(ranges(&l, A), expect);
    }

    #[test]
    fn a_touching_lock_of_another_type_stays_whole() {
        let mut l = RecordLocks::default();
        l.apply(&req(A, Some(LockKind::Write), 0, 9)).unwrap();
        l.apply(&req(A, Some(LockKind::Read), 10, 19)).unwrap();
        assert_eq!(ranges(&l, A), [(LockKind::Write, 0, 9), (LockKind::Read, 10, 19)]);
    }

    #[test]
    fn other_owners_conflict_only_with_a_writer_in_the_overlap() {
        let mut l = RecordLocks::default();
        l.apply(&req(A, Some(LockKind::Write), 10, 19)).unwrap();
        l.apply(&req(A, Some(LockKind::Read), 30, 39)).unwrap();
        assert!(l.apply(&req(B, Some(LockKind::Read), 15, 15)).is_err());
        assert!(l.apply(&req(B, Some(LockKind::Write), 0, 9)).is_ok());
        assert!(l.apply(&req(B, Some(LockKind::Read), 30, 39)).is_ok());
        let err = l.apply(&req(B, Some(LockKind::Write), 35, 50)).unwrap_err();
        assert_eq!((err.owner, err.start, err.end), (A, 30, 39));
        // The failed request changed nothing.
        assert_eq!(ranges(&l, B), [(LockKind::Write, 0, 9), (LockKind::Read, 30, 39)]);
    }

    #[test]
    fn an_owner_never_conflicts_with_itself() {
        let mut l = RecordLocks::default();
        l.apply(&req(A, Some(LockKind::Write), 0, 9)).unwrap();
        assert_eq!(l.conflict(A, LockKind::Write, 0, 9), None);
        assert!(l.apply(&req(A, Some(LockKind::Read), 5, 5)).is_ok());
        assert_eq!(ranges(&l, A), [(LockKind::Write, 0, 4), (LockKind::Read, 5, 5), (LockKind::Write, 6, 9)]);
    }

    #[test]
    fn unlocking_everything_and_removing_an_owner() {
        let mut l = RecordLocks::default();
        l.apply(&req(A, Some(LockKind::Write), 5, OFFSET_MAX)).unwrap();
        l.apply(&req(B, Some(LockKind::Read), 0, 4)).unwrap();
        l.apply(&req(A, None, 0, OFFSET_MAX)).unwrap();
        assert!(ranges(&l, A).is_empty());
        assert!(l.remove_owner(B));
        assert!(!l.remove_owner(B));
        assert!(l.is_empty());
    }

    #[test]
    fn a_lock_ending_at_offset_max_merges_without_overflow() {
        let mut l = RecordLocks::default();
        l.apply(&req(A, Some(LockKind::Read), OFFSET_MAX, OFFSET_MAX)).unwrap();
        l.apply(&req(A, Some(LockKind::Read), 0, OFFSET_MAX - 1)).unwrap();
        assert_eq!(ranges(&l, A), [(LockKind::Read, 0, OFFSET_MAX)]);
    }
}
