//! A directory's entries. Each entry gets a cookie, a number that only
//! grows, when it is inserted; getdents64 lists entries in cookie order and
//! hands the cookies out as d_off, so a reader that removes entries between
//! two getdents64 calls (rm -r) neither skips nor repeats any, and lseek to
//! a d_off resumes there. Cookies 0 and 1 are `.` and `..`.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::inode::Inode;

/// The cookie of the first real entry.
pub const FIRST_COOKIE: u64 = 2;

struct Entry {
    inode: Arc<Inode>,
    cookie: u64,
}

pub struct Dir {
    entries: BTreeMap<Vec<u8>, Entry>,
    by_cookie: BTreeMap<u64, Vec<u8>>,
    next_cookie: u64,
    /// What `..` names; None for the root, whose `..` is itself. A strong
    /// reference, like Linux's d_parent, so `..` of a removed directory
    /// still leads somewhere; no cycle, since an entry is dropped from its
    /// parent before it can outlive it.
    parent: Option<Arc<Inode>>,
}

impl Dir {
    pub fn new(parent: Option<Arc<Inode>>) -> Dir {
        Dir { entries: BTreeMap::new(), by_cookie: BTreeMap::new(), next_cookie: FIRST_COOKIE, parent }
    }

    pub fn get(&self, name: &[u8]) -> Option<Arc<Inode>> {
        self.entries.get(name).map(|e| e.inode.clone())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn parent(&self) -> Option<Arc<Inode>> {
        self.parent.clone()
    }

    pub fn set_parent(&mut self, parent: Option<Arc<Inode>>) {
        self.parent = parent;
    }

    /// Adds an entry (replacing one of the same name).
    pub fn insert(&mut self, name: &[u8], inode: Arc<Inode>) {
        let cookie = self.next_cookie;
        self.next_cookie += 1;
        if let Some(old) = self.entries.insert(name.to_vec(), Entry { inode, cookie }) {
            self.by_cookie.remove(&old.cookie);
        }
        self.by_cookie.insert(cookie, name.to_vec());
    }

    pub fn remove(&mut self, name: &[u8]) -> Option<Arc<Inode>> {
        let entry = self.entries.remove(name)?;
        self.by_cookie.remove(&entry.cookie);
        Some(entry.inode)
    }

    /// Removes every entry, returning the inodes (a filesystem's teardown).
    pub fn take_all(&mut self) -> Vec<Arc<Inode>> {
        self.by_cookie.clear();
        core::mem::take(&mut self.entries).into_values().map(|e| e.inode).collect()
    }

    /// The entries whose cookie is at least `cookie`, in cookie order.
    pub fn entries_from(&self, cookie: u64) -> impl Iterator<Item = (u64, &[u8], &Arc<Inode>)> {
        self.by_cookie.range(cookie..).map(move |(&c, name)| (c, name.as_slice(), &self.entries[name].inode))
    }

    /// The name under which this directory holds `inode` (getcwd).
    pub fn name_of(&self, inode: &Arc<Inode>) -> Option<Vec<u8>> {
        self.entries.iter().find(|(_, e)| Arc::ptr_eq(&e.inode, inode)).map(|(n, _)| n.clone())
    }
}
