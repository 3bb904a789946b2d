//! msync(2): writing shared file mappings back.

use abi::Errno;

use super::mprotect::{range, with_mm};
use super::vma::Mlock;

pub fn sys_msync(addr: u64, len: u64, flags: i32) -> Result<usize, Errno> {
    use abi::mman::{MS_ASYNC, MS_INVALIDATE, MS_SYNC};
    if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0 || (flags & MS_ASYNC != 0 && flags & MS_SYNC != 0) {
        return Err(Errno::EINVAL);
    }
    let end = range(addr, len)?;
    let files = with_mm(|mm| {
        // Locked pages may not be invalidated (EBUSY), as Linux.
        let locked = mm.vmas_iter().any(|v| v.locked != Mlock::Unlocked && v.end > addr && v.start < end);
        if flags & MS_INVALIDATE != 0 && locked {
            return Err(Errno::EBUSY);
        }
        if mm.fully_mapped(addr, end) {
            Ok(mm.shared_files_in(addr, end))
        } else {
            Err(Errno::ENOMEM)
        }
    })?;
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
