//! Function-call IPIs that synchronise CPUs: `sync_cpus` interrupts a set
//! of CPUs and returns once each has taken the interrupt. Taking it is a
//! full memory barrier and a serialising instruction on the target (the
//! handler's atomic acknowledgement and its `iret`), which is what
//! membarrier(2) promises; the round trip is also the cost of an IPI.
//!
//! One request runs at a time; a CPU waiting for its turn answers the
//! request in flight meanwhile, so two senders never wait on each other.
//! Senders keep interrupts on while they wait, so a CPU that waits for
//! this one's acknowledgement of another request (a TLB shootdown) gets it.

use core::sync::atomic::{AtomicU64, Ordering};

use super::percpu::{self, cpu_index, MAX_CPUS};
use super::traps::CALL_FUNCTION_VECTOR;

/// CPUs yet to acknowledge the request in flight.
static PENDING: AtomicU64 = AtomicU64::new(0);
/// Held by the sender of the request in flight.
static IN_FLIGHT: spin::Mutex<()> = spin::Mutex::new(());
/// Requests each CPU answered (/proc/interrupts' CAL line).
static ANSWERED: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

/// Interrupts every online CPU of `targets` other than this one and waits
/// until each has acknowledged. Called with interrupts on.
pub fn sync_cpus(targets: u64) {
    let targets = targets & !(1u64 << cpu_index()) & percpu::online_mask();
    if targets == 0 {
        return;
    }
    assert!(super::cpu::interrupts_enabled(), "sync_cpus with interrupts off");
    let _turn = loop {
        if let Some(guard) = IN_FLIGHT.try_lock() {
            break guard;
        }
        answer_pending();
        core::hint::spin_loop();
    };
    PENDING.store(targets, Ordering::SeqCst);
    for cpu in (0..MAX_CPUS).filter(|&c| targets & (1 << c) != 0) {
        if let Some(apic_id) = percpu::apic_id_of(cpu) {
            super::apic::send_ipi(apic_id, CALL_FUNCTION_VECTOR as u8);
        }
    }
    while PENDING.load(Ordering::Acquire) != 0 {
        core::hint::spin_loop();
    }
}

/// Acknowledges the request in flight if it names this CPU: from the
/// IPI's handler, and from a CPU waiting for its own turn.
pub(crate) fn answer_pending() {
    let me = 1u64 << cpu_index();
    if PENDING.load(Ordering::Acquire) & me == 0 {
        return;
    }
    ANSWERED[cpu_index()].fetch_add(1, Ordering::Relaxed);
    PENDING.fetch_and(!me, Ordering::SeqCst);
}

/// Function-call requests CPU `cpu` answered.
pub fn calls_answered(cpu: usize) -> u64 {
    ANSWERED.get(cpu).map_or(0, |c| c.load(Ordering::Relaxed))
}
