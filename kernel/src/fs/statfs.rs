//! statfs(2) and fstatfs(2).

use abi::{Errno, Statfs};
use abi::{ST_MANDLOCK, ST_NOATIME, ST_NODEV, ST_NODIRATIME, ST_NOEXEC, ST_NOSUID, ST_RDONLY, ST_RELATIME};
use abi::{ST_NOSYMFOLLOW, ST_SYNCHRONOUS, ST_VALID};

use super::file::get_raw;
use super::mount::{Mount, Path};
use super::mount::{MNT_NOATIME, MNT_NODEV, MNT_NODIRATIME, MNT_NOEXEC, MNT_NOSUID, MNT_NOSYMFOLLOW, MNT_RELATIME};
use super::namei;
use super::super_block::{SB_MANDLOCK, SB_SYNCHRONOUS};
use crate::uaccess::write_user;

/// statfs's f_flags: the mount's flags and the superblock's (Linux's
/// flags_by_mnt and flags_by_sb), always with ST_VALID.
pub fn statfs_flags(mnt: &Mount) -> i64 {
    let mut f = ST_VALID;
    let pairs = [
        (MNT_NOSUID, ST_NOSUID),
        (MNT_NODEV, ST_NODEV),
        (MNT_NOEXEC, ST_NOEXEC),
        (MNT_NOATIME, ST_NOATIME),
        (MNT_NODIRATIME, ST_NODIRATIME),
        (MNT_RELATIME, ST_RELATIME),
        (MNT_NOSYMFOLLOW, ST_NOSYMFOLLOW),
    ];
    for (mnt_flag, st_flag) in pairs {
        if mnt.has(mnt_flag) {
            f |= st_flag;
        }
    }
    if mnt.is_readonly() {
        f |= ST_RDONLY;
    }
    let sb = mnt.sb.flags();
    if sb & SB_SYNCHRONOUS != 0 {
        f |= ST_SYNCHRONOUS;
    }
    if sb & SB_MANDLOCK != 0 {
        f |= ST_MANDLOCK;
    }
    f
}

/// The filesystem's figures (super_block.rs) and the mount's flags.
fn statfs_of(path: &Path) -> Statfs {
    Statfs { f_flags: statfs_flags(&path.mnt), ..path.inode.sb.statfs() }
}

pub fn sys_statfs(path: u64, buf: u64) -> Result<usize, Errno> {
    let path = namei::read_path(path)?;
    let inode = namei::lookup(abi::AT_FDCWD, &path, true)?;
    write_user(buf, &statfs_of(&inode)).map(|_| 0)
}

/// ustat(2): the free blocks and inodes of the mounted filesystem on
/// device `dev` (EINVAL when none is mounted).
pub fn sys_ustat(dev: u32, buf: u64) -> Result<usize, Errno> {
    // The old encoding: 12 bits of major, 20 of minor split around it.
    let (major, minor) = ((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00));
    let wanted = abi::makedev(major, minor);
    let mnt = super::mount::all().into_iter().find(|m| m.root.sb.dev == wanted).ok_or(Errno::EINVAL)?;
    let s = mnt.root.sb.statfs();
    // struct ustat: f_tfree (int), f_tinode (ino_t), f_fname[6], f_fpack[6].
    let mut out = [0u8; 32];
    out[..4].copy_from_slice(&(s.f_bfree as i32).to_le_bytes());
    out[8..16].copy_from_slice(&s.f_ffree.to_le_bytes());
    crate::uaccess::copy_to_user(buf, &out).map(|_| 0)
}

/// sysfs(2): the filesystem types by index, as /proc/filesystems lists
/// them: 1 gives a name's index, 2 an index's name, 3 their count.
pub fn sys_sysfs(option: i32, arg1: u64, arg2: u64) -> Result<usize, Errno> {
    let types = super::fs_type::filesystems();
    match option {
        1 => {
            let name = crate::uaccess::read_user_cstr(arg1, 255, Errno::EINVAL)?;
            types.iter().position(|t| t.name.as_bytes() == name.as_slice()).ok_or(Errno::EINVAL)
        }
        2 => {
            let t = usize::try_from(arg1).ok().and_then(|i| types.get(i)).ok_or(Errno::EINVAL)?;
            let mut name = t.name.as_bytes().to_vec();
            name.push(0);
            crate::uaccess::copy_to_user(arg2, &name).map(|_| 0)
        }
        3 => Ok(types.len()),
        _ => Err(Errno::EINVAL),
    }
}

/// fstatfs(2): O_PATH descriptors work too, as on Linux.
pub fn sys_fstatfs(fd: i32, buf: u64) -> Result<usize, Errno> {
    let file = get_raw(fd)?;
    write_user(buf, &statfs_of(file.path())).map(|_| 0)
}
