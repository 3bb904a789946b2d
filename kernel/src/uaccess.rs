//! Copies between kernel buffers and user memory. User pointers are never
//! dereferenced anywhere else: every access checks that the range lies
//! below the user limit, then copies through the fault-recovering routine,
//! so a bad pointer is EFAULT and never a kernel crash.
//!
//! Rule: never call these while holding the current address space's lock;
//! a copy may fault, and the fault handler takes that lock.

use alloc::vec::Vec;
use bytemuck::Pod;

use abi::Errno;

use machine::user::{copy_from_user as copy_from_user_raw, copy_to_user as copy_to_user_raw};

pub use machine::user::USER_LIMIT;

pub fn check_user_range(addr: u64, len: usize) -> Result<(), Errno> {
    match addr.checked_add(len as u64) {
        Some(end) if end <= USER_LIMIT => Ok(()),
        _ => Err(Errno::EFAULT),
    }
}

pub fn copy_from_user(dst: &mut [u8], src: u64) -> Result<(), Errno> {
    check_user_range(src, dst.len())?;
    if copy_from_user_raw(dst, src) == 0 {
        Ok(())
    } else {
        Err(Errno::EFAULT)
    }
}

pub fn copy_to_user(dst: u64, src: &[u8]) -> Result<(), Errno> {
    check_user_range(dst, src.len())?;
    if copy_to_user_raw(dst, src) == 0 {
        Ok(())
    } else {
        Err(Errno::EFAULT)
    }
}

/// Copies as much of `dst` as is readable; returns how many bytes were copied.
pub fn copy_from_user_partial(dst: &mut [u8], src: u64) -> Result<usize, Errno> {
    check_user_range(src, dst.len())?;
    Ok(dst.len() - copy_from_user_raw(dst, src))
}

pub fn read_user<T: Pod>(addr: u64) -> Result<T, Errno> {
    let mut value = T::zeroed();
    copy_from_user(bytemuck::bytes_of_mut(&mut value), addr)?;
    Ok(value)
}

pub fn write_user<T: Pod>(addr: u64, value: &T) -> Result<(), Errno> {
    copy_to_user(addr, bytemuck::bytes_of(value))
}

/// Replaces the user word at `addr` with `new` if it holds `old`, as one
/// atomic step against threads on other CPUs; returns what it held.
pub fn compare_exchange_user(addr: u64, old: u32, new: u32) -> Result<u32, Errno> {
    machine::user::compare_exchange_user_u32(addr, old, new).ok_or(Errno::EFAULT)
}

/// Reads a NUL-terminated string of at most `max` bytes (without the NUL).
/// Copies page by page, so a string that ends just before an unmapped page
/// is read correctly. ENAMETOOLONG-style callers pass their own limit error.
pub fn read_user_cstr(addr: u64, max: usize, too_long: Errno) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut at = addr;
    loop {
        let chunk_len = (4096 - (at % 4096)) as usize;
        let mut chunk = [0u8; 4096];
        let chunk = &mut chunk[..chunk_len];
        copy_from_user(chunk, at)?;
        if let Some(nul) = chunk.iter().position(|&b| b == 0) {
            out.extend_from_slice(&chunk[..nul]);
            if out.len() > max {
                return Err(too_long);
            }
            return Ok(out);
        }
        out.extend_from_slice(chunk);
        if out.len() > max {
            return Err(too_long);
        }
        at += chunk_len as u64;
    }
}
