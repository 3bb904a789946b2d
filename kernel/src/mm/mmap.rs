//! mmap(2)'s mapping work, munmap(2) and brk(2).

use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use abi::personality::READ_IMPLIES_EXEC;
use abi::{Errno, MapFlags, ProtFlags};

use super::address_space::{page_up, MMAP_MIN_ADDR};
use super::mapped::MappedFile;
use super::shmem::SharedAnon;
use super::vma::{Mlock, Vma};
use crate::sched::current;
use crate::uaccess::USER_LIMIT;

const PAGE: u64 = 4096;

/// Flags this kernel understands; others are rejected by MAP_SHARED_VALIDATE
/// and ignored otherwise, as Linux does.
fn known_flags() -> MapFlags {
    MapFlags::MAP_TYPE
        | MapFlags::MAP_FIXED
        | MapFlags::MAP_ANONYMOUS
        | MapFlags::MAP_NORESERVE
        | MapFlags::MAP_POPULATE
        | MapFlags::MAP_LOCKED
        | MapFlags::MAP_NONBLOCK
        | MapFlags::MAP_STACK
        | MapFlags::MAP_FIXED_NOREPLACE
        | MapFlags::MAP_DENYWRITE
        | MapFlags::MAP_EXECUTABLE
        | MapFlags::MAP_GROWSDOWN
}

/// mmap(2)'s checks of its flags and sizes, once the descriptor was found
/// (Linux checks the offset's alignment first, then the descriptor, then
/// these).
pub fn check_args(len: u64, prot: u32, flags: u32, offset: u64) -> Result<(ProtFlags, MapFlags), Errno> {
    let flags = MapFlags::from_bits_retain(flags);
    // mmap ignores protection bits it does not know (mprotect does not).
    let mut prot = ProtFlags::from_bits_truncate(prot);
    if prot.contains(ProtFlags::PROT_READ) && current().personality.load(Ordering::Relaxed) & READ_IMPLIES_EXEC != 0 {
        prot |= ProtFlags::PROT_EXEC;
    }
    if len == 0 || !offset.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    match flags.map_type() {
        1 | 2 => Ok((prot, flags)),
        3 if flags.difference(known_flags()).is_empty() => Ok((prot, flags)),
        3 => Err(Errno::EOPNOTSUPP),
        _ => Err(Errno::EINVAL),
    }
}

/// Maps `len` bytes of `source` (None: anonymous memory) into the calling
/// process, after `check_args`; the file layer resolved the descriptor
/// (fs::mmap::sys_mmap).
pub fn do_mmap(
    addr: u64,
    len: u64,
    prot: ProtFlags,
    flags: MapFlags,
    source: Option<Arc<dyn MappedFile>>,
    offset: u64,
) -> Result<usize, Errno> {
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
    let memlock = super::mlock::MemlockLimit::of(&task);
    if flags.contains(MapFlags::MAP_LOCKED) {
        memlock.may_lock()?;
    }
    let mm = task.mm().ok_or(Errno::ENOMEM)?;
    let mut mm = mm.lock();
    if mm.total_size().saturating_add(len) > as_limit {
        return Err(Errno::ENOMEM);
    }
    let lock = if flags.contains(MapFlags::MAP_LOCKED) { Mlock::Locked } else { mm.lock_future };
    if lock != Mlock::Unlocked {
        memlock.check_growth(&mm, len).map_err(|_| Errno::EAGAIN)?;
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
    // Shared anonymous memory lives in an object of its own, so that a
    // page first touched after fork is still one page for both processes.
    // Its pages count from the start of the mapping whatever the offset.
    let (source, offset) = match source {
        None if vma.shared => (Some(Arc::new(SharedAnon::new(len)) as Arc<dyn MappedFile>), 0),
        source => (source, offset),
    };
    if let Some(file) = source {
        vma.file = Some(mm.add_file(file));
        vma.pgoff = offset / PAGE;
    }
    vma.locked = lock;
    mm.insert_vma(vma);
    let populate = flags.contains(MapFlags::MAP_POPULATE) && !flags.contains(MapFlags::MAP_NONBLOCK);
    if lock == Mlock::Locked || populate {
        // As Linux's mm_populate, failures leave the rest to later faults
        // (pages past the end of a file then give SIGBUS).
        let _ = mm.populate(start, start + len);
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
    let memlock = super::mlock::MemlockLimit::of(&task);
    let mm = task.mm().ok_or(Errno::ENOMEM)?;
    let mut mm = mm.lock();
    let old_end = page_up(mm.brk);
    let growth = page_up(new_brk).saturating_sub(old_end);
    if mm.total_size().saturating_add(growth) > as_limit {
        return Ok(mm.brk as usize);
    }
    if mm.lock_future != Mlock::Unlocked && memlock.check_growth(&mm, growth).is_err() {
        return Ok(mm.brk as usize);
    }
    if new_brk < mm.brk_start {
        return Ok(mm.brk as usize);
    }
    if mm.set_brk(new_brk).is_err() {
        return Ok(mm.brk as usize);
    }
    if mm.lock_future == Mlock::Locked && growth > 0 {
        let _ = mm.populate(old_end, old_end + growth);
    }
    Ok(mm.brk as usize)
}
