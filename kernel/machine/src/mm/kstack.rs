//! Kernel stacks: 16 KiB each in the kernel-stack area, with an unmapped
//! guard page below, so an overflow faults (and the double-fault handler,
//! on its own IST stack, reports it) instead of corrupting memory.

use alloc::vec::Vec;
use spin::Mutex;

use super::frame::Frame;
use super::kernel_map::{kernel_pml4, KSTACK_AREA, KSTACK_AREA_SIZE, NO_EXECUTE};
use super::paging::{leaf_slot_or_create, leaf_table, table_index, PTE_ADDR_MASK};
use super::phys::{self, PAGE_SIZE};
use crate::arch::cpu::without_interrupts;

const PRESENT: u64 = 1 << 0;
const WRITABLE: u64 = 1 << 1;
const GLOBAL: u64 = 1 << 8;

fn nx() -> u64 {
    if crate::arch::cpu_features().nx {
        NO_EXECUTE
    } else {
        0
    }
}

/// Maps a fresh frame at `va` in the kernel-stack area.
fn map_stack_page(va: u64) -> Option<()> {
    assert!((KSTACK_AREA..KSTACK_AREA + KSTACK_AREA_SIZE).contains(&va));
    let frame = Frame::alloc()?;
    // SAFETY: the kernel's tables; the stack area's slots are handed out
    // once each (SLOTS), so this page is mapped by nobody else.
    let slot = unsafe { leaf_slot_or_create(kernel_pml4(), va).ok()? };
    // SAFETY: as above; the entry takes the frame's reference.
    unsafe { phys::write::<u64>(slot, frame.into_raw() | PRESENT | WRITABLE | GLOBAL | nx()) };
    Some(())
}

/// Unmaps a page of the kernel-stack area; returns its frame, to free
/// once no CPU caches the mapping.
fn unmap_stack_page(va: u64) -> Option<Frame> {
    assert!((KSTACK_AREA..KSTACK_AREA + KSTACK_AREA_SIZE).contains(&va));
    // SAFETY: the kernel's tables.
    let table = unsafe { leaf_table(kernel_pml4(), va) }?;
    let slot = table + table_index(va, 1) as u64 * 8;
    // SAFETY: the entry of a page of a stack being dropped, which nothing
    // runs on (checked by the caller).
    let e = unsafe { phys::read::<u64>(slot) };
    if e & PRESENT == 0 {
        return None;
    }
    // SAFETY: as above; the entry's frame reference is taken back below.
    unsafe { phys::write::<u64>(slot, 0) };
    // SAFETY: `map_stack_page` gave the entry this reference.
    Some(unsafe { Frame::from_raw(e & PTE_ADDR_MASK) })
}

pub const KSTACK_PAGES: usize = 4;
const SLOT_SIZE: u64 = ((KSTACK_PAGES + 1) * PAGE_SIZE) as u64;

/// Stacks freed while still mapped are kept for reuse, up to this many:
/// unmapping one means a TLB shootdown on every CPU.
const CACHED_STACKS: usize = 64;

struct Slots {
    next: u64,
    /// Unmapped slots.
    free: Vec<u64>,
    /// Slots whose pages are still mapped, ready for a new stack.
    cached: Vec<u64>,
}

static SLOTS: Mutex<Slots> = Mutex::new(Slots { next: 0, free: Vec::new(), cached: Vec::new() });
/// How many stacks SLOTS caches, kept under its lock: `trim` runs before
/// every return to user mode and looks without the lock.
static CACHED_COUNT: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// The lowest usable address of the stack in `slot`.
fn slot_bottom(slot: u64) -> u64 {
    KSTACK_AREA + slot * SLOT_SIZE + PAGE_SIZE as u64
}

/// A kernel stack; kept mapped for reuse on drop (see `trim`).
pub struct KernelStack {
    slot: u64,
}

impl KernelStack {
    pub fn new() -> Option<KernelStack> {
        let cached = without_interrupts(|| {
            let mut s = SLOTS.lock();
            let slot = s.cached.pop();
            CACHED_COUNT.store(s.cached.len(), core::sync::atomic::Ordering::Relaxed);
            slot
        });
        if let Some(slot) = cached {
            return Some(KernelStack { slot });
        }
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
            map_stack_page(stack.bottom() + page * PAGE_SIZE as u64)?;
        }
        Some(stack)
    }

    /// Lowest usable address (just above the guard page).
    pub fn bottom(&self) -> u64 {
        slot_bottom(self.slot)
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
pub(crate) fn alloc_large(pages: usize) -> Option<u64> {
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
    for page in 0..pages as u64 {
        map_stack_page(bottom + page * PAGE_SIZE as u64)?;
    }
    Some(top)
}

impl Drop for KernelStack {
    /// The stack stays mapped, ready for the next one: unmapping it takes a
    /// TLB shootdown on every CPU, which a drop (in whatever context, under
    /// whatever lock) must not wait for. `trim` unmaps the surplus later.
    fn drop(&mut self) {
        let rsp = crate::arch::stack::stack_pointer();
        assert!(!(self.bottom()..self.top()).contains(&rsp), "kernel stack freed while in use");
        let slot = self.slot;
        without_interrupts(|| {
            let mut s = SLOTS.lock();
            s.cached.push(slot);
            CACHED_COUNT.store(s.cached.len(), core::sync::atomic::Ordering::Relaxed);
        });
    }
}

/// Unmaps the freed stacks kept beyond `CACHED_STACKS` and frees their
/// frames, a few at a time per TLB shootdown. For a context that holds no
/// lock and may wait for every CPU (the kernel's deferred work).
pub fn trim() {
    const PER_ROUND: usize = super::tlb::MAX_PAGES / KSTACK_PAGES;
    if CACHED_COUNT.load(core::sync::atomic::Ordering::Relaxed) <= CACHED_STACKS {
        return;
    }
    loop {
        let slots: Vec<u64> = without_interrupts(|| {
            let mut s = SLOTS.lock();
            let surplus = s.cached.len().saturating_sub(CACHED_STACKS).min(PER_ROUND);
            let at = s.cached.len() - surplus;
            let slots = s.cached.split_off(at);
            CACHED_COUNT.store(s.cached.len(), core::sync::atomic::Ordering::Relaxed);
            slots
        });
        if slots.is_empty() {
            return;
        }
        let pages: Vec<u64> = slots
            .iter()
            .flat_map(|&slot| (0..KSTACK_PAGES as u64).map(move |p| slot_bottom(slot) + p * PAGE_SIZE as u64))
            .collect();
        let frames: Vec<Frame> = pages.iter().filter_map(|&va| unmap_stack_page(va)).collect();
        super::tlb::shootdown_kernel(&pages);
        drop(frames);
        without_interrupts(|| SLOTS.lock().free.extend(slots));
    }
}
