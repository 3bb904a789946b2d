//! virtio-blk through the legacy virtio-pci interface (I/O port registers,
//! one virtqueue): the disks QEMU, Firecracker and cloud-hypervisor give a
//! guest. Requests are a header, data pages and a status byte chained in
//! the ring; completion is polled.

use alloc::sync::Arc;
use core::sync::atomic::{fence, Ordering};

use abi::Errno;
use spin::Mutex;

use machine::dma::DmaBuffer;
use machine::io::IoPort;

use super::pci::{self, PciFunction};
use crate::block::{self, BlockDevice, Disk, SECTOR_SIZE};

const VIRTIO_VENDOR: u16 = 0x1AF4;
/// The transitional (legacy-capable) virtio-blk PCI device.
const VIRTIO_BLK_LEGACY: u16 = 0x1001;

// Legacy register offsets from BAR0.
const DEVICE_FEATURES: u16 = 0x00;
const GUEST_FEATURES: u16 = 0x04;
const QUEUE_PFN: u16 = 0x08;
const QUEUE_SIZE: u16 = 0x0C;
const QUEUE_SELECT: u16 = 0x0E;
const QUEUE_NOTIFY: u16 = 0x10;
const DEVICE_STATUS: u16 = 0x12;
const CONFIG_CAPACITY: u16 = 0x14;

const STATUS_ACKNOWLEDGE: u8 = 1;
const STATUS_DRIVER: u8 = 2;
const STATUS_DRIVER_OK: u8 = 4;
const STATUS_FAILED: u8 = 128;

const F_FLUSH: u32 = 1 << 9;

const T_IN: u32 = 0;
const T_OUT: u32 = 1;
const T_FLUSH: u32 = 4;

const DESC_F_NEXT: u16 = 1;
const DESC_F_WRITE: u16 = 2;

/// Data pages in one request (64 KiB).
const MAX_PAGES: usize = 16;
/// Linux's major number for virtio-blk devices is dynamic; 254 is what it
/// usually gets on a small system.
const MAJOR: u32 = 254;
const PAGE: usize = 4096;

/// The virtqueue: descriptors, then the available ring, then (page
/// aligned) the used ring, in one buffer the device reads and writes.
struct Ring {
    memory: DmaBuffer,
    size: u16,
    avail: usize,
    used: usize,
    next_avail: u16,
    last_used: u16,
}

struct Inner {
    io: IoPort,
    ring: Ring,
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

fn ring_layout(size: u16) -> (usize, usize, usize) {
    let n = usize::from(size);
    let avail = n * 16;
    let used = (avail + 6 + 2 * n).next_multiple_of(PAGE);
    let total = used + (6 + 8 * n).next_multiple_of(PAGE);
    (avail, used, total)
}

impl Inner {
    fn set_desc(&self, i: u16, addr: u64, len: u32, flags: u16, next: u16) {
        let d = usize::from(i) * 16;
        let ring = &self.ring.memory;
        ring.write_val::<u64>(d, addr);
        ring.write_val::<u32>(d + 8, len);
        ring.write_val::<u16>(d + 12, flags);
        ring.write_val::<u16>(d + 14, next);
    }

    /// Runs one request of `pages` data pages (device-writable when `read`).
    fn submit(&mut self, kind: u32, sector: u64, pages: usize, len: usize, read: bool) -> Result<(), Errno> {
        self.request.write_val::<u32>(0, kind);
        self.request.write_val::<u32>(4, 0);
        self.request.write_val::<u64>(8, sector);
        self.request.write_val::<u8>(64, 0xff);
        let request = self.request.device_addr();
        let data_flag = if read { DESC_F_WRITE } else { 0 };
        self.set_desc(0, request, 16, DESC_F_NEXT, 1);
        let mut left = len;
        for p in 0..pages {
            let chunk = left.min(PAGE);
            let addr = self.data.device_addr() + (p * PAGE) as u64;
            self.set_desc(1 + p as u16, addr, chunk as u32, data_flag | DESC_F_NEXT, 2 + p as u16);
            left -= chunk;
        }
        let status_desc = 1 + pages as u16;
        self.set_desc(status_desc, request + 64, 1, DESC_F_WRITE, 0);
        let slot = self.ring.next_avail % self.ring.size;
        let ring = &self.ring.memory;
        ring.write_volatile_u16(self.ring.avail + 4 + 2 * usize::from(slot), 0);
        fence(Ordering::SeqCst);
        self.ring.next_avail = self.ring.next_avail.wrapping_add(1);
        ring.write_volatile_u16(self.ring.avail + 2, self.ring.next_avail);
        fence(Ordering::SeqCst);
        self.io.write16(QUEUE_NOTIFY, 0);
        while ring.read_volatile_u16(self.ring.used + 2) == self.ring.last_used {
            core::hint::spin_loop();
        }
        fence(Ordering::SeqCst);
        self.ring.last_used = self.ring.last_used.wrapping_add(1);
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
    let io = f.io_bar(0)?;
    f.enable();
    io.write8(DEVICE_STATUS, 0);
    io.write8(DEVICE_STATUS, STATUS_ACKNOWLEDGE);
    io.write8(DEVICE_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    let features = io.read32(DEVICE_FEATURES);
    let wanted = features & F_FLUSH;
    io.write32(GUEST_FEATURES, wanted);
    io.write16(QUEUE_SELECT, 0);
    let size = io.read16(QUEUE_SIZE);
    if size < (MAX_PAGES + 2) as u16 {
        io.write8(DEVICE_STATUS, STATUS_FAILED);
        return None;
    }
    let (avail, used, total) = ring_layout(size);
    let memory = DmaBuffer::alloc(total)?;
    let request = DmaBuffer::alloc(PAGE)?;
    let data = DmaBuffer::alloc(MAX_PAGES * PAGE)?;
    io.write32(QUEUE_PFN, (memory.device_addr() / PAGE as u64) as u32);
    io.write8(DEVICE_STATUS, io.read8(DEVICE_STATUS) | STATUS_DRIVER_OK);
    let sectors = u64::from(io.read32(CONFIG_CAPACITY)) | (u64::from(io.read32(CONFIG_CAPACITY + 4)) << 32);
    let ring = Ring { memory, size, avail, used, next_avail: 0, last_used: 0 };
    Some(VirtioBlk { inner: Mutex::new(Inner { io, ring, request, data }), sectors, has_flush: wanted & F_FLUSH != 0 })
}

/// Finds the virtio disks and registers them as vda, vdb, ...
pub fn probe() {
    const NAMES: [&str; 4] = ["vda", "vdb", "vdc", "vdd"];
    let devices = pci::scan().into_iter().filter(|f| f.vendor == VIRTIO_VENDOR && f.device_id == VIRTIO_BLK_LEGACY);
    for (n, f) in devices.take(NAMES.len()).enumerate() {
        match init_device(&f) {
            Some(dev) => {
                block::register(Disk { name: NAMES[n], major: MAJOR, minor: (n * 16) as u32, device: Arc::new(dev) })
            }
            None => {
                crate::pr_warn!("virtio-blk at {:02x}:{:02x}.{}: no legacy I/O interface", f.bus, f.device, f.function)
            }
        }
    }
}
