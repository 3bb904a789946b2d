//! kestrelfs's part of page reclaim (fs/reclaim.rs): a walk over the
//! mounted volumes' files that drops clean chunks of their page cache.

use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::fs::filedata::FileData;
use crate::fs::inode::Inode;

/// Registers the walk with the generic reclaim.
pub fn init() {
    crate::fs::reclaim::register_shrinker(shrink_volumes);
}

/// Drops up to `want` pages of clean cache from the files whose lock is
/// free now; returns how many went.
fn shrink_volumes(want: usize) -> usize {
    let mut freed = 0;
    for inode in cached_files() {
        if freed >= want {
            break;
        }
        let Some(mut inner) = inode.try_lock() else { continue };
        if let Ok(data) = inner.file_mut() {
            freed += data.shrink(want - freed, 0..0);
        }
    }
    freed
}

/// The files with chunks in memory.
fn cached_files() -> Vec<Arc<Inode>> {
    let mut files = Vec::new();
    for volume in super::volumes() {
        files.extend(volume.inodes_in_memory().into_iter().filter(|inode| {
            inode.is_regular() && inode.try_lock().is_some_and(|i| i.file().is_ok_and(FileData::has_cached_chunks))
        }));
    }
    files
}
