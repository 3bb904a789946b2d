//! mount(2) and umount2(2), as Linux's fs/namespace.c decides them: a new
//! tmpfs, ramfs or proc (or kestrelfs from a disk, kestrel/mount.rs), a
//! remount (of the filesystem, or of one mount's flags
//! with MS_BIND), a bind mount (MS_BIND, MS_REC), a move (MS_MOVE), a
//! propagation change; and unmounting, at once or lazily (MNT_DETACH).
//! Checks come in Linux's order, so each failure has Linux's errno.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, AT_FDCWD};

use super::fs_type::find_filesystem;
use super::mount::{self, follow_mounts, is_in_table, root_path, Mount, Path};
use super::mount::{MNT_ATIME_MASK, MNT_NOATIME, MNT_NODEV, MNT_NODIRATIME, MNT_NOEXEC, MNT_NOSUID};
use super::mount::{MNT_NOSYMFOLLOW, MNT_READONLY, MNT_RELATIME};
use super::namei;
use super::ramfs;
use super::super_block::SB_RDONLY;
use crate::sched::current;
use crate::uaccess::{copy_from_user, read_user_cstr};

// mount(2) flags (linux/mount.h).
const MS_RDONLY: u64 = 1;
const MS_NOSUID: u64 = 2;
const MS_NODEV: u64 = 4;
const MS_NOEXEC: u64 = 8;
const MS_REMOUNT: u64 = 32;
const MS_NOSYMFOLLOW: u64 = 256;
const MS_NOATIME: u64 = 1024;
const MS_NODIRATIME: u64 = 2048;
const MS_BIND: u64 = 4096;
const MS_MOVE: u64 = 8192;
const MS_REC: u64 = 16384;
const MS_SILENT: u64 = 32768;
const MS_UNBINDABLE: u64 = 1 << 17;
const MS_PRIVATE: u64 = 1 << 18;
const MS_SLAVE: u64 = 1 << 19;
const MS_SHARED: u64 = 1 << 20;
const MS_RELATIME: u64 = 1 << 21;
const MS_STRICTATIME: u64 = 1 << 24;
const MS_NOUSER: u64 = 1 << 31;
/// The superblock's flags among them (SB_RDONLY... SB_I_VERSION).
const MS_SB_FLAGS: u64 = 1 | 16 | 64 | 128 | MS_SILENT | (1 << 16) | (1 << 25) | (1 << 23);
/// Old programs put this magic in the top half of the flags.
const MS_MGC_VAL: u64 = 0xc0ed_0000;
const MS_MGC_MSK: u64 = 0xffff_0000;

// umount2(2) flags.
const MNT_FORCE: i32 = 1;
const MNT_DETACH: i32 = 2;
const MNT_EXPIRE: i32 = 4;
const UMOUNT_NOFOLLOW: i32 = 8;

/// Linux's may_mount: CAP_SYS_ADMIN, which root holds.
fn may_mount() -> Result<(), Errno> {
    if current().cred.lock().is_privileged() {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// A string argument (type, source): NULL is none; longer than a page is
/// EINVAL (Linux's strndup_user).
fn copy_mount_string(addr: u64) -> Result<Option<Vec<u8>>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    read_user_cstr(addr, namei::PATH_MAX - 1, Errno::EINVAL).map(Some)
}

/// The options page: up to a page is read, as much as is mapped; EFAULT
/// only when not one byte is. The string ends at its NUL or the page's
/// last byte (copy_mount_options).
fn copy_mount_options(addr: u64) -> Result<Option<Vec<u8>>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let mut out = Vec::new();
    let mut at = addr;
    while out.len() < 4096 {
        let len = ((4096 - at % 4096) as usize).min(4096 - out.len());
        let mut chunk = alloc::vec![0u8; len];
        if copy_from_user(&mut chunk, at).is_err() {
            break;
        }
        let nul = chunk.iter().position(|&b| b == 0);
        out.extend_from_slice(&chunk[..nul.unwrap_or(len)]);
        if nul.is_some() {
            return Ok(Some(out));
        }
        at += len as u64;
    }
    if out.is_empty() && copy_from_user(&mut [0u8; 1], addr).is_err() {
        return Err(Errno::EFAULT);
    }
    out.truncate(4095);
    Ok(Some(out))
}

pub fn sys_mount(source: u64, target: u64, fstype: u64, flags: u64, data: u64) -> Result<usize, Errno> {
    let fstype = copy_mount_string(fstype)?;
    let source = copy_mount_string(source)?;
    let data = copy_mount_options(data)?;
    let target = namei::read_path(target)?;
    let target = namei::lookup(AT_FDCWD, &target, true)?;
    path_mount(source, target, fstype, flags, data.as_deref()).map(|_| 0)
}

/// Linux's path_mount: the per-mount flags apart from the superblock's,
/// then the operation the flags name.
fn path_mount(
    source: Option<Vec<u8>>,
    target: Path,
    fstype: Option<Vec<u8>>,
    mut flags: u64,
    data: Option<&[u8]>,
) -> Result<(), Errno> {
    if flags & MS_MGC_MSK == MS_MGC_VAL {
        flags &= !MS_MGC_MSK;
    }
    if flags & MS_NOUSER != 0 {
        return Err(Errno::EINVAL);
    }
    may_mount()?;
    let mut mnt_flags = if flags & MS_NOATIME == 0 { MNT_RELATIME } else { 0 };
    for (ms, mnt) in [
        (MS_NOSUID, MNT_NOSUID),
        (MS_NODEV, MNT_NODEV),
        (MS_NOEXEC, MNT_NOEXEC),
        (MS_NOATIME, MNT_NOATIME),
        (MS_NODIRATIME, MNT_NODIRATIME),
        (MS_RDONLY, MNT_READONLY),
        (MS_NOSYMFOLLOW, MNT_NOSYMFOLLOW),
    ] {
        if flags & ms != 0 {
            mnt_flags |= mnt;
        }
    }
    if flags & MS_STRICTATIME != 0 {
        mnt_flags &= !(MNT_RELATIME | MNT_NOATIME);
    }
    // A remount that names no atime rule keeps the mount's.
    if flags & MS_REMOUNT != 0 && flags & (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME) == 0 {
        mnt_flags = (mnt_flags & !MNT_ATIME_MASK) | (target.mnt.flags() & MNT_ATIME_MASK);
    }
    let sb_flags = (flags & MS_SB_FLAGS) as u32;
    if flags & (MS_REMOUNT | MS_BIND) == MS_REMOUNT | MS_BIND {
        return reconfigure_mount(&target, mnt_flags);
    }
    if flags & MS_REMOUNT != 0 {
        return remount(&target, sb_flags, mnt_flags, data);
    }
    if flags & MS_BIND != 0 {
        return bind_mount(&target, source.as_deref(), flags & MS_REC != 0);
    }
    if flags & (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE) != 0 {
        return change_type(&target, flags);
    }
    if flags & MS_MOVE != 0 {
        return move_mount(&target, source.as_deref());
    }
    new_mount(&target, fstype.as_deref(), sb_flags, mnt_flags, source, data)
}

/// Where a mount goes on `target` (Linux's lock_mount): on top of what is
/// mounted there, not in a removed directory, and in the table. The
/// caller holds the namespace lock.
fn mountpoint(target: &Path) -> Result<Path, Errno> {
    let at = follow_mounts(target.clone());
    let unlinked = if at.is_dir() { ramfs::is_dead(&at) } else { at.lock().nlink == 0 };
    if unlinked {
        return Err(Errno::ENOENT);
    }
    if !is_in_table(&at.mnt) {
        return Err(Errno::EINVAL);
    }
    Ok(at)
}

/// Linux's graft_tree: a directory goes on a directory, a file on a file.
fn graft(mnt: Arc<Mount>, at: &Path) -> Result<(), Errno> {
    if at.is_dir() != mnt.root.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    mount::attach(mnt, at);
    Ok(())
}

fn new_mount(
    target: &Path,
    fstype: Option<&[u8]>,
    sb_flags: u32,
    mnt_flags: u32,
    source: Option<Vec<u8>>,
    data: Option<&[u8]>,
) -> Result<(), Errno> {
    let kind = find_filesystem(fstype.ok_or(Errno::EINVAL)?).ok_or(Errno::ENODEV)?;
    let mount = kind.mount.ok_or(Errno::ENODEV)?;
    let mnt = mount(source, sb_flags, mnt_flags, data)?;
    let _ns = ramfs::namespace_lock();
    let at = mountpoint(target)?;
    graft(mnt, &at)
}

/// MS_REMOUNT: the filesystem's flags and options, then the mount's
/// flags (do_remount). Going read-only waits for no writer: EBUSY.
fn remount(target: &Path, sb_flags: u32, mnt_flags: u32, data: Option<&[u8]>) -> Result<(), Errno> {
    if !is_in_table(&target.mnt) || !target.is_mount_root() {
        return Err(Errno::EINVAL);
    }
    let sb = &target.mnt.sb;
    sb.ops().remount(sb, sb_flags, data)?;
    target.mnt.set_flags(mnt_flags);
    Ok(())
}

/// MS_REMOUNT|MS_BIND: one mount's flags only (do_reconfigure_mnt);
/// read-only waits for the mount's writers: EBUSY.
fn reconfigure_mount(target: &Path, mnt_flags: u32) -> Result<(), Errno> {
    if !is_in_table(&target.mnt) || !target.is_mount_root() {
        return Err(Errno::EINVAL);
    }
    let mnt = &target.mnt;
    if mnt_flags & MNT_READONLY != 0 && !mnt.has(MNT_READONLY) && mnt.writers() > 0 {
        return Err(Errno::EBUSY);
    }
    mnt.set_flags(mnt_flags);
    Ok(())
}

/// MS_BIND: what `source` names appears at `target` too, with the flags
/// of the mount it came from; MS_REC brings the mounts below it along
/// (do_loopback).
fn bind_mount(target: &Path, source: Option<&[u8]>, recursive: bool) -> Result<(), Errno> {
    let name = source.filter(|s| !s.is_empty()).ok_or(Errno::EINVAL)?;
    let old = namei::lookup(AT_FDCWD, name, true)?;
    let _ns = ramfs::namespace_lock();
    let at = mountpoint(target)?;
    if old.mnt.is_unbindable() || !is_in_table(&old.mnt) {
        return Err(Errno::EINVAL);
    }
    let top = old.mnt.clone_at(old.inode.clone());
    let mut copies: Vec<(Arc<Mount>, Path)> = Vec::new();
    if recursive {
        // Each mount below `old` gets a copy on the copy of its parent.
        let mut clones: BTreeMap<u32, Arc<Mount>> = BTreeMap::new();
        clones.insert(old.mnt.id, top.clone());
        for m in mount::subtree(&old.mnt).into_iter().skip(1) {
            let Some(mp) = m.mountpoint() else { continue };
            let Some(parent_copy) = clones.get(&mp.mnt.id).cloned() else { continue };
            // Of the mounts on `old`'s own mount, only those below the
            // bound directory come along.
            let direct = Arc::ptr_eq(&mp.mnt, &old.mnt);
            if m.is_unbindable() || (direct && !(mp.is_dir() && ramfs::is_within(&mp.inode, &old.inode))) {
                continue;
            }
            let copy = m.clone_at(m.root.clone());
            clones.insert(m.id, copy.clone());
            copies.push((copy, Path::new(parent_copy, mp.inode.clone())));
        }
    }
    graft(top, &at)?;
    for (copy, at) in copies {
        mount::attach(copy, &at);
    }
    Ok(())
}

/// MS_SHARED, MS_PRIVATE, MS_SLAVE, MS_UNBINDABLE: exactly one. Mounts
/// here propagate nothing, so all are private: MS_PRIVATE and MS_SLAVE
/// (a slave with no master is private) change nothing, MS_UNBINDABLE
/// forbids bind mounts of it, and MS_SHARED is not supported (EINVAL).
fn change_type(target: &Path, flags: u64) -> Result<(), Errno> {
    if !target.is_mount_root() {
        return Err(Errno::EINVAL);
    }
    let kind = flags & !(MS_REC | MS_SILENT);
    if !kind.is_power_of_two() {
        return Err(Errno::EINVAL);
    }
    let mounts = if flags & MS_REC != 0 { mount::subtree(&target.mnt) } else { alloc::vec![target.mnt.clone()] };
    match kind {
        MS_UNBINDABLE => mounts.iter().for_each(|m| m.set_unbindable(true)),
        MS_PRIVATE | MS_SLAVE => mounts.iter().for_each(|m| m.set_unbindable(false)),
        _ => return Err(Errno::EINVAL),
    }
    Ok(())
}

/// MS_MOVE: the mount at `source` moves to `target` (do_move_mount).
fn move_mount(target: &Path, source: Option<&[u8]>) -> Result<(), Errno> {
    let name = source.filter(|s| !s.is_empty()).ok_or(Errno::EINVAL)?;
    let old = namei::lookup(AT_FDCWD, name, true)?;
    let _ns = ramfs::namespace_lock();
    let at = mountpoint(target)?;
    if !is_in_table(&old.mnt) || old.mnt.mountpoint().is_none() || !old.is_mount_root() {
        return Err(Errno::EINVAL);
    }
    if at.is_dir() != old.is_dir() {
        return Err(Errno::EINVAL);
    }
    // Not below itself.
    let mut p = Some(at.mnt.clone());
    while let Some(m) = p {
        if Arc::ptr_eq(&m, &old.mnt) {
            return Err(Errno::ELOOP);
        }
        p = m.mountpoint().map(|mp| mp.mnt.clone());
    }
    mount::reattach(&old.mnt, &at);
    Ok(())
}

pub fn sys_umount2(target: u64, flags: i32) -> Result<usize, Errno> {
    if flags & !(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    let name = namei::read_path(target)?;
    let path = namei::lookup(AT_FDCWD, &name, flags & UMOUNT_NOFOLLOW == 0)?;
    // Linux's can_umount.
    may_mount()?;
    if !path.is_mount_root() || !is_in_table(&path.mnt) {
        return Err(Errno::EINVAL);
    }
    do_umount(path, flags).map(|_| 0)
}

/// Linux's do_umount. The root is not unmounted but made read-only; a
/// mount in use (anything but this call's own lookup: working
/// directories, open files, mounts on it) is EBUSY unless MNT_DETACH
/// detaches it now, to be freed when its last user goes.
fn do_umount(path: Path, flags: i32) -> Result<(), Errno> {
    let mnt = path.mnt.clone();
    let is_root = Arc::ptr_eq(&mnt, &root_path().mnt);
    if flags & MNT_EXPIRE != 0 {
        if is_root || flags & (MNT_FORCE | MNT_DETACH) != 0 {
            return Err(Errno::EINVAL);
        }
        if !mnt.mark_expired() {
            return Err(Errno::EAGAIN);
        }
    }
    if is_root && flags & MNT_DETACH == 0 {
        let sb = &mnt.sb;
        if !sb.is_readonly() {
            if sb.writers() > 0 {
                return Err(Errno::EBUSY);
            }
            // A disk root is written back and committed first.
            sb.ops().make_read_only()?;
            sb.set_flags(sb.flags() | SB_RDONLY);
        }
        return Ok(());
    }
    let _ns = ramfs::namespace_lock();
    if flags & MNT_DETACH == 0 && mnt.users() > 1 {
        return Err(Errno::EBUSY);
    }
    drop(path);
    mount::detach_tree(&mnt);
    Ok(())
}
