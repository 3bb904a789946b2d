//! TLB shootdown: after an edit of a user page table removes or narrows a
//! mapping, every CPU that may cache it drops it before the edit is over.
//! A table root knows the CPUs that have it loaded (`TableRoot::cpus`);
//! only those are sent the shootdown IPI, once per batch of edits, and the
//! initiator waits until each has acknowledged.
//!
//! One shootdown runs at a time. A CPU that waits for its turn answers
//! the request in flight meanwhile, so two initiators never wait on each
//! other; handlers take no lock. Rule for callers: hold no lock that is
//! taken with interrupts off while shooting down (a target spinning on
//! it with interrupts off could never acknowledge).

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::arch::cpu::invlpg;
use crate::arch::percpu::{self, cpu_index, MAX_CPUS};
use crate::arch::traps::TLB_SHOOTDOWN_VECTOR;

/// Pages flushed one by one up to this many; past it the whole TLB.
pub(crate) const MAX_PAGES: usize = 32;

/// The TLB entries to drop after editing entries of one table: page by
/// page while they are few (a whole flush makes every later access miss,
/// costly under emulation), the whole user TLB past that.
pub(crate) struct TlbFlush {
    pages: [u64; MAX_PAGES],
    count: usize,
}

impl TlbFlush {
    pub(crate) const fn new() -> TlbFlush {
        TlbFlush { pages: [0; MAX_PAGES], count: 0 }
    }

    pub(crate) fn add(&mut self, va: u64) {
        if let Some(slot) = self.pages.get_mut(self.count) {
            *slot = va;
        }
        self.count = self.count.saturating_add(1);
    }

    /// Everything, whatever was added.
    pub(crate) fn add_all(&mut self) {
        self.count = usize::MAX;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn flush_local(&self) {
        flush_local(&self.pages, self.count);
    }
}

fn flush_local(pages: &[u64], count: usize) {
    if count <= pages.len() {
        pages[..count].iter().for_each(|&va| invlpg(va));
    } else {
        x86_64::instructions::tlb::flush_all();
    }
}

/// The request in flight: the root it concerns, its pages (count past
/// MAX_PAGES: all), and the CPUs yet to acknowledge.
static ROOT: AtomicU64 = AtomicU64::new(0);
static PAGES: [AtomicU64; MAX_PAGES] = [const { AtomicU64::new(0) }; MAX_PAGES];
static COUNT: AtomicUsize = AtomicUsize::new(0);
static PENDING: AtomicU64 = AtomicU64::new(0);
/// Held by the initiator of the request in flight.
static IN_FLIGHT: spin::Mutex<()> = spin::Mutex::new(());
/// Shootdown IPIs each CPU answered (/proc/interrupts' TLB line).
static ANSWERED: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

/// Drops `flush`'s entries of the table `root` (physical address) on every
/// CPU in `cpus` that runs on it, this one included, and returns once all
/// have.
pub(crate) fn shootdown(root: u64, cpus: &AtomicU64, flush: &TlbFlush) {
    if flush.is_empty() {
        return;
    }
    if super::kernel_map::is_loaded(root) {
        flush.flush_local();
    }
    send(root, cpus, flush);
}

/// Sends `flush` of `root` to the other CPUs in `cpus` and waits for them.
fn send(root: u64, cpus: &AtomicU64, flush: &TlbFlush) {
    // Ordered after the entries were written: a CPU that loads the table
    // later sets its bit first, and then walks the new entries anyway.
    core::sync::atomic::fence(Ordering::SeqCst);
    let targets = cpus.load(Ordering::SeqCst) & !(1u64 << cpu_index()) & percpu::online_mask();
    if targets == 0 {
        return;
    }
    if !crate::arch::cpu::interrupts_enabled() {
        warn_masked_shootdown();
    }
    let _turn = loop {
        if let Some(guard) = IN_FLIGHT.try_lock() {
            break guard;
        }
        answer_pending();
        core::hint::spin_loop();
    };
    ROOT.store(root, Ordering::Relaxed);
    COUNT.store(flush.count, Ordering::Relaxed);
    for (slot, &va) in PAGES.iter().zip(&flush.pages) {
        slot.store(va, Ordering::Relaxed);
    }
    PENDING.store(targets, Ordering::SeqCst);
    for cpu in (0..MAX_CPUS).filter(|&c| targets & (1 << c) != 0) {
        if let Some(apic_id) = percpu::apic_id_of(cpu) {
            crate::arch::apic::send_ipi(apic_id, TLB_SHOOTDOWN_VECTOR as u8);
        }
    }
    while PENDING.load(Ordering::Acquire) != 0 {
        core::hint::spin_loop();
    }
}

/// A request's root for the kernel's own (global) mappings: flushed
/// whatever table a CPU runs on.
const KERNEL_HALF: u64 = u64::MAX;

/// Drops the TLB entries of kernel-half `pages` (at most MAX_PAGES) on
/// every CPU.
pub(crate) fn shootdown_kernel(pages: &[u64]) {
    assert!(pages.len() <= MAX_PAGES);
    let mut flush = TlbFlush::new();
    pages.iter().for_each(|&va| flush.add(va));
    pages.iter().for_each(|&va| invlpg(va));
    let everyone = AtomicU64::new(percpu::online_mask());
    send(KERNEL_HALF, &everyone, &flush);
}

/// A shootdown sent with interrupts off may be waiting for a CPU that
/// spins, interrupts off, on a lock the sender holds: said once, with the
/// caller's backtrace, to find such a caller.
fn warn_masked_shootdown() {
    static SAID: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
    if !SAID.swap(true, Ordering::Relaxed) {
        crate::console::emergency_write(format_args!("tlb: shootdown sent with interrupts off\n"));
        crate::arch::traps::backtrace_here();
    }
}

/// Answers the request in flight if it names this CPU: from the IPI's
/// handler, and from a CPU waiting for its own turn.
pub(crate) fn answer_pending() {
    let me = 1u64 << cpu_index();
    if PENDING.load(Ordering::Acquire) & me == 0 {
        return;
    }
    let root = ROOT.load(Ordering::Relaxed);
    if root == KERNEL_HALF || super::kernel_map::is_loaded(root) {
        let count = COUNT.load(Ordering::Relaxed);
        let mut pages = [0u64; MAX_PAGES];
        for (page, slot) in pages.iter_mut().zip(&PAGES) {
            *page = slot.load(Ordering::Relaxed);
        }
        flush_local(&pages, count);
    }
    ANSWERED[cpu_index()].fetch_add(1, Ordering::Relaxed);
    PENDING.fetch_and(!me, Ordering::Release);
}

/// Shootdown requests CPU `cpu` answered.
pub fn shootdowns_answered(cpu: usize) -> u64 {
    ANSWERED.get(cpu).map_or(0, |c| c.load(Ordering::Relaxed))
}
