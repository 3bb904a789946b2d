//! Removing names: unlink(2), rmdir(2), unlinkat(2). A removed file lives
//! on while it is open; a removed directory is dead: empty for good.

use abi::{AtFlags, Errno};

use super::namei::{self, LastKind};
use super::perm::may_delete;
use super::ramfs;

fn unlink(dirfd: i32, path: &[u8]) -> Result<(), Errno> {
    let p = namei::lookup_parent(dirfd, path)?;
    if p.kind != LastKind::Normal {
        return Err(Errno::EISDIR);
    }
    p.dir.mnt.want_write()?;
    let _ns = ramfs::namespace_lock();
    let inode = p.existing()?.ok_or(Errno::ENOENT)?;
    if p.trailing_slash {
        return Err(if inode.is_dir() { Errno::EISDIR } else { Errno::ENOTDIR });
    }
    // A directory is EISDIR, where POSIX allows EPERM.
    may_delete(&p.dir, &inode, false)?;
    if inode.is_mountpoint() {
        return Err(Errno::EBUSY);
    }
    ramfs::remove_entry(&p.dir, &p.name).map(|_| ())
}

fn rmdir(dirfd: i32, path: &[u8]) -> Result<(), Errno> {
    let p = namei::lookup_parent(dirfd, path)?;
    match p.kind {
        LastKind::Normal => {}
        LastKind::Dot => return Err(Errno::EINVAL),
        LastKind::DotDot => return Err(Errno::ENOTEMPTY),
        LastKind::Root => return Err(Errno::EBUSY),
    }
    p.dir.mnt.want_write()?;
    let _ns = ramfs::namespace_lock();
    let inode = p.existing()?.ok_or(Errno::ENOENT)?;
    may_delete(&p.dir, &inode, true)?;
    if inode.is_mountpoint() {
        return Err(Errno::EBUSY);
    }
    if !inode.lock().dir()?.is_empty() {
        return Err(Errno::ENOTEMPTY);
    }
    ramfs::remove_entry(&p.dir, &p.name).map(|_| ())
}

pub fn sys_unlinkat(dirfd: i32, path: u64, flags: u32) -> Result<usize, Errno> {
    if flags & !AtFlags::AT_REMOVEDIR.bits() != 0 {
        return Err(Errno::EINVAL);
    }
    let path = namei::read_path(path)?;
    if flags != 0 {
        rmdir(dirfd, &path)?;
    } else {
        unlink(dirfd, &path)?;
    }
    Ok(0)
}

pub fn sys_unlink(path: u64) -> Result<usize, Errno> {
    sys_unlinkat(abi::AT_FDCWD, path, 0)
}

pub fn sys_rmdir(path: u64) -> Result<usize, Errno> {
    sys_unlinkat(abi::AT_FDCWD, path, AtFlags::AT_REMOVEDIR.bits())
}
