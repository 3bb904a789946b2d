//! read(2), write(2), readv(2), writev(2), pread64(2), pwrite64(2),
//! preadv(2), pwritev(2), sendfile(2), lseek(2).

use alloc::vec;
use alloc::vec::Vec;

use abi::fcntl::{SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET};
use abi::{Errno, Iovec, OpenFlags};

use super::file::{get_file, OpenFile};
use crate::uaccess::{check_user_range, copy_from_user_partial, copy_to_user, read_user};

/// Bytes moved per step between user memory and a file.
const CHUNK: usize = 64 * 1024;
/// Linux's UIO_MAXIOV.
const IOV_MAX: usize = 1024;
/// Linux caps one transfer at MAX_RW_COUNT (INT_MAX rounded down to a page).
const MAX_RW_COUNT: usize = 0x7fff_f000;

/// Where a transfer happens: at the file offset, or at an explicit
/// position that the offset does not follow (pread/pwrite).
#[derive(Clone, Copy)]
enum At {
    Offset,
    Pos(u64),
}

/// Reads into user memory. A file that may block is read once (another
/// read could wait for data that never comes); others until `count` bytes,
/// the end of the file, or a fault after some bytes, which returns the
/// count so far, as Linux does.
fn read_to_user(file: &OpenFile, buf: u64, count: usize, at: At, extra: OpenFlags) -> Result<usize, Errno> {
    let count = count.min(MAX_RW_COUNT);
    let mut kbuf = vec![0u8; count.min(CHUNK)];
    let mut done = 0;
    loop {
        let want = (count - done).min(CHUNK);
        let step = match at {
            At::Offset => file.read_at_pos_with(&mut kbuf[..want], extra),
            At::Pos(pos) => file.pread(&mut kbuf[..want], pos + done as u64),
        };
        let n = match step {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if let Err(e) = copy_to_user(buf + done as u64, &kbuf[..n]) {
            if done == 0 {
                return Err(e);
            }
            break;
        }
        if let At::Offset = at {
            file.advance(n);
        }
        done += n;
        let may_block = matches!(at, At::Offset) && !file.never_blocks();
        if may_block || n < want || done == count {
            break;
        }
    }
    if done > 0 {
        super::notify::notify_file(file, super::notify::IN_ACCESS);
    }
    Ok(done)
}

/// Writes user memory to a file chunk by chunk. A fault after some bytes
/// were written returns the count so far, as Linux does.
fn write_from_user(file: &OpenFile, buf: u64, count: usize, at: At, extra: OpenFlags) -> Result<usize, Errno> {
    let count = count.min(MAX_RW_COUNT);
    let mut done = 0;
    let mut kbuf = vec![0u8; count.min(CHUNK)];
    while done < count {
        let want = (count - done).min(CHUNK);
        let got = copy_from_user_partial(&mut kbuf[..want], buf + done as u64)?;
        if got == 0 {
            break;
        }
        let step = match at {
            At::Offset => file.write_with(&kbuf[..got], extra),
            At::Pos(pos) => file.pwrite_with(&kbuf[..got], pos + done as u64, extra),
        };
        let written = match step {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += written;
        if written < got || got < want {
            break;
        }
    }
    if done == 0 && count > 0 {
        return Err(Errno::EFAULT);
    }
    super::notify::notify_file(file, super::notify::IN_MODIFY);
    Ok(done)
}

pub fn sys_read(fd: i32, buf: u64, count: usize) -> Result<usize, Errno> {
    let file = get_file(fd)?;
    check_user_range(buf, count)?;
    read_to_user(&file, buf, count, At::Offset, OpenFlags::empty())
}

pub fn sys_write(fd: i32, buf: u64, count: usize) -> Result<usize, Errno> {
    let file = get_file(fd)?;
    if count == 0 {
        // Still asks the file: /dev/full refuses even zero bytes.
        return file.write(&[]);
    }
    check_user_range(buf, count)?;
    write_from_user(&file, buf, count, At::Offset, OpenFlags::empty())
}

fn check_pos(pos: i64) -> Result<u64, Errno> {
    u64::try_from(pos).map_err(|_| Errno::EINVAL)
}

pub fn sys_pread64(fd: i32, buf: u64, count: usize, pos: i64) -> Result<usize, Errno> {
    let file = get_file(fd)?;
    let pos = check_pos(pos)?;
    check_user_range(buf, count)?;
    read_to_user(&file, buf, count, At::Pos(pos), OpenFlags::empty())
}

pub fn sys_pwrite64(fd: i32, buf: u64, count: usize, pos: i64) -> Result<usize, Errno> {
    let file = get_file(fd)?;
    let pos = check_pos(pos)?;
    if count == 0 {
        return file.pwrite(&[], pos);
    }
    check_user_range(buf, count)?;
    write_from_user(&file, buf, count, At::Pos(pos), OpenFlags::empty())
}

/// Reads and checks a whole iovec array before any transfer, as Linux does.
pub fn read_iovecs(iov: u64, iovcnt: i32) -> Result<Vec<Iovec>, Errno> {
    let iovcnt = usize::try_from(iovcnt).map_err(|_| Errno::EINVAL)?;
    if iovcnt > IOV_MAX {
        return Err(Errno::EINVAL);
    }
    let mut iovecs = vec![Iovec::default(); iovcnt];
    let mut total: u64 = 0;
    for (i, v) in iovecs.iter_mut().enumerate() {
        *v = read_user(iov + (i * core::mem::size_of::<Iovec>()) as u64)?;
        if v.iov_len > isize::MAX as u64 {
            return Err(Errno::EINVAL);
        }
        total = total.checked_add(v.iov_len).filter(|&t| t <= isize::MAX as u64).ok_or(Errno::EINVAL)?;
        check_user_range(v.iov_base, v.iov_len as usize)?;
    }
    Ok(iovecs)
}

/// Transfers each buffer in turn; a short transfer ends the call, an error
/// after some bytes returns the count so far.
fn vectored(file: &OpenFile, iovecs: &[Iovec], at: At, write: bool, extra: OpenFlags) -> Result<usize, Errno> {
    let mut done = 0;
    for v in iovecs.iter().filter(|v| v.iov_len > 0) {
        let here = match at {
            At::Offset => At::Offset,
            At::Pos(pos) => At::Pos(pos + done as u64),
        };
        let step = if write {
            write_from_user(file, v.iov_base, v.iov_len as usize, here, extra)
        } else {
            read_to_user(file, v.iov_base, v.iov_len as usize, here, extra)
        };
        match step {
            Ok(n) => {
                done += n;
                if n < v.iov_len as usize {
                    break;
                }
            }
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(done)
}

pub fn sys_readv(fd: i32, iov: u64, iovcnt: i32) -> Result<usize, Errno> {
    let file = get_file(fd)?;
    let iovecs = read_iovecs(iov, iovcnt)?;
    vectored(&file, &iovecs, At::Offset, false, OpenFlags::empty())
}

pub fn sys_writev(fd: i32, iov: u64, iovcnt: i32) -> Result<usize, Errno> {
    let file = get_file(fd)?;
    let iovecs = read_iovecs(iov, iovcnt)?;
    vectored(&file, &iovecs, At::Offset, true, OpenFlags::empty())
}

pub fn sys_preadv(fd: i32, iov: u64, iovcnt: i32, pos: i64) -> Result<usize, Errno> {
    let file = get_file(fd)?;
    let iovecs = read_iovecs(iov, iovcnt)?;
    let pos = check_pos(pos)?;
    vectored(&file, &iovecs, At::Pos(pos), false, OpenFlags::empty())
}

pub fn sys_pwritev(fd: i32, iov: u64, iovcnt: i32, pos: i64) -> Result<usize, Errno> {
    let file = get_file(fd)?;
    let iovecs = read_iovecs(iov, iovcnt)?;
    let pos = check_pos(pos)?;
    vectored(&file, &iovecs, At::Pos(pos), true, OpenFlags::empty())
}

/// preadv2's and pwritev2's flags (RWF_HIPRI, RWF_DSYNC, RWF_SYNC,
/// RWF_NOWAIT, RWF_APPEND); others are EOPNOTSUPP.
const RWF_SUPPORTED: u32 = 0x1f;
const RWF_DSYNC: u32 = 0x2;
const RWF_SYNC: u32 = 0x4;
const RWF_NOWAIT: u32 = 0x8;
const RWF_APPEND: u32 = 0x10;

/// preadv2 and pwritev2: at `pos`, or at the file offset when it is -1;
/// the flags for this call only. As Linux, an empty transfer checks no
/// flag, and RWF_NOWAIT needs a file that can avoid waiting (regular
/// files, pipes, sockets).
fn vectored2(fd: i32, iov: u64, iovcnt: i32, pos: i64, flags: u32, write: bool) -> Result<usize, Errno> {
    if pos < -1 {
        return Err(Errno::EINVAL);
    }
    let file = get_file(fd)?;
    let at = if pos == -1 { At::Offset } else { At::Pos(pos as u64) };
    if pos != -1 && !file.positioned() {
        return Err(Errno::ESPIPE);
    }
    let iovecs = read_iovecs(iov, iovcnt)?;
    if iovecs.iter().all(|v| v.iov_len == 0) {
        return Ok(0);
    }
    let nowait_capable = matches!(file.inode().kind(), abi::S_IFREG | abi::S_IFIFO | abi::S_IFSOCK);
    if flags & !RWF_SUPPORTED != 0 || (flags & RWF_NOWAIT != 0 && !nowait_capable) {
        return Err(Errno::EOPNOTSUPP);
    }
    let mut extra = OpenFlags::empty();
    if flags & RWF_NOWAIT != 0 {
        extra |= OpenFlags::O_NONBLOCK;
    }
    if write && flags & RWF_APPEND != 0 {
        extra |= OpenFlags::O_APPEND;
    }
    let n = vectored(&file, &iovecs, at, write, extra)?;
    if write && flags & (RWF_DSYNC | RWF_SYNC) != 0 {
        file.fsync()?;
    }
    Ok(n)
}

pub fn sys_preadv2(fd: i32, iov: u64, iovcnt: i32, pos: i64, flags: u32) -> Result<usize, Errno> {
    vectored2(fd, iov, iovcnt, pos, flags, false)
}

pub fn sys_pwritev2(fd: i32, iov: u64, iovcnt: i32, pos: i64, flags: u32) -> Result<usize, Errno> {
    vectored2(fd, iov, iovcnt, pos, flags, true)
}

/// sendfile(2): copies from `in_fd` (at `*offset` when given, which is
/// then updated and the file offset left alone) to `out_fd`, in the
/// kernel. Stops at the end of the input or at a short write.
pub fn sys_sendfile(out_fd: i32, in_fd: i32, offset: u64, count: usize) -> Result<usize, Errno> {
    let input = get_file(in_fd)?;
    let output = get_file(out_fd)?;
    if !input.flags().readable() || !output.flags().writable() {
        return Err(Errno::EBADF);
    }
    if output.flags().contains(abi::OpenFlags::O_APPEND) {
        return Err(Errno::EINVAL);
    }
    let mut pos = match offset {
        0 => None,
        addr => Some(check_pos(read_user::<i64>(addr)?)?),
    };
    let count = count.min(MAX_RW_COUNT);
    let mut kbuf = vec![0u8; count.min(CHUNK)];
    let mut done = 0;
    while done < count {
        let want = (count - done).min(CHUNK);
        let step = match pos {
            Some(p) => input.pread(&mut kbuf[..want], p),
            None => input.read_at_pos(&mut kbuf[..want]),
        };
        let got = match step {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        let written = match output.write(&kbuf[..got]) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => 0,
        };
        // Only what reached the output counts as consumed.
        match &mut pos {
            Some(p) => *p += written as u64,
            None => input.advance(written),
        }
        done += written;
        if written < got || !input.never_blocks() {
            break;
        }
    }
    if let (Some(p), true) = (pos, offset != 0) {
        crate::uaccess::write_user(offset, &(p as i64))?;
    }
    Ok(done)
}

/// lseek for files with an offset and a size (Linux's
/// generic_file_llseek_size): the result may not be negative; SEEK_DATA
/// and SEEK_HOLE treat the whole file as data, which a RAM file is.
pub fn generic_seek(pos: u64, size: u64, offset: i64, whence: i32) -> Result<u64, Errno> {
    let base = match whence {
        SEEK_SET => 0,
        SEEK_CUR => pos as i64,
        SEEK_END => size as i64,
        SEEK_DATA | SEEK_HOLE => {
            if offset as u64 >= size {
                return Err(Errno::ENXIO);
            }
            return Ok(if whence == SEEK_DATA { offset as u64 } else { size });
        }
        _ => return Err(Errno::EINVAL),
    };
    let new = base.checked_add(offset).ok_or(Errno::EINVAL)?;
    u64::try_from(new).map_err(|_| Errno::EINVAL)
}

pub fn sys_lseek(fd: i32, offset: i64, whence: i32) -> Result<usize, Errno> {
    get_file(fd)?.seek(offset, whence).map(|pos| pos as usize)
}
