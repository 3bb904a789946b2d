//! The block layer: disks by name, read and written in 512-byte sectors.

use alloc::sync::Arc;
use alloc::vec::Vec;

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
}

pub struct Disk {
    pub name: &'static str,
    pub major: u32,
    pub minor: u32,
    pub device: Arc<dyn BlockDevice>,
}

static DISKS: Mutex<Vec<Arc<Disk>>> = Mutex::new(Vec::new());

pub fn register(disk: Disk) {
    crate::pr_info!(
        "{}: {} sectors ({} MiB)",
        disk.name,
        disk.device.sectors(),
        (disk.device.sectors() * SECTOR_SIZE as u64) >> 20
    );
    DISKS.lock().push(Arc::new(disk));
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
