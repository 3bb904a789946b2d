//! Signals. Only the kernel's own fatal signals exist so far: a fault the
//! process cannot survive marks it, and it dies on its way back to user
//! mode with Linux's default action (terminate).

use core::sync::atomic::Ordering;

/// Delivers a synchronous fault signal to the current task. With no
/// handlers yet, every such signal is fatal.
pub fn force_signal(signal: i32, _code: i32, _addr: u64) {
    crate::sched::current().fatal_signal.store(signal, Ordering::Relaxed);
}
