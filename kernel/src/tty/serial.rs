//! The deferred work of the serial console: the UART's interrupt handler
//! only fills a ring; here, in process context (on the way back to user
//! mode, in the idle loop, and before a read or poll of the terminal), the
//! bytes go through the line discipline, which may echo, wake readers and
//! signal process groups.
//!
//! Bytes taken from the UART that the line discipline could not accept
//! yet (its buffer full) wait in `HELD` until a read makes room.

use core::sync::atomic::{AtomicBool, Ordering};

use spin::Mutex;

use super::CONSOLE;
use crate::drivers::uart16550;

struct Held {
    bytes: [u8; 256],
    start: usize,
    end: usize,
}

static HELD: Mutex<Held> = Mutex::new(Held { bytes: [0; 256], start: 0, end: 0 });
/// Set while the input is being processed: the work does not nest.
static RUNNING: AtomicBool = AtomicBool::new(false);

/// Moves the UART's input into the console's line discipline while it
/// takes it.
pub fn process_input() {
    if RUNNING.swap(true, Ordering::Acquire) {
        return;
    }
    let mut held = HELD.lock();
    loop {
        if held.start == held.end {
            let n = uart16550::take_input(&mut held.bytes);
            if n == 0 {
                break;
            }
            held.start = 0;
            held.end = n;
        }
        let (start, end) = (held.start, held.end);
        let taken = CONSOLE.receive(&held.bytes[start..end]);
        held.start += taken;
        if held.start < held.end {
            break; // the line discipline is full: wait for a reader
        }
    }
    drop(held);
    RUNNING.store(false, Ordering::Release);
}

/// The terminals' deferred work (see `sched::run_deferred_work`).
pub fn run_deferred() {
    if uart16550::take_work() {
        process_input();
        CONSOLE.write_wait.wake_all();
    }
    CONSOLE.expire_read_deadline(crate::time::uptime_ns());
}

/// The earliest VTIME deadline of a reader (the deferred work wakes it).
pub fn next_deadline() -> Option<u64> {
    CONSOLE.read_deadline()
}

/// True when an interrupt left work that `run_deferred` has not done.
pub fn deferred_pending() -> bool {
    uart16550::work_pending()
}

/// TCIFLUSH: input the driver and this layer hold is discarded too.
pub fn discard_input() {
    let mut held = HELD.lock();
    held.start = held.end;
    let mut sink = [0u8; 256];
    while uart16550::take_input(&mut sink) > 0 {}
}
