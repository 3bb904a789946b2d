//! The physical frame allocator: one bit per 4 KiB frame of RAM (set =
//! in use), kept in a run of frames found at boot. Single frames for page
//! tables and user pages, contiguous runs for the kernel heap.
//!
//! Each frame also has a reference count, so that address spaces can share
//! frames (copy-on-write after fork, MAP_SHARED memory, the page cache): a
//! `Frame` is one counted reference, cloning it adds one, and dropping the
//! last one frees the frame. A page-table entry that maps a frame holds a
//! reference too (see `paging`).

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::phys::{self, PAGE_SIZE};
use crate::arch::boot::KERNEL_VMA;
use crate::boot::BootInfo;
use crate::sync::IrqSafeMutex;

const PAGE: u64 = PAGE_SIZE as u64;

struct Bitmap {
    /// Physical address of the bitmap itself.
    base: u64,
    /// Physical address of the reference counts (one u32 per frame).
    counts: u64,
    frames: usize,
    free: usize,
    /// The frames the allocator hands out (free or not): RAM less the
    /// holes and what boot reserved (Linux's totalram_pages).
    managed: usize,
    /// Word index where the last search ended: allocations are mostly
    /// sequential, so searching on from there is fast.
    hint: usize,
}

impl Bitmap {
    fn word(&self, i: usize) -> u64 {
        debug_assert!(i < self.words());
        // SAFETY: the bitmap's frames were reserved for it at init; word i
        // is inside it, and FRAMES' lock serialises access.
        unsafe { phys::read::<u64>(self.base + (i as u64) * 8) }
    }

    fn set_word(&self, i: usize, w: u64) {
        debug_assert!(i < self.words());
        // SAFETY: as `word`.
        unsafe { phys::write::<u64>(self.base + (i as u64) * 8, w) };
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
            // Single frames are taken lowest first (see alloc_run).
            self.hint = self.hint.min(i);
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

    /// A run of `count` free frames, the highest that fits: runs (the
    /// heap, DMA) come from the top of RAM and single frames from the
    /// bottom, so that scattered single frames do not leave the heap
    /// without a run to grow into.
    fn alloc_run(&mut self, count: usize) -> Option<usize> {
        let mut run_len = 0;
        let mut frame = self.frames;
        while frame > 0 {
            // Whole words in use are skipped at once.
            if frame.is_multiple_of(64) && self.word(frame / 64 - 1) == u64::MAX {
                run_len = 0;
                frame -= 64;
                continue;
            }
            frame -= 1;
            if self.is_used(frame) {
                run_len = 0;
                continue;
            }
            run_len += 1;
            if run_len == count {
                for f in frame..frame + count {
                    self.set_used(f, true);
                }
                return Some(frame);
            }
        }
        None
    }
}

/// Taken with interrupts masked: frames are freed from any context.
static FRAMES: IrqSafeMutex<Option<Bitmap>> = IrqSafeMutex::new(None);

extern "C" {
    static __kernel_phys_start: u8;
    static __kernel_end: u8;
}

fn kernel_image_phys() -> (u64, u64) {
    let start = core::ptr::addr_of!(__kernel_phys_start) as u64;
    let end = core::ptr::addr_of!(__kernel_end) as u64 - KERNEL_VMA;
    (start, end)
}

/// Builds the bitmap from the boot memory map, reserving the first MiB, the
/// kernel image, the bitmap and the initrd.
pub(crate) fn init(info: &BootInfo) {
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
    let mut bm = Bitmap { base, counts: base + bitmap_only, frames, free: 0, managed: 0, hint: 0 };
    // SAFETY: [base, base + bitmap_bytes) is usable RAM that overlaps
    // neither the kernel image nor the initrd (found above), and it is
    // reserved below before anything else can allocate.
    unsafe { phys::zero(bm.counts, frames * 4) };
    COUNTS_BASE.store(bm.counts, Ordering::Relaxed);
    COUNTS_LEN.store(frames as u64, Ordering::Relaxed);
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
    bm.managed = bm.free;
    *FRAMES.lock() = Some(bm);
}

/// Gives RAM that boot reserved (the initrd, once unpacked) to the
/// allocator for good.
pub(crate) fn release_boot_range(start: u64, end: u64) {
    if let Some(bm) = FRAMES.lock().as_mut() {
        for f in start.div_ceil(PAGE) as usize..(end / PAGE) as usize {
            if f < bm.frames && bm.is_used(f) {
                bm.set_used(f, false);
                bm.managed += 1;
            }
        }
    }
}

/// Where the reference counts live (set once at init), and how many.
static COUNTS_BASE: AtomicU64 = AtomicU64::new(0);
static COUNTS_LEN: AtomicU64 = AtomicU64::new(0);

/// The reference count of the frame at `paddr`.
#[inline]
fn refcount(paddr: u64) -> &'static AtomicU32 {
    let frame = paddr / PAGE;
    assert!(frame < COUNTS_LEN.load(Ordering::Relaxed), "frame {paddr:#x} beyond RAM");
    let at = phys::phys_to_virt(COUNTS_BASE.load(Ordering::Relaxed)) + frame * 4;
    // SAFETY: the table was reserved for the kernel's life at init and
    // has one u32 per frame (the index is checked above); AtomicU32 has
    // u32's layout, the address is 4-byte aligned, and all access is atomic.
    unsafe { &*(at as *const AtomicU32) }
}

/// One counted reference to a 4 KiB frame of RAM; the last one dropped
/// frees the frame. Its bytes are reached through `read`/`write` (the
/// direct map), never through Rust references, so sharers may write
/// concurrently as user threads do.
pub struct Frame {
    paddr: u64,
}

/// What the kernel registered to free memory when RAM runs out (the
/// page cache's reclaim): given the frames wanted, it returns how many it
/// freed. It must only try locks, for an allocation may come with any
/// lock held.
static RECLAIM: spin::Once<fn(usize) -> usize> = spin::Once::new();

/// Frames one reclaim round asks for.
const RECLAIM_BATCH: usize = 256;

/// Registers the reclaim function (once, at boot).
pub fn set_reclaim(reclaim: fn(usize) -> usize) {
    RECLAIM.call_once(|| reclaim);
}

fn alloc_paddr() -> Option<u64> {
    FRAMES.lock().as_mut().and_then(Bitmap::alloc_one).map(|f| f as u64 * PAGE)
}

impl Frame {
    /// A frame with one reference; its old contents remain. When RAM is
    /// exhausted the registered reclaim runs once before giving up.
    pub fn alloc() -> Option<Frame> {
        let paddr = alloc_paddr().or_else(|| {
            let reclaim = RECLAIM.get()?;
            (reclaim(RECLAIM_BATCH) > 0).then(alloc_paddr).flatten()
        })?;
        refcount(paddr).store(1, Ordering::Relaxed);
        Some(Frame { paddr })
    }

    /// A zero-filled frame with one reference.
    pub fn alloc_zeroed() -> Option<Frame> {
        let frame = Frame::alloc()?;
        frame.zero(0, PAGE_SIZE);
        Some(frame)
    }

    /// The physical address (for page-table entries and devices; it grants
    /// nothing by itself).
    #[inline]
    pub fn paddr(&self) -> u64 {
        self.paddr
    }

    /// How many references exist (copy-on-write asks whether it is alone).
    #[inline]
    pub fn ref_count(&self) -> u32 {
        refcount(self.paddr).load(Ordering::Acquire)
    }

    #[inline]
    fn check(offset: usize, len: usize) {
        assert!(offset.checked_add(len).is_some_and(|end| end <= PAGE_SIZE), "frame access out of range");
    }

    #[inline]
    pub fn read(&self, offset: usize, out: &mut [u8]) {
        Frame::check(offset, out.len());
        // SAFETY: inside this frame, which the reference keeps allocated.
        unsafe { phys::copy_from(self.paddr + offset as u64, out) }
    }

    #[inline]
    pub fn write(&self, offset: usize, data: &[u8]) {
        Frame::check(offset, data.len());
        // SAFETY: as read.
        unsafe { phys::copy_to(self.paddr + offset as u64, data) }
    }

    #[inline]
    pub fn zero(&self, offset: usize, len: usize) {
        Frame::check(offset, len);
        // SAFETY: as read.
        unsafe { phys::zero(self.paddr + offset as u64, len) }
    }

    /// Copies all of `src` into this frame.
    pub fn copy_from(&self, src: &Frame) {
        if src.paddr != self.paddr {
            // SAFETY: two whole frames, both kept allocated by their
            // references.
            unsafe { phys::copy_frame(self.paddr, src.paddr) }
        }
    }

    /// Gives up this reference without dropping it: a page-table entry
    /// now holds it (`from_raw` takes it back).
    pub(crate) fn into_raw(self) -> u64 {
        let paddr = self.paddr;
        core::mem::forget(self);
        paddr
    }

    /// Takes over a reference given up with `into_raw`.
    ///
    /// # Safety
    ///
    /// `paddr` must come from `into_raw`, and that reference must not be
    /// taken over twice.
    pub(crate) unsafe fn from_raw(paddr: u64) -> Frame {
        Frame { paddr }
    }

    /// A new reference to the frame whose reference someone else holds
    /// (an entry of a page table).
    ///
    /// # Safety
    ///
    /// `paddr` must be a frame with at least one live reference.
    pub(crate) unsafe fn clone_raw(paddr: u64) -> Frame {
        refcount(paddr).fetch_add(1, Ordering::AcqRel);
        Frame { paddr }
    }
}

impl Clone for Frame {
    fn clone(&self) -> Frame {
        refcount(self.paddr).fetch_add(1, Ordering::AcqRel);
        Frame { paddr: self.paddr }
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        let before = refcount(self.paddr).fetch_sub(1, Ordering::AcqRel);
        assert!(before != 0, "free of an unreferenced frame {:#x}", self.paddr);
        if before > 1 {
            return;
        }
        if let Some(bm) = FRAMES.lock().as_mut() {
            let frame = (self.paddr / PAGE) as usize;
            assert!(bm.is_used(frame), "double free of frame {:#x}", self.paddr);
            bm.set_used(frame, false);
        }
    }
}

impl core::fmt::Debug for Frame {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        write!(f, "Frame({:#x})", self.paddr)
    }
}

/// Allocates `count` physically contiguous frames for good (the kernel
/// heap, DMA rings); they carry no reference counts.
pub(crate) fn alloc_contiguous(count: usize) -> Option<u64> {
    FRAMES.lock().as_mut().and_then(|bm| bm.alloc_run(count)).map(|f| f as u64 * PAGE)
}

/// Gives back a run from `alloc_contiguous`.
pub(crate) fn free_contiguous(paddr: u64, count: usize) {
    if let Some(bm) = FRAMES.lock().as_mut() {
        for f in 0..count {
            let frame = (paddr / PAGE) as usize + f;
            assert!(bm.is_used(frame), "double free of frame {:#x}", frame as u64 * PAGE);
            bm.set_used(frame, false);
        }
    }
}

/// Number of free frames.
pub fn free_count() -> usize {
    FRAMES.lock().as_ref().map_or(0, |bm| bm.free)
}

/// Number of frames of RAM the allocator manages (free or not): RAM
/// less what boot reserved for the kernel's image and its tables, as
/// Linux's MemTotal.
pub fn total_count() -> usize {
    FRAMES.lock().as_ref().map_or(0, |bm| bm.managed)
}
