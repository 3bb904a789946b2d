//! The block layer: disks by name, read and written in 512-byte sectors.
//!
//! A disk counts its holders (open device files and mounted filesystems),
//! as Linux's bd_openers: a loop device that is asked to detach while held
//! detaches when the last holder lets go.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

use abi::Errno;
use spin::Mutex;

pub const SECTOR_SIZE: usize = 512;

pub trait BlockDevice: Send + Sync {
    /// Capacity in 512-byte sectors.
    fn sectors(&self) -> u64;
    /// Reads whole sectors starting at `sector` into `buf`.
    fn read(&self, sector: u64, buf: &mut [u8]) -> Result<(), Errno>;
    /// Writes whole sectors starting at `sector` from `buf`.
    fn write(&self, sector: u64, buf: &[u8]) -> Result<(), Errno>;
    /// Makes every completed write durable.
    fn flush(&self) -> Result<(), Errno>;

    /// A hint: `len` bytes from `sector` are likely read soon, so the
    /// device may start reading them now; a read inside them then waits
    /// for that instead of a request of its own. Writes drop what was
    /// read ahead, so no read sees bytes older than a write.
    fn read_ahead(&self, _sector: u64, _len: usize) {}

    /// Writes are refused (BLKROGET; a read-write mount is EACCES).
    fn read_only(&self) -> bool {
        false
    }

    /// The smallest unit the device addresses (BLKSSZGET).
    fn logical_block_size(&self) -> u32 {
        SECTOR_SIZE as u32
    }

    /// The device's own ioctls, after the block layer's; `writable` says
    /// whether the device file was opened for writing.
    fn ioctl(&self, _cmd: u32, _arg: u64, _writable: bool) -> Result<usize, Errno> {
        Err(Errno::ENOTTY)
    }

    /// The last holder let go of the disk.
    fn released(&self) {}
}

pub struct Disk {
    pub name: String,
    pub major: u32,
    pub minor: u32,
    pub device: Arc<dyn BlockDevice>,
    holders: AtomicUsize,
}

impl Disk {
    pub fn new(name: String, major: u32, minor: u32, device: Arc<dyn BlockDevice>) -> Disk {
        Disk { name, major, minor, device, holders: AtomicUsize::new(0) }
    }

    /// An open device file or a mount starts holding the disk.
    pub fn hold(&self) {
        self.holders.fetch_add(1, Ordering::AcqRel);
    }

    /// A holder lets go; the device hears when it was the last.
    pub fn release(&self) {
        if self.holders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.device.released();
        }
    }

    pub fn holders(&self) -> usize {
        self.holders.load(Ordering::Acquire)
    }
}

static DISKS: Mutex<Vec<Arc<Disk>>> = Mutex::new(Vec::new());

/// Adds a disk; `quiet` leaves out the log line (the loop devices, which
/// have no size until bound).
pub fn add(disk: Disk, quiet: bool) -> Arc<Disk> {
    if !quiet {
        crate::pr_info!(
            "{}: {} sectors ({} MiB)",
            disk.name,
            disk.device.sectors(),
            (disk.device.sectors() * SECTOR_SIZE as u64) >> 20
        );
    }
    let disk = Arc::new(disk);
    DISKS.lock().push(disk.clone());
    disk
}

pub fn register(disk: Disk) {
    add(disk, false);
}

/// Takes the disk (major, minor) off the list: no new opens or mounts
/// find it.
pub fn remove(major: u32, minor: u32) {
    DISKS.lock().retain(|d| !(d.major == major && d.minor == minor));
}

pub fn disks() -> Vec<Arc<Disk>> {
    DISKS.lock().clone()
}

/// The disk with device number (major, minor).
pub fn by_rdev(major: u32, minor: u32) -> Option<Arc<Disk>> {
    DISKS.lock().iter().find(|d| d.major == major && d.minor == minor).cloned()
}

/// Flushes every disk (sync, power-off).
pub fn flush_all() {
    for d in disks() {
        if let Err(e) = d.device.flush() {
            crate::pr_err!("{}: flush failed: {}", d.name, e.name());
        }
    }
}
