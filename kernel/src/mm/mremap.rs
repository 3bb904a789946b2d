//! mremap(2): shrink an area, grow it in place, or move it (MREMAP_MAYMOVE,
//! MREMAP_FIXED) keeping its pages.

use abi::{Errno, MremapFlags};

use super::address_space::{page_up, AddressSpace, MMAP_MIN_ADDR};
use super::mlock::MemlockLimit;
use super::vma::{Mlock, Vma};
use crate::sched::current;
use crate::uaccess::USER_LIMIT;

const PAGE: u64 = 4096;

pub fn sys_mremap(old: u64, old_len: u64, new_len: u64, flags: u32, new_addr: u64) -> Result<usize, Errno> {
    let flags = MremapFlags::from_bits(flags).ok_or(Errno::EINVAL)?;
    let may_move = flags.contains(MremapFlags::MREMAP_MAYMOVE);
    let fixed = flags.contains(MremapFlags::MREMAP_FIXED);
    if !old.is_multiple_of(PAGE) || (fixed && !may_move) || flags.contains(MremapFlags::MREMAP_DONTUNMAP) {
        return Err(Errno::EINVAL);
    }
    let (old_len, new_len) = (page_up(old_len), page_up(new_len));
    if new_len == 0 || old_len == 0 {
        // old_len 0 duplicates a shared mapping on Linux: not supported.
        return Err(Errno::EINVAL);
    }
    let task = current();
    let as_limit = task.rlimits.lock().get(abi::RLIMIT_AS).rlim_cur;
    let memlock = MemlockLimit::of(&task);
    let mm = task.mm().ok_or(Errno::EFAULT)?;
    drop(task);
    let mut mm = mm.lock();
    let old_end = old.checked_add(old_len).ok_or(Errno::EFAULT)?;
    let vma = *mm.find_vma(old).ok_or(Errno::EFAULT)?;
    if old_end > vma.end {
        return Err(Errno::EFAULT);
    }
    if new_len > old_len && mm.total_size() + (new_len - old_len) > as_limit {
        return Err(Errno::ENOMEM);
    }
    if new_len > old_len && vma.locked != Mlock::Unlocked {
        memlock.check_growth(&mm, new_len - old_len).map_err(|_| Errno::EAGAIN)?;
    }
    if fixed {
        let target_end = new_addr.checked_add(new_len).ok_or(Errno::EINVAL)?;
        if !new_addr.is_multiple_of(PAGE) || new_addr < MMAP_MIN_ADDR || target_end > USER_LIMIT {
            return Err(Errno::EINVAL);
        }
        if new_addr < old_end && old < target_end {
            return Err(Errno::EINVAL);
        }
        mm.unmap_range(new_addr, target_end);
        return move_area(&mut mm, &vma, old, old_len, new_addr, new_len);
    }
    if new_len <= old_len {
        mm.unmap_range(old + new_len, old_end);
        return Ok(old as usize);
    }
    let grow_end = old.checked_add(new_len).ok_or(Errno::ENOMEM)?;
    if old_end == vma.end && grow_end <= USER_LIMIT && mm.is_free(old_end, grow_end) {
        mm.remove_vma(vma.start);
        mm.insert_vma(Vma { end: grow_end, ..vma });
        populate_if_locked(&mut mm, &vma, old_end, grow_end);
        return Ok(old as usize);
    }
    if !may_move {
        return Err(Errno::ENOMEM);
    }
    let target = mm.find_free_area(new_len).ok_or(Errno::ENOMEM)?;
    move_area(&mut mm, &vma, old, old_len, target, new_len)
}

/// Moves [old, old+old_len) to `to`, `new_len` long, with its pages.
fn move_area(mm: &mut AddressSpace, vma: &Vma, old: u64, old_len: u64, to: u64, new_len: u64) -> Result<usize, Errno> {
    let keep = old_len.min(new_len);
    let moved = vma.tail_from(old);
    mm.insert_vma(Vma { start: to, end: to + new_len, grows_down: false, ..moved });
    for (va, _) in mm.pages(old, old + keep) {
        mm.move_page(va, to + (va - old))?;
    }
    mm.unmap_range(old, old + old_len);
    populate_if_locked(mm, vma, to + keep, to + new_len);
    Ok(to as usize)
}

/// The part a locked area grew by is faulted in, as mlock would have.
fn populate_if_locked(mm: &mut AddressSpace, vma: &Vma, start: u64, end: u64) {
    if vma.locked == Mlock::Locked && start < end {
        let _ = mm.populate(start, end);
    }
}
