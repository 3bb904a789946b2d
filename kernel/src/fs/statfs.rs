//! statfs(2), fstatfs(2), and the sync family: sync(2), syncfs(2),
//! fsync(2), fdatasync(2). The RAM filesystems hold the only copy of their
//! data, so a sync has nothing to write and succeeds where Linux's tmpfs
//! does; a disk filesystem writes back and commits (its `sync`).

use abi::{Errno, Statfs};
use abi::{ST_MANDLOCK, ST_NOATIME, ST_NODEV, ST_NODIRATIME, ST_NOEXEC, ST_NOSUID, ST_RDONLY, ST_RELATIME};
use abi::{ST_SYNCHRONOUS, ST_VALID};

use super::file::{get_file, get_raw};
use super::mount::{Mount, Path};
use super::mount::{MNT_NOATIME, MNT_NODEV, MNT_NODIRATIME, MNT_NOEXEC, MNT_NOSUID, MNT_RELATIME};
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

/// sync(2): every mounted filesystem is written back and committed (RAM
/// filesystems hold nothing to write back); the disks' write caches are
/// flushed. Never fails, as on Linux.
pub fn sys_sync() -> Result<usize, Errno> {
    for sb in super::mount::superblocks() {
        let _ = sb.ops().sync();
    }
    crate::block::flush_all();
    Ok(0)
}

/// syncfs(2): the filesystem of `fd`.
pub fn sys_syncfs(fd: i32) -> Result<usize, Errno> {
    let file = get_file(fd)?;
    file.inode().sb.ops().sync().map(|_| 0)
}

/// fsync(2) and fdatasync(2): EINVAL for files that cannot be synced
/// (pipes, terminals, devices), as Linux.
pub fn sys_fsync(fd: i32) -> Result<usize, Errno> {
    get_file(fd)?.fsync().map(|_| 0)
}
