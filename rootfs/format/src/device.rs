//! The block device the filesystem lives on: 4 KiB blocks, read, write and
//! flush. The kernel implements it over virtio-blk, the host tools over an
//! image file, the tests over memory (with a wrapper that cuts the power).

use alloc::vec;
use alloc::vec::Vec;

/// The filesystem's block size; the only one this format version allows.
pub const BLOCK_SIZE: usize = 4096;

/// One block's bytes.
pub type Block = [u8; BLOCK_SIZE];

/// What a device can fail with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceError {
    /// The block number is past the end of the device.
    OutOfRange { block: u64 },
    /// The device reported an error (driver-specific code, e.g. an errno).
    Io { block: u64, code: i32 },
}

/// A device of `block_count()` blocks of [`BLOCK_SIZE`] bytes.
///
/// `write_block` may be cached by the device and reordered with other
/// writes; only `flush` guarantees that every write before it is durable.
/// The commit protocol relies on exactly that and nothing more.
pub trait BlockDevice {
    /// Number of blocks.
    fn block_count(&self) -> u64;
    /// Reads block `n` into `buf`.
    fn read_block(&mut self, n: u64, buf: &mut Block) -> Result<(), DeviceError>;
    /// Writes `buf` to block `n`.
    fn write_block(&mut self, n: u64, buf: &Block) -> Result<(), DeviceError>;
    /// Makes every completed write durable.
    fn flush(&mut self) -> Result<(), DeviceError>;

    /// Reads `buf.len() / BLOCK_SIZE` consecutive blocks from `start`. A
    /// driver that can batch requests overrides this.
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        let mut block = [0u8; BLOCK_SIZE];
        for (i, out) in buf.chunks_mut(BLOCK_SIZE).enumerate() {
            self.read_block(start + i as u64, &mut block)?;
            out.copy_from_slice(&block[..out.len()]);
        }
        Ok(())
    }
}

impl<T: BlockDevice + ?Sized> BlockDevice for &mut T {
    fn block_count(&self) -> u64 {
        (**self).block_count()
    }
    fn read_block(&mut self, n: u64, buf: &mut Block) -> Result<(), DeviceError> {
        (**self).read_block(n, buf)
    }
    fn write_block(&mut self, n: u64, buf: &Block) -> Result<(), DeviceError> {
        (**self).write_block(n, buf)
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        (**self).flush()
    }
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        (**self).read_blocks(start, buf)
    }
}

/// A device in memory: an image as a byte vector.
#[derive(Clone, Debug)]
pub struct MemDevice {
    bytes: Vec<u8>,
}

impl MemDevice {
    /// A zeroed device of `blocks` blocks.
    pub fn new(blocks: u64) -> Self {
        MemDevice { bytes: vec![0; blocks as usize * BLOCK_SIZE] }
    }

    /// A device over an image's bytes (a partial last block is ignored).
    pub fn from_bytes(mut bytes: Vec<u8>) -> Self {
        bytes.truncate(bytes.len() / BLOCK_SIZE * BLOCK_SIZE);
        MemDevice { bytes }
    }

    /// The image's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The image's bytes, for tests that damage them.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// The image.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    fn range(&self, n: u64) -> Result<core::ops::Range<usize>, DeviceError> {
        if n >= self.block_count() {
            return Err(DeviceError::OutOfRange { block: n });
        }
        let start = n as usize * BLOCK_SIZE;
        Ok(start..start + BLOCK_SIZE)
    }
}

impl BlockDevice for MemDevice {
    fn block_count(&self) -> u64 {
        (self.bytes.len() / BLOCK_SIZE) as u64
    }
    fn read_block(&mut self, n: u64, buf: &mut Block) -> Result<(), DeviceError> {
        let r = self.range(n)?;
        buf.copy_from_slice(&self.bytes[r]);
        Ok(())
    }
    fn write_block(&mut self, n: u64, buf: &Block) -> Result<(), DeviceError> {
        let r = self.range(n)?;
        self.bytes[r].copy_from_slice(buf);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
}
