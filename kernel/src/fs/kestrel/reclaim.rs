//! kestrelfs's part of page reclaim (fs/reclaim.rs): a walk over the
//! mounted volumes' files that drops clean chunks of their page cache.

/// Registers the walk with the generic reclaim.
pub fn init() {
    crate::fs::reclaim::register_shrinker(shrink_volumes);
}

/// Drops up to `want` pages of clean cache from the files whose lock is
/// free now; returns how many went. Reclaim may run under any lock (a
/// frame allocation that found RAM exhausted), so every lock here is only
/// tried.
fn shrink_volumes(want: usize) -> usize {
    let mut freed = 0;
    for volume in super::try_volumes().unwrap_or_default() {
        for inode in volume.try_inodes_in_memory().unwrap_or_default() {
            if freed >= want {
                return freed;
            }
            let Some(mut inner) = inode.try_lock() else { continue };
            if let Ok(data) = inner.file_mut() {
                freed += data.shrink(want - freed, 0..0);
            }
        }
    }
    freed
}
