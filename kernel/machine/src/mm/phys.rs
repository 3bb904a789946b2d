//! The lowest layer of memory management: physical memory reached through
//! the direct map. Every access by physical address goes through these
//! functions, which are `unsafe`: the caller vouches that it owns the
//! memory (a frame it holds, a table it built, firmware data nobody
//! writes). The safe types above them (`Frame`, `PageTable`, `DmaBuffer`)
//! are what the kernel uses.

use bytemuck::Pod;

/// All physical RAM is mapped here (the boot stub maps the first 4 GiB;
/// `mm::kernel_map` extends the map to all RAM).
pub const DIRECT_MAP_BASE: u64 = 0xffff_8000_0000_0000;
pub const PAGE_SIZE: usize = 4096;

pub const fn phys_to_virt(paddr: u64) -> u64 {
    DIRECT_MAP_BASE + paddr
}

/// Reads a plain-data value from physical memory.
///
/// # Safety
///
/// The range must be RAM or firmware data in the direct map that no one
/// writes concurrently in a way the caller has not accounted for.
pub(crate) unsafe fn read<T: Pod>(paddr: u64) -> T {
    // SAFETY: the caller's contract; T is Pod so any bit pattern is valid,
    // and read_unaligned tolerates any alignment.
    unsafe { core::ptr::read_unaligned(phys_to_virt(paddr) as *const T) }
}

/// Writes a plain-data value to physical memory.
///
/// # Safety
///
/// The caller must own the range (a frame or table it allocated).
pub(crate) unsafe fn write<T: Pod>(paddr: u64, value: T) {
    // SAFETY: the caller's contract; the direct map makes it addressable.
    unsafe { core::ptr::write_unaligned(phys_to_virt(paddr) as *mut T, value) }
}

/// Copies physical memory out into a kernel buffer.
///
/// # Safety
///
/// As `read`.
pub(crate) unsafe fn copy_from(paddr: u64, out: &mut [u8]) {
    // SAFETY: the caller's contract; physical memory never overlaps a
    // kernel buffer that safe code holds a `&mut` to (heap and stacks are
    // frames of their own).
    unsafe { core::ptr::copy_nonoverlapping(phys_to_virt(paddr) as *const u8, out.as_mut_ptr(), out.len()) }
}

/// Copies a kernel buffer into physical memory.
///
/// # Safety
///
/// As `write`.
pub(crate) unsafe fn copy_to(paddr: u64, data: &[u8]) {
    // SAFETY: as copy_from, in the other direction.
    unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), phys_to_virt(paddr) as *mut u8, data.len()) }
}

/// Fills physical memory with zeroes.
///
/// # Safety
///
/// As `write`.
pub(crate) unsafe fn zero(paddr: u64, len: usize) {
    // SAFETY: the caller's contract.
    unsafe { core::ptr::write_bytes(phys_to_virt(paddr) as *mut u8, 0, len) }
}

/// A view of physical memory.
///
/// # Safety
///
/// The range must stay reserved from the frame allocator, unwritten, as
/// long as the slice lives (the initrd until it is freed, firmware tables
/// for good).
pub(crate) unsafe fn reserved_slice<'a>(paddr: u64, len: usize) -> &'a [u8] {
    // SAFETY: the caller's contract.
    unsafe { core::slice::from_raw_parts(phys_to_virt(paddr) as *const u8, len) }
}

/// Copies one 4 KiB frame to another.
///
/// # Safety
///
/// Both must be whole frames; the caller owns `dst` and holds a
/// reference to `src`.
pub(crate) unsafe fn copy_frame(dst: u64, src: u64) {
    // SAFETY: the caller's contract; distinct frames never overlap.
    unsafe { core::ptr::copy_nonoverlapping(phys_to_virt(src) as *const u8, phys_to_virt(dst) as *mut u8, PAGE_SIZE) }
}

/// Reads a u16 that a device may change at any time (DMA rings).
///
/// # Safety
///
/// As `read`, 2-byte aligned.
pub(crate) unsafe fn read_volatile_u16(paddr: u64) -> u16 {
    // SAFETY: the caller's contract.
    unsafe { core::ptr::read_volatile(phys_to_virt(paddr) as *const u16) }
}

/// Writes a u16 the device reads (DMA rings), not reordered by the compiler.
///
/// # Safety
///
/// As `write`, 2-byte aligned.
pub(crate) unsafe fn write_volatile_u16(paddr: u64, value: u16) {
    // SAFETY: the caller's contract.
    unsafe { core::ptr::write_volatile(phys_to_virt(paddr) as *mut u16, value) }
}
