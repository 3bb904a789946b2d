//! The one routine that touches user memory: a byte copy whose faulting
//! instruction is in the exception table, so a bad user address ends the
//! copy early instead of crashing the kernel. With SMAP on, user pages are
//! reachable only between its `stac` and `clac`.

use core::arch::global_asm;
use core::sync::atomic::{AtomicU8, Ordering};

/// 1 when SMAP is enabled (stac/clac are #UD on CPUs without it).
#[no_mangle]
static SMAP_ENABLED: AtomicU8 = AtomicU8::new(0);

pub fn set_smap_enabled() {
    SMAP_ENABLED.store(1, Ordering::Relaxed);
}

global_asm!(
    r#"
    .text
    /* copy_user_bytes(dst, src, len) -> bytes not copied */
    .global copy_user_bytes
copy_user_bytes:
    movq %rdx, %rcx
    testb $1, SMAP_ENABLED(%rip)
    jz 1f
    stac
1:
    rep movsb
3:
    testb $1, SMAP_ENABLED(%rip)
    jz 2f
    clac
2:
    movq %rcx, %rax
    ret

    .section .ex_table, "a"
    .balign 8
    .quad 1b
    .quad 3b
    .text
"#,
    options(att_syntax)
);

extern "C" {
    fn copy_user_bytes(dst: *mut u8, src: *const u8, len: usize) -> usize;
}

/// Copies `dst.len()` bytes from user address `src`. The caller has checked
/// that the range lies in the user half. Returns the bytes not copied.
pub fn copy_from_user_raw(dst: &mut [u8], src: u64) -> usize {
    // SAFETY: dst is a valid kernel buffer; faults on the user side are
    // recovered through the exception table entry for the `rep movsb`.
    unsafe { copy_user_bytes(dst.as_mut_ptr(), src as *const u8, dst.len()) }
}

/// Copies `src` to user address `dst`; returns the bytes not copied.
pub fn copy_to_user_raw(dst: u64, src: &[u8]) -> usize {
    // SAFETY: as copy_from_user_raw; the user range was checked by the caller.
    unsafe { copy_user_bytes(dst as *mut u8, src.as_ptr(), src.len()) }
}
