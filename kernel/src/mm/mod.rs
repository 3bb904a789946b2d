//! Memory management. `phys`, `paging`, `heap` and `kstack`'s mapping are
//! the lowest layer (the only unsafe code here is in `phys` and `heap`);
//! address spaces, faults, mmap and user copies are safe code above them.

pub mod address_space;
pub mod exec_info;
pub mod fault;
pub mod frame;
pub mod heap;
pub mod kernel_map;
pub mod kstack;
pub mod mapped;
pub mod mmap;
pub mod mprotect;
pub mod mremap;
pub mod paging;
pub mod phys;
pub mod sysinfo;
pub mod uaccess;
pub mod vma;

use crate::boot::BootInfo;

/// Frames, then the final kernel page tables, then the heap.
pub fn init(info: &BootInfo) {
    frame::init(info);
    kernel_map::init(info);
    heap::init(info);
}
