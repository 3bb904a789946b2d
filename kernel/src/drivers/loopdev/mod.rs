//! Loop devices (Linux's drivers/block/loop.c): /dev/loopN is a block
//! device whose sectors are the bytes of a file (from an offset, up to a
//! size limit), so that a filesystem image in a file can be mounted
//! (`mount -o loop`, `losetup`). The file is bound with LOOP_SET_FD or
//! LOOP_CONFIGURE and let go with LOOP_CLR_FD (ioctl.rs); /dev/loop-control
//! finds a free device and adds or removes them (control.rs).
//!
//! Reads and writes go to the file through its open file description, as
//! Linux's buffered loop does: a read past the file's end gives zeroes.
//! Eight devices exist from boot (`max_loop=N` asks for another number),
//! as with Linux's default CONFIG_BLK_DEV_LOOP_MIN_COUNT.

mod control;
mod ioctl;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::sync::Arc;

use abi::loop_dev::{LOOP_MAJOR, LO_FLAGS_AUTOCLEAR, LO_FLAGS_READ_ONLY, LO_NAME_SIZE};
use abi::{makedev, Errno, S_IFBLK};
use spin::Mutex;

use crate::block::{self, BlockDevice, Disk, SECTOR_SIZE};
use crate::fs::file::OpenFile;

/// The devices made at boot without `max_loop=`.
const BOOT_COUNT: u32 = 8;
/// Minors are 20 bits.
const MAX_INDEX: u32 = (1 << 20) - 1;

/// What a bound device reads and writes.
struct Binding {
    file: Arc<OpenFile>,
    offset: u64,
    /// Bytes of the file the device covers; 0 for all of it.
    size_limit: u64,
    sectors: u64,
    flags: u32,
    block_size: u32,
    file_name: [u8; LO_NAME_SIZE],
    crypt_name: [u8; LO_NAME_SIZE],
}

pub struct LoopDevice {
    index: u32,
    binding: Mutex<Option<Binding>>,
}

/// A device and the disk the block layer knows it as.
type Registered = (Arc<LoopDevice>, Arc<Disk>);

/// The devices by index.
static DEVICES: Mutex<BTreeMap<u32, Registered>> = Mutex::new(BTreeMap::new());

/// The bytes `file` holds: a regular file's size, a block device's capacity.
fn file_size(file: &OpenFile) -> u64 {
    let inode = file.inode();
    if inode.kind() == S_IFBLK {
        let rdev = inode.lock().rdev;
        return block::by_rdev(abi::major(rdev), abi::minor(rdev))
            .map_or(0, |d| d.device.sectors() * SECTOR_SIZE as u64);
    }
    inode.stat().st_size as u64
}

/// Whole sectors of `file` from `offset`, at most `limit` bytes (0: no limit).
fn sectors_of(file: &OpenFile, offset: u64, limit: u64) -> u64 {
    let size = file_size(file).saturating_sub(offset);
    let size = if limit > 0 { size.min(limit) } else { size };
    size / SECTOR_SIZE as u64
}

impl LoopDevice {
    /// The file and its byte offset for `len` bytes from `sector`: ENXIO
    /// unbound, EIO past the device's end.
    fn span(&self, sector: u64, len: usize) -> Result<(Arc<OpenFile>, u64), Errno> {
        let guard = self.binding.lock();
        let b = guard.as_ref().ok_or(Errno::ENXIO)?;
        let end = sector.checked_add((len / SECTOR_SIZE) as u64).ok_or(Errno::EIO)?;
        if end > b.sectors {
            return Err(Errno::EIO);
        }
        Ok((b.file.clone(), b.offset + sector * SECTOR_SIZE as u64))
    }

    /// Detaches the file (LOOP_CLR_FD, or autoclear at the last release).
    fn unbind(&self) {
        let old = self.binding.lock().take();
        drop(old);
    }
}

impl BlockDevice for LoopDevice {
    fn sectors(&self) -> u64 {
        self.binding.lock().as_ref().map_or(0, |b| b.sectors)
    }

    fn read(&self, sector: u64, buf: &mut [u8]) -> Result<(), Errno> {
        let (file, start) = self.span(sector, buf.len())?;
        let mut done = 0;
        while done < buf.len() {
            match file.pread(&mut buf[done..], start + done as u64) {
                Ok(0) => {
                    buf[done..].fill(0);
                    break;
                }
                Ok(n) => done += n,
                Err(_) => return Err(Errno::EIO),
            }
        }
        Ok(())
    }

    fn write(&self, sector: u64, buf: &[u8]) -> Result<(), Errno> {
        if self.read_only() {
            return Err(Errno::EPERM);
        }
        let (file, start) = self.span(sector, buf.len())?;
        let mut done = 0;
        while done < buf.len() {
            match file.pwrite(&buf[done..], start + done as u64) {
                Ok(n) if n > 0 => done += n,
                _ => return Err(Errno::EIO),
            }
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), Errno> {
        let file = self.binding.lock().as_ref().map(|b| b.file.clone());
        match file {
            // A file that cannot be synced (EINVAL) has nothing to make durable.
            Some(f) => f.fsync().or_else(|e| if e == Errno::EINVAL { Ok(()) } else { Err(e) }),
            None => Ok(()),
        }
    }

    fn read_only(&self) -> bool {
        self.binding.lock().as_ref().is_some_and(|b| b.flags & LO_FLAGS_READ_ONLY != 0)
    }

    fn logical_block_size(&self) -> u32 {
        self.binding.lock().as_ref().map_or(SECTOR_SIZE as u32, |b| b.block_size)
    }

    fn ioctl(&self, cmd: u32, arg: u64, writable: bool) -> Result<usize, Errno> {
        ioctl::ioctl(self, cmd, arg, writable)
    }

    /// Autoclear: the file is let go once nothing holds the device.
    fn released(&self) {
        let autoclear = self.binding.lock().as_ref().is_some_and(|b| b.flags & LO_FLAGS_AUTOCLEAR != 0);
        if autoclear {
            self.unbind();
        }
    }
}

/// Makes /dev/loop`index`; EEXIST if it exists.
fn add(index: u32) -> Result<u32, Errno> {
    let mut devices = DEVICES.lock();
    if devices.contains_key(&index) {
        return Err(Errno::EEXIST);
    }
    let dev = Arc::new(LoopDevice { index, binding: Mutex::new(None) });
    let disk = block::add(Disk::new(format!("loop{index}"), LOOP_MAJOR, index, dev.clone()), true);
    devices.insert(index, (dev, disk));
    drop(devices);
    crate::fs::devfs::add_node(format!("loop{index}").as_bytes(), S_IFBLK | 0o660, makedev(LOOP_MAJOR, index));
    Ok(index)
}

/// The lowest index without a device.
fn unused_index() -> Result<u32, Errno> {
    let devices = DEVICES.lock();
    (0..=MAX_INDEX).find(|i| !devices.contains_key(i)).ok_or(Errno::ENOSPC)
}

/// The bound loop device of minor `index`'s file, if any.
fn bound_file(index: u32) -> Option<Arc<OpenFile>> {
    let dev = DEVICES.lock().get(&index).map(|(d, _)| d.clone())?;
    let file = dev.binding.lock().as_ref().map(|b| b.file.clone());
    file
}

/// Makes the boot's devices and /dev/loop-control's driver. Runs before
/// /dev is filled.
pub fn init(cmdline: &str) {
    let count = crate::cmdline::param(cmdline, "max_loop").and_then(|v| v.parse::<u32>().ok()).unwrap_or(BOOT_COUNT);
    for index in 0..count.min(MAX_INDEX + 1) {
        let _ = add(index);
    }
    crate::fs::chardev::register_misc(abi::loop_dev::LOOP_CTRL_MINOR, control::open);
}
