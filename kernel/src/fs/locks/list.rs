//! /proc/locks: every lock in Linux's format, each followed by the
//! requests waiting for it ("N: -> ..." lines, N its own number).
//! A waiter is listed under the first lock in its way; Linux may list it
//! under another waiter instead (its requests form a tree), which this
//! table does not keep.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::range::{LockKind, Owner, RecordLock, OFFSET_MAX};
use super::{FileKey, FileLocks, FlockLock, Wanted, TABLE};

/// One line of /proc/locks.
struct Listed {
    id: usize,
    waiting: bool,
    key: FileKey,
    class: &'static str,
    kind: LockKind,
    /// The locker's pid; None for OFD locks (shown as -1).
    pid: Option<u32>,
    start: u64,
    end: u64,
}

/// The bytes of /proc/locks. The pid is the process that set the lock,
/// even if it has exited since (a flock lock outlives its setter when the
/// open file is shared), as Linux shows it in the initial pid namespace.
pub fn proc_locks() -> Vec<u8> {
    let mut out = String::new();
    for l in snapshot() {
        let file = format!("{:02x}:{:02x}:{}", abi::major(l.key.dev), abi::minor(l.key.dev), l.key.ino);
        let pid = l.pid.map_or(-1, i64::from);
        let end = if l.end == OFFSET_MAX { "EOF".into() } else { format!("{}", l.end) };
        let kind = match l.kind {
            LockKind::Read => "READ",
            LockKind::Write => "WRITE",
        };
        let arrow = if l.waiting { "-> " } else { "" };
        out += &format!("{}: {arrow}{} ADVISORY  {kind} {pid} {file} {} {end}\n", l.id, l.class, l.start);
    }
    out.into_bytes()
}

/// Every lock and waiter, copied out so the table is not held while the
/// text is made.
fn snapshot() -> Vec<Listed> {
    let table = TABLE.lock();
    let mut all = Vec::new();
    let mut id = 0;
    for (&key, locks) in &table.files {
        for held in &locks.flocks {
            id += 1;
            all.push(flock_line(id, false, key, held));
            for w in table.waiters.iter().filter(|w| w.key == key) {
                if let Wanted::Flock(want) = &w.wants {
                    if flock_blocker(locks, want).is_some_and(|b| b.file == held.file) {
                        all.push(flock_line(id, true, key, want));
                    }
                }
            }
        }
        for held in locks.records.iter() {
            id += 1;
            all.push(record_line(id, false, key, held));
            for w in table.waiters.iter().filter(|w| w.key == key) {
                let Wanted::Record(r) = &w.wants else { continue };
                let blocker = r.kind.and_then(|kind| locks.records.conflict(r.owner, kind, r.start, r.end));
                if blocker.as_ref() == Some(held) {
                    let want = RecordLock {
                        owner: r.owner,
                        kind: r.kind.unwrap_or(LockKind::Read),
                        start: r.start,
                        end: r.end,
                        pid: r.pid,
                    };
                    all.push(record_line(id, true, key, &want));
                }
            }
        }
    }
    all
}

/// The first flock lock of another open file in the way of `want`.
fn flock_blocker<'a>(locks: &'a FileLocks, want: &FlockLock) -> Option<&'a FlockLock> {
    locks.flocks.iter().find(|l| l.file != want.file && l.kind.conflicts_with(want.kind))
}

fn flock_line(id: usize, waiting: bool, key: FileKey, l: &FlockLock) -> Listed {
    Listed { id, waiting, key, class: "FLOCK ", kind: l.kind, pid: Some(l.pid), start: 0, end: OFFSET_MAX }
}

fn record_line(id: usize, waiting: bool, key: FileKey, l: &RecordLock) -> Listed {
    let (class, pid) = match l.owner {
        Owner::Process(_) => ("POSIX ", Some(l.pid)),
        Owner::File(_) => ("OFDLCK", None),
    };
    Listed { id, waiting, key, class, kind: l.kind, pid, start: l.start, end: l.end }
}
