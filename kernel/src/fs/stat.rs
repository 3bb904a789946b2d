//! stat(2), lstat(2), fstat(2), newfstatat(2) and statx(2).

use abi::{major, minor, AtFlags, Errno, Stat, Statx, StatxTimestamp};
use abi::{STATX_BASIC_STATS, STATX_BTIME, STATX_MNT_ID};

use super::file::get_raw;
use super::namei;
use crate::uaccess::write_user;

/// statx's reserved request bit: EINVAL, as Linux.
const STATX_RESERVED: u32 = 0x8000_0000;

pub fn sys_fstat(fd: i32, buf: u64) -> Result<usize, Errno> {
    let stat = get_raw(fd)?.inode().stat();
    write_user(buf, &stat).map(|_| 0)
}

pub fn sys_newfstatat(dirfd: i32, path: u64, buf: u64, flags: u32) -> Result<usize, Errno> {
    let allowed = AtFlags::AT_SYMLINK_NOFOLLOW | AtFlags::AT_EMPTY_PATH | AtFlags::AT_NO_AUTOMOUNT;
    let flags = AtFlags::from_bits(flags).filter(|f| allowed.contains(*f)).ok_or(Errno::EINVAL)?;
    let path = namei::read_path(path)?;
    let stat: Stat = namei::lookup_at(dirfd, &path, flags)?.stat();
    write_user(buf, &stat).map(|_| 0)
}

pub fn sys_stat(path: u64, buf: u64) -> Result<usize, Errno> {
    sys_newfstatat(abi::AT_FDCWD, path, buf, 0)
}

pub fn sys_lstat(path: u64, buf: u64) -> Result<usize, Errno> {
    sys_newfstatat(abi::AT_FDCWD, path, buf, AtFlags::AT_SYMLINK_NOFOLLOW.bits())
}

fn timestamp(sec: i64, nsec: i64) -> StatxTimestamp {
    StatxTimestamp { tv_sec: sec, tv_nsec: nsec as u32, __reserved: 0 }
}

/// statx(2): everything stat has, plus the creation time and the mount id. Fields are
/// filled whatever the mask asks, and stx_mask says which are valid.
/// statx's attributes and the mask of those this file's filesystem knows:
/// the mount root always, and the inode flags (compressed, immutable,
/// append-only, nodump; the same bits as FS_IOC_GETFLAGS's) where the
/// filesystem keeps them.
fn statx_attributes(path: &super::mount::Path) -> (u64, u64) {
    const STATX_ATTR_MOUNT_ROOT: u64 = 0x2000;
    const INODE_FLAGS: u64 = 0x4 | 0x10 | 0x20 | 0x40;
    let mut attributes = if path.is_mount_root() { STATX_ATTR_MOUNT_ROOT } else { 0 };
    let mut mask = STATX_ATTR_MOUNT_ROOT;
    if let Some(Ok(flags)) = path.inode.sb.ops().inode_flags(&path.inode) {
        mask |= INODE_FLAGS;
        attributes |= u64::from(flags) & INODE_FLAGS;
    }
    (attributes, mask)
}

pub fn sys_statx(dirfd: i32, path: u64, flags: u32, mask: u32, buf: u64) -> Result<usize, Errno> {
    let allowed = AtFlags::AT_SYMLINK_NOFOLLOW
        | AtFlags::AT_EMPTY_PATH
        | AtFlags::AT_NO_AUTOMOUNT
        | AtFlags::AT_STATX_FORCE_SYNC
        | AtFlags::AT_STATX_DONT_SYNC;
    let flags = AtFlags::from_bits(flags).filter(|f| allowed.contains(*f)).ok_or(Errno::EINVAL)?;
    if flags.contains(AtFlags::AT_STATX_SYNC_TYPE) || mask & STATX_RESERVED != 0 {
        return Err(Errno::EINVAL);
    }
    let path = namei::read_path(path)?;
    let inode = namei::lookup_at(dirfd, &path, flags)?;
    let s = inode.stat();
    let btime = inode.sb.round_time(inode.lock().btime);
    let (attributes, attributes_mask) = statx_attributes(&inode);
    let stx = Statx {
        stx_mask: STATX_BASIC_STATS | STATX_BTIME | STATX_MNT_ID,
        stx_mnt_id: u64::from(inode.mnt.id),
        stx_blksize: s.st_blksize as u32,
        stx_nlink: s.st_nlink as u32,
        stx_uid: s.st_uid,
        stx_gid: s.st_gid,
        stx_mode: s.st_mode as u16,
        stx_ino: s.st_ino,
        stx_size: s.st_size as u64,
        stx_blocks: s.st_blocks as u64,
        stx_atime: timestamp(s.st_atime, s.st_atime_nsec),
        stx_btime: timestamp(btime.tv_sec, btime.tv_nsec),
        stx_ctime: timestamp(s.st_ctime, s.st_ctime_nsec),
        stx_mtime: timestamp(s.st_mtime, s.st_mtime_nsec),
        stx_rdev_major: major(s.st_rdev),
        stx_rdev_minor: minor(s.st_rdev),
        stx_dev_major: major(s.st_dev),
        stx_dev_minor: minor(s.st_dev),
        stx_attributes: attributes,
        stx_attributes_mask: attributes_mask,
        ..Statx::default()
    };
    write_user(buf, &stx).map(|_| 0)
}
