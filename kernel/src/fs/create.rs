//! Making names: mkdir(2), mknod(2), symlink(2), link(2) and their *at
//! forms.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{AtFlags, Errno, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISVTX};

use super::inode::{Content, Inode};
use super::mount::Path;
use super::namei::{self, LastKind, Parent};
use super::perm::{current_cred, permission, MAY_EXEC, MAY_WRITE};
use super::ramfs;
use crate::sched::current;

/// Walks to where a new name goes (Linux's filename_create): `.`, `..`
/// and `/` already exist (EEXIST); a trailing slash is only for mkdir,
/// elsewhere it is EEXIST when the name exists and ENOENT when not. Then
/// a name that exists is EEXIST, and a read-only mount EROFS.
fn create_parent(dirfd: i32, path: &[u8], is_dir: bool) -> Result<Parent, Errno> {
    let p = namei::lookup_parent(dirfd, path)?;
    if p.kind != LastKind::Normal {
        return Err(Errno::EEXIST);
    }
    let exists = p.existing()?.is_some();
    if p.trailing_slash && !is_dir {
        return Err(if exists { Errno::EEXIST } else { Errno::ENOENT });
    }
    if exists {
        return Err(Errno::EEXIST);
    }
    p.dir.mnt.want_write()?;
    Ok(p)
}

/// Linux's may_create: the name must be valid and free and the directory
/// writable and searchable. The caller holds the namespace lock.
pub fn may_create(dir: &Arc<Inode>, name: &[u8]) -> Result<(), Errno> {
    namei::check_name(name)?;
    if dir.lock().dir()?.get(name).is_some() {
        return Err(Errno::EEXIST);
    }
    permission(dir, MAY_WRITE | MAY_EXEC)
}

/// Adds `inode` to `dir` as `name` unless the name is taken. The caller
/// holds the namespace lock.
pub fn enter(dir: &Arc<Inode>, name: &[u8], inode: &Arc<Inode>) -> Result<(), Errno> {
    may_create(dir, name)?;
    ramfs::add_entry(dir, name, inode)
}

/// Creates a new inode of `mode` (type and permissions) as `name` in `dir`.
pub fn create_in(dir: &Arc<Inode>, name: &[u8], mode: u32, rdev: u64) -> Result<Arc<Inode>, Errno> {
    let _ns = ramfs::namespace_lock();
    may_create(dir, name)?;
    let inode = ramfs::new_child(dir, mode, rdev)?;
    ramfs::add_entry(dir, name, &inode)?;
    Ok(inode)
}

fn umask() -> u32 {
    current().fs.lock().umask
}

pub fn sys_mkdirat(dirfd: i32, path: u64, mode: u32) -> Result<usize, Errno> {
    let path = namei::read_path(path)?;
    let p = create_parent(dirfd, &path, true)?;
    let mode = mode & (0o777 | S_ISVTX) & !umask();
    create_in(&p.dir, &p.name, S_IFDIR | mode, 0).map(|_| 0)
}

pub fn sys_mkdir(path: u64, mode: u32) -> Result<usize, Errno> {
    sys_mkdirat(abi::AT_FDCWD, path, mode)
}

pub fn sys_mknodat(dirfd: i32, path: u64, mode: u32, dev: u32) -> Result<usize, Errno> {
    // The type is checked before the path is even read (Linux's may_mknod).
    let kind = match mode & S_IFMT {
        0 | S_IFREG => S_IFREG,
        k @ (S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK) => k,
        S_IFDIR => return Err(Errno::EPERM),
        _ => return Err(Errno::EINVAL),
    };
    let path = namei::read_path(path)?;
    let p = create_parent(dirfd, &path, false)?;
    let device = kind == S_IFCHR || kind == S_IFBLK;
    if device && !current_cred().is_privileged() {
        return Err(Errno::EPERM); // CAP_MKNOD
    }
    let rdev = if device { u64::from(dev) } else { 0 };
    let mode = kind | (mode & 0o7777 & !umask());
    create_in(&p.dir, &p.name, mode, rdev).map(|_| 0)
}

pub fn sys_mknod(path: u64, mode: u32, dev: u32) -> Result<usize, Errno> {
    sys_mknodat(abi::AT_FDCWD, path, mode, dev)
}

/// Makes the node a UNIX socket binds to `path` (mode 0777 less the
/// umask, as Linux's unix_bind gives it); EEXIST if the name is taken.
pub fn mknod_socket(path: &[u8]) -> Result<Path, Errno> {
    let p = create_parent(abi::AT_FDCWD, path, false)?;
    let inode = create_in(&p.dir, &p.name, S_IFSOCK | (0o777 & !umask()), 0)?;
    Ok(Path::new(p.dir.mnt.clone(), inode))
}

/// Makes a symlink holding `target` (any bytes; not checked to exist).
pub fn symlink_in(dir: &Arc<Inode>, name: &[u8], target: Vec<u8>) -> Result<Arc<Inode>, Errno> {
    let _ns = ramfs::namespace_lock();
    may_create(dir, name)?;
    let inode = ramfs::new_child(dir, S_IFLNK | 0o777, 0)?;
    inode.lock().content = Content::Symlink(target);
    ramfs::add_entry(dir, name, &inode)?;
    Ok(inode)
}

pub fn sys_symlinkat(target: u64, dirfd: i32, path: u64) -> Result<usize, Errno> {
    let target = namei::read_path(target)?;
    let path = namei::read_path(path)?;
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    let p = create_parent(dirfd, &path, false)?;
    symlink_in(&p.dir, &p.name, target).map(|_| 0)
}

pub fn sys_symlink(target: u64, path: u64) -> Result<usize, Errno> {
    sys_symlinkat(target, abi::AT_FDCWD, path)
}

pub fn sys_linkat(old_dirfd: i32, old_path: u64, new_dirfd: i32, new_path: u64, flags: u32) -> Result<usize, Errno> {
    let flags = AtFlags::from_bits(flags)
        .filter(|f| (AtFlags::AT_SYMLINK_FOLLOW | AtFlags::AT_EMPTY_PATH).contains(*f))
        .ok_or(Errno::EINVAL)?;
    let old_path = namei::read_path(old_path)?;
    let new_path = namei::read_path(new_path)?;
    // link(2) does not follow a symlink: the new name is another link to it.
    let lookup_flags =
        if flags.contains(AtFlags::AT_SYMLINK_FOLLOW) { AtFlags::empty() } else { AtFlags::AT_SYMLINK_NOFOLLOW };
    let old = namei::lookup_at(old_dirfd, &old_path, lookup_flags | (flags & AtFlags::AT_EMPTY_PATH))?;
    let p = create_parent(new_dirfd, &new_path, false)?;
    // A link stays within one mount (Linux compares mounts, not devices).
    if !Arc::ptr_eq(&old.mnt, &p.dir.mnt) {
        return Err(Errno::EXDEV);
    }
    let _ns = ramfs::namespace_lock();
    if p.existing()?.is_some() {
        return Err(Errno::EEXIST);
    }
    if old.is_dir() {
        return Err(Errno::EPERM);
    }
    // A file whose last name is gone cannot get a new one, unless it is
    // an O_TMPFILE file yet to be named.
    let linkable = old.linkable.swap(false, core::sync::atomic::Ordering::Relaxed);
    if old.lock().nlink == 0 && !linkable {
        return Err(Errno::ENOENT);
    }
    enter(&p.dir, &p.name, &old).map(|_| 0).inspect_err(|_| {
        old.linkable.store(linkable, core::sync::atomic::Ordering::Relaxed);
    })
}

pub fn sys_link(old_path: u64, new_path: u64) -> Result<usize, Errno> {
    sys_linkat(abi::AT_FDCWD, old_path, abi::AT_FDCWD, new_path, 0)
}
