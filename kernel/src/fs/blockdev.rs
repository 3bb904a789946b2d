//! Block device files (/dev/vda...): byte reads and writes at any offset
//! over a disk's 512-byte sectors; a partial sector is read, changed and
//! written back. fsync flushes the disk's write cache. The block layer's
//! ioctls (sizes, read-only) are answered here, the rest by the device.
//! An open file holds its disk (block/mod.rs).

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec;

use abi::ioctl::{BLKBSZGET, BLKFLSBUF, BLKGETSIZE, BLKGETSIZE64, BLKPBSZGET, BLKROGET, BLKSSZGET};
use abi::{major, minor, Errno, OpenFlags};

use super::file::File;
use super::read_write::generic_seek;
use crate::block::{Disk, SECTOR_SIZE};
use crate::uaccess::write_user;

struct BlockFile {
    disk: Arc<Disk>,
    writable: bool,
}

impl Drop for BlockFile {
    fn drop(&mut self) {
        self.disk.release();
    }
}

impl BlockFile {
    fn size(&self) -> u64 {
        self.disk.device.sectors() * SECTOR_SIZE as u64
    }

    /// The sectors covering [pos, pos+len), read into a buffer.
    fn span(&self, pos: u64, len: usize) -> Result<(u64, vec::Vec<u8>), Errno> {
        let first = pos / SECTOR_SIZE as u64;
        let end = (pos + len as u64).div_ceil(SECTOR_SIZE as u64);
        let mut buf = vec![0u8; ((end - first) as usize) * SECTOR_SIZE];
        self.disk.device.read(first, &mut buf)?;
        Ok((first, buf))
    }

    /// The soft block size Linux gives an open device: the largest power
    /// of two up to a page that divides the size.
    fn soft_block_size(&self) -> u32 {
        let mut size = self.disk.device.logical_block_size();
        while size < 4096 && self.size() & u64::from(size) == 0 {
            size <<= 1;
        }
        size
    }

    fn block_ioctl(&self, cmd: usize, arg: u64) -> Option<Result<(), Errno>> {
        let device = &self.disk.device;
        Some(match cmd {
            BLKGETSIZE64 => write_user(arg, &self.size()),
            BLKGETSIZE => write_user(arg, &device.sectors()),
            BLKSSZGET => write_user(arg, &(device.logical_block_size() as i32)),
            BLKPBSZGET => write_user(arg, &device.logical_block_size()),
            BLKBSZGET => write_user(arg, &(self.soft_block_size() as i32)),
            BLKROGET => write_user(arg, &i32::from(device.read_only())),
            // There is no buffer cache to drop; the write cache is flushed.
            BLKFLSBUF if !crate::sched::current().cred.lock().is_privileged() => Err(Errno::EACCES),
            BLKFLSBUF => device.flush(),
            _ => return None,
        })
    }
}

/// Transfers at most 1 MiB per call; callers loop as for any file.
const MAX_IO: usize = 1 << 20;

impl File for BlockFile {
    fn positioned(&self) -> bool {
        true
    }

    fn read_at(&self, buf: &mut [u8], pos: u64) -> Result<usize, Errno> {
        let size = self.size();
        if pos >= size {
            return Ok(0);
        }
        let n = buf.len().min((size - pos) as usize).min(MAX_IO);
        let (first, data) = self.span(pos, n)?;
        let skip = (pos - first * SECTOR_SIZE as u64) as usize;
        buf[..n].copy_from_slice(&data[skip..skip + n]);
        Ok(n)
    }

    fn write_at(&self, buf: &[u8], pos: u64, _flags: OpenFlags) -> Result<(usize, u64), Errno> {
        if self.disk.device.read_only() {
            return Err(Errno::EPERM);
        }
        let size = self.size();
        if pos >= size {
            return if buf.is_empty() { Ok((0, pos)) } else { Err(Errno::ENOSPC) };
        }
        let n = buf.len().min((size - pos) as usize).min(MAX_IO);
        let (first, mut data) = self.span(pos, n)?;
        let skip = (pos - first * SECTOR_SIZE as u64) as usize;
        data[skip..skip + n].copy_from_slice(&buf[..n]);
        self.disk.device.write(first, &data)?;
        Ok((n, pos + n as u64))
    }

    fn seek(&self, pos: u64, offset: i64, whence: i32) -> Result<u64, Errno> {
        generic_seek(pos, self.size(), offset, whence)
    }

    fn fsync(&self) -> Result<(), Errno> {
        self.disk.device.flush()
    }

    fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        match self.block_ioctl(cmd as usize, arg) {
            Some(result) => result.map(|_| 0),
            None => self.disk.device.ioctl(cmd, arg, self.writable),
        }
    }
}

/// Opens block device `rdev`; ENXIO without such a disk, as Linux.
pub fn open(rdev: u64, flags: OpenFlags) -> Result<Box<dyn File>, Errno> {
    let disk = crate::block::by_rdev(major(rdev), minor(rdev)).ok_or(Errno::ENXIO)?;
    disk.hold();
    Ok(Box::new(BlockFile { disk, writable: flags.writable() }))
}
