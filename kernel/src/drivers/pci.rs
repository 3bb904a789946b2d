//! PCI configuration space through the legacy I/O ports (0xCF8/0xCFC), and
//! a scan of every bus, device and function for the drivers.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use machine::io::IoPort;
use spin::{Mutex, Once};

/// Where BARs the firmware left unassigned get their I/O ports: above the
/// legacy ISA range, as PC firmware allocates them.
static NEXT_IO_PORT: AtomicU32 = AtomicU32::new(0xC000);

const CONFIG_ADDRESS: u16 = 0xCF8;
/// CONFIG_DATA is at CONFIG_ADDRESS + 4.
const CONFIG_DATA: u16 = 4;

/// The two configuration registers; the lock keeps an address write and
/// its data access together.
static CONFIG: Once<Mutex<IoPort>> = Once::new();

fn config() -> &'static Mutex<IoPort> {
    CONFIG.call_once(|| Mutex::new(IoPort::claim(CONFIG_ADDRESS, 8).expect("PCI configuration ports are free")))
}

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
        let ports = config().lock();
        ports.write32(0, address(self, offset));
        ports.read32(CONFIG_DATA)
    }

    pub fn write32(&self, offset: u8, value: u32) {
        let ports = config().lock();
        ports.write32(0, address(self, offset));
        ports.write32(CONFIG_DATA, value);
    }

    /// The I/O ports of BAR `n`, claimed for the caller, assigning a base
    /// from a free window when the firmware left it unassigned (minimal
    /// firmware such as qboot assigns only what it boots from). None if
    /// the BAR is not I/O space or its ports are taken.
    pub fn io_bar(&self, n: u8) -> Option<IoPort> {
        let offset = 0x10 + n * 4;
        let raw = self.read32(offset);
        self.write32(offset, u32::MAX);
        let mask = self.read32(offset);
        self.write32(offset, raw);
        if mask & 1 == 0 {
            return None;
        }
        let size = (!(mask & !3)).wrapping_add(1) & 0xffff;
        if raw & 1 != 0 && raw & !3 != 0 {
            return IoPort::claim((raw & !3) as u16, size as u16);
        }
        let base = NEXT_IO_PORT.fetch_add(size.max(16), Ordering::Relaxed).next_multiple_of(size.max(4));
        NEXT_IO_PORT.fetch_max(base + size, Ordering::Relaxed);
        self.write32(offset, base);
        IoPort::claim(base as u16, size as u16)
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
