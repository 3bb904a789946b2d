//! Deferred work (Linux's softirqs, in spirit): what interrupt handlers
//! leave for process context, where taking locks and allocating is safe.
//! Subsystems register their work here at boot; the scheduler runs it
//! before every return to user mode and in the idle loop, without knowing
//! whose it is.

use spin::Mutex;

use crate::arch::cpu::without_interrupts;

/// A piece of deferred work: `run` does it; `pending`, if given, tells the
/// idle loop that an interrupt left some to do (so it must not sleep).
#[derive(Clone, Copy)]
pub struct DeferredWork {
    pub run: fn(),
    pub pending: Option<fn() -> bool>,
}

/// A few slots: this runs at every return to user mode, so it neither
/// allocates nor holds its lock while the work runs.
const SLOTS: usize = 8;

static WORK: Mutex<[Option<DeferredWork>; SLOTS]> = Mutex::new([None; SLOTS]);

/// Adds work to run at every return to user mode and in the idle loop.
pub fn register(work: DeferredWork) {
    without_interrupts(|| {
        let mut slots = WORK.lock();
        let free = slots.iter_mut().find(|w| w.is_none()).expect("more deferred work than slots");
        *free = Some(work);
    });
}

fn snapshot() -> [Option<DeferredWork>; SLOTS] {
    without_interrupts(|| *WORK.lock())
}

/// Runs every registered piece, in the order registered.
pub fn run_all() {
    for work in snapshot().iter().flatten() {
        (work.run)();
    }
}

/// True when some registered work is pending.
pub fn any_pending() -> bool {
    snapshot().iter().flatten().filter_map(|w| w.pending).any(|pending| pending())
}
