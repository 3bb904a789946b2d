//! The pipe pages each user holds (Linux's per-user pipe_bufs), against
//! /proc/sys/fs/pipe-user-pages-soft and pipe-user-pages-hard. Past the
//! soft limit an unprivileged user's new pipes get two pages; past the
//! hard one (0: none) no pipe more, nor a bigger one. The privileged
//! (CAP_SYS_RESOURCE or CAP_SYS_ADMIN, which root holds) are counted but
//! not limited.

use alloc::collections::BTreeMap;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::Errno;
use spin::Mutex;

use crate::sched::current;

/// Linux's defaults: 16384 pages soft, no hard limit.
static SOFT: AtomicU64 = AtomicU64::new(16384);
static HARD: AtomicU64 = AtomicU64::new(0);
/// Pages held, by real user id.
static HELD: Mutex<BTreeMap<u32, u64>> = Mutex::new(BTreeMap::new());

/// A pipe that must shrink to this many pages past the soft limit.
const MIN_PAGES: u64 = 2;

pub fn soft_limit() -> u64 {
    SOFT.load(Ordering::Relaxed)
}

pub fn hard_limit() -> u64 {
    HARD.load(Ordering::Relaxed)
}

/// Sets either limit (pages; negative is EINVAL).
pub fn set_limit(hard: bool, pages: i64) -> Result<(), Errno> {
    let pages = u64::try_from(pages).map_err(|_| Errno::EINVAL)?;
    if hard { &HARD } else { &SOFT }.store(pages, Ordering::Relaxed);
    Ok(())
}

fn over(held: u64, limit: u64) -> bool {
    limit != 0 && held > limit
}

/// The pages one pipe has charged to its creator.
pub struct Account {
    uid: u32,
    pages: u64,
}

impl Account {
    /// Charges `pages` for a new pipe of the caller: the pages it may have
    /// (fewer past the soft limit), or ENFILE past the hard one.
    pub fn open(pages: u64) -> Result<(Account, u64), Errno> {
        let (uid, privileged) = caller();
        let mut held = HELD.lock();
        let mine = held.entry(uid).or_insert(0);
        let mut pages = pages;
        if !privileged && over(*mine + pages, soft_limit()) {
            pages = MIN_PAGES;
        }
        if !privileged && over(*mine + pages, hard_limit()) {
            return Err(Errno::ENFILE);
        }
        *mine += pages;
        Ok((Account { uid, pages }, pages))
    }

    /// F_SETPIPE_SZ's charge: growing past either limit is EPERM for the
    /// unprivileged.
    pub fn resize(&mut self, pages: u64) -> Result<(), Errno> {
        let (_, privileged) = caller();
        let mut held = HELD.lock();
        let mine = held.entry(self.uid).or_insert(0);
        let after = *mine - self.pages + pages;
        if pages > self.pages && !privileged && (over(after, hard_limit()) || over(after, soft_limit())) {
            return Err(Errno::EPERM);
        }
        *mine = after;
        self.pages = pages;
        Ok(())
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        let mut held = HELD.lock();
        if let Some(mine) = held.get_mut(&self.uid) {
            *mine -= self.pages;
            if *mine == 0 {
                held.remove(&self.uid);
            }
        }
    }
}

fn caller() -> (u32, bool) {
    let cred = current().cred.lock().clone();
    (cred.uid, cred.capable(abi::capability::CAP_SYS_RESOURCE) || cred.capable(abi::capability::CAP_SYS_ADMIN))
}
