//! What mm needs of a file to map it: its size and the frames of its pages.
//! The file system implements it; a mapping takes its own reference to
//! each frame it maps, so that read, write and every mapping of the file
//! share one copy of the data.

use alloc::vec::Vec;

use abi::Errno;
use machine::mm::Frame;

/// How /proc/PID/maps names a mapped file.
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
    pub path: Vec<u8>,
}

pub trait MappedFile: Send + Sync {
    /// The file's size in bytes now.
    fn size(&self) -> u64;

    /// The frame of page `index` (a reference of the caller's own), made
    /// (zero-filled) if the file has a hole there.
    fn frame(&self, index: u64) -> Result<Frame, Errno>;

    /// The file's device, inode number and path.
    fn id(&self) -> FileId;

    /// Whether page `index` is in memory (mincore of a page this address
    /// space has not mapped).
    fn is_cached(&self, _index: u64) -> bool {
        false
    }

    /// Writes the file's changes (those made through mappings too) to its
    /// disk: msync(MS_SYNC). Nothing to do for a file in RAM.
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }

    /// Whether a shared mapping may be made writable by mprotect (Linux's
    /// VM_MAYWRITE): not when the file was opened read-only, nor under
    /// F_SEAL_FUTURE_WRITE.
    fn may_write(&self) -> bool {
        true
    }
}
