//! The lowest layer of memory management: physical memory reached through
//! the direct map. Every access to memory by physical address goes through
//! the functions here; the layers above are safe code.

use bytemuck::Pod;

/// All physical RAM is mapped here (the boot stub maps the first 4 GiB;
/// `mm::kernel_map` extends the map to all RAM).
pub const DIRECT_MAP_BASE: u64 = 0xffff_8000_0000_0000;
pub const PAGE_SIZE: usize = 4096;

pub const fn phys_to_virt(paddr: u64) -> u64 {
    DIRECT_MAP_BASE + paddr
}

/// Reads a plain-data value from physical memory.
pub fn read<T: Pod>(paddr: u64) -> T {
    // SAFETY: the direct map covers all RAM and firmware tables; T is Pod so
    // any bit pattern is valid; read_unaligned tolerates any alignment.
    unsafe { core::ptr::read_unaligned(phys_to_virt(paddr) as *const T) }
}

/// Writes a plain-data value to physical memory.
pub fn write<T: Pod>(paddr: u64, value: T) {
    // SAFETY: callers write only to frames they own (page tables, frames of
    // an address space); the direct map makes the address valid.
    unsafe { core::ptr::write_unaligned(phys_to_virt(paddr) as *mut T, value) }
}

/// Copies physical memory out into a kernel buffer.
pub fn copy_from(paddr: u64, out: &mut [u8]) {
    // SAFETY: source is direct-mapped RAM the caller owns or firmware data;
    // it cannot overlap a kernel buffer (heap and stacks are distinct frames).
    unsafe { core::ptr::copy_nonoverlapping(phys_to_virt(paddr) as *const u8, out.as_mut_ptr(), out.len()) }
}

/// Copies a kernel buffer into physical memory.
pub fn copy_to(paddr: u64, data: &[u8]) {
    // SAFETY: as copy_from, in the other direction; the destination frames
    // belong to the caller.
    unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), phys_to_virt(paddr) as *mut u8, data.len()) }
}

/// Fills physical memory with zeroes.
pub fn zero(paddr: u64, len: usize) {
    // SAFETY: the caller owns the range (a freshly allocated frame).
    unsafe { core::ptr::write_bytes(phys_to_virt(paddr) as *mut u8, 0, len) }
}

/// A long-lived view of physical memory that the kernel keeps reserved
/// (the initrd, firmware tables) so that nothing else writes it.
pub fn reserved_slice(paddr: u64, len: usize) -> &'static [u8] {
    // SAFETY: the caller guarantees the range is reserved from the frame
    // allocator for the life of the kernel, so no mutable alias exists.
    unsafe { core::slice::from_raw_parts(phys_to_virt(paddr) as *const u8, len) }
}

/// Copies one 4 KiB frame to another.
pub fn copy_frame(dst: u64, src: u64) {
    // SAFETY: both are whole, distinct frames in the direct map; the caller
    // owns `dst` (freshly allocated) and reads `src` from a live mapping.
    unsafe { core::ptr::copy_nonoverlapping(phys_to_virt(src) as *const u8, phys_to_virt(dst) as *mut u8, PAGE_SIZE) }
}

/// The reference count of frame number `frame` in the table at `table`
/// (physical address of an array of u32, one per frame).
pub fn refcount(table: u64, frame: u64) -> &'static core::sync::atomic::AtomicU32 {
    // SAFETY: the table was reserved for the kernel's life by the frame
    // allocator and sized for every frame of RAM; AtomicU32 has u32's layout
    // and the address is 4-byte aligned, and all access is atomic.
    unsafe { &*((phys_to_virt(table) + frame * 4) as *const core::sync::atomic::AtomicU32) }
}

/// Reads a u16 that a device may change at any time (DMA rings).
pub fn read_volatile_u16(paddr: u64) -> u16 {
    // SAFETY: the address is in the direct map, 2-byte aligned by the
    // callers (ring fields), and reading device-shared memory is sound.
    unsafe { core::ptr::read_volatile(phys_to_virt(paddr) as *const u16) }
}

/// Writes a u16 the device reads (DMA rings), not reordered by the compiler.
pub fn write_volatile_u16(paddr: u64, value: u16) {
    // SAFETY: as read_volatile_u16; the frame belongs to the driver.
    unsafe { core::ptr::write_volatile(phys_to_virt(paddr) as *mut u16, value) }
}
