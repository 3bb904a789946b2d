//! read(2), write(2), writev(2), close(2).

use alloc::vec;

use abi::{Errno, Iovec};

use super::file::OpenFile;
use crate::mm::uaccess::{copy_from_user_partial, copy_to_user, read_user};
use crate::sched::current;

/// Bytes moved per step between user memory and the file.
const CHUNK: usize = 4096;
/// Linux's UIO_MAXIOV.
const IOV_MAX: usize = 1024;
/// Linux caps one transfer at MAX_RW_COUNT (INT_MAX rounded down to a page).
const MAX_RW_COUNT: usize = 0x7fff_f000;

fn file(fd: i32) -> Result<alloc::sync::Arc<OpenFile>, Errno> {
    current().files.lock().get(fd)
}

pub fn sys_read(fd: i32, buf: u64, count: usize) -> Result<usize, Errno> {
    let file = file(fd)?;
    crate::mm::uaccess::check_user_range(buf, count)?;
    let mut kbuf = vec![0u8; count.min(CHUNK)];
    let n = file.read(&mut kbuf)?;
    copy_to_user(buf, &kbuf[..n])?;
    Ok(n)
}

/// Writes user memory to a file chunk by chunk. A fault after some bytes
/// were written returns the count so far, as Linux does.
fn write_from_user(file: &OpenFile, buf: u64, count: usize) -> Result<usize, Errno> {
    let count = count.min(MAX_RW_COUNT);
    let mut done = 0;
    let mut kbuf = vec![0u8; count.min(CHUNK)];
    while done < count {
        let want = (count - done).min(CHUNK);
        let got = copy_from_user_partial(&mut kbuf[..want], buf + done as u64)?;
        if got == 0 {
            return if done > 0 { Ok(done) } else { Err(Errno::EFAULT) };
        }
        let written = file.write(&kbuf[..got])?;
        done += written;
        if written < got || got < want {
            break;
        }
    }
    if done == 0 && count > 0 {
        return Err(Errno::EFAULT);
    }
    Ok(done)
}

pub fn sys_write(fd: i32, buf: u64, count: usize) -> Result<usize, Errno> {
    let file = file(fd)?;
    if count == 0 {
        return Ok(0);
    }
    crate::mm::uaccess::check_user_range(buf, count)?;
    write_from_user(&file, buf, count)
}

pub fn sys_writev(fd: i32, iov: u64, iovcnt: i32) -> Result<usize, Errno> {
    let file = file(fd)?;
    let iovcnt = usize::try_from(iovcnt).map_err(|_| Errno::EINVAL)?;
    if iovcnt > IOV_MAX {
        return Err(Errno::EINVAL);
    }
    // Read and check every iovec before writing anything, as Linux does.
    let mut iovecs = vec![Iovec::default(); iovcnt];
    let mut total: u64 = 0;
    for (i, v) in iovecs.iter_mut().enumerate() {
        *v = read_user(iov + (i * core::mem::size_of::<Iovec>()) as u64)?;
        if v.iov_len > isize::MAX as u64 {
            return Err(Errno::EINVAL);
        }
        total = total.checked_add(v.iov_len).filter(|&t| t <= isize::MAX as u64).ok_or(Errno::EINVAL)?;
        crate::mm::uaccess::check_user_range(v.iov_base, v.iov_len as usize)?;
    }
    let mut done = 0;
    for v in iovecs.iter().filter(|v| v.iov_len > 0) {
        match write_from_user(&file, v.iov_base, v.iov_len as usize) {
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

pub fn sys_close(fd: i32) -> Result<usize, Errno> {
    current().files.lock().close(fd).map(|_| 0)
}
