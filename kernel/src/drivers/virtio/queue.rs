//! A split virtqueue in the legacy layout (virtio 0.9.5, section 2.3):
//! descriptors, then the available ring, then, page aligned, the used
//! ring, in one buffer the device reads and writes.

use core::sync::atomic::{fence, Ordering};

use machine::dma::DmaBuffer;

pub const DESC_F_NEXT: u16 = 1;
pub const DESC_F_WRITE: u16 = 2;
const PAGE: usize = 4096;

pub struct Virtqueue {
    memory: DmaBuffer,
    pub size: u16,
    avail: usize,
    used: usize,
    next_avail: u16,
    last_used: u16,
}

impl Virtqueue {
    /// A zeroed queue of `size` entries; None when memory runs out.
    pub fn new(size: u16) -> Option<Virtqueue> {
        let n = usize::from(size);
        let avail = n * 16;
        let used = (avail + 6 + 2 * n).next_multiple_of(PAGE);
        let total = used + (6 + 8 * n).next_multiple_of(PAGE);
        let memory = DmaBuffer::alloc(total)?;
        Some(Virtqueue { memory, size, avail, used, next_avail: 0, last_used: 0 })
    }

    /// The page frame number the device is given (QUEUE_PFN).
    pub fn pfn(&self) -> u32 {
        (self.memory.device_addr() / PAGE as u64) as u32
    }

    pub fn set_desc(&self, i: u16, addr: u64, len: u32, flags: u16, next: u16) {
        let d = usize::from(i) * 16;
        self.memory.write_val::<u64>(d, addr);
        self.memory.write_val::<u32>(d + 8, len);
        self.memory.write_val::<u16>(d + 12, flags);
        self.memory.write_val::<u16>(d + 14, next);
    }

    /// Offers the chain that starts at descriptor `head` to the device
    /// (the caller notifies it).
    pub fn push(&mut self, head: u16) {
        let slot = self.next_avail % self.size;
        self.memory.write_volatile_u16(self.avail + 4 + 2 * usize::from(slot), head);
        fence(Ordering::SeqCst);
        self.next_avail = self.next_avail.wrapping_add(1);
        self.memory.write_volatile_u16(self.avail + 2, self.next_avail);
        fence(Ordering::SeqCst);
    }

    /// The next chain the device is done with: its head and the bytes the
    /// device wrote.
    pub fn pop_used(&mut self) -> Option<(u16, u32)> {
        if self.memory.read_volatile_u16(self.used + 2) == self.last_used {
            return None;
        }
        fence(Ordering::SeqCst);
        let slot = usize::from(self.last_used % self.size);
        let id = self.memory.read_val::<u32>(self.used + 4 + 8 * slot);
        let len = self.memory.read_val::<u32>(self.used + 4 + 8 * slot + 4);
        self.last_used = self.last_used.wrapping_add(1);
        Some((id as u16, len))
    }
}
