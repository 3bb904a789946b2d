//! The sync family: sync(2), syncfs(2), fsync(2), fdatasync(2). The RAM
//! filesystems hold the only copy of their data, so a sync has nothing to
//! write and succeeds where Linux's tmpfs does; a disk filesystem writes
//! back and commits (its `sync`).

use abi::Errno;

use super::file::get_file;

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
