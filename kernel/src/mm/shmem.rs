//! The memory behind a shared anonymous mapping (MAP_SHARED|MAP_ANONYMOUS,
//! or MAP_SHARED of /dev/zero): an unnamed object holding the mapping's
//! pages, so that processes forked from the mapper find the same page
//! whichever of them touches it first. /proc/PID/maps names it as Linux
//! does, "/dev/zero (deleted)" on device 00:01.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::Errno;
use machine::mm::Frame;
use spin::Mutex;

use super::mapped::{FileId, MappedFile};

/// Inode numbers of the objects, one each, as Linux's internal shm mount.
static NEXT_INO: AtomicU64 = AtomicU64::new(1);

pub struct SharedAnon {
    size: u64,
    /// Whether mprotect may make it writable: not when it maps /dev/zero
    /// opened read-only (Linux's VM_MAYWRITE).
    may_write: bool,
    ino: u64,
    /// Pages touched so far; the others are zero.
    pages: Mutex<BTreeMap<u64, Frame>>,
}

impl SharedAnon {
    pub fn new(size: u64) -> SharedAnon {
        SharedAnon {
            size,
            may_write: true,
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            pages: Mutex::new(BTreeMap::new()),
        }
    }

    /// Shared memory that may never be made writable.
    pub fn read_only(size: u64) -> SharedAnon {
        SharedAnon { may_write: false, ..SharedAnon::new(size) }
    }
}

impl SharedAnon {
    /// How many pages have been touched (and so hold memory).
    pub fn resident_pages(&self) -> u64 {
        self.pages.lock().len() as u64
    }
}

impl MappedFile for SharedAnon {
    fn size(&self) -> u64 {
        self.size
    }

    fn frame(&self, index: u64) -> Result<Frame, Errno> {
        let mut pages = self.pages.lock();
        if let Some(frame) = pages.get(&index) {
            return Ok(frame.clone());
        }
        let frame = Frame::alloc_zeroed().ok_or(Errno::ENOMEM)?;
        pages.insert(index, frame.clone());
        Ok(frame)
    }

    fn is_cached(&self, index: u64) -> bool {
        self.pages.lock().contains_key(&index)
    }

    fn may_write(&self) -> bool {
        self.may_write
    }

    fn id(&self) -> FileId {
        FileId { dev: abi::makedev(0, 1), ino: self.ino, path: Vec::from(&b"/dev/zero (deleted)"[..]) }
    }
}
