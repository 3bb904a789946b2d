//! Page reclaim: the clean page cache of disk filesystems' files goes
//! when memory runs low, so that a file larger than RAM can be read and
//! programs are not killed for memory the cache holds. The disk has the
//! same bytes, so a dropped chunk is read in again when next needed.
//! Files in RAM (ramfs, tmpfs) have no other copy and are never dropped.
//!
//! Three ways in: a disk file about to read a chunk while free memory is
//! below the low mark makes room (its own chunks first, then other
//! files'); a frame allocation that finds RAM exhausted asks for a batch
//! (`machine::mm::frame::set_reclaim`); and `echo 1 > /proc/sys/vm/drop_caches`
//! drops all the clean cache. Other files' locks are only tried, never
//! waited for: reclaim may run with any lock held. The disk filesystem
//! registers how to walk its files (`register_shrinker`), as the generic
//! code knows no filesystem.

use core::ops::Range;
use core::sync::atomic::{AtomicU64, Ordering};

use machine::mm::frame;
use spin::Once;

use super::filedata::FileData;

/// Pages freed by reclaim since boot (/proc/vmstat's pgsteal_direct).
static STOLEN: AtomicU64 = AtomicU64::new(0);

/// Pages one round of reclaim frees beyond the low mark.
const BATCH: usize = 256;

/// What the disk filesystem registered: drop up to N pages of its files'
/// clean cache, trying their locks only; returns the pages freed.
static SHRINKER: Once<fn(usize) -> usize> = Once::new();

pub fn stolen_pages() -> u64 {
    STOLEN.load(Ordering::Relaxed)
}

/// Below this many free frames the cache starts to give way: 1/64 of
/// RAM, at least 1 MiB.
fn low_mark() -> usize {
    (frame::total_count() / 64).max(256)
}

/// Registers reclaim with the frame allocator.
pub fn init() {
    frame::set_reclaim(reclaim_others);
}

/// The disk filesystem's walk over its cached files (once, at boot).
pub fn register_shrinker(shrink: fn(usize) -> usize) {
    SHRINKER.call_once(|| shrink);
}

/// Before `file` reads a chunk in: when free memory is below the low
/// mark, drops clean cache to make room, `file`'s own first (all but the
/// pages `keep`), then other files'.
pub fn make_room(file: &mut FileData, keep: Range<u64>) {
    let free = frame::free_count();
    let low = low_mark();
    if free >= low {
        return;
    }
    let want = low - free + BATCH;
    let own = file.shrink(want, keep);
    STOLEN.fetch_add(own as u64, Ordering::Relaxed);
    if own < want {
        reclaim_others(want - own);
    }
}

/// Drops up to `want` pages of clean cache from the disk files whose
/// lock is free; returns how many went.
pub fn reclaim_others(want: usize) -> usize {
    let freed = SHRINKER.get().map_or(0, |shrink| shrink(want));
    STOLEN.fetch_add(freed as u64, Ordering::Relaxed);
    freed
}

/// Drops every clean page of the disk files' cache (drop_caches).
pub fn drop_caches() {
    reclaim_others(usize::MAX);
}
