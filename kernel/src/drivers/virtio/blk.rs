//! virtio-blk through the legacy virtio-pci interface (I/O port registers,
//! one virtqueue): the disks QEMU, Firecracker and cloud-hypervisor give a
//! guest. Requests are a header, data pages and a status byte chained in
//! the ring, one request at a time; a read may be started ahead of need
//! (`read_ahead`) and waited for by the read it serves, so the device
//! works while the caller does. The submitter waits halted (HLT) when the
//! device's interrupt comes to its CPU, so that under emulation the host
//! threads doing the I/O get the processor; otherwise it polls.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use abi::Errno;
use spin::Mutex;

use machine::arch::{cpu, percpu};
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

/// Data pages in one request (512 KiB; QEMU's queues have 256 entries,
/// and a request takes one for each page and two more).
const MAX_PAGES: usize = 128;
/// Linux's major number for virtio-blk devices is dynamic; 254 is what it
/// usually gets on a small system.
const MAJOR: u32 = 254;
const PAGE: usize = 4096;

struct Inner {
    ring: Virtqueue,
    /// The request header at 0, the status byte at 64.
    request: DmaBuffer,
    /// Bounce pages for the data, MAX_PAGES of them.
    data: DmaBuffer,
    /// A read started ahead (`read_ahead`), into `data`: reads inside it
    /// take their bytes from there; any other request drops it first.
    ahead: Option<Ahead>,
}

#[derive(Clone, Copy)]
struct Ahead {
    sector: u64,
    len: usize,
    /// Whether it was waited for (its bytes are in `data`).
    done: bool,
}

impl Ahead {
    /// Where `len` bytes from `sector` are in the data buffer, if inside.
    fn offset_of(&self, sector: u64, len: usize) -> Option<usize> {
        let offset = usize::try_from(sector.checked_sub(self.sector)?).ok()? * SECTOR_SIZE;
        (offset + len <= self.len).then_some(offset)
    }
}

pub struct VirtioBlk {
    /// The registers, outside the lock: the interrupt reads the status.
    dev: Legacy,
    inner: Mutex<Inner>,
    sectors: u64,
    has_flush: bool,
    gsi: u32,
    /// The CPU the interrupt is routed to (NOT_ROUTED: none).
    irq_cpu: AtomicU32,
}

const NOT_ROUTED: u32 = u32::MAX;

/// The devices probed, for the interrupt.
static DEVICES: spin::Once<Vec<Arc<VirtioBlk>>> = spin::Once::new();

/// Acknowledges the interrupt of every disk whose status shows one (the
/// submitter sees the used ring); returns their GSIs.
pub fn interrupt() -> impl Iterator<Item = u32> {
    DEVICES.get().into_iter().flatten().filter(|d| d.dev.isr() != 0).map(|d| d.gsi)
}

impl Inner {
    /// Runs one request of `len` bytes of data, after any read started
    /// ahead (whose bytes are then dropped).
    fn submit(&mut self, dev: &Legacy, irq_cpu: u32, kind: u32, sector: u64, len: usize) -> Result<(), Errno> {
        self.drop_ahead(irq_cpu);
        self.start(dev, kind, sector, len);
        self.finish(irq_cpu)
    }

    /// Waits for a read started ahead, if any, and forgets it.
    fn drop_ahead(&mut self, irq_cpu: u32) {
        if let Some(a) = self.ahead.take() {
            if !a.done {
                let _ = self.finish(irq_cpu);
            }
        }
    }

    /// Puts a request of `len` bytes of data (device-writable for a read)
    /// in the ring and tells the device.
    fn start(&mut self, dev: &Legacy, kind: u32, sector: u64, len: usize) {
        let read = kind == T_IN;
        let pages = len.div_ceil(PAGE);
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
        dev.notify(0);
    }

    /// Waits for the request in the ring; its status. Requests are one at
    /// a time (under the device's lock): the used entry is this one's.
    fn finish(&mut self, irq_cpu: u32) -> Result<(), Errno> {
        self.wait_used(irq_cpu);
        match self.request.read_val::<u8>(64) {
            0 => Ok(()),
            2 => Err(Errno::EOPNOTSUPP),
            _ => Err(Errno::EIO),
        }
    }

    /// Waits for the device to use the request: halted when the caller
    /// runs with interrupts on and on the CPU the device interrupts (else
    /// only the timer would wake it), polling otherwise. The ring is
    /// checked with interrupts off and then STI;HLT: an interrupt between
    /// the check and the halt still wakes it.
    fn wait_used(&mut self, irq_cpu: u32) {
        let may_halt = irq_cpu != NOT_ROUTED && cpu::interrupts_enabled();
        loop {
            if may_halt {
                cpu::disable_interrupts();
            }
            if self.ring.pop_used().is_some() {
                break;
            }
            if may_halt && percpu::cpu_index() as u32 == irq_cpu {
                cpu::wait_for_interrupt();
            } else {
                if may_halt {
                    cpu::enable_interrupts();
                }
                core::hint::spin_loop();
            }
        }
        if may_halt {
            cpu::enable_interrupts();
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
        let irq_cpu = self.irq_cpu.load(Ordering::Relaxed);
        let mut inner = self.inner.lock();
        let mut s = sector;
        for chunk in buf.chunks_mut(MAX_PAGES * PAGE) {
            let ahead = inner.ahead.and_then(|a| Some((a, a.offset_of(s, chunk.len())?)));
            let offset = match ahead {
                Some((a, offset)) => {
                    if !a.done {
                        inner.ahead = None;
                        inner.finish(irq_cpu)?;
                        inner.ahead = Some(Ahead { done: true, ..a });
                    }
                    offset
                }
                None => {
                    inner.submit(&self.dev, irq_cpu, T_IN, s, chunk.len())?;
                    0
                }
            };
            inner.data.read(offset, chunk);
            s += (chunk.len() / SECTOR_SIZE) as u64;
        }
        Ok(())
    }

    fn read_ahead(&self, sector: u64, len: usize) {
        let len = len.min(MAX_PAGES * PAGE);
        if len == 0 || !len.is_multiple_of(SECTOR_SIZE) || sector + (len / SECTOR_SIZE) as u64 > self.sectors {
            return;
        }
        let irq_cpu = self.irq_cpu.load(Ordering::Relaxed);
        let mut inner = self.inner.lock();
        if inner.ahead.is_some_and(|a| a.offset_of(sector, len).is_some()) {
            return;
        }
        inner.drop_ahead(irq_cpu);
        inner.start(&self.dev, T_IN, sector, len);
        inner.ahead = Some(Ahead { sector, len, done: false });
    }

    fn write(&self, sector: u64, buf: &[u8]) -> Result<(), Errno> {
        if !buf.len().is_multiple_of(SECTOR_SIZE) || sector + (buf.len() / SECTOR_SIZE) as u64 > self.sectors {
            return Err(Errno::EINVAL);
        }
        let irq_cpu = self.irq_cpu.load(Ordering::Relaxed);
        let mut inner = self.inner.lock();
        let mut s = sector;
        for chunk in buf.chunks(MAX_PAGES * PAGE) {
            // Before the bounce pages are written: a read ahead may still
            // be filling them.
            inner.drop_ahead(irq_cpu);
            inner.data.write(0, chunk);
            inner.submit(&self.dev, irq_cpu, T_OUT, s, chunk.len())?;
            s += (chunk.len() / SECTOR_SIZE) as u64;
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), Errno> {
        if !self.has_flush {
            // Without VIRTIO_BLK_F_FLUSH the device's cache is write-through.
            return Ok(());
        }
        let irq_cpu = self.irq_cpu.load(Ordering::Relaxed);
        self.inner.lock().submit(&self.dev, irq_cpu, T_FLUSH, 0, 0)
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
        dev,
        inner: Mutex::new(Inner { ring, request, data, ahead: None }),
        sectors,
        has_flush: features & F_FLUSH != 0,
        gsi: super::intx_gsi(f),
        irq_cpu: AtomicU32::new(NOT_ROUTED),
    })
}

/// Finds the virtio disks and registers them as vda, vdb, ...
pub fn probe() {
    const NAMES: [&str; 4] = ["vda", "vdb", "vdc", "vdd"];
    let functions = pci::scan().into_iter().filter(|f| f.vendor == VIRTIO_VENDOR && f.device_id == VIRTIO_BLK_LEGACY);
    let mut devices = Vec::new();
    for f in functions.take(NAMES.len()) {
        match init_device(&f) {
            Some(dev) => devices.push(Arc::new(dev)),
            None => {
                crate::pr_warn!("virtio-blk at {:02x}:{:02x}.{}: no legacy I/O interface", f.bus, f.device, f.function)
            }
        }
    }
    // The list first, then the interrupts: a shared line may fire at once.
    let devices = DEVICES.call_once(|| devices);
    for (n, dev) in devices.iter().enumerate() {
        if machine::arch::ioapic::route_pci_gsi(dev.gsi, machine::arch::traps::VIRTIO_VECTOR as u8) {
            // route_pci_gsi sends it to the CPU that calls it.
            dev.irq_cpu.store(percpu::cpu_index() as u32, Ordering::Relaxed);
        }
        block::register(Disk::new(NAMES[n].into(), MAJOR, (n * 16) as u32, dev.clone()));
    }
}
