//! madvise(2): hints about the use of a range; DONTNEED and FREE drop its
//! pages.

use abi::Errno;

use super::mprotect::{range, with_mm, PAGE};
use super::vma::Mlock;

pub fn sys_madvise(addr: u64, len: u64, advice: i32) -> Result<usize, Errno> {
    use abi::mman::*;
    // A length that overflows the address space is EINVAL here, as Linux.
    if len > u64::MAX - PAGE {
        return Err(Errno::EINVAL);
    }
    let end = range(addr, len)?;
    // MADV_MERGEABLE and MADV_UNMERGEABLE are EINVAL, as on a Linux
    // without same-page merging (KSM).
    let known_hint = matches!(
        advice,
        MADV_NORMAL
            | MADV_RANDOM
            | MADV_SEQUENTIAL
            | MADV_WILLNEED
            | MADV_DONTFORK
            | MADV_DOFORK
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
        // Locked pages stay: dropping them is EINVAL, as Linux.
        let locked = mm.vmas_iter().any(|v| v.locked != Mlock::Unlocked && v.end > addr && v.start < end);
        if zap && locked {
            return Err(Errno::EINVAL);
        }
        let mapped = mm.fully_mapped(addr, end);
        if zap {
            mm.zap_pages(addr, end);
        }
        if mapped {
            Ok(0)
        } else {
            Err(Errno::ENOMEM)
        }
    })
}
