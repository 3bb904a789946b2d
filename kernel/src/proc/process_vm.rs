//! process_vm_readv(2) and process_vm_writev(2): copies between the
//! caller's memory and another process's, each side described by an
//! iovec array, with the other process's page rights honoured.

use alloc::vec;
use alloc::vec::Vec;

use abi::{Errno, Iovec};

use crate::fs::read_write::read_iovecs;
use crate::sched::current;
use crate::uaccess::{copy_from_user, copy_to_user, read_user};

/// Linux's UIO_MAXIOV.
const IOV_MAX: u64 = 1024;
/// Bytes moved per step, so the other space's lock is not held long.
const CHUNK: usize = 64 * 1024;

pub fn sys_process_vm_readv(
    pid: i32,
    local: u64,
    lcnt: u64,
    remote: u64,
    rcnt: u64,
    flags: u64,
) -> Result<usize, Errno> {
    transfer(pid, local, lcnt, remote, rcnt, flags, false)
}

pub fn sys_process_vm_writev(
    pid: i32,
    local: u64,
    lcnt: u64,
    remote: u64,
    rcnt: u64,
    flags: u64,
) -> Result<usize, Errno> {
    transfer(pid, local, lcnt, remote, rcnt, flags, true)
}

/// The other process's iovecs: only read here, their addresses are its.
fn remote_iovecs(addr: u64, count: u64) -> Result<Vec<Iovec>, Errno> {
    let mut total: u64 = 0;
    let mut out = Vec::new();
    for i in 0..count {
        let v: Iovec = read_user(addr + i * core::mem::size_of::<Iovec>() as u64)?;
        total = total.checked_add(v.iov_len).filter(|&t| t <= isize::MAX as u64).ok_or(Errno::EINVAL)?;
        out.push(v);
    }
    Ok(out)
}

/// The (address, length) pieces of `iovecs`, in order, `CHUNK` at most
/// each.
fn pieces(iovecs: &[Iovec]) -> Vec<(u64, usize)> {
    let mut out = Vec::new();
    for v in iovecs {
        let mut at = 0;
        while at < v.iov_len {
            let n = (v.iov_len - at).min(CHUNK as u64);
            out.push((v.iov_base + at, n as usize));
            at += n;
        }
    }
    out
}

fn transfer(pid: i32, local: u64, lcnt: u64, remote: u64, rcnt: u64, flags: u64, write: bool) -> Result<usize, Errno> {
    if flags != 0 || lcnt > IOV_MAX || rcnt > IOV_MAX {
        return Err(Errno::EINVAL);
    }
    let local = read_iovecs(local, lcnt as i32)?;
    let remote = remote_iovecs(remote, rcnt)?;
    let task = u32::try_from(pid).ok().and_then(crate::proc::pid::find).ok_or(Errno::ESRCH)?;
    // Copied out first: the target may be the caller, whose lock this is.
    let mine = current().cred.lock().clone();
    let allowed = mine.may_access(&task.cred.lock(), true);
    if !allowed {
        return Err(Errno::EPERM);
    }
    let mm = task.mm().ok_or(Errno::ESRCH)?;
    drop(task);
    // Both sides cut into pieces; each step moves what both pieces allow.
    let (mut mine, mut theirs) = (pieces(&local).into_iter(), pieces(&remote).into_iter());
    let (mut l, mut r) = (mine.next(), theirs.next());
    let mut done = 0;
    let mut buf = vec![0u8; CHUNK];
    while let (Some((la, ll)), Some((ra, rl))) = (l, r) {
        let n = ll.min(rl);
        let moved = if write {
            if copy_from_user(&mut buf[..n], la).is_err() {
                break;
            }
            mm.lock().write_remote(ra, &buf[..n], false)
        } else {
            let got = mm.lock().read_remote(ra, &mut buf[..n], false);
            if copy_to_user(la, &buf[..got]).is_err() {
                break;
            }
            got
        };
        done += moved;
        if moved < n {
            break;
        }
        l = if ll > n { Some((la + n as u64, ll - n)) } else { mine.next() };
        r = if rl > n { Some((ra + n as u64, rl - n)) } else { theirs.next() };
    }
    if done == 0 && local.iter().chain(&remote).any(|v| v.iov_len > 0) {
        return Err(Errno::EFAULT);
    }
    Ok(done)
}
