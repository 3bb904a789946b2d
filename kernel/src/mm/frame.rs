//! The physical frame allocator: one bit per 4 KiB frame of RAM (set =
//! in use), kept in a run of frames found at boot. Single frames for page
//! tables and user pages, contiguous runs for the kernel heap.
//!
//! Each frame also has a reference count, so that address spaces can share
//! frames (copy-on-write after fork, MAP_SHARED memory): `alloc` returns a
//! frame with one reference, `get` adds one, and `free` drops one and
//! releases the frame when none is left.

use core::sync::atomic::{AtomicU64, Ordering};

use spin::Mutex;

use super::phys::{self, PAGE_SIZE};
use crate::arch::cpu::without_interrupts;
use crate::boot::BootInfo;

const PAGE: u64 = PAGE_SIZE as u64;

struct Bitmap {
    /// Physical address of the bitmap itself.
    base: u64,
    /// Physical address of the reference counts (one u32 per frame).
    counts: u64,
    frames: usize,
    free: usize,
    /// Word index where the last search ended: allocations are mostly
    /// sequential, so searching on from there is fast.
    hint: usize,
}

impl Bitmap {
    fn word(&self, i: usize) -> u64 {
        phys::read::<u64>(self.base + (i as u64) * 8)
    }

    fn set_word(&self, i: usize, w: u64) {
        phys::write::<u64>(self.base + (i as u64) * 8, w);
    }

    fn words(&self) -> usize {
        self.frames.div_ceil(64)
    }

    fn is_used(&self, frame: usize) -> bool {
        self.word(frame / 64) & (1 << (frame % 64)) != 0
    }

    fn set_used(&mut self, frame: usize, used: bool) {
        let (i, bit) = (frame / 64, 1u64 << (frame % 64));
        let w = self.word(i);
        if used && w & bit == 0 {
            self.set_word(i, w | bit);
            self.free -= 1;
        } else if !used && w & bit != 0 {
            self.set_word(i, w & !bit);
            self.free += 1;
        }
    }

    fn alloc_one(&mut self) -> Option<usize> {
        let words = self.words();
        for k in 0..words {
            let i = (self.hint + k) % words;
            let w = self.word(i);
            if w != u64::MAX {
                let frame = i * 64 + (!w).trailing_zeros() as usize;
                if frame >= self.frames {
                    continue;
                }
                self.set_used(frame, true);
                self.hint = i;
                return Some(frame);
            }
        }
        None
    }

    fn alloc_run(&mut self, count: usize) -> Option<usize> {
        let mut run_start = 0;
        let mut run_len = 0;
        for frame in 0..self.frames {
            if self.is_used(frame) {
                run_len = 0;
                run_start = frame + 1;
            } else {
                run_len += 1;
                if run_len == count {
                    for f in run_start..run_start + count {
                        self.set_used(f, true);
                    }
                    return Some(run_start);
                }
            }
        }
        None
    }
}

static FRAMES: Mutex<Option<Bitmap>> = Mutex::new(None);

extern "C" {
    static __kernel_phys_start: u8;
    static __kernel_end: u8;
}

fn kernel_image_phys() -> (u64, u64) {
    let start = core::ptr::addr_of!(__kernel_phys_start) as u64;
    let end = core::ptr::addr_of!(__kernel_end) as u64 - crate::arch::boot::KERNEL_VMA;
    (start, end)
}

/// Builds the bitmap from the boot memory map, reserving the first MiB, the
/// kernel image, the bitmap and the initrd.
pub fn init(info: &BootInfo) {
    let frames = (info.ram_end() / PAGE) as usize;
    let bitmap_only = (frames.div_ceil(64) * 8) as u64;
    // The reference counts follow the bitmap in the same run of frames.
    let bitmap_bytes = bitmap_only + frames as u64 * 4;
    let (kstart, kend) = kernel_image_phys();
    let initrd = info.initrd.map(|m| (m.start, m.start + m.len)).unwrap_or((0, 0));
    let overlaps = |a: u64, b: u64, c: u64, d: u64| a < d && c < b;

    // Place the bitmap in the first usable spot that avoids everything else.
    let mut base = None;
    for r in info.memory_regions().iter().filter(|r| r.usable) {
        let mut at = r.start.max(0x10_0000).next_multiple_of(PAGE);
        while at + bitmap_bytes <= r.start + r.len {
            let end = at + bitmap_bytes;
            if overlaps(at, end, kstart, kend) {
                at = kend.next_multiple_of(PAGE);
            } else if overlaps(at, end, initrd.0, initrd.1) {
                at = initrd.1.next_multiple_of(PAGE);
            } else {
                base = Some(at);
                break;
            }
        }
        if base.is_some() {
            break;
        }
    }
    let base = base.expect("no room for the frame bitmap");
    let mut bm = Bitmap { base, counts: base + bitmap_only, frames, free: 0, hint: 0 };
    phys::zero(bm.counts, frames * 4);
    COUNTS_BASE.store(bm.counts, Ordering::Relaxed);
    for i in 0..bm.words() {
        bm.set_word(i, u64::MAX);
    }
    for r in info.memory_regions().iter().filter(|r| r.usable) {
        let first = r.start.div_ceil(PAGE);
        let last = (r.start + r.len) / PAGE;
        for f in first..last {
            bm.set_used(f as usize, false);
        }
    }
    let mut reserve = |start: u64, end: u64| {
        for f in start / PAGE..end.div_ceil(PAGE) {
            if (f as usize) < bm.frames {
                bm.set_used(f as usize, true);
            }
        }
    };
    reserve(0, 0x10_0000);
    reserve(kstart, kend);
    reserve(base, base + bitmap_bytes);
    reserve(initrd.0, initrd.1);
    *FRAMES.lock() = Some(bm);
}

/// Where the reference counts live (set once at init).
static COUNTS_BASE: AtomicU64 = AtomicU64::new(0);

fn counts_base() -> u64 {
    COUNTS_BASE.load(Ordering::Relaxed)
}

/// Allocates one frame with one reference, returning its physical address.
/// Not zeroed.
pub fn alloc() -> Option<u64> {
    let paddr = without_interrupts(|| FRAMES.lock().as_mut()?.alloc_one()).map(|f| f as u64 * PAGE)?;
    phys::refcount(counts_base(), paddr / PAGE).store(1, Ordering::Relaxed);
    Some(paddr)
}

/// Adds a reference to an allocated frame (it is now shared).
pub fn get(paddr: u64) {
    phys::refcount(counts_base(), paddr / PAGE).fetch_add(1, Ordering::Relaxed);
}

/// The number of references to an allocated frame.
pub fn ref_count(paddr: u64) -> u32 {
    phys::refcount(counts_base(), paddr / PAGE).load(Ordering::Relaxed)
}

/// Allocates one zero-filled frame.
pub fn alloc_zeroed() -> Option<u64> {
    let paddr = alloc()?;
    phys::zero(paddr, PAGE_SIZE);
    Some(paddr)
}

/// Allocates `count` physically contiguous frames (kept for good: the
/// kernel heap; they carry no reference counts).
pub fn alloc_contiguous(count: usize) -> Option<u64> {
    without_interrupts(|| FRAMES.lock().as_mut()?.alloc_run(count)).map(|f| f as u64 * PAGE)
}

/// Drops one reference to a frame; the last one frees it.
pub fn free(paddr: u64) {
    let counter = phys::refcount(counts_base(), paddr / PAGE);
    let before = counter.fetch_sub(1, Ordering::AcqRel);
    assert!(before != 0, "free of an unreferenced frame {paddr:#x}");
    if before > 1 {
        return;
    }
    without_interrupts(|| {
        if let Some(bm) = FRAMES.lock().as_mut() {
            let frame = (paddr / PAGE) as usize;
            assert!(bm.is_used(frame), "double free of frame {paddr:#x}");
            bm.set_used(frame, false);
        }
    })
}

/// Number of free frames.
pub fn free_count() -> usize {
    without_interrupts(|| FRAMES.lock().as_ref().map_or(0, |bm| bm.free))
}

/// Number of frames of RAM the allocator manages (free or not).
pub fn total_count() -> usize {
    without_interrupts(|| FRAMES.lock().as_ref().map_or(0, |bm| bm.frames))
}
