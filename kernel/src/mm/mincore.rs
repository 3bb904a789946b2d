//! mincore(2): which pages of a range are resident.

use abi::Errno;

use super::mprotect::{range, with_mm, PAGE};
use crate::uaccess::copy_to_user;

pub fn sys_mincore(addr: u64, len: u64, vec: u64) -> Result<usize, Errno> {
    // As Linux: the range must lie in user space (ENOMEM), then the
    // vector, one byte a page, must be writable before the areas are
    // looked at (EFAULT).
    let end = range(addr, len)?;
    let pages = len / PAGE + u64::from(!len.is_multiple_of(PAGE));
    crate::uaccess::check_user_range(vec, usize::try_from(pages).map_err(|_| Errno::EFAULT)?)?;
    let resident = with_mm(|mm| {
        if !mm.fully_mapped(addr, end) {
            return Err(Errno::ENOMEM);
        }
        let mut bytes = alloc::vec![0u8; ((end - addr) / PAGE) as usize];
        for (va, _) in mm.pages(addr, end) {
            bytes[((va - addr) / PAGE) as usize] = 1;
        }
        // A page this space has not mapped may still be in its file's
        // cache (another process's, or read with read(2)), as Linux.
        let areas: alloc::vec::Vec<_> = mm.vmas_iter().filter(|v| v.end > addr && v.start < end).copied().collect();
        for v in areas {
            let Some(file) = v.file.and_then(|id| mm.mapped_file(id)) else { continue };
            for va in (v.start.max(addr)..v.end.min(end)).step_by(PAGE as usize) {
                let byte = &mut bytes[((va - addr) / PAGE) as usize];
                if *byte == 0 && file.is_cached(v.file_page(va)) {
                    *byte = 1;
                }
            }
        }
        Ok(bytes)
    })?;
    copy_to_user(vec, &resident)?;
    Ok(0)
}
