//! The host's side of the library's traits: an image file as a block
//! device, the system clock, and libzstd as the zstd encoder.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::{SystemTime, UNIX_EPOCH};

use kestrelfs::{Block, BlockDevice, DeviceError, Platform, Timespec, ZstdEncoder, BLOCK_SIZE};

/// An image file.
pub struct FileDevice {
    file: File,
    blocks: u64,
}

impl FileDevice {
    pub fn open(path: &str, write: bool) -> std::io::Result<FileDevice> {
        let file = std::fs::OpenOptions::new().read(true).write(write).open(path)?;
        let blocks = file.metadata()?.len() / BLOCK_SIZE as u64;
        Ok(FileDevice { file, blocks })
    }

    /// A new image of `blocks` blocks (sparse).
    pub fn create(path: &str, blocks: u64) -> std::io::Result<FileDevice> {
        let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(path)?;
        file.set_len(blocks * BLOCK_SIZE as u64)?;
        Ok(FileDevice { file, blocks })
    }
}

fn io_error(block: u64, e: std::io::Error) -> DeviceError {
    DeviceError::Io { block, code: e.raw_os_error().unwrap_or(5) }
}

impl BlockDevice for FileDevice {
    fn block_count(&self) -> u64 {
        self.blocks
    }
    fn read_block(&mut self, n: u64, buf: &mut Block) -> Result<(), DeviceError> {
        self.read_blocks(n, buf)
    }
    fn write_block(&mut self, n: u64, buf: &Block) -> Result<(), DeviceError> {
        if n >= self.blocks {
            return Err(DeviceError::OutOfRange { block: n });
        }
        self.file.write_all_at(buf, n * BLOCK_SIZE as u64).map_err(|e| io_error(n, e))
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        self.file.sync_data().map_err(|e| io_error(0, e))
    }
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        let n = buf.len().div_ceil(BLOCK_SIZE) as u64;
        if start.saturating_add(n) > self.blocks {
            return Err(DeviceError::OutOfRange { block: start + n - 1 });
        }
        self.file.read_exact_at(buf, start * BLOCK_SIZE as u64).map_err(|e| io_error(start, e))
    }
}

/// The system clock and libzstd.
pub struct Host;

impl Platform for Host {
    fn now(&self) -> Timespec {
        let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Timespec { sec: d.as_secs() as i64, nsec: d.subsec_nanos() }
    }
    fn zstd_encoder(&self) -> Option<&dyn ZstdEncoder> {
        Some(&LibZstd)
    }
}

/// libzstd, levels -7..=22 (0: its default, 3).
pub struct LibZstd;

impl ZstdEncoder for LibZstd {
    fn compress(&self, data: &[u8], level: i8) -> Vec<u8> {
        // An empty result makes the library store the chunk raw.
        zstd::bulk::compress(data, level as i32).unwrap_or_default()
    }
}
