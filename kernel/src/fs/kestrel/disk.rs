//! The library's view of a disk: 4 KiB blocks over the block layer's
//! 512-byte sectors (block/mod.rs); and of the kernel: the clock. (zstd
//! is the library's built-in encoder, which runs on the library's stack
//! with every other call into it: stack.rs.)
//!
//! Batching: reads of consecutive blocks (`read_blocks`, which the library
//! uses for a chunk's stored bytes) are one request, and a read that
//! follows the previous one has the device read ahead (block/mod.rs);
//! writes of consecutive blocks are gathered and sent as one request when
//! the run ends, a read comes, or a flush. The commit protocol asks no
//! more of `write_block` than that a `flush` makes every earlier write
//! durable, which holds.

use alloc::sync::Arc;
use alloc::vec::Vec;

use kestrelfs::{Block, BlockDevice, DeviceError, Platform, Timespec, BLOCK_SIZE};

use crate::block::{Disk, SECTOR_SIZE};

const SECTORS_PER_BLOCK: u64 = (BLOCK_SIZE / SECTOR_SIZE) as u64;
/// The longest run of writes sent as one request.
const MAX_RUN: usize = 256 * 1024;
/// What a read that follows the previous one starts reading ahead: a
/// default chunk, raw, or several compressed ones.
const READ_AHEAD: usize = 128 * 1024;

pub struct DiskDevice {
    disk: Arc<Disk>,
    blocks: u64,
    /// Writes not yet sent: the first block and the bytes.
    run_start: u64,
    run: Vec<u8>,
    /// The block after the last read.
    read_end: u64,
}

impl DiskDevice {
    pub fn new(disk: Arc<Disk>) -> DiskDevice {
        let blocks = disk.device.sectors() / SECTORS_PER_BLOCK;
        DiskDevice { disk, blocks, run_start: 0, run: Vec::new(), read_end: u64::MAX }
    }

    fn check(&self, n: u64, count: u64) -> Result<(), DeviceError> {
        if n.checked_add(count).is_none_or(|end| end > self.blocks) {
            return Err(DeviceError::OutOfRange { block: n });
        }
        Ok(())
    }

    fn io_error(block: u64, e: abi::Errno) -> DeviceError {
        DeviceError::Io { block, code: e.code() }
    }

    /// Sends the gathered writes.
    fn submit(&mut self) -> Result<(), DeviceError> {
        if self.run.is_empty() {
            return Ok(());
        }
        let r = self.disk.device.write(self.run_start * SECTORS_PER_BLOCK, &self.run);
        self.run.clear();
        r.map_err(|e| Self::io_error(self.run_start, e))
    }
}

impl BlockDevice for DiskDevice {
    fn block_count(&self) -> u64 {
        self.blocks
    }

    fn read_block(&mut self, n: u64, buf: &mut Block) -> Result<(), DeviceError> {
        self.read_blocks(n, buf)
    }

    fn write_block(&mut self, n: u64, buf: &Block) -> Result<(), DeviceError> {
        self.check(n, 1)?;
        let next = self.run_start + (self.run.len() / BLOCK_SIZE) as u64;
        if self.run.is_empty() || n != next || self.run.len() >= MAX_RUN {
            self.submit()?;
            self.run_start = n;
        }
        self.run.extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), DeviceError> {
        self.submit()?;
        self.disk.device.flush().map_err(|e| Self::io_error(0, e))
    }

    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        let count = buf.len().div_ceil(BLOCK_SIZE) as u64;
        self.check(start, count)?;
        self.submit()?;
        let end = start + count;
        let follows = start == self.read_end;
        self.read_end = end;
        self.read_now(start, buf)?;
        // A read that follows the last one (a file's chunks, stored one
        // after another) starts the device on the next bytes, which it
        // reads while this chunk is checked and copied.
        if follows && end < self.blocks {
            let len = READ_AHEAD.min(((self.blocks - end) * BLOCK_SIZE as u64) as usize);
            self.disk.device.read_ahead(end * SECTORS_PER_BLOCK, len);
        }
        Ok(())
    }
}

impl DiskDevice {
    /// Reads the blocks from `start` that hold `buf`.
    fn read_now(&mut self, start: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        if buf.len().is_multiple_of(BLOCK_SIZE) {
            return self.disk.device.read(start * SECTORS_PER_BLOCK, buf).map_err(|e| Self::io_error(start, e));
        }
        let mut whole = alloc::vec![0u8; buf.len().div_ceil(BLOCK_SIZE) * BLOCK_SIZE];
        self.disk.device.read(start * SECTORS_PER_BLOCK, &mut whole).map_err(|e| Self::io_error(start, e))?;
        buf.copy_from_slice(&whole[..buf.len()]);
        Ok(())
    }
}

/// The kernel's clock (CLOCK_REALTIME) for the library's times.
pub struct Clock;

impl Platform for Clock {
    fn now(&self) -> Timespec {
        super::to_disk_time(crate::time::realtime())
    }
}
