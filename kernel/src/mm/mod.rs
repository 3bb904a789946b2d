//! Memory management above the base's frames and page tables: address
//! spaces and their areas, page faults, the mmap family of calls, and
//! copies to and from user memory.

pub mod address_space;
pub mod exec_info;
pub mod fault;
pub mod madvise;
pub mod mapped;
pub mod mincore;
pub mod mlock;
pub mod mmap;
pub mod mprotect;
pub mod mremap;
pub mod msync;
pub mod shmem;
pub mod vdso;
pub mod vma;
pub mod vma_tree;

pub use machine::mm::frame;
