//! The kernel heap: the `talc` allocator (binned free lists: allocation
//! and freeing take the same time however fragmented the heap is) over
//! physically contiguous runs of frames reached through the direct map.
//! It starts small and claims another run from the frame allocator when
//! it runs out, so that the kernel's own memory counts as used only once
//! it is used, as Linux's slab does, and gives runs that empty again back
//! (`heap_trim`). A cache per CPU of
//! freed small blocks sits in front of it (size classes 16 B to 2 KiB): the
//! allocations of the hot paths (fork, open, pipes, sockets) are served
//! from the caller's CPU's cache without the global lock. The global lock
//! is held with interrupts off: code holding a lock that interrupt
//! handlers take may allocate, so a CPU must never be interrupted while
//! it holds the heap (another CPU could hold that lock and wait for the
//! heap).

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::null_mut;

use spin::Mutex;
use talc::{OomHandler, Span, Talc};

use super::{frame, phys};
use crate::arch::cpu::without_interrupts;
use crate::arch::percpu::{cpu_index, online_mask, MAX_CPUS};
use crate::boot::BootInfo;

/// The block sizes the caches keep, and how many blocks of each a CPU
/// keeps at most (the rest go back to the global heap).
const CLASSES: [usize; 8] = [16, 32, 64, 128, 256, 512, 1024, 2048];
const CACHE_DEPTH: usize = 64;
/// Blocks of every class are word-aligned: talc finds a block of that
/// alignment in the first free chunk of the right bin, where a stricter
/// one makes it walk the bin. Layouts that ask for more bypass the caches.
const CLASS_ALIGN: usize = 8;

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

/// The heap claims runs of at least this size (or the allocation's size,
/// if larger) when it runs out.
const GROWTH: usize = 256 << 10;
/// What the heap starts with.
const INITIAL: usize = 4 << 20;

/// How many runs after the first the heap remembers, to give back.
const MAX_RUNS: usize = 8192;
/// Free bytes the heap keeps when it gives runs back.
const TRIM_SLACK: usize = 4 << 20;

/// Claims a fresh run of frames for the heap when an allocation does not
/// fit: GROWTH bytes, or less where RAM is too fragmented for that, down
/// to the smallest run that holds the allocation. It remembers the runs
/// after the first (which holds talc's own tables) so that `trim` can
/// give back those that empty again.
struct GrowFromFrames {
    /// (physical address, bytes) of each run.
    runs: [(u64, usize); MAX_RUNS],
    count: usize,
    first_claimed: bool,
}

impl OomHandler for GrowFromFrames {
    fn handle_oom(talc: &mut Talc<Self>, layout: Layout) -> Result<(), ()> {
        // Room for talc's tags and the alignment besides the block.
        let needed = (layout.size() + layout.align() + 64).next_multiple_of(phys::PAGE_SIZE);
        let mut size = needed.max(GROWTH);
        loop {
            if claim_run(talc, size).is_some() {
                return Ok(());
            }
            if size == needed {
                return Err(());
            }
            size = (size / 2).next_multiple_of(phys::PAGE_SIZE).max(needed);
        }
    }
}

/// The span of a run as talc knows it (what `claim` returned: a run is
/// page-aligned, so word alignment leaves it whole).
fn run_span(paddr: u64, size: usize) -> Span {
    Span::from_base_size(phys::phys_to_virt(paddr) as *mut u8, size)
}

/// Takes `size` bytes of contiguous frames and gives them to the heap.
fn claim_run(talc: &mut Talc<GrowFromFrames>, size: usize) -> Option<()> {
    let pages = size / phys::PAGE_SIZE;
    let base = frame::alloc_contiguous(pages)?;
    // SAFETY: the frames were just taken from the frame allocator for the
    // heap's sole use, until `trim` gives them back, and the direct map
    // makes them addressable; they overlap no other heap.
    if unsafe { talc.claim(run_span(base, size)) }.is_err() {
        frame::free_contiguous(base, pages);
        return None;
    }
    let grow = &mut talc.oom_handler;
    if !grow.first_claimed {
        grow.first_claimed = true;
    } else if grow.count < MAX_RUNS {
        grow.runs[grow.count] = (base, size);
        grow.count += 1;
    }
    Some(())
}

/// Gives the runs with nothing allocated in them back to the frame
/// allocator, keeping TRIM_SLACK free bytes in the heap.
pub fn heap_trim() {
    without_interrupts(|| {
        let mut talc = HEAP.global.lock();
        let mut i = 0;
        while i < talc.oom_handler.count {
            let (paddr, size) = talc.oom_handler.runs[i];
            if talc.get_counters().available_bytes < TRIM_SLACK + size {
                return;
            }
            let span = run_span(paddr, size);
            // SAFETY: `span` is what `claim` returned for this run, and
            // the run was never resized since.
            if !unsafe { talc.get_allocated_span(span) }.is_empty() {
                i += 1;
                continue;
            }
            // SAFETY: as above; nothing in the run is allocated, so after
            // the truncation talc holds no pointer into it and its frames
            // can go back.
            unsafe { talc.truncate(span, Span::empty()) };
            frame::free_contiguous(paddr, size / phys::PAGE_SIZE);
            let grow = &mut talc.oom_handler;
            grow.count -= 1;
            grow.runs[i] = grow.runs[grow.count];
        }
    })
}

struct Heap {
    global: Mutex<Talc<GrowFromFrames>>,
    caches: [CacheCell; MAX_CPUS],
}

impl Heap {
    /// A block from the global heap; null when RAM is exhausted.
    ///
    /// # Safety
    ///
    /// `layout` has a non-zero size.
    unsafe fn global_alloc(&self, layout: Layout) -> *mut u8 {
        without_interrupts(|| {
            // SAFETY: a non-zero size, by the caller's contract.
            unsafe { self.global.lock().malloc(layout) }.map_or(null_mut(), |p| p.as_ptr())
        })
    }

    /// Gives a block back to the global heap.
    ///
    /// # Safety
    ///
    /// `ptr` came from `global_alloc` with this `layout`, and is not used
    /// after.
    unsafe fn global_dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(ptr) = core::ptr::NonNull::new(ptr) else { return };
        // SAFETY: the caller's contract.
        without_interrupts(|| unsafe { self.global.lock().free(ptr, layout) })
    }
}

#[cfg_attr(target_os = "none", global_allocator)]
static HEAP: Heap = Heap {
    global: Mutex::new(Talc::new(GrowFromFrames { runs: [(0, 0); MAX_RUNS], count: 0, first_claimed: false })),
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

// SAFETY: blocks come from the global allocator with their
// class's layout and go back to it with the same layout; a cached block is
// owned by its CPU's list alone until handed out again, and is at least as
// large and as aligned as any layout its class serves.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout) else {
            // SAFETY: the caller's contract, passed on.
            return unsafe { self.global_alloc(layout) };
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
            _ => unsafe { self.global_alloc(class_layout(class)) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(class) = class_of(layout) else {
            // SAFETY: the caller's contract: allocated with this layout.
            return unsafe { self.global_dealloc(ptr, layout) };
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
            unsafe { self.global_dealloc(ptr, class_layout(class)) };
        }
    }
}

/// What the kernel heap could hold and what it could still hand out
/// (the per-CPU caches hold a little more), counting the free frames it
/// may claim: for the callers that size large, user-driven allocations
/// (socket buffers) and refuse them before memory runs dry.
pub fn heap_usage() -> (usize, usize) {
    let free_frames = frame::free_count() * phys::PAGE_SIZE;
    without_interrupts(|| {
        let heap = HEAP.global.lock();
        let counters = heap.get_counters();
        (counters.claimed_bytes + free_frames, counters.available_bytes + free_frames)
    })
}

/// Bytes of RAM the heap has claimed (meminfo's Slab).
pub fn heap_claimed() -> usize {
    without_interrupts(|| HEAP.global.lock().get_counters().claimed_bytes)
}

pub(crate) fn init(_info: &BootInfo) {
    let claimed = without_interrupts(|| claim_run(&mut HEAP.global.lock(), INITIAL));
    claimed.expect("no contiguous memory for the kernel heap");
}
