//! PCI configuration space through the legacy I/O ports (0xCF8/0xCFC), and
//! a scan of every bus, device and function for the drivers.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::arch::cpu::{inl, outl};

/// Where BARs the firmware left unassigned get their I/O ports: above the
/// legacy ISA range, as PC firmware allocates them.
static NEXT_IO_PORT: AtomicU32 = AtomicU32::new(0xC000);

const CONFIG_ADDRESS: u16 = 0xCF8;
const CONFIG_DATA: u16 = 0xCFC;

#[derive(Clone, Copy, Debug)]
pub struct PciFunction {
    pub bus: u8,
    pub device: u8,
    pub function: u8,
    pub vendor: u16,
    pub device_id: u16,
}

fn address(f: &PciFunction, offset: u8) -> u32 {
    0x8000_0000
        | (u32::from(f.bus) << 16)
        | (u32::from(f.device) << 11)
        | (u32::from(f.function) << 8)
        | u32::from(offset & 0xfc)
}

impl PciFunction {
    pub fn read32(&self, offset: u8) -> u32 {
        outl(CONFIG_ADDRESS, address(self, offset));
        inl(CONFIG_DATA)
    }

    pub fn write32(&self, offset: u8, value: u32) {
        outl(CONFIG_ADDRESS, address(self, offset));
        outl(CONFIG_DATA, value);
    }

    /// The I/O port base of BAR `n`, assigning one from a free window when
    /// the firmware left it unassigned (minimal firmware such as qboot
    /// assigns only what it boots from). None if the BAR is not I/O space.
    pub fn io_bar(&self, n: u8) -> Option<u16> {
        let offset = 0x10 + n * 4;
        let raw = self.read32(offset);
        if raw & 1 != 0 && raw & !3 != 0 {
            return Some((raw & !3) as u16);
        }
        self.write32(offset, u32::MAX);
        let mask = self.read32(offset);
        if mask & 1 == 0 {
            self.write32(offset, raw);
            return None;
        }
        let size = (!(mask & !3)).wrapping_add(1) & 0xffff;
        let base = NEXT_IO_PORT.fetch_add(size.max(16), Ordering::Relaxed).next_multiple_of(size.max(4));
        NEXT_IO_PORT.fetch_max(base + size, Ordering::Relaxed);
        self.write32(offset, base);
        Some(base as u16)
    }

    /// Turns on I/O and memory decoding and bus mastering (DMA).
    pub fn enable(&self) {
        let cmd = self.read32(0x04);
        self.write32(0x04, cmd | 0x7);
    }
}

/// Every function present on every bus.
pub fn scan() -> Vec<PciFunction> {
    let mut found = Vec::new();
    for bus in 0..=255u8 {
        for device in 0..32u8 {
            for function in 0..8u8 {
                let probe = PciFunction { bus, device, function, vendor: 0, device_id: 0 };
                let id = probe.read32(0);
                if id & 0xffff == 0xffff {
                    if function == 0 {
                        break;
                    }
                    continue;
                }
                found.push(PciFunction { vendor: id as u16, device_id: (id >> 16) as u16, ..probe });
                // Header type bit 7: more functions than function 0.
                if function == 0 && (probe.read32(0x0C) >> 16) & 0x80 == 0 {
                    break;
                }
            }
        }
    }
    found
}
