//! The one routine that touches user memory: a byte copy whose faulting
//! instruction is in the exception table, so a bad user address ends the
//! copy early instead of crashing the kernel. With SMAP on, user pages are
//! reachable only between its `stac` and `clac`.

#[cfg(target_os = "none")]
use core::arch::global_asm;
use core::sync::atomic::{AtomicU8, Ordering};

/// 1 when SMAP is enabled (stac/clac are #UD on CPUs without it).
#[no_mangle]
static SMAP_ENABLED: AtomicU8 = AtomicU8::new(0);

pub(crate) fn set_smap_enabled() {
    SMAP_ENABLED.store(1, Ordering::Relaxed);
}

// The bare-metal build only: host builds (the kernel's unit tests) never
// run this code, and its absolute relocations do not link into a PIE.
#[cfg(target_os = "none")]
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

    /* cmpxchg_user_u32(addr, old, new, found: *mut u32) -> 0, or 1 on a
       fault; *found gets the word's value (old when it was replaced). */
    .global cmpxchg_user_u32
cmpxchg_user_u32:
    movl %esi, %eax
    xorl %r8d, %r8d
    testb $1, SMAP_ENABLED(%rip)
    jz 4f
    stac
4:
    lock cmpxchgl %edx, (%rdi)
5:
    testb $1, SMAP_ENABLED(%rip)
    jz 6f
    clac
6:
    movl %eax, (%rcx)
    movl %r8d, %eax
    ret
7:
    movl $1, %r8d
    jmp 5b

    .section .ex_table, "a"
    .balign 8
    .quad 4b
    .quad 7b
    .text
"#,
    options(att_syntax)
);

extern "C" {
    fn copy_user_bytes(dst: *mut u8, src: *const u8, len: usize) -> usize;
    fn cmpxchg_user_u32(addr: u64, old: u32, new: u32, found: *mut u32) -> u32;
}

/// Linux's TASK_SIZE on x86_64 with 4-level paging: the top user page stays
/// unmapped so no SYSCALL instruction can sit at the canonical boundary.
pub const USER_LIMIT: u64 = 0x7fff_ffff_f000;

#[inline]
fn in_user_range(addr: u64, len: usize) -> bool {
    addr.checked_add(len as u64).is_some_and(|end| end <= USER_LIMIT)
}

/// Copies `dst.len()` bytes from user address `src`; returns the bytes
/// not copied (all of them when the range is not below USER_LIMIT).
#[inline]
pub fn copy_from_user(dst: &mut [u8], src: u64) -> usize {
    if !in_user_range(src, dst.len()) {
        return dst.len();
    }
    // SAFETY: dst is a kernel buffer we hold exclusively; the source lies
    // in the user half, so no kernel memory is read; faults on it are
    // recovered through the exception table entry for the `rep movsb`.
    unsafe { copy_user_bytes(dst.as_mut_ptr(), src as *const u8, dst.len()) }
}

/// Atomically replaces the u32 at user address `addr` with `new` if it
/// holds `old` (other CPUs' threads change such words with their own
/// atomic instructions); returns the value it held, or None when the
/// address is not a mapped, writable, aligned user word.
pub fn compare_exchange_user_u32(addr: u64, old: u32, new: u32) -> Option<u32> {
    if !in_user_range(addr, 4) || !addr.is_multiple_of(4) {
        return None;
    }
    let mut found = 0u32;
    // SAFETY: the word lies in the user half, so no kernel memory is
    // touched; a fault on it is recovered through the exception table
    // entry for the `lock cmpxchg`; `found` is our own local.
    let faulted = unsafe { cmpxchg_user_u32(addr, old, new, &mut found) };
    (faulted == 0).then_some(found)
}

/// Copies `src` to user address `dst`; returns the bytes not copied.
#[inline]
pub fn copy_to_user(dst: u64, src: &[u8]) -> usize {
    if !in_user_range(dst, src.len()) {
        return src.len();
    }
    // SAFETY: as copy_from_user: only user-half memory is written.
    unsafe { copy_user_bytes(dst as *mut u8, src.as_ptr(), src.len()) }
}
