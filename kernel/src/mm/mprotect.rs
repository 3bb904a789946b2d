//! mprotect(2), msync(2), madvise(2), mincore(2): calls that act on the
//! pages of existing areas.

use alloc::vec::Vec;

use abi::{Errno, ProtFlags};

use super::address_space::{page_up, AddressSpace};
use super::frame;
use super::paging::{PTE_ADDR_MASK, PTE_PRESENT, PTE_PROTNONE, PTE_WRITABLE};
use super::uaccess::{copy_to_user, USER_LIMIT};
use crate::sched::current;

const PAGE: u64 = 4096;

/// Checks a page-aligned range of user addresses; returns its end.
fn range(addr: u64, len: u64) -> Result<u64, Errno> {
    if !addr.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    let end = addr.checked_add(page_up(len)).ok_or(Errno::ENOMEM)?;
    if end > USER_LIMIT {
        return Err(Errno::ENOMEM);
    }
    Ok(end)
}

fn with_mm<R>(f: impl FnOnce(&mut AddressSpace) -> Result<R, Errno>) -> Result<R, Errno> {
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
    with_mm(|mm| {
        if !mm.fully_mapped(addr, end) {
            return Err(Errno::ENOMEM);
        }
        mm.split_at(addr);
        mm.split_at(end);
        let mut shared = Vec::new();
        for vma in mm.vmas_in(addr, end) {
            vma.prot = prot;
            shared.push((vma.start, vma.end, vma.shared, vma.pte_flags()));
        }
        for (start, stop, is_shared, flags) in shared {
            for (va, entry) in mm.pages(start, stop) {
                let frame = entry & PTE_ADDR_MASK;
                let new = if prot.is_empty() {
                    frame | PTE_PROTNONE
                } else if !is_shared && frame::ref_count(frame) > 1 {
                    // Still shared copy-on-write: the first write copies it.
                    (frame | flags | PTE_PRESENT) & !PTE_WRITABLE
                } else {
                    frame | flags | PTE_PRESENT
                };
                mm.set_page_entry(va, new);
            }
        }
        mm.merge_all();
        Ok(0)
    })
}

pub fn sys_msync(addr: u64, len: u64, flags: i32) -> Result<usize, Errno> {
    use abi::mman::{MS_ASYNC, MS_INVALIDATE, MS_SYNC};
    if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0 || (flags & MS_ASYNC != 0 && flags & MS_SYNC != 0) {
        return Err(Errno::EINVAL);
    }
    let end = range(addr, len)?;
    let files =
        with_mm(|mm| if mm.fully_mapped(addr, end) { Ok(mm.shared_files_in(addr, end)) } else { Err(Errno::ENOMEM) })?;
    // MS_SYNC writes shared file mappings back before it returns (Linux's
    // vfs_fsync_range); MS_ASYNC leaves them to the periodic writeback;
    // anonymous memory has nothing to write to.
    if flags & MS_SYNC != 0 {
        for file in files {
            file.sync()?;
        }
    }
    Ok(0)
}

pub fn sys_madvise(addr: u64, len: u64, advice: i32) -> Result<usize, Errno> {
    use abi::mman::*;
    let end = range(addr, len)?;
    let known_hint = matches!(
        advice,
        MADV_NORMAL
            | MADV_RANDOM
            | MADV_SEQUENTIAL
            | MADV_WILLNEED
            | MADV_DONTFORK
            | MADV_DOFORK
            | MADV_MERGEABLE
            | MADV_UNMERGEABLE
            | MADV_HUGEPAGE
            | MADV_NOHUGEPAGE
            | MADV_DONTDUMP
            | MADV_DODUMP
            | MADV_KEEPONFORK
            | MADV_COLD
            | MADV_PAGEOUT
    );
    let zap = matches!(advice, MADV_DONTNEED | MADV_FREE);
    if !known_hint && !zap {
        return Err(Errno::EINVAL);
    }
    with_mm(|mm| {
        let mapped = mm.fully_mapped(addr, end);
        if zap {
            // The pages go; the next touch maps zeroes (private memory) or
            // the shared frames' contents again from the other sharers.
            for (va, entry) in mm.pages(addr, end) {
                mm.set_page_entry(va, 0);
                frame::free(entry & PTE_ADDR_MASK);
            }
        }
        if mapped {
            Ok(0)
        } else {
            Err(Errno::ENOMEM)
        }
    })
}

pub fn sys_mincore(addr: u64, len: u64, vec: u64) -> Result<usize, Errno> {
    let end = range(addr, len)?;
    let resident = with_mm(|mm| {
        if !mm.fully_mapped(addr, end) {
            return Err(Errno::ENOMEM);
        }
        let mut bytes = alloc::vec![0u8; ((end - addr) / PAGE) as usize];
        for (va, _) in mm.pages(addr, end) {
            bytes[((va - addr) / PAGE) as usize] = 1;
        }
        Ok(bytes)
    })?;
    copy_to_user(vec, &resident)?;
    Ok(0)
}
