//! The PC keyboard controller (i8042) and its keyboard port: IRQ 1 moves
//! scan codes (set 1: the controller translates the keyboard's set 2) into
//! a ring; the deferred work takes them for the virtual terminal. The
//! auxiliary (mouse) port stays off.

use core::sync::atomic::{AtomicBool, Ordering};

use spin::{Mutex, Once};

use machine::io::IoPort;

use crate::arch::cpu::without_interrupts;
use crate::drivers::ring::ByteRing;

const DATA_PORT: u16 = 0x60;
const STATUS_PORT: u16 = 0x64;
const KEYBOARD_IRQ: u8 = 1;

const STATUS_OUTPUT_FULL: u8 = 1 << 0;
const STATUS_INPUT_FULL: u8 = 1 << 1;
/// The byte waiting came from the auxiliary port.
const STATUS_AUX_DATA: u8 = 1 << 5;

const CMD_READ_CONFIG: u8 = 0x20;
const CMD_WRITE_CONFIG: u8 = 0x60;
const CMD_DISABLE_AUX: u8 = 0xa7;
const CMD_DISABLE_KEYBOARD: u8 = 0xad;
const CMD_ENABLE_KEYBOARD: u8 = 0xae;

const CONFIG_KEYBOARD_IRQ: u8 = 1 << 0;
const CONFIG_AUX_IRQ: u8 = 1 << 1;
const CONFIG_KEYBOARD_CLOCK_OFF: u8 = 1 << 4;
const CONFIG_TRANSLATE: u8 = 1 << 6;

/// Polls of the status register before a controller counts as absent.
const SPINS: u32 = 100_000;

struct Controller {
    data: IoPort,
    status: IoPort,
}

static CONTROLLER: Once<Option<Controller>> = Once::new();
/// Scan codes from the interrupt handler; taken with interrupts off.
static CODES: Mutex<ByteRing<256>> = Mutex::new(ByteRing::new());
static WORK: AtomicBool = AtomicBool::new(false);

impl Controller {
    fn status(&self) -> u8 {
        self.status.read8(0)
    }

    fn wait_input_empty(&self) -> bool {
        (0..SPINS).any(|_| self.status() & STATUS_INPUT_FULL == 0)
    }

    fn wait_output_full(&self) -> bool {
        (0..SPINS).any(|_| self.status() & STATUS_OUTPUT_FULL != 0)
    }

    fn command(&self, cmd: u8) -> bool {
        self.wait_input_empty() && {
            self.status.write8(0, cmd);
            true
        }
    }

    fn write_data(&self, value: u8) -> bool {
        self.wait_input_empty() && {
            self.data.write8(0, value);
            true
        }
    }

    fn read_data(&self) -> Option<u8> {
        self.wait_output_full().then(|| self.data.read8(0))
    }

    /// Both ports off, stale bytes gone, the keyboard port's interrupt and
    /// translation on, the keyboard port enabled again.
    fn set_up(&self) -> bool {
        if self.status() == 0xff {
            return false; // nothing answers at the port: no controller
        }
        if !(self.command(CMD_DISABLE_KEYBOARD) && self.command(CMD_DISABLE_AUX)) {
            return false;
        }
        for _ in 0..64 {
            if self.status() & STATUS_OUTPUT_FULL == 0 {
                break;
            }
            let _ = self.data.read8(0);
        }
        let Some(config) = self.command(CMD_READ_CONFIG).then(|| self.read_data()).flatten() else {
            return false;
        };
        let config = (config | CONFIG_KEYBOARD_IRQ | CONFIG_TRANSLATE) & !(CONFIG_AUX_IRQ | CONFIG_KEYBOARD_CLOCK_OFF);
        self.command(CMD_WRITE_CONFIG) && self.write_data(config) && self.command(CMD_ENABLE_KEYBOARD)
    }
}

/// Finds and sets up the controller and routes its keyboard interrupt;
/// false when there is none (or no route).
pub fn init() -> bool {
    let controller = CONTROLLER.call_once(|| {
        let c = Controller { data: IoPort::claim(DATA_PORT, 1)?, status: IoPort::claim(STATUS_PORT, 1)? };
        c.set_up().then_some(c)
    });
    if controller.is_none() {
        return false;
    }
    if !crate::arch::ioapic::route_isa_irq(KEYBOARD_IRQ, crate::arch::traps::KEYBOARD_VECTOR as u8) {
        crate::pr_warn!("i8042: no route for IRQ {KEYBOARD_IRQ}");
        return false;
    }
    crate::pr_info!("serio: i8042 KBD port at {DATA_PORT:#x},{STATUS_PORT:#x} irq {KEYBOARD_IRQ}");
    true
}

/// IRQ 1 (interrupts off): every byte the controller holds goes to the
/// ring; the auxiliary port's are dropped, and so are bytes that find
/// the ring full.
pub fn interrupt() {
    let Some(Some(c)) = CONTROLLER.get() else { return };
    let mut codes = CODES.lock();
    for _ in 0..16 {
        let status = c.status();
        if status & STATUS_OUTPUT_FULL == 0 {
            break;
        }
        let byte = c.data.read8(0);
        if status & STATUS_AUX_DATA == 0 {
            codes.push(byte);
        }
    }
    WORK.store(true, Ordering::Release);
}

/// The keyboard command that sets its lock lights from the next byte.
const KEYBOARD_SET_LEDS: u8 = 0xed;

/// Lights the keyboard's lock LEDs (bit 0 scroll, 1 num, 2 caps). Its
/// acknowledgements arrive as bytes the keymap ignores.
pub fn set_leds(leds: u8) {
    if let Some(Some(c)) = CONTROLLER.get() {
        without_interrupts(|| c.write_data(KEYBOARD_SET_LEDS) && c.write_data(leds & 7));
    }
}

/// True when the interrupt handler left scan codes not yet taken.
pub fn work_pending() -> bool {
    WORK.load(Ordering::Acquire)
}

/// Takes the scan codes that arrived, oldest first.
pub fn take_scancodes(out: &mut [u8]) -> usize {
    WORK.store(false, Ordering::Release);
    without_interrupts(|| {
        let mut codes = CODES.lock();
        let mut n = 0;
        while n < out.len() {
            let Some(b) = codes.pop() else { break };
            out[n] = b;
            n += 1;
        }
        n
    })
}
