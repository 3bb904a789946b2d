//! Port I/O. Drivers reach their device's ports through an `IoPort`
//! range, claimed once: ports this crate drives itself (the PICs, the PIT,
//! the ACPI power-management block) cannot be claimed, and no two owners
//! share a port. Without an IOMMU, a device that does DMA must still be
//! handed only `DmaBuffer` addresses by its driver.

use spin::Mutex;
use x86_64::instructions::port::Port;

use crate::arch::cpu::without_interrupts;

/// Ports the base drives itself: the 8259 PICs, the 8254 PIT and its gate
/// (port 0x61).
const RESERVED: [(u16, u16); 4] = [(0x20, 2), (0xA0, 2), (0x40, 4), (0x61, 1)];

/// Claimed ranges (base, length; length 0 is a free slot). A fixed table:
/// the console claims its ports before the heap exists.
static CLAIMED: Mutex<[(u16, u16); 32]> = Mutex::new([(0, 0); 32]);

fn overlaps(a: (u16, u16), b: (u16, u16)) -> bool {
    let (a_end, b_end) = (u32::from(a.0) + u32::from(a.1), u32::from(b.0) + u32::from(b.1));
    u32::from(a.0) < b_end && u32::from(b.0) < a_end
}

/// A claimed range of I/O ports, released on drop.
pub struct IoPort {
    base: u16,
    len: u16,
}

impl IoPort {
    /// Claims ports [base, base + len); None if any is reserved or claimed.
    pub fn claim(base: u16, len: u16) -> Option<IoPort> {
        let range = (base, len);
        if len == 0 || u32::from(base) + u32::from(len) > 0x1_0000 {
            return None;
        }
        if RESERVED.iter().any(|&r| overlaps(r, range)) {
            return None;
        }
        without_interrupts(|| {
            let mut claimed = CLAIMED.lock();
            if claimed.iter().any(|&r| r.1 != 0 && overlaps(r, range)) {
                return None;
            }
            let slot = claimed.iter_mut().find(|r| r.1 == 0)?;
            *slot = range;
            Some(IoPort { base, len })
        })
    }

    pub fn base(&self) -> u16 {
        self.base
    }

    #[inline]
    fn port(&self, offset: u16, width: u16) -> u16 {
        assert!(u32::from(offset) + u32::from(width) <= u32::from(self.len), "port offset {offset:#x} out of range");
        self.base + offset
    }

    #[inline]
    pub fn read8(&self, offset: u16) -> u8 {
        // SAFETY: the port belongs to this claimed range, whose owner
        // drives the device behind it.
        unsafe { Port::<u8>::new(self.port(offset, 1)).read() }
    }

    #[inline]
    pub fn read16(&self, offset: u16) -> u16 {
        // SAFETY: as read8.
        unsafe { Port::<u16>::new(self.port(offset, 2)).read() }
    }

    #[inline]
    pub fn read32(&self, offset: u16) -> u32 {
        // SAFETY: as read8.
        unsafe { Port::<u32>::new(self.port(offset, 4)).read() }
    }

    #[inline]
    pub fn write8(&self, offset: u16, value: u8) {
        // SAFETY: as read8.
        unsafe { Port::<u8>::new(self.port(offset, 1)).write(value) }
    }

    #[inline]
    pub fn write16(&self, offset: u16, value: u16) {
        // SAFETY: as read8.
        unsafe { Port::<u16>::new(self.port(offset, 2)).write(value) }
    }

    #[inline]
    pub fn write32(&self, offset: u16, value: u32) {
        // SAFETY: as read8.
        unsafe { Port::<u32>::new(self.port(offset, 4)).write(value) }
    }
}

impl Drop for IoPort {
    fn drop(&mut self) {
        let range = (self.base, self.len);
        without_interrupts(|| {
            if let Some(slot) = CLAIMED.lock().iter_mut().find(|r| **r == range) {
                *slot = (0, 0);
            }
        });
    }
}

/// Writes a byte to a port the base drives itself.
///
/// # Safety
///
/// The port must belong to a device this crate drives (PIC, PIT), and the
/// write must follow that device's protocol.
pub(crate) unsafe fn outb(port: u16, value: u8) {
    // SAFETY: the caller's contract.
    unsafe { Port::<u8>::new(port).write(value) }
}

/// Reads a byte from a port the base drives itself.
///
/// # Safety
///
/// As `outb`.
pub(crate) unsafe fn inb(port: u16) -> u8 {
    // SAFETY: the caller's contract.
    unsafe { Port::<u8>::new(port).read() }
}

/// Writes a 16-bit word to a port the base drives itself.
///
/// # Safety
///
/// As `outb` (the ACPI power-management control ports).
pub(crate) unsafe fn outw(port: u16, value: u16) {
    // SAFETY: the caller's contract.
    unsafe { Port::<u16>::new(port).write(value) }
}
