//! Kernel stacks: 16 KiB each in the kernel-stack area, with an unmapped
//! guard page below, so an overflow faults (and the double-fault handler,
//! on its own IST stack, reports it) instead of corrupting memory.

use alloc::vec::Vec;
use spin::Mutex;

use super::kernel_map::{kernel_pml4, KSTACK_AREA, KSTACK_AREA_SIZE};
use super::paging::{map_page, unmap_page, PTE_GLOBAL, PTE_NO_EXECUTE, PTE_WRITABLE};
use super::{frame, phys::PAGE_SIZE};
use crate::arch::cpu::without_interrupts;

pub const KSTACK_PAGES: usize = 4;
const SLOT_SIZE: u64 = ((KSTACK_PAGES + 1) * PAGE_SIZE) as u64;

struct Slots {
    next: u64,
    free: Vec<u64>,
}

static SLOTS: Mutex<Slots> = Mutex::new(Slots { next: 0, free: Vec::new() });

/// A kernel stack; unmapped and its frames freed on drop.
pub struct KernelStack {
    slot: u64,
}

impl KernelStack {
    pub fn new() -> Option<KernelStack> {
        let slot = without_interrupts(|| {
            let mut s = SLOTS.lock();
            s.free.pop().or_else(|| {
                let n = s.next;
                s.next += 1;
                (n * SLOT_SIZE < KSTACK_AREA_SIZE).then_some(n)
            })
        })?;
        let stack = KernelStack { slot };
        for page in 0..KSTACK_PAGES as u64 {
            let frame = frame::alloc()?;
            let va = stack.bottom() + page * PAGE_SIZE as u64;
            let nx = PTE_NO_EXECUTE & crate::arch::cpu_features().nx_mask();
            map_page(kernel_pml4(), va, frame, PTE_WRITABLE | PTE_GLOBAL | nx).ok()?;
        }
        Some(stack)
    }

    /// Lowest usable address (just above the guard page).
    pub fn bottom(&self) -> u64 {
        KSTACK_AREA + self.slot * SLOT_SIZE + PAGE_SIZE as u64
    }

    /// The initial stack pointer: one past the highest byte.
    pub fn top(&self) -> u64 {
        self.bottom() + (KSTACK_PAGES * PAGE_SIZE) as u64
    }
}

/// A stack of `pages` pages for the kernel's lifetime, with a guard page
/// below, in consecutive slots of the kernel-stack area (never freed):
/// for code that needs more than a task's stack (arch's run_on_stack).
/// Returns its top.
pub fn alloc_large(pages: usize) -> Option<u64> {
    let bytes = ((pages + 1) * PAGE_SIZE) as u64;
    let slots = bytes.div_ceil(SLOT_SIZE);
    let first = without_interrupts(|| {
        let mut s = SLOTS.lock();
        let n = s.next;
        ((n + slots) * SLOT_SIZE <= KSTACK_AREA_SIZE).then(|| {
            s.next += slots;
            n
        })
    })?;
    let top = KSTACK_AREA + (first + slots) * SLOT_SIZE;
    let bottom = top - (pages * PAGE_SIZE) as u64;
    let nx = PTE_NO_EXECUTE & crate::arch::cpu_features().nx_mask();
    for page in 0..pages as u64 {
        let frame = frame::alloc()?;
        map_page(kernel_pml4(), bottom + page * PAGE_SIZE as u64, frame, PTE_WRITABLE | PTE_GLOBAL | nx).ok()?;
    }
    Some(top)
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        for page in 0..KSTACK_PAGES as u64 {
            if let Some(frame) = unmap_page(kernel_pml4(), self.bottom() + page * PAGE_SIZE as u64) {
                frame::free(frame);
            }
        }
        let slot = self.slot;
        without_interrupts(|| SLOTS.lock().free.push(slot));
    }
}
