//! virtio-blk through the legacy virtio-pci interface (I/O port registers,
//! one virtqueue): the disks QEMU, Firecracker and cloud-hypervisor give a
//! guest. Requests are a header, data pages and a status byte chained in
//! the ring; completion is polled.

use alloc::sync::Arc;

use abi::Errno;
use spin::Mutex;

use machine::dma::DmaBuffer;

use super::queue::{Virtqueue, DESC_F_NEXT, DESC_F_WRITE};
use super::{Legacy, CONFIG, VIRTIO_VENDOR};
use crate::block::{self, BlockDevice, Disk, SECTOR_SIZE};
use crate::drivers::pci::{self, PciFunction};

/// The transitional (legacy-capable) virtio-blk PCI device.
const VIRTIO_BLK_LEGACY: u16 = 0x1001;
/// The capacity in sectors, first in the device configuration.
const CONFIG_CAPACITY: u16 = CONFIG;

const F_FLUSH: u32 = 1 << 9;

const T_IN: u32 = 0;
const T_OUT: u32 = 1;
const T_FLUSH: u32 = 4;

/// Data pages in one request (64 KiB).
const MAX_PAGES: usize = 16;
/// Linux's major number for virtio-blk devices is dynamic; 254 is what it
/// usually gets on a small system.
const MAJOR: u32 = 254;
const PAGE: usize = 4096;

struct Inner {
    dev: Legacy,
    ring: Virtqueue,
    /// The request header at 0, the status byte at 64.
    request: DmaBuffer,
    /// Bounce pages for the data, MAX_PAGES of them.
    data: DmaBuffer,
}

pub struct VirtioBlk {
    inner: Mutex<Inner>,
    sectors: u64,
    has_flush: bool,
}

impl Inner {
    /// Runs one request of `pages` data pages (device-writable when `read`).
    fn submit(&mut self, kind: u32, sector: u64, pages: usize, len: usize, read: bool) -> Result<(), Errno> {
        self.request.write_val::<u32>(0, kind);
        self.request.write_val::<u32>(4, 0);
        self.request.write_val::<u64>(8, sector);
        self.request.write_val::<u8>(64, 0xff);
        let request = self.request.device_addr();
        let data_flag = if read { DESC_F_WRITE } else { 0 };
        self.ring.set_desc(0, request, 16, DESC_F_NEXT, 1);
        let mut left = len;
        for p in 0..pages {
            let chunk = left.min(PAGE);
            let addr = self.data.device_addr() + (p * PAGE) as u64;
            self.ring.set_desc(1 + p as u16, addr, chunk as u32, data_flag | DESC_F_NEXT, 2 + p as u16);
            left -= chunk;
        }
        let status_desc = 1 + pages as u16;
        self.ring.set_desc(status_desc, request + 64, 1, DESC_F_WRITE, 0);
        self.ring.push(0);
        self.dev.notify(0);
        // Requests are one at a time (under the device's lock): the used
        // entry is this one's.
        while self.ring.pop_used().is_none() {
            core::hint::spin_loop();
        }
        match self.request.read_val::<u8>(64) {
            0 => Ok(()),
            2 => Err(Errno::EOPNOTSUPP),
            _ => Err(Errno::EIO),
        }
    }
}

impl BlockDevice for VirtioBlk {
    fn sectors(&self) -> u64 {
        self.sectors
    }

    fn read(&self, sector: u64, buf: &mut [u8]) -> Result<(), Errno> {
        if !buf.len().is_multiple_of(SECTOR_SIZE) || sector + (buf.len() / SECTOR_SIZE) as u64 > self.sectors {
            return Err(Errno::EINVAL);
        }
        let mut inner = self.inner.lock();
        let mut s = sector;
        for chunk in buf.chunks_mut(MAX_PAGES * PAGE) {
            let pages = chunk.len().div_ceil(PAGE);
            inner.submit(T_IN, s, pages, chunk.len(), true)?;
            inner.data.read(0, chunk);
            s += (chunk.len() / SECTOR_SIZE) as u64;
        }
        Ok(())
    }

    fn write(&self, sector: u64, buf: &[u8]) -> Result<(), Errno> {
        if !buf.len().is_multiple_of(SECTOR_SIZE) || sector + (buf.len() / SECTOR_SIZE) as u64 > self.sectors {
            return Err(Errno::EINVAL);
        }
        let mut inner = self.inner.lock();
        let mut s = sector;
        for chunk in buf.chunks(MAX_PAGES * PAGE) {
            inner.data.write(0, chunk);
            let pages = chunk.len().div_ceil(PAGE);
            inner.submit(T_OUT, s, pages, chunk.len(), false)?;
            s += (chunk.len() / SECTOR_SIZE) as u64;
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), Errno> {
        if !self.has_flush {
            // Without VIRTIO_BLK_F_FLUSH the device's cache is write-through.
            return Ok(());
        }
        self.inner.lock().submit(T_FLUSH, 0, 0, 0, false)
    }
}

fn init_device(f: &PciFunction) -> Option<VirtioBlk> {
    let (dev, features) = Legacy::start(f, F_FLUSH)?;
    let Some(ring) = dev.queue(0, (MAX_PAGES + 2) as u16) else {
        dev.fail();
        return None;
    };
    let request = DmaBuffer::alloc(PAGE)?;
    let data = DmaBuffer::alloc(MAX_PAGES * PAGE)?;
    dev.driver_ok();
    let io = &dev.io;
    let sectors = u64::from(io.read32(CONFIG_CAPACITY)) | (u64::from(io.read32(CONFIG_CAPACITY + 4)) << 32);
    Some(VirtioBlk {
        inner: Mutex::new(Inner { dev, ring, request, data }),
        sectors,
        has_flush: features & F_FLUSH != 0,
    })
}

/// Finds the virtio disks and registers them as vda, vdb, ...
pub fn probe() {
    const NAMES: [&str; 4] = ["vda", "vdb", "vdc", "vdd"];
    let devices = pci::scan().into_iter().filter(|f| f.vendor == VIRTIO_VENDOR && f.device_id == VIRTIO_BLK_LEGACY);
    for (n, f) in devices.take(NAMES.len()).enumerate() {
        match init_device(&f) {
            Some(dev) => block::register(Disk::new(NAMES[n].into(), MAJOR, (n * 16) as u32, Arc::new(dev))),
            None => {
                crate::pr_warn!("virtio-blk at {:02x}:{:02x}.{}: no legacy I/O interface", f.bus, f.device, f.function)
            }
        }
    }
}
