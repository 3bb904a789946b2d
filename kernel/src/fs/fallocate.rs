//! fallocate(2) and fadvise64(2) on the RAM filesystem, with tmpfs's
//! answers: space can be reserved and holes punched; other modes are
//! EOPNOTSUPP; advice is checked and then has nothing to act on.

use abi::Errno;

use super::file::get_file;
use super::filedata::MAX_FILE_SIZE;

const FALLOC_FL_KEEP_SIZE: i32 = 0x01;
const FALLOC_FL_PUNCH_HOLE: i32 = 0x02;
/// Every mode bit Linux knows; others are EOPNOTSUPP.
const FALLOC_FL_KNOWN: i32 = 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x20 | 0x40;
/// POSIX_FADV_NORMAL through POSIX_FADV_NOREUSE.
const POSIX_FADV_MAX: i32 = 5;

pub fn sys_fallocate(fd: i32, mode: i32, offset: i64, len: i64) -> Result<usize, Errno> {
    // Linux's order: the descriptor, then vfs_fallocate's checks.
    let file = get_file(fd)?;
    if offset < 0 || len <= 0 {
        return Err(Errno::EINVAL);
    }
    if mode & !FALLOC_FL_KNOWN != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if mode & FALLOC_FL_PUNCH_HOLE != 0 && mode & FALLOC_FL_KEEP_SIZE == 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if !file.flags().writable() {
        return Err(Errno::EBADF);
    }
    let inode = file.inode();
    if inode.is_fifo() {
        return Err(Errno::ESPIPE);
    }
    if inode.is_dir() {
        return Err(Errno::EISDIR);
    }
    if !inode.is_regular() {
        return Err(Errno::ENODEV);
    }
    // ramfs has no fallocate (nor a limit it could keep).
    if core::ptr::eq(inode.sb.kind, &super::tmpfs::RAMFS) {
        return Err(Errno::EOPNOTSUPP);
    }
    let end = (offset as u64).checked_add(len as u64).filter(|&e| e <= MAX_FILE_SIZE).ok_or(Errno::EFBIG)?;
    // tmpfs does these two; zero-range, collapse and insert it does not.
    if mode & !(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE) != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let mut i = inode.lock();
    let data = i.file_mut()?;
    if mode & FALLOC_FL_PUNCH_HOLE != 0 {
        if let Some(seals) = data.seals() {
            seals.check_punch()?;
        }
        data.punch_hole(offset as u64, end)?;
        i.modified();
        return Ok(0);
    }
    if mode & FALLOC_FL_KEEP_SIZE == 0 {
        super::fsize::check_growth(data.size(), end)?;
    }
    // F_SEAL_GROW refuses space past the end even with KEEP_SIZE (Linux).
    if let Some(seals) = data.seals().filter(|_| end > data.size()) {
        seals.check_resize(data.size(), end)?;
    }
    data.allocate(offset as u64, end)?;
    if mode & FALLOC_FL_KEEP_SIZE == 0 && end > data.size() {
        data.truncate(end);
        i.changed();
    }
    Ok(0)
}

pub fn sys_fadvise64(fd: i32, _offset: i64, len: i64, advice: i32) -> Result<usize, Errno> {
    let file = get_file(fd)?;
    if file.inode().is_fifo() {
        return Err(Errno::ESPIPE);
    }
    if len < 0 || !(0..=POSIX_FADV_MAX).contains(&advice) {
        return Err(Errno::EINVAL);
    }
    Ok(0) // nothing is cached apart from the file itself
}
