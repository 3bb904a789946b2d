//! Mounts and the mount table (Linux's vfsmount and mount namespace).
//!
//! A `Mount` shows a superblock's tree, or a subtree of it for a bind
//! mount, at a mountpoint: a directory (or, for a file bind mount, a file)
//! in a parent mount. A place in the file tree is therefore a `Path`, a
//! mount and an inode in it, as Linux's struct path: the walk crosses into
//! a mount at its mountpoint (`follow_mounts`) and out of it at its root
//! (`follow_dotdot`). The table lists the mounts in mount order, which is
//! the order /proc/mounts shows.
//!
//! A mount counts the paths that use it (working directories, open
//! files, mounts on top of it, walks in progress): umount2 is EBUSY while
//! anything but its own lookup does. It also counts the files open for
//! writing through it, which a remount read-only must not leave behind.
//!
//! Lock order: the namespace lock (ramfs.rs), then the table lock, then a
//! mount's parent lock, then inode locks; the id lock is a leaf.

use alloc::collections::BTreeSet;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::ops::Deref;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use abi::Errno;
use spin::{Mutex, Once};

use super::fs_type::FileSystemType;
use super::inode::{Atime, Inode};
use super::super_block::{alloc_lowest, SuperBlock};

// Per-mount flags (Linux's MNT_*).
pub const MNT_NOSUID: u32 = 0x01;
pub const MNT_NODEV: u32 = 0x02;
pub const MNT_NOEXEC: u32 = 0x04;
pub const MNT_NOATIME: u32 = 0x08;
pub const MNT_NODIRATIME: u32 = 0x10;
pub const MNT_RELATIME: u32 = 0x20;
pub const MNT_READONLY: u32 = 0x40;
pub const MNT_NOSYMFOLLOW: u32 = 0x80;
pub const MNT_ATIME_MASK: u32 = MNT_NOATIME | MNT_NODIRATIME | MNT_RELATIME;

pub struct Mount {
    /// Linux's mount id (/proc/self/mountinfo); 0 for internal mounts.
    pub id: u32,
    pub sb: Arc<SuperBlock>,
    /// The directory (or file) this mount shows as its root.
    pub root: Arc<Inode>,
    /// The mount's source string ("none" when mount(2) had none).
    pub source: Vec<u8>,
    flags: AtomicU32,
    unbindable: AtomicBool,
    /// Where it is mounted; None for the namespace's root, internal
    /// mounts and detached mounts.
    parent: Mutex<Option<Path>>,
    users: AtomicUsize,
    writers: AtomicUsize,
    /// MNT_EXPIRE's mark: set by a first umount2(MNT_EXPIRE), cleared when
    /// a process starts to use the mount.
    expiry_mark: AtomicBool,
}

/// The mounts of the (one) namespace, in mount order.
static TABLE: Mutex<Vec<Arc<Mount>>> = Mutex::new(Vec::new());
static IDS: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());
static ROOT: Once<Path> = Once::new();
/// The root after `root=` mounted a disk over the initramfs (kestrel/mount.rs).
static DISK_ROOT: Once<Path> = Once::new();
static PIPE_MNT: Once<Arc<Mount>> = Once::new();

impl Mount {
    fn new(sb: Arc<SuperBlock>, root: Arc<Inode>, source: Vec<u8>, flags: u32, internal: bool) -> Arc<Mount> {
        let id = if internal { 0 } else { alloc_lowest(&mut IDS.lock(), 1) };
        sb.add_mount();
        Arc::new(Mount {
            id,
            sb,
            root,
            source,
            flags: AtomicU32::new(flags),
            unbindable: AtomicBool::new(false),
            parent: Mutex::new(None),
            users: AtomicUsize::new(0),
            writers: AtomicUsize::new(0),
            expiry_mark: AtomicBool::new(false),
        })
    }

    /// A new mount of `sb`'s tree from `root`, not attached anywhere yet.
    pub fn create(sb: Arc<SuperBlock>, root: Arc<Inode>, source: Vec<u8>, flags: u32) -> Arc<Mount> {
        Self::new(sb, root, source, flags, false)
    }

    /// A kernel-internal mount that no path reaches (Linux's kern_mount):
    /// no id, never in the mount table.
    pub fn create_internal(sb: Arc<SuperBlock>, root: Arc<Inode>, source: Vec<u8>) -> Arc<Mount> {
        Self::new(sb, root, source, 0, true)
    }

    /// True for a kernel-internal mount (pipes', memfds').
    pub fn is_internal(&self) -> bool {
        self.id == 0
    }

    /// A bind mount: the same superblock from `root`, with `self`'s flags
    /// and source (Linux's clone_mnt).
    pub fn clone_at(&self, root: Arc<Inode>) -> Arc<Mount> {
        Self::new(self.sb.clone(), root, self.source.clone(), self.flags(), false)
    }

    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    pub fn set_flags(&self, flags: u32) {
        self.flags.store(flags, Ordering::Relaxed);
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags() & flag != 0
    }

    /// When reads of a file (a directory if `dir`) on this mount update
    /// its access time.
    pub fn atime(&self, dir: bool) -> Atime {
        if self.has(MNT_NOATIME) || (dir && self.has(MNT_NODIRATIME)) {
            Atime::Never
        } else if self.has(MNT_RELATIME) {
            Atime::Relative
        } else {
            Atime::Always
        }
    }

    pub fn is_unbindable(&self) -> bool {
        self.unbindable.load(Ordering::Relaxed)
    }

    pub fn set_unbindable(&self, on: bool) {
        self.unbindable.store(on, Ordering::Relaxed);
    }

    /// Read-only through this mount or in its superblock.
    pub fn is_readonly(&self) -> bool {
        self.has(MNT_READONLY) || self.sb.is_readonly()
    }

    /// Linux's mnt_want_write: EROFS on a read-only mount.
    pub fn want_write(&self) -> Result<(), Errno> {
        if self.is_readonly() {
            Err(Errno::EROFS)
        } else {
            Ok(())
        }
    }

    /// The paths that use this mount now.
    pub fn users(&self) -> usize {
        self.users.load(Ordering::Relaxed)
    }

    pub fn writers(&self) -> usize {
        self.writers.load(Ordering::Relaxed)
    }

    /// A file opened for writing through this mount.
    pub fn get_write(&self) {
        self.writers.fetch_add(1, Ordering::Relaxed);
        self.sb.get_write();
    }

    pub fn put_write(&self) {
        self.writers.fetch_sub(1, Ordering::Relaxed);
        self.sb.put_write();
    }

    /// A process starts to use the mount (cwd, open file): it is not
    /// expired.
    pub fn touch(&self) {
        self.expiry_mark.store(false, Ordering::Relaxed);
    }

    /// Sets MNT_EXPIRE's mark; true if it was already set.
    pub fn mark_expired(&self) -> bool {
        self.expiry_mark.swap(true, Ordering::Relaxed)
    }

    /// The mountpoint (parent mount and directory), if attached.
    pub fn mountpoint(&self) -> Option<Path> {
        self.parent.lock().clone()
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        if self.id != 0 {
            IDS.lock().remove(&self.id);
        }
        self.sb.remove_mount();
    }
}

/// A place in the file tree: a mount and an inode shown by it. It reads
/// as its inode (`Deref`), so code that only looks at the file needs no
/// change; code that writes asks the mount first (`want_write`).
pub struct Path {
    pub mnt: Arc<Mount>,
    pub inode: Arc<Inode>,
}

impl Path {
    pub fn new(mnt: Arc<Mount>, inode: Arc<Inode>) -> Path {
        mnt.users.fetch_add(1, Ordering::Relaxed);
        Path { mnt, inode }
    }

    /// Another inode of the same mount.
    pub fn child(&self, inode: Arc<Inode>) -> Path {
        Path::new(self.mnt.clone(), inode)
    }

    /// The root of its mount (Linux's path_mounted).
    pub fn is_mount_root(&self) -> bool {
        Arc::ptr_eq(&self.inode, &self.mnt.root)
    }

    pub fn same_as(&self, other: &Path) -> bool {
        Arc::ptr_eq(&self.mnt, &other.mnt) && Arc::ptr_eq(&self.inode, &other.inode)
    }
}

impl Clone for Path {
    fn clone(&self) -> Path {
        Path::new(self.mnt.clone(), self.inode.clone())
    }
}

impl Drop for Path {
    fn drop(&mut self) {
        self.mnt.users.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Deref for Path {
    type Target = Arc<Inode>;

    fn deref(&self) -> &Arc<Inode> {
        &self.inode
    }
}

/// The root of the namespace: the initramfs's RAM filesystem, mounted as
/// "rootfs" at boot, or the disk filesystem mounted on top of it by
/// `root=` (what Linux's boot does by mounting the root over "/" and
/// chrooting into it).
pub fn root_path() -> Path {
    if let Some(root) = DISK_ROOT.get() {
        return root.clone();
    }
    ROOT.call_once(|| {
        let sb = SuperBlock::new(&super::tmpfs::ROOTFS, 0);
        sb.set_ops(super::tmpfs::RamOps::new(&sb));
        // Linux's rootfs is a tmpfs with tmpfs's default limits: no
        // program can fill all of RAM with files.
        let (blocks, inodes) = super::mount_options::tmpfs_default_limits();
        sb.set_limits(blocks, inodes);
        let root = super::ramfs::new_root(&sb, 0o755, 0, 0);
        let mnt = Mount::create(sb, root.clone(), b"rootfs".to_vec(), MNT_RELATIME);
        TABLE.lock().push(mnt.clone());
        Path::new(mnt, root)
    })
    .clone()
}

/// Makes `root` the namespace's root, once, at boot before init runs.
pub fn set_root(root: Path) {
    DISK_ROOT.call_once(|| root);
}

/// Pipes' filesystem: never mounted where a path reaches it.
pub static PIPEFS: FileSystemType =
    FileSystemType { name: "pipefs", magic: abi::PIPEFS_MAGIC, nodev: true, mount: None };

/// Pipes' mount, which no path reaches (Linux's pipe_mnt).
pub fn pipe_mount() -> Arc<Mount> {
    PIPE_MNT
        .call_once(|| {
            let sb = SuperBlock::new(&PIPEFS, 0);
            let root = super::ramfs::new_root(&sb, 0o700, 0, 0);
            Mount::create_internal(sb, root, b"pipefs".to_vec())
        })
        .clone()
}

/// The mount on top of `at`, if any (Linux's lookup_mnt).
fn lookup_mnt(at: &Path) -> Option<Arc<Mount>> {
    if !at.inode.is_mountpoint() {
        return None;
    }
    let table = TABLE.lock();
    table.iter().rev().find(|m| m.parent.lock().as_ref().is_some_and(|p| p.same_as(at))).cloned()
}

/// Crosses into whatever is mounted on `at`, to the topmost mount.
pub fn follow_mounts(mut at: Path) -> Path {
    while let Some(m) = lookup_mnt(&at) {
        let root = m.root.clone();
        at = Path::new(m, root);
    }
    at
}

/// Where `..` leads from `at` (Linux's follow_dotdot): nowhere above the
/// process's root; from a mount's root, up to its mountpoint first, then to that
/// directory's parent, and into anything mounted there.
pub fn follow_dotdot(at: &Path, root: &Path) -> Path {
    let mut at = at.clone();
    loop {
        if at.same_as(root) {
            return at;
        }
        if !at.is_mount_root() {
            break;
        }
        match at.mnt.mountpoint() {
            Some(mp) => at = mp,
            None => return at, // a detached mount's root
        }
    }
    let parent = super::ramfs::parent_of(&at.inode);
    follow_mounts(at.child(parent))
}

/// Attaches `mnt` on `at` (which the caller has followed to its top).
pub fn attach(mnt: Arc<Mount>, at: &Path) {
    at.inode.mounted_on(1);
    *mnt.parent.lock() = Some(at.clone());
    TABLE.lock().push(mnt);
}

/// Moves an attached mount to `at` (MS_MOVE).
pub fn reattach(mnt: &Arc<Mount>, at: &Path) {
    at.inode.mounted_on(1);
    let old = mnt.parent.lock().replace(at.clone());
    if let Some(old) = old {
        old.inode.mounted_on(-1);
    }
}

/// The mounts of the table at or below `top`, `top` first.
pub fn subtree(top: &Arc<Mount>) -> Vec<Arc<Mount>> {
    let table = TABLE.lock();
    let mut tree: Vec<Arc<Mount>> = alloc::vec![top.clone()];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i].clone();
        for m in table.iter() {
            if m.parent.lock().as_ref().is_some_and(|p| Arc::ptr_eq(&p.mnt, &parent)) {
                tree.push(m.clone());
            }
        }
        i += 1;
    }
    tree
}

/// Detaches `top` and everything mounted below it: they leave the table
/// and their mountpoints; paths already inside them keep working.
pub fn detach_tree(top: &Arc<Mount>) {
    let tree = subtree(top);
    let mut released = Vec::new();
    {
        let mut table = TABLE.lock();
        table.retain(|m| !tree.iter().any(|t| Arc::ptr_eq(t, m)));
    }
    for m in &tree {
        if let Some(mp) = m.parent.lock().take() {
            mp.inode.mounted_on(-1);
            released.push(mp);
        }
    }
    drop(tree);
    drop(released);
}

/// True when `mnt` is in the table (Linux's check_mnt).
pub fn is_in_table(mnt: &Arc<Mount>) -> bool {
    TABLE.lock().iter().any(|m| Arc::ptr_eq(m, mnt))
}

/// A snapshot of the table, in mount order.
pub fn all() -> Vec<Arc<Mount>> {
    TABLE.lock().clone()
}

/// Every mounted filesystem once (sync(2)).
pub fn superblocks() -> Vec<Arc<SuperBlock>> {
    let mut sbs: Vec<Arc<SuperBlock>> = Vec::new();
    for m in all().into_iter().chain(core::iter::once(root_path().mnt.clone())) {
        if !sbs.iter().any(|s| Arc::ptr_eq(s, &m.sb)) {
            sbs.push(m.sb.clone());
        }
    }
    sbs
}
