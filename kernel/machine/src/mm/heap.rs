//! The kernel heap: a linked-list allocator over one physically contiguous
//! run of frames, reached through the direct map.

use linked_list_allocator::LockedHeap;

use super::{frame, phys};
use crate::boot::BootInfo;

#[cfg_attr(target_os = "none", global_allocator)]
static HEAP: LockedHeap = LockedHeap::empty();

/// One eighth of RAM, between 8 MiB and 256 MiB.
fn heap_size(info: &BootInfo) -> usize {
    let ram = info.ram_end() as usize;
    (ram / 8).clamp(8 << 20, 256 << 20)
}

pub(crate) fn init(info: &BootInfo) {
    let size = heap_size(info);
    let pages = size / phys::PAGE_SIZE;
    let base = frame::alloc_contiguous(pages).expect("no contiguous memory for the kernel heap");
    // SAFETY: the frames were just taken from the allocator for the heap's
    // sole use, and the direct map makes them addressable for the kernel's life.
    unsafe { HEAP.lock().init(phys::phys_to_virt(base) as *mut u8, size) }
}
