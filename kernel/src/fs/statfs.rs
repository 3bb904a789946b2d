//! statfs(2), fstatfs(2), and the sync family: sync(2), syncfs(2),
//! fsync(2), fdatasync(2). The RAM filesystem holds the only copy of its
//! data, so a sync has nothing to write and succeeds where Linux's tmpfs
//! does.

use abi::{Errno, Statfs, ST_RELATIME, ST_VALID, TMPFS_MAGIC};

use super::file::{get_file, get_raw};
use super::inode::{live_inodes, Inode};
use super::namei;
use crate::mm::frame;
use crate::mm::uaccess::write_user;

/// What tmpfs reports: its blocks are pages of RAM, and it can hold about
/// as many inodes as there are pages.
fn statfs_of(_inode: &Inode) -> Statfs {
    let total = frame::total_count() as u64;
    let free = frame::free_count() as u64;
    Statfs {
        f_type: TMPFS_MAGIC,
        f_bsize: 4096,
        f_blocks: total,
        f_bfree: free,
        f_bavail: free,
        f_files: total,
        f_ffree: total.saturating_sub(live_inodes()),
        f_namelen: namei::NAME_MAX as i64,
        f_frsize: 4096,
        f_flags: ST_VALID | ST_RELATIME,
        ..Statfs::default()
    }
}

pub fn sys_statfs(path: u64, buf: u64) -> Result<usize, Errno> {
    let path = namei::read_path(path)?;
    let inode = namei::lookup(abi::AT_FDCWD, &path, true)?;
    write_user(buf, &statfs_of(&inode)).map(|_| 0)
}

/// fstatfs(2): O_PATH descriptors work too, as on Linux.
pub fn sys_fstatfs(fd: i32, buf: u64) -> Result<usize, Errno> {
    let file = get_raw(fd)?;
    write_user(buf, &statfs_of(file.inode())).map(|_| 0)
}

pub fn sys_sync() -> Result<usize, Errno> {
    Ok(0)
}

pub fn sys_syncfs(fd: i32) -> Result<usize, Errno> {
    get_file(fd).map(|_| 0)
}

/// fsync(2) and fdatasync(2): EINVAL for files that cannot be synced
/// (pipes, terminals, devices), as Linux.
pub fn sys_fsync(fd: i32) -> Result<usize, Errno> {
    get_file(fd)?.fsync().map(|_| 0)
}
