//! Deferred work (Linux's softirqs, in spirit): what interrupt handlers
//! leave for process context, where taking locks and allocating is safe.
//! Subsystems register their work here at boot; the scheduler runs it
//! before every return to user mode and in the idle loop, without knowing
//! whose it is.

use crate::hooks::Hooks;

/// A piece of deferred work: `run` does it; `pending`, if given, tells the
/// idle loop that an interrupt left some to do (so it must not sleep);
/// `deadline`, if given, when it must run next at the latest (ns of
/// uptime), so the idle CPU wakes for it.
#[derive(Clone, Copy)]
pub struct DeferredWork {
    pub run: fn(),
    pub pending: Option<fn() -> bool>,
    pub deadline: Option<fn() -> Option<u64>>,
}

static WORK: Hooks<DeferredWork, 8> = Hooks::new();

/// Adds work to run at every return to user mode and in the idle loop.
pub fn register(work: DeferredWork) {
    WORK.register(work);
}

/// Runs every registered piece, in the order registered.
pub fn run_all() {
    for work in WORK.all() {
        (work.run)();
    }
}

/// The earliest deadline of the registered work.
pub fn next_deadline() -> Option<u64> {
    WORK.all().filter_map(|w| w.deadline).filter_map(|deadline| deadline()).min()
}

/// True when some registered work is pending.
pub fn any_pending() -> bool {
    WORK.all().filter_map(|w| w.pending).any(|pending| pending())
}
