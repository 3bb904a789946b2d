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

/// sync_file_range(2): SYNC_FILE_RANGE_WRITE writes the file back (the
/// whole of it: a disk file commits as a whole); the waits are then
/// already over. Pipes and sockets have nothing to write (ESPIPE).
pub fn sys_sync_file_range(fd: i32, offset: i64, nbytes: i64, flags: u32) -> Result<usize, Errno> {
    const WAIT_BEFORE: u32 = 1;
    const WRITE: u32 = 2;
    const WAIT_AFTER: u32 = 4;
    if flags & !(WAIT_BEFORE | WRITE | WAIT_AFTER) != 0 || offset < 0 || nbytes < 0 {
        return Err(Errno::EINVAL);
    }
    if offset.checked_add(nbytes).is_none() {
        return Err(Errno::EINVAL);
    }
    let file = get_file(fd)?;
    if !matches!(file.inode().kind(), abi::S_IFREG | abi::S_IFBLK | abi::S_IFDIR | abi::S_IFLNK) {
        return Err(Errno::ESPIPE);
    }
    if flags & WRITE != 0 {
        file.fsync()?;
    }
    Ok(0)
}

/// readahead(2): reads `count` bytes from `offset` into the page cache
/// (a regular file's; EINVAL for others), up to the end of the file.
pub fn sys_readahead(fd: i32, offset: i64, count: usize) -> Result<usize, Errno> {
    let file = get_file(fd)?;
    if !file.flags().readable() {
        return Err(Errno::EBADF);
    }
    if !file.inode().is_regular() {
        return Err(Errno::EINVAL);
    }
    let size = file.inode().stat().st_size as u64;
    let start = u64::try_from(offset).unwrap_or(0);
    let end = start.saturating_add(count as u64).min(size);
    let mut scratch = alloc::vec![0u8; 64 * 1024];
    let mut at = start;
    while at < end {
        let want = ((end - at) as usize).min(scratch.len());
        match file.pread(&mut scratch[..want], at) {
            Ok(0) | Err(_) => break,
            Ok(n) => at += n as u64,
        }
    }
    Ok(0)
}
