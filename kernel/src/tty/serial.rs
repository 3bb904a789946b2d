//! The serial terminal ttyS0's driver: output to the UART's transmit ring,
//! and the deferred work of its input. The UART's interrupt handler only
//! fills a ring; here, in process context (on the way back to user mode,
//! in the idle loop, and before a read or poll of the terminal), the bytes
//! go through the line discipline, which may echo, wake readers and signal
//! process groups.
//!
//! Bytes taken from the UART that the line discipline could not accept
//! yet (its buffer full) wait in `HELD` until a read makes room.

use core::sync::atomic::{AtomicBool, Ordering};

use spin::Mutex;

use super::driver::TtyDriver;
use super::TTYS0;
use crate::drivers::uart16550;

struct Held {
    bytes: [u8; 256],
    start: usize,
    end: usize,
}

static HELD: Mutex<Held> = Mutex::new(Held { bytes: [0; 256], start: 0, end: 0 });
/// Set while the input is being processed: the work does not nest.
static RUNNING: AtomicBool = AtomicBool::new(false);

/// Moves the UART's input into ttyS0's line discipline while it takes it.
fn process_input() {
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
        let taken = TTYS0.receive(&held.bytes[start..end]);
        held.start += taken;
        if held.start < held.end {
            break; // the line discipline is full: wait for a reader
        }
    }
    drop(held);
    RUNNING.store(false, Ordering::Release);
}

/// TCIFLUSH: what the UART and this layer hold is discarded too.
fn discard_input() {
    let mut held = HELD.lock();
    held.start = held.end;
    let mut sink = [0u8; 256];
    while uart16550::take_input(&mut sink) > 0 {}
}

pub struct Uart;

impl TtyDriver for Uart {
    fn write(&self, bytes: &[u8]) {
        uart16550::tx_push(bytes);
    }

    fn write_room(&self) -> usize {
        uart16550::tx_room()
    }

    fn chars_in_buffer(&self) -> usize {
        uart16550::tx_pending()
    }

    fn flush_buffer(&self) {
        uart16550::tx_flush();
    }

    fn set_stopped(&self, stopped: bool) {
        uart16550::set_tx_stopped(stopped);
    }

    fn send_xchar(&self, byte: u8) {
        uart16550::send_urgent(byte);
    }

    fn process_input(&self) {
        process_input();
    }

    fn work_pending(&self) -> bool {
        uart16550::work_pending()
    }

    fn take_work(&self) -> bool {
        uart16550::take_work()
    }

    fn discard_input(&self) {
        discard_input();
    }
}
