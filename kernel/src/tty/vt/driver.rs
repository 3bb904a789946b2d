//! The virtual terminal tty1 as a terminal's device (Linux's vt.c): output
//! goes through the terminal emulator to the screen the loader left (if
//! any); input comes from the PS/2 keyboard, through the keymap, and from
//! the emulator's own answers (cursor position and device reports).
//!
//! Locking: `VT` (the emulator and the display) is always taken with
//! interrupts off, since kernel messages reach it from any context, where
//! they only try the lock. `INPUT` may be taken under it (for the
//! emulator's answers), never the other way round.

use alloc::boxed::Box;
use core::sync::atomic::{AtomicBool, Ordering};

use abi::Winsize;
use spin::Mutex;

use super::display;
use super::screen::{Cell, Display, Terminal};
use crate::arch::cpu::without_interrupts;
use crate::drivers::input::{i8042, keymap::Keyboard};
use crate::drivers::ring::ByteRing;
use crate::tty::driver::TtyDriver;
use crate::tty::TTY1;

/// The size of a virtual terminal without a screen (Linux's default VGA
/// text mode).
const HEADLESS_ROWS: usize = 25;
const HEADLESS_COLS: usize = 80;

struct Vt {
    terminal: Terminal,
    display: Box<dyn Display + Send>,
}

/// A display that shows nothing: the terminal without a screen.
struct Headless;

impl Display for Headless {
    fn draw(&mut self, _: usize, _: usize, _: Cell) {}
    fn scroll_up(&mut self, _: usize, _: usize, _: usize, _: Cell) {}
    fn scroll_down(&mut self, _: usize, _: usize, _: usize, _: Cell) {}
    fn cursor(&mut self, _: usize, _: usize, _: bool) {}
}

static VT: Mutex<Option<Vt>> = Mutex::new(None);
/// Input for the line discipline: keys, and the emulator's answers.
static INPUT: Mutex<ByteRing<1024>> = Mutex::new(ByteRing::new());
static KEYBOARD: Mutex<Keyboard> = Mutex::new(Keyboard::new());
/// The emulator answered: the deferred work has input to pass on.
static ANSWERED: AtomicBool = AtomicBool::new(false);
/// Set while the input is being processed: the work does not nest.
static RUNNING: AtomicBool = AtomicBool::new(false);

/// Sets up the virtual terminal on the loader's screen (headless without
/// one) and the keyboard under it.
pub fn init() {
    let (display, rows, cols): (Box<dyn Display + Send>, _, _) = match display::probe() {
        Ok(c) => (c.display, c.rows, c.cols),
        Err(e) => {
            crate::pr_info!("vt: no screen ({e}): tty1 runs headless");
            (Box::new(Headless), HEADLESS_ROWS, HEADLESS_COLS)
        }
    };
    let terminal = Terminal::new(rows, cols);
    let (rows, cols) = (terminal.rows() as u16, terminal.cols() as u16);
    TTY1.state.lock().winsize = Winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
    let mut display = display;
    terminal.redraw(&mut *display);
    without_interrupts(|| *VT.lock() = Some(Vt { terminal, display }));
    if crate::tty::console::on_vt() {
        replay_log();
    }
    if !i8042::init() {
        crate::pr_info!("vt: no PS/2 keyboard controller");
    }
}

/// The most of the kernel's log shown again when the screen comes up.
const REPLAY_BYTES: usize = 16 * 1024;

/// Shows the kernel's messages from before the screen was set up, as a
/// console registered late does on Linux: the lines (`<level>text`) the
/// console log level lets through.
fn replay_log() {
    let mut log = alloc::vec![0u8; REPLAY_BYTES];
    let n = crate::printk::read_log(&mut log);
    let level = crate::printk::console_loglevel();
    for line in log[..n].split_inclusive(|&b| b == b'\n') {
        if let [b'<', digit, b'>', text @ ..] = line {
            if digit.wrapping_sub(b'0') < level {
                write_kernel_message(text);
            }
        }
    }
}

/// Runs output through the emulator; its answers become input.
fn render(vt: &mut Vt, bytes: &[u8]) {
    let mut answered = false;
    vt.terminal.write(bytes, &mut *vt.display, &mut |reply| {
        let mut input = INPUT.lock();
        for &b in reply {
            input.push(b);
        }
        answered = true;
    });
    if answered {
        ANSWERED.store(true, Ordering::Release);
    }
}

/// Kernel messages on the screen: skipped while the terminal is in use
/// on this CPU (a message from an interrupt during a write), "\n" shown
/// as a new line.
pub fn write_kernel_message(bytes: &[u8]) {
    without_interrupts(|| {
        let Some(mut guard) = VT.try_lock() else { return };
        let Some(vt) = guard.as_mut() else { return };
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            match line.strip_suffix(b"\n") {
                Some(text) => {
                    render(vt, text);
                    render(vt, b"\r\n");
                }
                None => render(vt, line),
            }
        }
    });
}

/// Translates the scan codes that arrived into input bytes.
fn take_keys() {
    let mut codes = [0u8; 64];
    loop {
        let n = i8042::take_scancodes(&mut codes);
        if n == 0 {
            break;
        }
        let mut keyboard = KEYBOARD.lock();
        let leds = keyboard.leds();
        for &code in &codes[..n] {
            keyboard.feed(code, &mut |bytes| {
                without_interrupts(|| {
                    let mut input = INPUT.lock();
                    for &b in bytes {
                        input.push(b);
                    }
                })
            });
        }
        if keyboard.leds() != leds {
            i8042::set_leds(keyboard.leds());
        }
    }
}

/// Moves the pending input into tty1's line discipline while it takes
/// it; what it does not take yet stays queued.
fn process_input() {
    if RUNNING.swap(true, Ordering::Acquire) {
        return;
    }
    take_keys();
    loop {
        let mut chunk = [0u8; 64];
        // Bytes leave the ring only once the line discipline took them.
        let n = without_interrupts(|| INPUT.lock().peek(&mut chunk));
        if n == 0 {
            break;
        }
        let taken = TTY1.receive(&chunk[..n]);
        without_interrupts(|| INPUT.lock().discard(taken));
        if taken < n {
            break; // the line discipline is full: wait for a reader
        }
    }
    RUNNING.store(false, Ordering::Release);
}

pub struct VtDriver;

/// Output is drawn as it is written: there is always room, and nothing
/// waits to be sent.
const ROOM: usize = 4096;

impl TtyDriver for VtDriver {
    fn write(&self, bytes: &[u8]) {
        without_interrupts(|| {
            if let Some(vt) = VT.lock().as_mut() {
                render(vt, bytes);
            }
        });
    }

    fn write_room(&self) -> usize {
        ROOM
    }

    fn chars_in_buffer(&self) -> usize {
        0
    }

    fn flush_buffer(&self) {}

    fn set_stopped(&self, _stopped: bool) {}

    /// The keyboard is not a line: there is nobody to send START/STOP to.
    fn send_xchar(&self, _byte: u8) {}

    fn process_input(&self) {
        process_input();
    }

    fn work_pending(&self) -> bool {
        i8042::work_pending() || ANSWERED.load(Ordering::Acquire)
    }

    fn take_work(&self) -> bool {
        ANSWERED.swap(false, Ordering::AcqRel) | i8042::work_pending()
    }

    fn discard_input(&self) {
        take_keys();
        without_interrupts(|| INPUT.lock().clear());
    }
}
