//! The 16550A UART on COM1 (ttyS0), the system console.
//!
//! Two paths, as in Linux's 8250 driver:
//! - The kernel console (`write_bytes`, used by printk and panics) writes
//!   synchronously, polling the transmitter, and takes no lock, so it works
//!   in any context.
//! - The terminal (tty/serial.rs) goes through two fixed-size rings. The
//!   interrupt handler drains the receive FIFO into the input ring and
//!   refills the transmit FIFO from the output ring; it never allocates and
//!   takes only this driver's lock (always with interrupts off). It raises
//!   a flag for the deferred work, which runs in process context on the way
//!   back to user mode and in the idle loop.
//!
//! Flow control without loss: when the input ring is full, the receive
//! interrupt is switched off and bytes wait in the UART (which makes QEMU,
//! or a real line with RTS/CTS, hold further input back) until the tty
//! takes some and `take_input` switches it on again.

use core::sync::atomic::{AtomicBool, Ordering};

use spin::Mutex;

use machine::io::IoPort;
use spin::Once;

use super::ring::ByteRing;
use crate::arch::cpu::without_interrupts;

const COM1: u16 = 0x3F8;
const COM1_IRQ: u8 = 4;

static PORTS: Once<IoPort> = Once::new();

/// COM1's eight registers, claimed at first use.
fn com1() -> &'static IoPort {
    PORTS.call_once(|| IoPort::claim(COM1, 8).expect("COM1's ports are free at boot"))
}
const DATA: u16 = 0;
const INTERRUPT_ENABLE: u16 = 1;
const INTERRUPT_ID: u16 = 2;
const FIFO_CONTROL: u16 = 2;
const LINE_CONTROL: u16 = 3;
const MODEM_CONTROL: u16 = 4;
const LINE_STATUS: u16 = 5;
const MODEM_STATUS: u16 = 6;

const LSR_DATA_READY: u8 = 1 << 0;
const LSR_THR_EMPTY: u8 = 1 << 5;

const IER_RX: u8 = 1 << 0;
const IER_TX: u8 = 1 << 1;
const IER_LINE_STATUS: u8 = 1 << 2;

const IIR_NO_INTERRUPT: u8 = 1;
const FIFO_DEPTH: usize = 16;

/// Ring sizes: a page each, like Linux's flip and transmit buffers.
pub const RING_SIZE: usize = 4096;

struct Port {
    rx: ByteRing<RING_SIZE>,
    tx: ByteRing<RING_SIZE>,
    /// What the interrupt-enable register holds.
    ier: u8,
    /// Interrupts are routed (else input is polled by the deferred work).
    irq: bool,
    /// Output held back by the tty (^S, TCOOFF).
    tx_stopped: bool,
}

/// Always locked with interrupts off: the interrupt handler takes it too.
static PORT: Mutex<Port> =
    Mutex::new(Port { rx: ByteRing::new(), tx: ByteRing::new(), ier: 0, irq: false, tx_stopped: false });
/// Raised by the interrupt handler: input arrived or output room appeared.
static WORK: AtomicBool = AtomicBool::new(false);

pub fn init() {
    com1().write8(INTERRUPT_ENABLE, 0);
    com1().write8(LINE_CONTROL, 0x80); // divisor latch access
    com1().write8(DATA, 1); // 115200 baud
    com1().write8(INTERRUPT_ENABLE, 0);
    com1().write8(LINE_CONTROL, 0x03); // 8 bits, no parity, one stop bit
    com1().write8(FIFO_CONTROL, 0xC7); // enable and clear FIFOs, receive trigger at 14 bytes
    com1().write8(MODEM_CONTROL, 0x0B); // DTR, RTS, OUT2 (which gates the IRQ line)
}

fn set_ier(port: &mut Port, ier: u8) {
    if port.ier != ier {
        port.ier = ier;
        com1().write8(INTERRUPT_ENABLE, ier);
    }
}

/// Routes IRQ 4 through the I/O APIC and turns the receive interrupt on.
/// Whether the receive interrupt is routed (Port::irq, readable without
/// the lock on every return to user mode).
static INTERRUPTS_ON: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Without an I/O APIC, input stays polled.
pub fn enable_interrupts() {
    if !crate::arch::ioapic::route_isa_irq(COM1_IRQ, crate::arch::traps::COM1_VECTOR as u8) {
        crate::pr_warn!("ttyS0: no route for IRQ {}; input is polled", COM1_IRQ);
        return;
    }
    without_interrupts(|| {
        let mut port = PORT.lock();
        port.irq = true;
        INTERRUPTS_ON.store(true, Ordering::Release);
        set_ier(&mut port, IER_RX | IER_LINE_STATUS);
    });
    crate::pr_info!("ttyS0 at I/O {:#x} (irq = {}, base_baud = 115200) is a 16550A", COM1, COM1_IRQ);
}

/// Moves received bytes into the input ring; when it is full, turns the
/// receive interrupt off and leaves the rest in the UART.
fn receive(port: &mut Port) {
    while com1().read8(LINE_STATUS) & LSR_DATA_READY != 0 {
        if port.rx.room() == 0 {
            let ier = port.ier & !IER_RX;
            set_ier(port, ier);
            return;
        }
        port.rx.push(com1().read8(DATA));
    }
}

/// Fills the transmit FIFO from the output ring while the transmitter is
/// empty; asks for the "transmitter empty" interrupt while bytes remain.
fn transmit(port: &mut Port) {
    while !port.tx_stopped && port.tx.len() > 0 && com1().read8(LINE_STATUS) & LSR_THR_EMPTY != 0 {
        for _ in 0..FIFO_DEPTH {
            let Some(b) = port.tx.pop() else { break };
            com1().write8(DATA, b);
        }
    }
    if port.irq {
        let want_tx = port.tx.len() > 0 && !port.tx_stopped;
        let ier = if want_tx { port.ier | IER_TX } else { port.ier & !IER_TX };
        set_ier(port, ier);
    }
}

/// The COM1 interrupt handler (interrupts are off): serve every cause the
/// UART reports until it reports none, so the line drops and the next
/// event raises it again.
pub fn interrupt() {
    let mut port = PORT.lock();
    for _ in 0..64 {
        let iir = com1().read8(INTERRUPT_ID);
        if iir & IIR_NO_INTERRUPT != 0 {
            break;
        }
        match iir & 0x0E {
            0x06 => {
                let _ = com1().read8(LINE_STATUS); // line status: reading clears it
            }
            0x04 | 0x0C => receive(&mut port), // data available, or FIFO timeout
            0x02 => transmit(&mut port),
            _ => {
                let _ = com1().read8(MODEM_STATUS);
            }
        }
    }
    WORK.store(true, Ordering::Release);
}

/// True (once) when the interrupt handler left work for the tty; always
/// true while input is polled.
pub fn take_work() -> bool {
    let polled = !INTERRUPTS_ON.load(Ordering::Acquire);
    WORK.swap(false, Ordering::Acquire) || polled
}

/// True when the interrupt handler left work not yet taken.
pub fn work_pending() -> bool {
    WORK.load(Ordering::Acquire)
}

/// Deferred side: takes received bytes (polling the UART first when there
/// is no interrupt). Re-enables the receive interrupt once there is room.
pub fn take_input(out: &mut [u8]) -> usize {
    without_interrupts(|| {
        let mut port = PORT.lock();
        if !port.irq {
            receive(&mut port);
        }
        let mut n = 0;
        while n < out.len() {
            let Some(b) = port.rx.pop() else { break };
            out[n] = b;
            n += 1;
        }
        if port.irq && port.ier & IER_RX == 0 && port.rx.room() >= RING_SIZE / 2 {
            let ier = port.ier | IER_RX;
            set_ier(&mut port, ier);
            // Bytes that waited in the FIFO may be too few to raise the
            // interrupt again: take them now.
            receive(&mut port);
        }
        n
    })
}

/// Queues output; returns how many bytes fit. They leave at once when the
/// transmitter is idle, else from the interrupt handler.
pub fn tx_push(bytes: &[u8]) -> usize {
    without_interrupts(|| {
        let mut port = PORT.lock();
        let n = bytes.len().min(port.tx.room());
        for &b in &bytes[..n] {
            port.tx.push(b);
        }
        transmit(&mut port);
        n
    })
}

/// Room left in the output ring.
pub fn tx_room() -> usize {
    without_interrupts(|| PORT.lock().tx.room())
}

/// Output bytes not yet handed to the UART.
pub fn tx_pending() -> usize {
    without_interrupts(|| PORT.lock().tx.len())
}

/// Discards queued output (TCOFLUSH, and the flush of ^C).
pub fn tx_flush() {
    without_interrupts(|| {
        let mut port = PORT.lock();
        port.tx.clear();
        transmit(&mut port);
    });
}

/// Stops or restarts output (^S/^Q, TCOOFF/TCOON).
pub fn set_tx_stopped(stopped: bool) {
    without_interrupts(|| {
        let mut port = PORT.lock();
        port.tx_stopped = stopped;
        transmit(&mut port);
    });
}

/// Sends one byte ahead of queued output (TCIOFF/TCION's STOP and START).
pub fn send_urgent(byte: u8) {
    write_byte(byte);
}

/// Kernel console output: a bounded wait for the transmitter, then the byte.
pub fn write_byte(byte: u8) {
    let mut spins = 0u32;
    // Bounded wait: a missing UART must not hang the kernel.
    while com1().read8(LINE_STATUS) & LSR_THR_EMPTY == 0 && spins < 100_000 {
        spins += 1;
        core::hint::spin_loop();
    }
    com1().write8(DATA, byte);
}

/// Kernel console output, turning "\n" into "\r\n" as a terminal expects.
pub fn write_bytes(bytes: &[u8]) {
    for &b in bytes {
        if b == b'\n' {
            write_byte(b'\r');
        }
        write_byte(b);
    }
}
