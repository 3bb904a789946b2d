//! mincore(2): which pages of a range are resident.

use abi::Errno;

use super::mprotect::{range, with_mm, PAGE};
use crate::uaccess::copy_to_user;

pub fn sys_mincore(addr: u64, len: u64, vec: u64) -> Result<usize, Errno> {
    // The vector, one byte a page, must be writable before the range is
    // looked at (EFAULT first, as Linux).
    let pages = len / PAGE + u64::from(!len.is_multiple_of(PAGE));
    crate::uaccess::check_user_range(vec, usize::try_from(pages).map_err(|_| Errno::EFAULT)?)?;
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
