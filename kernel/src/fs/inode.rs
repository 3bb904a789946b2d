//! Inodes: a file's metadata (mode, owners, link count, times, device
//! number) and its contents (directory entries, file pages or a symlink's
//! target, or a node whose entries, bytes and target its filesystem makes
//! when asked: `NodeOperations`), behind one lock per inode. The path walk and `..` ask the
//! inode (`lookup`, `parent_dir`, `name_of`), which answers for either.
//!
//! Lock order: the namespace lock (ramfs.rs) before any inode lock; never
//! two inode locks at once, so operations that touch a directory and an
//! entry's inode take them one after the other. The task's credentials
//! lock may be taken under an inode lock (it is a leaf).

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use abi::{Errno, Stat, Timespec, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG};
use spin::{Mutex, MutexGuard};

use super::dir::Dir;
use super::filedata::FileData;
use super::node_ops::NodeOperations;
use super::super_block::SuperBlock;
use super::write_access::WriteAccess;

pub enum Content {
    Dir(Dir),
    File(FileData),
    Symlink(Vec<u8>),
    /// Devices, FIFOs and sockets: everything is in the metadata (rdev).
    Special,
    /// A file, directory or symlink whose filesystem makes what it holds
    /// when it is read, listed or followed (procfs).
    Node(Arc<dyn NodeOperations>),
}

pub struct Inner {
    /// Type and permission bits; the type never changes.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub rdev: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    /// Creation time, for statx's STATX_BTIME.
    pub btime: Timespec,
    pub content: Content,
    /// Extended attributes a RAM filesystem keeps (tmpfs), by name.
    pub xattrs: BTreeMap<Vec<u8>, Vec<u8>>,
}

pub struct Inode {
    pub ino: u64,
    /// The filesystem the inode belongs to: its device, limits and flags.
    pub sb: Arc<SuperBlock>,
    /// The S_IFMT bits, kept outside the lock for the path walk's checks.
    kind: u32,
    /// Mounts whose mountpoint this is (Linux's DCACHE_MOUNTED), so the
    /// walk looks in the mount table only at mountpoints.
    mounted: AtomicUsize,
    /// An O_TMPFILE file not yet linked that linkat may give a name
    /// (Linux's I_LINKABLE); O_EXCL opens it without.
    pub linkable: AtomicBool,
    /// Writers against running programs (ETXTBSY).
    pub write_access: WriteAccess,
    inner: Mutex<Inner>,
}

static NEXT_INO: AtomicU64 = AtomicU64::new(1);

/// tmpfs's BOGO_DIRENT_SIZE: a directory's st_size counts this per entry,
/// `.` and `..` included, so `ls -l` shows what it shows on Linux.
const BOGO_DIRENT_SIZE: u64 = 20;
/// relatime refreshes an atime that is this old even when not behind mtime.
const RELATIME_SECS: i64 = 24 * 60 * 60;

/// When a read updates the access time: the mount's atime options
/// (noatime, nodiratime, relatime, strictatime) and O_NOATIME decide.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Atime {
    Never,
    Relative,
    Always,
}

pub fn now() -> Timespec {
    crate::time::realtime()
}

impl Inode {
    /// A new inode of `sb`, linked nowhere yet: a directory counts its
    /// own `.`, other files have no link until one is made. Not held to
    /// the filesystem's inode limit (roots): see `try_new`.
    pub fn new(sb: &Arc<SuperBlock>, mode: u32, uid: u32, gid: u32, rdev: u64, content: Content) -> Arc<Inode> {
        sb.reserve_inode_unchecked();
        let nlink = u32::from(mode & S_IFMT == S_IFDIR);
        Self::with_nlink(sb, mode, uid, gid, rdev, content, nlink)
    }

    /// A new inode within the filesystem's inode limit (ENOSPC past it).
    pub fn try_new(
        sb: &Arc<SuperBlock>,
        mode: u32,
        uid: u32,
        gid: u32,
        rdev: u64,
        content: Content,
    ) -> Result<Arc<Inode>, Errno> {
        sb.reserve_inode()?;
        let nlink = u32::from(mode & S_IFMT == S_IFDIR);
        Ok(Self::with_nlink(sb, mode, uid, gid, rdev, content, nlink))
    }

    /// An inode that no directory holds (pipes): one link, as Linux's
    /// pipefs inodes report.
    pub fn new_anonymous(mode: u32) -> Arc<Inode> {
        let cred = super::perm::current_cred();
        let sb = super::mount::pipe_mount().sb.clone();
        sb.reserve_inode_unchecked();
        Self::with_nlink(&sb, mode, cred.uid, cred.gid, 0, Content::Special, 1)
    }

    /// An inode whose contents `node` makes; its number is chosen by the
    /// filesystem, so that the same file keeps it (and readdir can report
    /// it) while it exists.
    pub fn new_node(
        sb: &Arc<SuperBlock>,
        ino: u64,
        mode: u32,
        uid: u32,
        gid: u32,
        node: Arc<dyn NodeOperations>,
    ) -> Arc<Inode> {
        sb.reserve_inode_unchecked();
        let nlink = if mode & S_IFMT == S_IFDIR { 2 } else { 1 };
        Self::with_ino(sb, ino, mode, uid, gid, 0, Content::Node(node), nlink)
    }

    fn with_nlink(
        sb: &Arc<SuperBlock>,
        mode: u32,
        uid: u32,
        gid: u32,
        rdev: u64,
        content: Content,
        nlink: u32,
    ) -> Arc<Inode> {
        let ino = NEXT_INO.fetch_add(1, Ordering::Relaxed);
        Self::with_ino(sb, ino, mode, uid, gid, rdev, content, nlink)
    }

    #[allow(clippy::too_many_arguments)]
    fn with_ino(
        sb: &Arc<SuperBlock>,
        ino: u64,
        mode: u32,
        uid: u32,
        gid: u32,
        rdev: u64,
        content: Content,
        nlink: u32,
    ) -> Arc<Inode> {
        let inner = Inner::fresh(mode, uid, gid, nlink, rdev, content);
        Arc::new(Inode {
            ino,
            sb: sb.clone(),
            kind: mode & S_IFMT,
            mounted: AtomicUsize::new(0),
            linkable: AtomicBool::new(false),
            write_access: WriteAccess::default(),
            inner: Mutex::new(inner),
        })
    }

    /// An inode whose number and metadata are given: a disk filesystem's
    /// (kestrel/), numbered as on the disk.
    pub fn with_inner(sb: &Arc<SuperBlock>, ino: u64, inner: Inner) -> Arc<Inode> {
        sb.reserve_inode_unchecked();
        Arc::new(Inode {
            ino,
            sb: sb.clone(),
            kind: inner.mode & S_IFMT,
            mounted: AtomicUsize::new(0),
            linkable: AtomicBool::new(false),
            write_access: WriteAccess::default(),
            inner: Mutex::new(inner),
        })
    }

    /// True while something is mounted on this inode.
    pub fn is_mountpoint(&self) -> bool {
        self.mounted.load(Ordering::Relaxed) != 0
    }

    /// A mount on this inode comes (+1) or goes (-1).
    pub fn mounted_on(&self, delta: isize) {
        if delta > 0 {
            self.mounted.fetch_add(1, Ordering::Relaxed);
        } else {
            self.mounted.fetch_sub(1, Ordering::Relaxed);
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock()
    }

    /// The lock if it is free now (reclaim, which may run under any lock).
    pub fn try_lock(&self) -> Option<MutexGuard<'_, Inner>> {
        self.inner.try_lock()
    }

    pub fn kind(&self) -> u32 {
        self.kind
    }

    pub fn is_dir(&self) -> bool {
        self.kind == S_IFDIR
    }

    pub fn is_regular(&self) -> bool {
        self.kind == S_IFREG
    }

    pub fn is_symlink(&self) -> bool {
        self.kind == S_IFLNK
    }

    pub fn is_fifo(&self) -> bool {
        self.kind == S_IFIFO
    }

    /// A symlink's target (made now for a node's links).
    pub fn symlink_target(&self) -> Option<Vec<u8>> {
        self.read_link().ok()
    }

    /// readlink(2)'s answer: the target, EINVAL for what is no symlink,
    /// and a node's errors (ENOENT for a zombie's exe, EACCES...).
    pub fn read_link(&self) -> Result<Vec<u8>, Errno> {
        let node = match &self.lock().content {
            Content::Symlink(t) => return Ok(t.clone()),
            Content::Node(node) if self.is_symlink() => node.clone(),
            _ => return Err(Errno::EINVAL),
        };
        node.read_link()
    }

    /// The operations of a node inode, if it is one.
    pub fn node_ops(&self) -> Option<Arc<dyn NodeOperations>> {
        match &self.lock().content {
            Content::Node(node) => Some(node.clone()),
            _ => None,
        }
    }

    /// Looks `name` up in this directory: its entry, or the node of that
    /// name (made now). ENOTDIR for other files.
    pub fn lookup(self: &Arc<Self>, name: &[u8]) -> Result<Option<Arc<Inode>>, Errno> {
        let node = match &self.lock().content {
            Content::Dir(d) => return Ok(d.get(name)),
            Content::Node(node) if self.is_dir() => node.clone(),
            _ => return Err(Errno::ENOTDIR),
        };
        node.lookup(self, name)
    }

    /// The directory `..` leads to within the filesystem: a filesystem's
    /// root (and anything not a directory) leads to itself.
    pub fn parent_dir(self: &Arc<Self>) -> Arc<Inode> {
        let parent = match &self.lock().content {
            Content::Dir(d) => d.parent(),
            Content::Node(node) => node.parent(),
            _ => None,
        };
        parent.unwrap_or_else(|| self.clone())
    }

    /// The name under which this directory holds `child` (getcwd, /proc).
    pub fn name_of(&self, child: &Arc<Inode>) -> Option<Vec<u8>> {
        if let Content::Dir(d) = &self.lock().content {
            return d.name_of(child);
        }
        let node = child.node_ops()?;
        let parent = node.parent()?;
        core::ptr::eq(Arc::as_ptr(&parent), self).then(|| node.name().to_vec())
    }

    /// A copy of a regular file's first `limit` bytes at most, or of all
    /// of them (for execve). A file too large to copy is ENOMEM, not a
    /// failed allocation: a sparse file can be far larger than memory.
    pub fn read_all(&self, limit: Option<usize>) -> Result<Vec<u8>, Errno> {
        let mut inner = self.lock();
        match &mut inner.content {
            Content::File(data) => {
                let size = usize::try_from(data.size()).map_err(|_| Errno::ENOMEM)?;
                let len = limit.map_or(size, |l| l.min(size));
                let mut bytes = Vec::new();
                bytes.try_reserve_exact(len).map_err(|_| Errno::ENOMEM)?;
                bytes.resize(len, 0);
                data.read(0, &mut bytes)?;
                Ok(bytes)
            }
            Content::Dir(_) => Err(Errno::EISDIR),
            _ => Err(Errno::EACCES),
        }
    }

    pub fn stat(&self) -> Stat {
        let i = self.lock();
        let (size, blocks) = match &i.content {
            Content::File(data) => (data.size(), data.blocks()),
            Content::Dir(dir) => (BOGO_DIRENT_SIZE * (dir.len() as u64 + 2), 0),
            Content::Symlink(target) => (target.len() as u64, 0),
            Content::Node(node) => (node.size(), 0),
            Content::Special => (0, 0),
        };
        let [atime, mtime, ctime] = [i.atime, i.mtime, i.ctime].map(|t| self.sb.round_time(t));
        Stat {
            st_dev: self.sb.dev,
            st_ino: self.ino,
            st_nlink: u64::from(i.nlink),
            st_mode: i.mode,
            st_uid: i.uid,
            st_gid: i.gid,
            st_rdev: i.rdev,
            st_size: size as i64,
            st_blksize: 4096,
            st_blocks: blocks as i64,
            st_atime: atime.tv_sec,
            st_atime_nsec: atime.tv_nsec,
            st_mtime: mtime.tv_sec,
            st_mtime_nsec: mtime.tv_nsec,
            st_ctime: ctime.tv_sec,
            st_ctime_nsec: ctime.tv_nsec,
            ..Stat::default()
        }
    }
}

impl Drop for Inode {
    fn drop(&mut self) {
        self.sb.release_inode();
        self.sb.ops().forget(self.ino);
    }
}

impl Inner {
    /// A new inode's metadata: every time now, no extended attributes.
    pub fn fresh(mode: u32, uid: u32, gid: u32, nlink: u32, rdev: u64, content: Content) -> Inner {
        let t = now();
        Inner { mode, uid, gid, nlink, rdev, atime: t, mtime: t, ctime: t, btime: t, content, xattrs: BTreeMap::new() }
    }

    /// Metadata changed (chmod, chown, link count): ctime.
    pub fn changed(&mut self) {
        self.ctime = now();
    }

    /// Contents changed (write, truncate, directory entries): mtime and ctime.
    pub fn modified(&mut self) {
        let t = now();
        self.mtime = t;
        self.ctime = t;
    }

    /// Contents read: atime, as `when` says. Under Linux's default
    /// `relatime` rule only when it is behind mtime or ctime, or a day old.
    pub fn accessed(&mut self, when: Atime) {
        let t = now();
        let stale =
            self.atime <= self.mtime || self.atime <= self.ctime || t.tv_sec - self.atime.tv_sec >= RELATIME_SECS;
        if when == Atime::Always || (when == Atime::Relative && stale) {
            self.atime = t;
        }
    }

    /// A directory's entries. Node directories have none to change:
    /// creating or removing there is EPERM, as Linux's missing
    /// mkdir/unlink/rmdir operations answer.
    pub fn dir(&self) -> Result<&Dir, Errno> {
        match &self.content {
            Content::Dir(d) => Ok(d),
            Content::Node(_) if self.mode & S_IFMT == S_IFDIR => Err(Errno::EPERM),
            _ => Err(Errno::ENOTDIR),
        }
    }

    pub fn dir_mut(&mut self) -> Result<&mut Dir, Errno> {
        match &mut self.content {
            Content::Dir(d) => Ok(d),
            Content::Node(_) if self.mode & S_IFMT == S_IFDIR => Err(Errno::EPERM),
            _ => Err(Errno::ENOTDIR),
        }
    }

    pub fn file(&self) -> Result<&FileData, Errno> {
        match &self.content {
            Content::File(f) => Ok(f),
            Content::Dir(_) => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    pub fn file_mut(&mut self) -> Result<&mut FileData, Errno> {
        match &mut self.content {
            Content::File(f) => Ok(f),
            Content::Dir(_) => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }
}
