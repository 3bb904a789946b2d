//! splice(2), tee(2) and vmsplice(2): moving bytes between a pipe and a
//! file, another pipe or user memory without a user buffer between. A
//! pipe holds bytes, not page references, so the bytes are copied; what
//! the calls promise (how much moves, when they wait, their errors) is
//! Linux's.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use abi::{Errno, OpenFlags};

use super::file::{get_file, OpenFile};
use super::pipe::Pipe;
use super::read_write::read_iovecs;
use crate::uaccess::{copy_from_user, copy_to_user, read_user, write_user};

/// SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT.
const SPLICE_F_ALL: u32 = 0xf;
const SPLICE_F_NONBLOCK: u32 = 2;
/// Linux caps one transfer at MAX_RW_COUNT.
const MAX_RW_COUNT: usize = 0x7fff_f000;

/// The pipe behind a descriptor (a pipe's end or a FIFO), if it is one.
fn pipe_of(file: &OpenFile) -> Option<&Pipe> {
    file.object::<Pipe>()
}

/// Files whose bytes splice can read or write (Linux's files with
/// splice_read and splice_write): regular files, devices and sockets; not
/// directories nor the anonymous files (epoll, eventfd, timerfd...).
fn spliceable(file: &OpenFile) -> bool {
    matches!(file.inode().kind(), abi::S_IFREG | abi::S_IFCHR | abi::S_IFBLK | abi::S_IFSOCK)
}

/// A splice offset read from user memory: a position, never negative.
fn read_offset(ptr: u64) -> Result<Option<u64>, Errno> {
    if ptr == 0 {
        return Ok(None);
    }
    let pos: i64 = read_user(ptr)?;
    u64::try_from(pos).map(Some).map_err(|_| Errno::EINVAL)
}

pub fn sys_splice(fd_in: i32, off_in: u64, fd_out: i32, off_out: u64, len: usize, flags: u32) -> Result<usize, Errno> {
    if len == 0 {
        return Ok(0);
    }
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    let input = get_file(fd_in)?;
    let output = get_file(fd_out)?;
    let (in_pipe, out_pipe) = (pipe_of(&input), pipe_of(&output));
    if (in_pipe.is_some() && off_in != 0) || (out_pipe.is_some() && off_out != 0) {
        return Err(Errno::ESPIPE);
    }
    let pos_in = read_offset(off_in)?;
    let pos_out = read_offset(off_out)?;
    if !input.flags().readable() || !output.flags().writable() {
        return Err(Errno::EBADF);
    }
    let len = len.min(MAX_RW_COUNT);
    let nonblock = |f: &OpenFile| flags & SPLICE_F_NONBLOCK != 0 || f.flags().contains(OpenFlags::O_NONBLOCK);
    match (in_pipe, out_pipe) {
        (Some(from), Some(to)) => {
            if core::ptr::eq(from, to) {
                return Err(Errno::EINVAL);
            }
            pipe_to_pipe(from, to, len, nonblock(&input) || nonblock(&output), false)
        }
        (Some(from), None) => {
            check_file(&output, pos_out)?;
            if output.flags().contains(OpenFlags::O_APPEND) {
                return Err(Errno::EINVAL);
            }
            let n = pipe_to_file(from, &output, pos_out, len, nonblock(&input))?;
            if let Some(pos) = pos_out {
                write_user(off_out, &((pos + n as u64) as i64))?;
            }
            Ok(n)
        }
        (None, Some(to)) => {
            check_file(&input, pos_in)?;
            let n = file_to_pipe(&input, pos_in, to, len, nonblock(&output))?;
            if let Some(pos) = pos_in {
                write_user(off_in, &((pos + n as u64) as i64))?;
            }
            Ok(n)
        }
        (None, None) => Err(Errno::EINVAL),
    }
}

/// The file side of a splice must have bytes to move, and an offset only
/// where it has positions (Linux's FMODE_PREAD and FMODE_PWRITE).
fn check_file(file: &OpenFile, pos: Option<u64>) -> Result<(), Errno> {
    if !spliceable(file) || (pos.is_some() && !file.positioned()) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// As much of `len` as the pipe has room for, read from the file in one
/// step (a stream's bytes, once read, all go into the pipe).
fn file_to_pipe(input: &OpenFile, pos: Option<u64>, pipe: &Pipe, len: usize, nonblock: bool) -> Result<usize, Errno> {
    let room = pipe.wait_room(nonblock)?;
    let mut buf = vec![0u8; len.min(room)];
    let n = match pos {
        Some(p) => input.pread(&mut buf, p)?,
        None => input.read_at_pos(&mut buf)?,
    };
    if pos.is_none() {
        input.advance(n);
    }
    pipe.append(&buf[..n]);
    Ok(n)
}

/// Up to `len` of the bytes the pipe holds (waiting for some), written to
/// the file; what it does not take goes back into the pipe.
fn pipe_to_file(pipe: &Pipe, output: &OpenFile, pos: Option<u64>, len: usize, nonblock: bool) -> Result<usize, Errno> {
    let data = pipe.take(len, nonblock)?;
    if data.is_empty() {
        return Ok(0);
    }
    let written = match pos {
        Some(p) => output.pwrite(&data, p),
        None => output.write(&data),
    };
    let n = *written.as_ref().unwrap_or(&0);
    pipe.put_back(&data[n..]);
    written
}

/// Moves (or, for tee, copies) up to `len` bytes: waits for data in
/// `from` (0 at its end of file), then for room in `to`.
fn pipe_to_pipe(from: &Pipe, to: &Pipe, len: usize, nonblock: bool, copy: bool) -> Result<usize, Errno> {
    if from.peek(1, nonblock)?.is_empty() {
        return Ok(0);
    }
    let room = to.wait_room(nonblock)?;
    let max = len.min(room);
    let data = if copy { from.peek(max, true) } else { from.take(max, true) };
    // Another reader may have emptied `from` meanwhile: nothing moved.
    let data = match data {
        Ok(d) => d,
        Err(Errno::EAGAIN) => Vec::new(),
        Err(e) => return Err(e),
    };
    to.append(&data);
    Ok(data.len())
}

pub fn sys_tee(fd_in: i32, fd_out: i32, len: usize, flags: u32) -> Result<usize, Errno> {
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let input = get_file(fd_in)?;
    let output = get_file(fd_out)?;
    if !input.flags().readable() || !output.flags().writable() {
        return Err(Errno::EBADF);
    }
    match (pipe_of(&input), pipe_of(&output)) {
        (Some(from), Some(to)) if !core::ptr::eq(from, to) => {
            let nonblock =
                flags & SPLICE_F_NONBLOCK != 0 || (input.flags() | output.flags()).contains(OpenFlags::O_NONBLOCK);
            pipe_to_pipe(from, to, len.min(MAX_RW_COUNT), nonblock, true)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_vmsplice(fd: i32, iov: u64, nr_segs: u64, flags: u32) -> Result<usize, Errno> {
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    let file: Arc<OpenFile> = get_file(fd)?;
    let to_pipe = file.flags().writable();
    if !to_pipe && !file.flags().readable() {
        return Err(Errno::EBADF);
    }
    let iovecs = read_iovecs(iov, i32::try_from(nr_segs).map_err(|_| Errno::EINVAL)?)?;
    let total = iovecs.iter().map(|v| v.iov_len as usize).sum::<usize>().min(MAX_RW_COUNT);
    if total == 0 {
        return Ok(0);
    }
    let pipe = pipe_of(&file).ok_or(Errno::EBADF)?;
    let nonblock = flags & SPLICE_F_NONBLOCK != 0;
    if to_pipe {
        let room = pipe.wait_room(nonblock)?;
        let mut data = vec![0u8; total.min(room)];
        let mut filled = 0;
        for v in &iovecs {
            let n = (v.iov_len as usize).min(data.len() - filled);
            copy_from_user(&mut data[filled..filled + n], v.iov_base)?;
            filled += n;
        }
        pipe.append(&data);
        return Ok(filled);
    }
    let data = pipe.take(total, nonblock)?;
    let mut done = 0;
    for v in &iovecs {
        if done == data.len() {
            break;
        }
        let n = (v.iov_len as usize).min(data.len() - done);
        if let Err(e) = copy_to_user(v.iov_base, &data[done..done + n]) {
            pipe.put_back(&data[done..]);
            return if done == 0 { Err(e) } else { Ok(done) };
        }
        done += n;
    }
    Ok(done)
}
