//! The RAM filesystem that holds the root unpacked from the initramfs:
//! inodes in memory, directories as sorted maps, file bytes in vectors.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::{Errno, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};
use spin::{Mutex, Once};

pub enum InodeData {
    Dir(BTreeMap<Vec<u8>, Arc<Inode>>),
    File(Vec<u8>),
    Symlink(Vec<u8>),
    /// Device nodes, FIFOs, sockets: metadata only (rdev).
    #[allow(dead_code)] // read by stat(2) once it exists
    Special(u64),
}

// The metadata is kept from the archive for stat(2) and the VFS; nothing
// reads it until those exist.
#[allow(dead_code)]
pub struct Inode {
    pub ino: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: i64,
    pub data: Mutex<InodeData>,
}

static NEXT_INO: AtomicU64 = AtomicU64::new(1);
static ROOT: Once<Arc<Inode>> = Once::new();

/// Linux's MAXSYMLINKS.
const MAX_SYMLINKS: usize = 40;

impl Inode {
    pub fn new(mode: u32, uid: u32, gid: u32, mtime: i64, data: InodeData) -> Arc<Inode> {
        let ino = NEXT_INO.fetch_add(1, Ordering::Relaxed);
        Arc::new(Inode { ino, mode, uid, gid, mtime, data: Mutex::new(data) })
    }

    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    pub fn is_regular(&self) -> bool {
        self.mode & S_IFMT == S_IFREG
    }

    pub fn is_symlink(&self) -> bool {
        self.mode & S_IFMT == S_IFLNK
    }

    pub fn child(&self, name: &[u8]) -> Result<Arc<Inode>, Errno> {
        match &*self.data.lock() {
            InodeData::Dir(entries) => entries.get(name).cloned().ok_or(Errno::ENOENT),
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// Adds or replaces a directory entry.
    pub fn insert(&self, name: &[u8], inode: Arc<Inode>) -> Result<(), Errno> {
        match &mut *self.data.lock() {
            InodeData::Dir(entries) => {
                entries.insert(name.to_vec(), inode);
                Ok(())
            }
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// A copy of a regular file's bytes.
    pub fn read_all(&self) -> Result<Vec<u8>, Errno> {
        match &*self.data.lock() {
            InodeData::File(bytes) => Ok(bytes.clone()),
            InodeData::Dir(_) => Err(Errno::EISDIR),
            _ => Err(Errno::EACCES),
        }
    }

    fn symlink_target(&self) -> Option<Vec<u8>> {
        match &*self.data.lock() {
            InodeData::Symlink(t) => Some(t.clone()),
            _ => None,
        }
    }
}

pub fn root() -> Arc<Inode> {
    ROOT.call_once(|| Inode::new(S_IFDIR | 0o755, 0, 0, 0, InodeData::Dir(BTreeMap::new()))).clone()
}

/// Resolves an absolute path, following symlinks (also in the last
/// component when `follow` is set).
pub fn lookup(path: &[u8], follow: bool) -> Result<Arc<Inode>, Errno> {
    let mut budget = MAX_SYMLINKS;
    walk(root(), path, follow, &mut budget)
}

fn walk(start: Arc<Inode>, path: &[u8], follow: bool, budget: &mut usize) -> Result<Arc<Inode>, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let mut dir = if path[0] == b'/' { root() } else { start };
    let parts: Vec<&[u8]> = path.split(|&b| b == b'/').filter(|p| !p.is_empty() && *p != b".").collect();
    let mut stack: Vec<Arc<Inode>> = Vec::new();
    for (i, name) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if !dir.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if *name == b".." {
            dir = stack.pop().unwrap_or_else(root);
            continue;
        }
        let mut next = dir.child(name)?;
        if next.is_symlink() && (!last || follow) {
            if *budget == 0 {
                return Err(Errno::ELOOP);
            }
            *budget -= 1;
            let target = next.symlink_target().unwrap_or_default();
            next = walk(dir.clone(), &target, true, budget)?;
        }
        stack.push(dir);
        dir = next;
    }
    Ok(dir)
}

/// Splits "/a/b/c" into ("/a/b", "c").
pub fn split_parent(path: &[u8]) -> (&[u8], &[u8]) {
    let trimmed = path.strip_suffix(b"/").unwrap_or(path);
    match trimmed.iter().rposition(|&b| b == b'/') {
        Some(0) => (b"/", &trimmed[1..]),
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => (b"/", trimmed),
    }
}
