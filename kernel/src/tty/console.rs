//! The kernel's consoles, as Linux's `console=` chooses them: each
//! `console=ttyS0` or `console=tty0` (or `tty1`) word adds that device to
//! those the kernel's messages are written to, and the last one given is
//! the terminal behind /dev/console. Without any, the serial line is both.

use core::sync::atomic::{AtomicBool, Ordering};

use super::Tty;

static ON_SERIAL: AtomicBool = AtomicBool::new(true);
static ON_VT: AtomicBool = AtomicBool::new(false);
/// /dev/console is the virtual terminal (else the serial line).
static DEV_CONSOLE_IS_VT: AtomicBool = AtomicBool::new(false);

/// Reads the command line's `console=` words (before the heap exists).
pub fn select(cmdline: &str) {
    let mut any = false;
    for value in crate::cmdline::params(cmdline, "console") {
        // "ttyS0,115200n8": the device is what comes before the options.
        let device = value.split(',').next().unwrap_or("");
        let vt = match device {
            "ttyS0" => false,
            "tty0" | "tty1" => true,
            _ => continue,
        };
        if !any {
            ON_SERIAL.store(false, Ordering::Relaxed);
            any = true;
        }
        let flag = if vt { &ON_VT } else { &ON_SERIAL };
        flag.store(true, Ordering::Relaxed);
        DEV_CONSOLE_IS_VT.store(vt, Ordering::Relaxed);
    }
}

/// The terminal /dev/console leads to.
pub fn dev_console() -> &'static Tty {
    if DEV_CONSOLE_IS_VT.load(Ordering::Relaxed) {
        &super::TTY1
    } else {
        &super::TTYS0
    }
}

/// Writes kernel messages (and fatal reports) to every console: takes no
/// lock it could wait on, so it works in any context.
pub fn write(bytes: &[u8]) {
    if ON_SERIAL.load(Ordering::Relaxed) {
        crate::drivers::uart16550::write_bytes(bytes);
    }
    if ON_VT.load(Ordering::Relaxed) {
        super::vt::driver::write_kernel_message(bytes);
    }
}

/// True when the kernel's messages go to the virtual terminal.
pub fn on_vt() -> bool {
    ON_VT.load(Ordering::Relaxed)
}
