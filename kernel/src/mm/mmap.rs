//! mmap(2), munmap(2) and brk(2) for anonymous memory.

use abi::{Errno, MapFlags, ProtFlags};

use super::address_space::{page_up, MMAP_MIN_ADDR};
use super::uaccess::USER_LIMIT;
use super::vma::Vma;
use crate::sched::current;

const PAGE: u64 = 4096;

/// Flags this kernel understands; others are rejected by MAP_SHARED_VALIDATE
/// and ignored otherwise, as Linux does.
fn known_flags() -> MapFlags {
    MapFlags::MAP_TYPE
        | MapFlags::MAP_FIXED
        | MapFlags::MAP_ANONYMOUS
        | MapFlags::MAP_NORESERVE
        | MapFlags::MAP_POPULATE
        | MapFlags::MAP_STACK
        | MapFlags::MAP_FIXED_NOREPLACE
        | MapFlags::MAP_DENYWRITE
        | MapFlags::MAP_EXECUTABLE
        | MapFlags::MAP_GROWSDOWN
}

pub fn sys_mmap(addr: u64, len: u64, prot: u32, flags: u32, fd: i32, offset: u64) -> Result<usize, Errno> {
    let flags = MapFlags::from_bits_retain(flags);
    let prot = ProtFlags::from_bits(prot).ok_or(Errno::EINVAL)?;
    if len == 0 || !offset.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    match flags.map_type() {
        1 | 2 => {}
        3 if flags.difference(known_flags()).is_empty() => {}
        3 => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::EINVAL),
    }
    let source = if flags.contains(MapFlags::MAP_ANONYMOUS) {
        None
    } else {
        let file = crate::fs::file::get_file(fd)?;
        match crate::fs::mmap::source(&file, prot, flags)? {
            crate::fs::mmap::Source::File(f) => Some(f),
            crate::fs::mmap::Source::Anonymous => None,
        }
    };
    let len = page_up(len);
    if len == 0 || len > USER_LIMIT {
        return Err(Errno::ENOMEM);
    }
    let fixed = flags.intersects(MapFlags::MAP_FIXED | MapFlags::MAP_FIXED_NOREPLACE);
    if fixed && !addr.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    // Heuristic overcommit, as Linux's default: a mapping larger than all
    // of RAM can never be backed, so it is refused at once.
    if !flags.contains(MapFlags::MAP_NORESERVE) && len > (super::frame::total_count() as u64) * PAGE {
        return Err(Errno::ENOMEM);
    }
    let task = current();
    let as_limit = task.rlimits.lock().get(abi::RLIMIT_AS).rlim_cur;
    let mm = task.mm().ok_or(Errno::ENOMEM)?;
    let mut mm = mm.lock();
    if mm.total_size().saturating_add(len) > as_limit {
        return Err(Errno::ENOMEM);
    }
    let start = if fixed {
        if addr < MMAP_MIN_ADDR || addr.checked_add(len).is_none_or(|end| end > USER_LIMIT) {
            // Linux: below mmap_min_addr is EPERM, past the user limit ENOMEM.
            return Err(if addr < MMAP_MIN_ADDR { Errno::EPERM } else { Errno::ENOMEM });
        }
        if flags.contains(MapFlags::MAP_FIXED_NOREPLACE) && !mm.is_free(addr, addr + len) {
            return Err(Errno::EEXIST);
        }
        mm.unmap_range(addr, addr + len);
        addr
    } else {
        let hint = addr & !(PAGE - 1);
        if hint >= MMAP_MIN_ADDR
            && hint.checked_add(len).is_some_and(|e| e <= USER_LIMIT)
            && mm.is_free(hint, hint + len)
        {
            hint
        } else {
            mm.find_free_area(len).ok_or(Errno::ENOMEM)?
        }
    };
    let mut vma = Vma::from_mmap(start, start + len, prot, flags);
    if let Some(file) = source {
        vma.file = Some(mm.add_file(file));
        vma.pgoff = offset / PAGE;
    }
    mm.insert_vma(vma);
    if flags.contains(MapFlags::MAP_POPULATE) {
        let mut va = start;
        while va < start + len {
            if vma.file.is_some() {
                // Pages past the end of the file stay unmapped (SIGBUS).
                if mm.fault_file_page(va, &vma, false).is_err() {
                    break;
                }
            } else {
                mm.populate_page(va, &vma)?;
            }
            va += PAGE;
        }
    }
    Ok(start as usize)
}

pub fn sys_munmap(addr: u64, len: u64) -> Result<usize, Errno> {
    if !addr.is_multiple_of(PAGE) || len == 0 {
        return Err(Errno::EINVAL);
    }
    let len = page_up(len);
    if addr.checked_add(len).is_none_or(|end| end > USER_LIMIT) {
        return Err(Errno::EINVAL);
    }
    let task = current();
    let mm = task.mm().ok_or(Errno::EINVAL)?;
    mm.lock().unmap_range(addr, addr + len);
    Ok(0)
}

/// brk(2): returns the new break, or the old one when the request fails
/// (the raw system call never returns an error).
pub fn sys_brk(new_brk: u64) -> Result<usize, Errno> {
    let task = current();
    let as_limit = task.rlimits.lock().get(abi::RLIMIT_AS).rlim_cur;
    let mm = task.mm().ok_or(Errno::ENOMEM)?;
    let mut mm = mm.lock();
    let growth = page_up(new_brk).saturating_sub(page_up(mm.brk));
    if mm.total_size().saturating_add(growth) > as_limit {
        return Ok(mm.brk as usize);
    }
    if new_brk < mm.brk_start {
        return Ok(mm.brk as usize);
    }
    if mm.set_brk(new_brk).is_err() {
        return Ok(mm.brk as usize);
    }
    Ok(mm.brk as usize)
}
