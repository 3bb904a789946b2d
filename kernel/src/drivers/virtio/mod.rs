//! virtio devices through the legacy virtio-pci interface (I/O port
//! registers), which QEMU's transitional devices offer: the common
//! registers and start-up handshake here, the split virtqueue in
//! queue.rs, the devices in blk.rs and net.rs.

pub mod blk;
pub mod net;
pub mod queue;

use machine::io::IoPort;

use super::pci::PciFunction;
use queue::Virtqueue;

pub const VIRTIO_VENDOR: u16 = 0x1AF4;

/// The I/O APIC input a PCI function's INTx line reaches on QEMU's q35
/// board: its ICH9 routes pin P of slot S to PIRQ E + (S + P) mod 4, and
/// PIRQ A-H are I/O APIC inputs 16-23 (the ACPI _PRT says the same).
pub fn intx_gsi(f: &PciFunction) -> u32 {
    let pin = ((f.read32(0x3C) >> 8) & 0xff).saturating_sub(1);
    20 + (u32::from(f.device) + pin) % 4
}

/// The interrupt of the virtio devices (VIRTIO_VECTOR), whose INTx lines
/// may be shared: each device's status is read, which acknowledges it,
/// and counted on its GSI if the interrupt was its.
pub fn interrupt() {
    for gsi in net::interrupt().into_iter().chain(blk::interrupt()) {
        crate::sched::stats::count_irq(gsi as usize);
    }
}

// Legacy register offsets from BAR0.
const DEVICE_FEATURES: u16 = 0x00;
const GUEST_FEATURES: u16 = 0x04;
const QUEUE_PFN: u16 = 0x08;
const QUEUE_SIZE: u16 = 0x0C;
const QUEUE_SELECT: u16 = 0x0E;
const QUEUE_NOTIFY: u16 = 0x10;
const DEVICE_STATUS: u16 = 0x12;
const ISR_STATUS: u16 = 0x13;
/// Where the device-specific configuration starts (without MSI-X).
pub const CONFIG: u16 = 0x14;

const STATUS_ACKNOWLEDGE: u8 = 1;
const STATUS_DRIVER: u8 = 2;
const STATUS_DRIVER_OK: u8 = 4;
const STATUS_FAILED: u8 = 128;

/// A legacy virtio device's registers.
pub struct Legacy {
    pub io: IoPort,
}

impl Legacy {
    /// Resets the device, acknowledges it and agrees on the features of
    /// `wanted` it offers; returns them. None if BAR0 is not I/O space.
    pub fn start(f: &PciFunction, wanted: u32) -> Option<(Legacy, u32)> {
        let io = f.io_bar(0)?;
        f.enable();
        io.write8(DEVICE_STATUS, 0);
        io.write8(DEVICE_STATUS, STATUS_ACKNOWLEDGE);
        io.write8(DEVICE_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
        let features = io.read32(DEVICE_FEATURES) & wanted;
        io.write32(GUEST_FEATURES, features);
        Some((Legacy { io }, features))
    }

    /// Sets up queue `index` with the device's size, if at least `min`.
    pub fn queue(&self, index: u16, min: u16) -> Option<Virtqueue> {
        self.io.write16(QUEUE_SELECT, index);
        let size = self.io.read16(QUEUE_SIZE);
        if size < min {
            return None;
        }
        let q = Virtqueue::new(size)?;
        self.io.write32(QUEUE_PFN, q.pfn());
        Some(q)
    }

    pub fn driver_ok(&self) {
        self.io.write8(DEVICE_STATUS, self.io.read8(DEVICE_STATUS) | STATUS_DRIVER_OK);
    }

    pub fn fail(&self) {
        self.io.write8(DEVICE_STATUS, STATUS_FAILED);
    }

    pub fn notify(&self, index: u16) {
        self.io.write16(QUEUE_NOTIFY, index);
    }

    /// Reads and so clears the interrupt status (bit 0: a queue was used).
    pub fn isr(&self) -> u8 {
        self.io.read8(ISR_STATUS)
    }
}
