//! copy_file_range(2): bytes from one regular file to another on the same
//! filesystem, at given offsets or the files' own.

use alloc::sync::Arc;
use alloc::vec;

use abi::{Errno, OpenFlags};

use super::file::{get_file, OpenFile};
use crate::uaccess::{read_user, write_user};

const CHUNK: usize = 64 * 1024;
/// Linux caps one transfer at MAX_RW_COUNT.
const MAX_RW_COUNT: u64 = 0x7fff_f000;

/// The offset a pointer gives (never negative), or the file's own.
fn offset(file: &OpenFile, ptr: u64) -> Result<u64, Errno> {
    if ptr == 0 {
        return Ok(file.pos());
    }
    let pos: i64 = read_user(ptr)?;
    u64::try_from(pos).map_err(|_| Errno::EINVAL)
}

/// Linux's generic_copy_file_checks, in its order: directories EISDIR,
/// other non-regular files EINVAL, rights EBADF, another filesystem EXDEV.
fn check_files(input: &OpenFile, output: &OpenFile) -> Result<(), Errno> {
    let (from, to) = (input.inode(), output.inode());
    if from.is_dir() || to.is_dir() {
        return Err(Errno::EISDIR);
    }
    if !from.is_regular() || !to.is_regular() {
        return Err(Errno::EINVAL);
    }
    if !input.flags().readable() || !output.flags().writable() || output.flags().contains(OpenFlags::O_APPEND) {
        return Err(Errno::EBADF);
    }
    if !Arc::ptr_eq(&from.sb, &to.sb) {
        return Err(Errno::EXDEV);
    }
    Ok(())
}

pub fn sys_copy_file_range(
    fd_in: i32,
    off_in: u64,
    fd_out: i32,
    off_out: u64,
    len: usize,
    flags: u32,
) -> Result<usize, Errno> {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let input = get_file(fd_in)?;
    let output = get_file(fd_out)?;
    check_files(&input, &output)?;
    let (pos_in, pos_out) = (offset(&input, off_in)?, offset(&output, off_out)?);
    let len = len as u64;
    if pos_in.checked_add(len).is_none() || pos_out.checked_add(len).is_none() {
        return Err(Errno::EOVERFLOW);
    }
    let size = input.inode().lock().file().map_or(0, |f| f.size());
    let count = len.min(size.saturating_sub(pos_in)).min(MAX_RW_COUNT);
    let same = Arc::ptr_eq(input.inode(), output.inode());
    if same && count > 0 && pos_in < pos_out + count && pos_out < pos_in + count {
        return Err(Errno::EINVAL);
    }
    let done = copy(&input, pos_in, &output, pos_out, count as usize)?;
    let done64 = done as u64;
    if off_in == 0 {
        input.set_pos(pos_in + done64);
    } else {
        write_user(off_in, &((pos_in + done64) as i64))?;
    }
    if off_out == 0 {
        output.set_pos(pos_out + done64);
    } else {
        write_user(off_out, &((pos_out + done64) as i64))?;
    }
    Ok(done)
}

/// Copies `count` bytes in chunks; an error after some bytes ends the
/// copy with the count so far.
fn copy(input: &OpenFile, pos_in: u64, output: &OpenFile, pos_out: u64, count: usize) -> Result<usize, Errno> {
    let mut buf = vec![0u8; count.min(CHUNK)];
    let mut done = 0;
    while done < count {
        let want = (count - done).min(CHUNK);
        let step = input
            .pread(&mut buf[..want], pos_in + done as u64)
            .and_then(|n| output.pwrite(&buf[..n], pos_out + done as u64).map(|w| (n, w)));
        match step {
            Ok((0, _)) => break,
            Ok((n, w)) => {
                done += w;
                if w < n {
                    break;
                }
            }
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(done)
}
