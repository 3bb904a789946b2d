//! Block device files (/dev/vda...): byte reads and writes at any offset
//! over a disk's 512-byte sectors; a partial sector is read, changed and
//! written back. fsync flushes the disk's write cache.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec;

use abi::{major, minor, Errno, OpenFlags};

use super::file::File;
use super::read_write::generic_seek;
use crate::block::{Disk, SECTOR_SIZE};

struct BlockFile {
    disk: Arc<Disk>,
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
}

/// Opens block device `rdev`; ENXIO without such a disk, as Linux.
pub fn open(rdev: u64) -> Result<Box<dyn File>, Errno> {
    let disk = crate::block::by_rdev(major(rdev), minor(rdev)).ok_or(Errno::ENXIO)?;
    Ok(Box::new(BlockFile { disk }))
}
