//! The RAM filesystems (the root's, tmpfs and ramfs): their root
//! directories, the namespace lock, and the operations that change
//! directory entries (add, remove, move), which keep link counts and `..`
//! right. A disk filesystem keeps its tree in memory the same way; each
//! operation asks its superblock operations first (kestrel/names.rs), and
//! changes nothing if they refuse.

use alloc::sync::Arc;

use abi::{Errno, S_IFDIR, S_ISGID};
use spin::{Mutex, MutexGuard};

use super::dir::Dir;
use super::filedata::FileData;
use super::inode::{Content, Inode};
use super::super_block::SuperBlock;

/// Held by every operation that adds, removes or moves directory entries,
/// like Linux's per-filesystem rename lock: it makes a check ("the name is
/// free", "the directory is empty", "not moving a directory into itself")
/// and the change that relies on it one step. Lookups do not take it.
static NAMESPACE: Mutex<()> = Mutex::new(());

/// The root directory of the namespace's root filesystem (the initramfs).
pub fn root() -> Arc<Inode> {
    super::mount::root_path().inode.clone()
}

/// A new filesystem's root directory, which `..` leaves where it is.
pub fn new_root(sb: &Arc<SuperBlock>, mode: u32, uid: u32, gid: u32) -> Arc<Inode> {
    let root = Inode::new(sb, S_IFDIR | (mode & 0o7777), uid, gid, 0, Content::Dir(Dir::new(None)));
    sb.set_root(root.clone());
    root
}

pub fn namespace_lock() -> MutexGuard<'static, ()> {
    NAMESPACE.lock()
}

/// An inode for a new entry of `dir`, in its filesystem and owned by the
/// caller, with Linux's inode_init_owner rule for set-group-ID
/// directories: the new file takes the directory's group, and a new
/// directory keeps S_ISGID too. ENOSPC past tmpfs's `nr_inodes=`.
pub fn new_child(dir: &Inode, mut mode: u32, rdev: u64) -> Result<Arc<Inode>, Errno> {
    let cred = super::perm::current_cred();
    let (dir_mode, dir_gid) = {
        let d = dir.lock();
        (d.mode, d.gid)
    };
    let mut gid = cred.gid;
    if dir_mode & S_ISGID != 0 {
        gid = dir_gid;
        if mode & abi::S_IFMT == S_IFDIR {
            mode |= S_ISGID;
        } else if mode & S_ISGID != 0 && !cred.in_group(gid) && !cred.is_privileged() {
            // A setgid file of a group the creator is not in would give
            // that group away (CVE-2018-13405): the bit goes. Linux looks
            // for S_IXGRP too, before the umask, which is applied here
            // already: a umask without group execute must not keep it.
            mode &= !S_ISGID;
        }
    }
    if let Some(made) = dir.sb.ops().new_inode(dir, mode, cred.uid, gid, rdev) {
        return made;
    }
    let content = match mode & abi::S_IFMT {
        S_IFDIR => Content::Dir(Dir::new(None)),
        abi::S_IFREG => Content::File(FileData::new(dir.sb.clone())),
        abi::S_IFLNK => Content::Symlink(alloc::vec::Vec::new()),
        _ => Content::Special,
    };
    Inode::try_new(&dir.sb, mode, cred.uid, gid, rdev, content)
}

/// True once a directory has been removed: nothing may be created in it.
pub fn is_dead(dir: &Inode) -> bool {
    dir.lock().nlink == 0
}

/// Enters `inode` in `dir` under `name`, which must be free. The caller
/// holds the namespace lock.
pub fn add_entry(dir: &Arc<Inode>, name: &[u8], inode: &Arc<Inode>) -> Result<(), Errno> {
    if is_dead(dir) {
        return Err(Errno::ENOENT);
    }
    dir.sb.ops().add_name(dir, name, inode)?;
    {
        let mut i = inode.lock();
        i.nlink += 1;
        i.changed();
        if let Content::Dir(d) = &mut i.content {
            d.set_parent(Some(dir.clone()));
        }
    }
    let mut d = dir.lock();
    d.dir_mut()?.insert(name, inode.clone());
    if inode.is_dir() {
        d.nlink += 1; // the new directory's `..`
    }
    d.modified();
    drop(d);
    super::notify::created(dir, name, inode);
    Ok(())
}

/// Removes the entry `name` of `dir` and returns its inode. A removed
/// directory's link count drops to zero: it is dead. The caller holds the
/// namespace lock and has checked that a directory is empty.
pub fn remove_entry(dir: &Arc<Inode>, name: &[u8]) -> Result<Arc<Inode>, Errno> {
    dir.sb.ops().remove_name(dir, name)?;
    let inode = {
        let mut d = dir.lock();
        let inode = d.dir_mut()?.remove(name).ok_or(Errno::ENOENT)?;
        if inode.is_dir() {
            d.nlink -= 1;
        }
        d.modified();
        inode
    };
    let mut i = inode.lock();
    i.nlink = if inode.is_dir() { 0 } else { i.nlink.saturating_sub(1) };
    i.changed();
    drop(i);
    super::notify::removed(dir, name, &inode);
    Ok(inode)
}

/// The directory `..` leads to within the filesystem (a filesystem's
/// root leads to itself; crossing mounts is the path walk's business).
pub fn parent_of(dir: &Arc<Inode>) -> Arc<Inode> {
    dir.parent_dir()
}

/// True when `dir` is `ancestor` or lies below it.
pub fn is_within(dir: &Arc<Inode>, ancestor: &Arc<Inode>) -> bool {
    let mut at = dir.clone();
    loop {
        if Arc::ptr_eq(&at, ancestor) {
            return true;
        }
        let parent = parent_of(&at);
        if Arc::ptr_eq(&parent, &at) {
            return false;
        }
        at = parent;
    }
}

/// Moves entry `old_name` of `old_dir` to `new_name` of `new_dir`, which
/// must be free. A moved directory keeps its link count; its `..` and the
/// two parents' counts follow it. The caller holds the namespace lock.
pub fn move_entry(old_dir: &Arc<Inode>, old_name: &[u8], new_dir: &Arc<Inode>, new_name: &[u8]) -> Result<(), Errno> {
    old_dir.sb.ops().move_name(old_dir, old_name, new_dir, new_name)?;
    let inode = take(old_dir, old_name)?;
    put(new_dir, new_name, inode.clone());
    super::notify::moved(old_dir, old_name, new_dir, new_name, &inode);
    Ok(())
}

/// Swaps two entries (RENAME_EXCHANGE). The caller holds the namespace lock.
pub fn exchange_entries(dir_a: &Arc<Inode>, name_a: &[u8], dir_b: &Arc<Inode>, name_b: &[u8]) -> Result<(), Errno> {
    dir_a.sb.ops().exchange_names(dir_a, name_a, dir_b, name_b)?;
    let a = take(dir_a, name_a)?;
    let b = match take(dir_b, name_b) {
        Ok(b) => b,
        Err(e) => {
            put(dir_a, name_a, a);
            return Err(e);
        }
    };
    put(dir_b, name_b, a.clone());
    put(dir_a, name_a, b.clone());
    super::notify::moved(dir_a, name_a, dir_b, name_b, &a);
    super::notify::moved(dir_b, name_b, dir_a, name_a, &b);
    Ok(())
}

fn take(dir: &Arc<Inode>, name: &[u8]) -> Result<Arc<Inode>, Errno> {
    let mut d = dir.lock();
    let inode = d.dir_mut()?.remove(name).ok_or(Errno::ENOENT)?;
    if inode.is_dir() {
        d.nlink -= 1;
    }
    d.modified();
    Ok(inode)
}

fn put(dir: &Arc<Inode>, name: &[u8], inode: Arc<Inode>) {
    {
        let mut i = inode.lock();
        i.changed();
        if let Content::Dir(d) = &mut i.content {
            d.set_parent(Some(dir.clone()));
        }
    }
    let mut d = dir.lock();
    if inode.is_dir() {
        d.nlink += 1;
    }
    if let Ok(entries) = d.dir_mut() {
        entries.insert(name, inode);
    }
    d.modified();
}
