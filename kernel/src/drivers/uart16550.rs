//! The 16550 UART on COM1, the kernel's console. Polled for now: output
//! waits for the transmit holding register, input is read when ready.

use crate::arch::cpu::{inb, outb};

const COM1: u16 = 0x3F8;
const DATA: u16 = 0;
const INTERRUPT_ENABLE: u16 = 1;
const FIFO_CONTROL: u16 = 2;
const LINE_CONTROL: u16 = 3;
const MODEM_CONTROL: u16 = 4;
const LINE_STATUS: u16 = 5;

const LSR_DATA_READY: u8 = 1 << 0;
const LSR_THR_EMPTY: u8 = 1 << 5;

pub fn init() {
    outb(COM1 + INTERRUPT_ENABLE, 0);
    outb(COM1 + LINE_CONTROL, 0x80); // divisor latch access
    outb(COM1 + DATA, 1); // 115200 baud
    outb(COM1 + INTERRUPT_ENABLE, 0);
    outb(COM1 + LINE_CONTROL, 0x03); // 8 bits, no parity, one stop bit
    outb(COM1 + FIFO_CONTROL, 0xC7); // enable and clear FIFOs
    outb(COM1 + MODEM_CONTROL, 0x0B); // DTR, RTS, OUT2
}

pub fn write_byte(byte: u8) {
    let mut spins = 0u32;
    // Bounded wait: a missing UART must not hang the kernel.
    while inb(COM1 + LINE_STATUS) & LSR_THR_EMPTY == 0 && spins < 100_000 {
        spins += 1;
        core::hint::spin_loop();
    }
    outb(COM1 + DATA, byte);
}

/// Writes bytes, turning "\n" into "\r\n" as a terminal expects.
pub fn write_bytes(bytes: &[u8]) {
    for &b in bytes {
        if b == b'\n' {
            write_byte(b'\r');
        }
        write_byte(b);
    }
}

pub fn try_read_byte() -> Option<u8> {
    if inb(COM1 + LINE_STATUS) & LSR_DATA_READY != 0 {
        Some(inb(COM1 + DATA))
    } else {
        None
    }
}
