//! The kernel heap: a linked-list allocator over one physically contiguous
//! run of frames, reached through the direct map, with a cache per CPU of
//! freed small blocks in front of it (size classes 16 B to 2 KiB): the
//! allocations of the hot paths (fork, open, pipes, sockets) are served
//! from the caller's CPU's cache without the global lock. The global lock
//! is held with interrupts off: code holding a lock that interrupt
//! handlers take may allocate, so a CPU must never be interrupted while
//! it holds the heap (another CPU could hold that lock and wait for the
//! heap).

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::null_mut;

use linked_list_allocator::LockedHeap;

use super::{frame, phys};
use crate::arch::cpu::without_interrupts;
use crate::arch::percpu::{cpu_index, online_mask, MAX_CPUS};
use crate::boot::BootInfo;

/// The block sizes the caches keep, and how many blocks of each a CPU
/// keeps at most (the rest go back to the global heap).
const CLASSES: [usize; 8] = [16, 32, 64, 128, 256, 512, 1024, 2048];
const CACHE_DEPTH: usize = 64;
/// Blocks of every class are this aligned (or their size, if smaller).
const CLASS_ALIGN: usize = 64;

/// One CPU's cache: a list of free blocks per class, linked through their
/// first word.
struct CpuCache {
    heads: [usize; CLASSES.len()],
    counts: [usize; CLASSES.len()],
}

struct CacheCell(UnsafeCell<CpuCache>);

// SAFETY: each CPU touches only its own cache, with interrupts off (so
// no handler on the same CPU interleaves).
unsafe impl Sync for CacheCell {}

struct Heap {
    global: LockedHeap,
    caches: [CacheCell; MAX_CPUS],
}

#[cfg_attr(target_os = "none", global_allocator)]
static HEAP: Heap = Heap {
    global: LockedHeap::empty(),
    caches: [const { CacheCell(UnsafeCell::new(CpuCache { heads: [0; CLASSES.len()], counts: [0; CLASSES.len()] })) };
        MAX_CPUS],
};

/// The class serving `layout`, if a small one does.
fn class_of(layout: Layout) -> Option<usize> {
    let class = CLASSES.iter().position(|&size| size >= layout.size())?;
    (layout.align() <= class_layout(class).align()).then_some(class)
}

/// The layout a block of `class` has in the global heap.
fn class_layout(class: usize) -> Layout {
    let size = CLASSES[class];
    Layout::from_size_align(size, size.min(CLASS_ALIGN)).expect("class sizes are powers of two")
}

impl Heap {
    /// Runs `f` on this CPU's cache, interrupts off; None before the boot
    /// CPU's per-CPU data exists.
    fn with_cache<R>(&self, f: impl FnOnce(&mut CpuCache) -> R) -> Option<R> {
        if online_mask() == 0 {
            return None;
        }
        without_interrupts(|| {
            // SAFETY: this CPU's own cache, interrupts off: no other
            // reference to it exists meanwhile.
            let cache = unsafe { &mut *self.caches[cpu_index()].0.get() };
            Some(f(cache))
        })
    }
}

// SAFETY: blocks come from the global linked-list allocator with their
// class's layout and go back to it with the same layout; a cached block is
// owned by its CPU's list alone until handed out again, and is at least as
// large and as aligned as any layout its class serves.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout) else {
            // SAFETY: the caller's contract, passed on.
            return without_interrupts(|| unsafe { self.global.alloc(layout) });
        };
        let cached = self.with_cache(|cache| {
            let head = cache.heads[class];
            if head == 0 {
                return null_mut();
            }
            // SAFETY: a cached block's first word links to the next one.
            cache.heads[class] = unsafe { *(head as *const usize) };
            cache.counts[class] -= 1;
            head as *mut u8
        });
        match cached {
            Some(block) if !block.is_null() => block,
            // SAFETY: a valid non-zero-sized layout.
            _ => without_interrupts(|| unsafe { self.global.alloc(class_layout(class)) }),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(class) = class_of(layout) else {
            // SAFETY: the caller's contract: allocated with this layout.
            return without_interrupts(|| unsafe { self.global.dealloc(ptr, layout) });
        };
        let kept = self.with_cache(|cache| {
            if cache.counts[class] >= CACHE_DEPTH {
                return false;
            }
            // SAFETY: the block is ours now and at least a word long.
            unsafe { *(ptr as *mut usize) = cache.heads[class] };
            cache.heads[class] = ptr as usize;
            cache.counts[class] += 1;
            true
        });
        if kept != Some(true) {
            // SAFETY: the block came from the global heap with its class's
            // layout.
            without_interrupts(|| unsafe { self.global.dealloc(ptr, class_layout(class)) });
        }
    }
}

/// The kernel heap's size and the bytes its global part has free (the
/// per-CPU caches hold a little more): for the callers that size large,
/// user-driven allocations (socket buffers) and refuse them before the
/// heap runs dry.
pub fn heap_usage() -> (usize, usize) {
    without_interrupts(|| {
        let heap = HEAP.global.lock();
        (heap.size(), heap.free())
    })
}

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
    unsafe { HEAP.global.lock().init(phys::phys_to_virt(base) as *mut u8, size) }
}
