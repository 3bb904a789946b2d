//! Changing attributes: chmod(2), fchmod(2), fchmodat(2), chown(2),
//! fchown(2), lchown(2), fchownat(2), truncate(2), ftruncate(2); and
//! checking them: access(2), faccessat(2), faccessat2(2).

use alloc::sync::Arc;

use abi::fcntl::{F_OK, R_OK, W_OK, X_OK};
use abi::{AtFlags, Errno, S_ISGID, S_ISUID, S_IXGRP};

use super::file::get_file;
use super::filedata::MAX_FILE_SIZE;
use super::inode::Inode;
use super::mount::Path;
use super::namei;
use super::perm::{current_cred, owner_or_privileged, permission, permission_for, real_cred, remove_privs};
use super::perm::{MAY_EXEC, MAY_READ, MAY_WRITE};

/// Only the owner (or root) may chmod, on a writable mount; set-group-ID
/// is dropped silently when the caller is not in the file's group (and
/// not root).
fn chmod(path: &Path, mut mode: u32) -> Result<usize, Errno> {
    path.mnt.want_write()?;
    let inode: &Inode = path;
    owner_or_privileged(inode)?;
    let cred = current_cred();
    let mut i = inode.lock();
    if !cred.is_privileged() && !cred.in_group(i.gid) {
        mode &= !S_ISGID;
    }
    i.mode = (i.mode & abi::S_IFMT) | (mode & 0o7777);
    i.changed();
    drop(i);
    super::notify::notify(inode, None, super::notify::IN_ATTRIB);
    Ok(0)
}

pub fn sys_fchmodat(dirfd: i32, path: u64, mode: u32) -> Result<usize, Errno> {
    let path = namei::read_path(path)?;
    chmod(&namei::lookup(dirfd, &path, true)?, mode)
}

pub fn sys_chmod(path: u64, mode: u32) -> Result<usize, Errno> {
    sys_fchmodat(abi::AT_FDCWD, path, mode)
}

pub fn sys_fchmod(fd: i32, mode: u32) -> Result<usize, Errno> {
    chmod(get_file(fd)?.path(), mode)
}

/// uid or gid -1 leaves that one alone. Only root may give a file away or
/// pick an arbitrary group, and only on a writable mount. A chown of
/// anything but a directory clears set-user-ID, and set-group-ID when
/// group-execute makes it one (not a mandatory-locking mark), even when
/// nothing changes, as Linux does.
fn chown(path: &Path, uid: u32, gid: u32) -> Result<usize, Errno> {
    path.mnt.want_write()?;
    let inode: &Inode = path;
    let cred = current_cred();
    let mut i = inode.lock();
    let uid_changes = uid != u32::MAX && uid != i.uid;
    let gid_changes = gid != u32::MAX && gid != i.gid;
    if !cred.is_privileged() && (uid_changes || (gid_changes && (i.uid != cred.uid || !cred.in_group(gid)))) {
        return Err(Errno::EPERM);
    }
    if uid != u32::MAX {
        i.uid = uid;
    }
    if gid != u32::MAX {
        i.gid = gid;
    }
    if !inode.is_dir() {
        i.mode &= !S_ISUID;
        if i.mode & S_IXGRP != 0 {
            i.mode &= !S_ISGID;
        }
    }
    i.changed();
    drop(i);
    super::notify::notify(inode, None, super::notify::IN_ATTRIB);
    Ok(0)
}

pub fn sys_fchownat(dirfd: i32, path: u64, uid: u32, gid: u32, flags: u32) -> Result<usize, Errno> {
    let allowed = AtFlags::AT_SYMLINK_NOFOLLOW | AtFlags::AT_EMPTY_PATH;
    let flags = AtFlags::from_bits(flags).filter(|f| allowed.contains(*f)).ok_or(Errno::EINVAL)?;
    let path = namei::read_path(path)?;
    chown(&namei::lookup_at(dirfd, &path, flags)?, uid, gid)
}

pub fn sys_chown(path: u64, uid: u32, gid: u32) -> Result<usize, Errno> {
    sys_fchownat(abi::AT_FDCWD, path, uid, gid, 0)
}

pub fn sys_lchown(path: u64, uid: u32, gid: u32) -> Result<usize, Errno> {
    sys_fchownat(abi::AT_FDCWD, path, uid, gid, AtFlags::AT_SYMLINK_NOFOLLOW.bits())
}

pub fn sys_fchown(fd: i32, uid: u32, gid: u32) -> Result<usize, Errno> {
    chown(get_file(fd)?.path(), uid, gid)
}

/// Sets a regular file's size; the times change even when the size does not.
pub fn truncate(inode: &Arc<Inode>, length: i64) -> Result<(), Errno> {
    let size = u64::try_from(length).map_err(|_| Errno::EINVAL)?;
    if size > MAX_FILE_SIZE {
        return Err(Errno::EFBIG);
    }
    let mut i = inode.lock();
    let data = i.file_mut()?;
    super::fsize::check_growth(data.size(), size)?;
    if let Some(seals) = data.seals() {
        seals.check_resize(data.size(), size)?;
    }
    data.truncate(size);
    i.modified();
    remove_privs(&mut i);
    drop(i);
    super::notify::notify(inode, None, super::notify::IN_MODIFY);
    Ok(())
}

pub fn sys_truncate(path: u64, length: i64) -> Result<usize, Errno> {
    if length < 0 {
        return Err(Errno::EINVAL);
    }
    let path = namei::read_path(path)?;
    let inode = namei::lookup(abi::AT_FDCWD, &path, true)?;
    if inode.is_dir() {
        return Err(Errno::EISDIR);
    }
    if !inode.is_regular() {
        return Err(Errno::EINVAL);
    }
    inode.mnt.want_write()?;
    permission(&inode, MAY_WRITE)?;
    inode.write_access.check_writable()?;
    truncate(&inode, length).map(|_| 0)
}

/// ftruncate(2): EINVAL, not EBADF, for a descriptor not open for writing.
pub fn sys_ftruncate(fd: i32, length: i64) -> Result<usize, Errno> {
    if length < 0 {
        return Err(Errno::EINVAL); // before the descriptor is even looked at
    }
    let file = get_file(fd)?;
    if !file.inode().is_regular() || !file.flags().writable() {
        return Err(Errno::EINVAL);
    }
    truncate(file.inode(), length).map(|_| 0)
}

pub fn sys_faccessat2(dirfd: i32, path: u64, mode: i32, flags: u32) -> Result<usize, Errno> {
    if mode & !(R_OK | W_OK | X_OK) != 0 {
        return Err(Errno::EINVAL);
    }
    let allowed = AtFlags::AT_EACCESS | AtFlags::AT_SYMLINK_NOFOLLOW | AtFlags::AT_EMPTY_PATH;
    let flags = AtFlags::from_bits(flags).filter(|f| allowed.contains(*f)).ok_or(Errno::EINVAL)?;
    let path = namei::read_path(path)?;
    let inode = namei::lookup_at(dirfd, &path, flags - AtFlags::AT_EACCESS)?;
    if mode == F_OK {
        return Ok(0);
    }
    let mut mask = 0;
    if mode & R_OK != 0 {
        mask |= MAY_READ;
    }
    if mode & W_OK != 0 {
        mask |= MAY_WRITE;
    }
    if mode & X_OK != 0 {
        mask |= MAY_EXEC;
    }
    // access(2) asks for the real ids, so that a set-user-ID program can
    // check what its user may do; AT_EACCESS asks for the effective ones.
    let cred = if flags.contains(AtFlags::AT_EACCESS) { current_cred() } else { real_cred() };
    permission_for(&cred, &inode, mask)?;
    // SuS asks for EROFS from a read-only mount, devices and FIFOs aside.
    if mask & MAY_WRITE != 0 && (inode.is_regular() || inode.is_dir() || inode.is_symlink()) {
        inode.mnt.want_write()?;
    }
    Ok(0)
}

pub fn sys_faccessat(dirfd: i32, path: u64, mode: i32) -> Result<usize, Errno> {
    sys_faccessat2(dirfd, path, mode, 0)
}

pub fn sys_access(path: u64, mode: i32) -> Result<usize, Errno> {
    sys_faccessat2(abi::AT_FDCWD, path, mode, 0)
}
