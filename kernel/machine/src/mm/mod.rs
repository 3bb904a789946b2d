//! Physical memory: frames, page tables, kernel stacks, the kernel heap.

pub mod frame;
mod heap;
pub mod kernel_map;
pub mod kstack;
pub mod paging;
pub mod phys;
pub(crate) mod tlb;

pub use frame::Frame;
pub use heap::{heap_claimed, heap_trim, heap_usage};
pub use kernel_map::direct_map_end;
pub use paging::{load_kernel_tables, OutOfMemory, PageTable, Pte, PteFlags, TableRoot, PTE_PROTNONE};
pub use phys::PAGE_SIZE;
pub use tlb::shootdowns_answered;

use crate::boot::BootInfo;

/// Frames, then the final kernel page tables, then the heap. Run once by
/// the boot CPU before anything allocates.
pub fn init(info: &BootInfo) {
    static DONE: spin::Once = spin::Once::new();
    DONE.call_once(|| {
        frame::init(info);
        kernel_map::init(info);
        heap::init(info);
    });
}
