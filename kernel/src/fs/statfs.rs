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

/// fstatfs(2): O_PATH descriptors work too, as on Linux.
pub fn sys_fstatfs(fd: i32, buf: u64) -> Result<usize, Errno> {
    let file = get_raw(fd)?;
    write_user(buf, &statfs_of(file.path())).map(|_| 0)
}
