//! mprotect(2): new rights for the pages of existing areas.

use abi::{Errno, ProtFlags};

use super::address_space::{page_up, AddressSpace};
use crate::sched::current;
use crate::uaccess::USER_LIMIT;

pub(super) const PAGE: u64 = 4096;

/// Checks a page-aligned range of user addresses; returns its end.
pub(super) fn range(addr: u64, len: u64) -> Result<u64, Errno> {
    if !addr.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    let end = addr.checked_add(page_up(len)).ok_or(Errno::ENOMEM)?;
    if end > USER_LIMIT {
        return Err(Errno::ENOMEM);
    }
    Ok(end)
}

/// Runs `f` on the calling process's address space.
pub(super) fn with_mm<R>(f: impl FnOnce(&mut AddressSpace) -> Result<R, Errno>) -> Result<R, Errno> {
    let mm = current().mm().ok_or(Errno::ENOMEM)?;
    let mut mm = mm.lock();
    f(&mut mm)
}

pub fn sys_mprotect(addr: u64, len: u64, prot: u32) -> Result<usize, Errno> {
    let end = range(addr, len)?;
    let prot = ProtFlags::from_bits(prot).ok_or(Errno::EINVAL)?;
    if prot.contains(ProtFlags::PROT_GROWSDOWN | ProtFlags::PROT_GROWSUP) {
        return Err(Errno::EINVAL);
    }
    let prot = prot & (ProtFlags::PROT_READ | ProtFlags::PROT_WRITE | ProtFlags::PROT_EXEC);
    if end == addr {
        return Ok(0);
    }
    with_mm(|mm| mm.protect(addr, end, prot)).map(|()| 0)
}
