//! rename(2), renameat(2), renameat2(2): moving a name, replacing what the
//! new name held, or swapping two names (RENAME_EXCHANGE). Checks follow
//! Linux's order, so each failure has Linux's errno.

use alloc::sync::Arc;

use abi::Errno;

use super::namei::{self, LastKind};
use super::perm::{may_delete, permission, MAY_EXEC, MAY_WRITE};
use super::ramfs;

// renameat2 flags (linux/fs.h).
const RENAME_NOREPLACE: u32 = 1;
const RENAME_EXCHANGE: u32 = 2;
const RENAME_WHITEOUT: u32 = 4;

pub fn sys_renameat2(old_dirfd: i32, old_path: u64, new_dirfd: i32, new_path: u64, flags: u32) -> Result<usize, Errno> {
    if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0
        || (flags & RENAME_EXCHANGE != 0 && flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) != 0)
    {
        return Err(Errno::EINVAL);
    }
    // Whiteouts are for overlay filesystems; this one has none, and a
    // filesystem without them answers EINVAL.
    if flags & RENAME_WHITEOUT != 0 {
        return Err(Errno::EINVAL);
    }
    let exchange = flags & RENAME_EXCHANGE != 0;
    let noreplace = flags & RENAME_NOREPLACE != 0;
    let old_path = namei::read_path(old_path)?;
    let new_path = namei::read_path(new_path)?;
    let old = namei::lookup_parent(old_dirfd, &old_path)?;
    let new = namei::lookup_parent(new_dirfd, &new_path)?;
    // Names move within one mount only.
    if !Arc::ptr_eq(&old.dir.mnt, &new.dir.mnt) {
        return Err(Errno::EXDEV);
    }
    if old.kind != LastKind::Normal {
        return Err(Errno::EBUSY);
    }
    if new.kind != LastKind::Normal {
        return Err(if noreplace { Errno::EEXIST } else { Errno::EBUSY });
    }
    old.dir.mnt.want_write()?;

    let _ns = ramfs::namespace_lock();
    let source = old.existing()?.ok_or(Errno::ENOENT)?;
    let target = new.existing()?;
    if ramfs::is_dead(&new.dir) {
        return Err(Errno::ENOENT);
    }
    match &target {
        None if exchange => return Err(Errno::ENOENT),
        Some(_) if noreplace => return Err(Errno::EEXIST),
        Some(t) if exchange && !t.is_dir() && new.trailing_slash => return Err(Errno::ENOTDIR),
        _ => {}
    }
    if !source.is_dir() && (old.trailing_slash || (!exchange && new.trailing_slash)) {
        return Err(Errno::ENOTDIR);
    }
    // A directory cannot move below itself; nor can a name that holds the
    // source be replaced.
    if source.is_dir() && ramfs::is_within(&new.dir, &source) {
        return Err(Errno::EINVAL);
    }
    if let Some(t) = &target {
        if t.is_dir() && ramfs::is_within(&old.dir, t) {
            return Err(if exchange { Errno::EINVAL } else { Errno::ENOTEMPTY });
        }
        if Arc::ptr_eq(t, &source) {
            return Ok(0); // two names of one file: nothing to do
        }
    }
    may_delete(&old.dir, &source, source.is_dir())?;
    match &target {
        None => permission(&new.dir, MAY_WRITE | MAY_EXEC)?,
        Some(t) => may_delete(&new.dir, t, if exchange { t.is_dir() } else { source.is_dir() })?,
    }
    // A directory that changes parents has its `..` rewritten.
    if !Arc::ptr_eq(&old.dir, &new.dir) {
        if source.is_dir() {
            permission(&source, MAY_WRITE)?;
        }
        if let (true, Some(t)) = (exchange, &target) {
            if t.is_dir() {
                permission(t, MAY_WRITE)?;
            }
        }
    }
    if source.is_mountpoint() || target.as_ref().is_some_and(|t| t.is_mountpoint()) {
        return Err(Errno::EBUSY);
    }
    namei::check_name(&new.name)?;

    if exchange {
        ramfs::exchange_entries(&old.dir, &old.name, &new.dir, &new.name)?;
        return Ok(0);
    }
    if let Some(t) = &target {
        if t.is_dir() && !t.lock().dir()?.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        ramfs::remove_entry(&new.dir, &new.name)?;
    }
    ramfs::move_entry(&old.dir, &old.name, &new.dir, &new.name)?;
    Ok(0)
}

pub fn sys_renameat(old_dirfd: i32, old_path: u64, new_dirfd: i32, new_path: u64) -> Result<usize, Errno> {
    sys_renameat2(old_dirfd, old_path, new_dirfd, new_path, 0)
}

pub fn sys_rename(old_path: u64, new_path: u64) -> Result<usize, Errno> {
    sys_renameat2(abi::AT_FDCWD, old_path, abi::AT_FDCWD, new_path, 0)
}
