//! The kernel log: a ring buffer of formatted lines with Linux's levels and
//! `[seconds.micros]` timestamps, echoed to the console when the line's level
//! is below the console log level (`loglevel=`, `quiet`).

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU8, Ordering};

use spin::Mutex;

use crate::arch::cpu::without_interrupts;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Level {
    Emerg = 0,
    Alert = 1,
    Crit = 2,
    Err = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

/// The console driver's writer, registered at boot (before it, lines only
/// reach the ring).
static CONSOLE: spin::Once<fn(&[u8])> = spin::Once::new();

pub fn set_console(writer: fn(&[u8])) {
    CONSOLE.call_once(|| writer);
}

fn console_write(bytes: &[u8]) {
    if let Some(write) = CONSOLE.get() {
        write(bytes);
    }
}

/// Lines with a level below this reach the console (Linux's default is 7).
static CONSOLE_LOGLEVEL: AtomicU8 = AtomicU8::new(7);

const RING_SIZE: usize = 64 * 1024;

struct Ring {
    bytes: [u8; RING_SIZE],
    /// Total bytes ever written; the ring holds the last RING_SIZE of them.
    written: usize,
    /// `written` at the last clear (syslog's SYSLOG_ACTION_CLEAR).
    cleared_at: usize,
    /// `written` up to which syslog's SYSLOG_ACTION_READ has consumed.
    read_at: usize,
}

static RING: Mutex<Ring> = Mutex::new(Ring { bytes: [0; RING_SIZE], written: 0, cleared_at: 0, read_at: 0 });

pub const LOG_BUFFER_SIZE: usize = RING_SIZE;

impl Ring {
    /// Index (in `written` terms) of the oldest byte still readable.
    fn oldest(&self) -> usize {
        self.written.saturating_sub(RING_SIZE).max(self.cleared_at)
    }
}

/// Copies the newest bytes of the log (since the last clear, at most
/// `out.len()`), each line prefixed with `<level>` as syslog(2) gives them.
pub fn read_log(out: &mut [u8]) -> usize {
    without_interrupts(|| {
        let ring = RING.lock();
        let oldest = ring.oldest();
        let mut start = ring.written - (ring.written - oldest).min(out.len());
        // Only whole lines, as Linux returns whole records: skip a partial
        // first line.
        if start > oldest && ring.bytes[(start - 1) % RING_SIZE] != b'\n' {
            while start < ring.written && ring.bytes[start % RING_SIZE] != b'\n' {
                start += 1;
            }
            start = (start + 1).min(ring.written);
        }
        let n = ring.written - start;
        for (i, b) in out[..n].iter_mut().enumerate() {
            *b = ring.bytes[(start + i) % RING_SIZE];
        }
        n
    })
}

/// Bytes SYSLOG_ACTION_READ has not consumed yet (Linux's
/// SYSLOG_ACTION_SIZE_UNREAD).
pub fn unread_bytes() -> usize {
    without_interrupts(|| {
        let ring = RING.lock();
        ring.written - ring.read_at.max(ring.written.saturating_sub(RING_SIZE))
    })
}

/// Consumes the oldest unread lines, as many whole ones as fit in `out`
/// (part of one if not even one fits), each with its `<level>` prefix.
pub fn consume_log(out: &mut [u8]) -> usize {
    without_interrupts(|| {
        let mut ring = RING.lock();
        let start = ring.read_at.max(ring.written.saturating_sub(RING_SIZE));
        let mut n = (ring.written - start).min(out.len());
        if let Some(last_newline) = (0..n).rev().find(|&i| ring.bytes[(start + i) % RING_SIZE] == b'\n') {
            n = last_newline + 1;
        }
        for (i, b) in out[..n].iter_mut().enumerate() {
            *b = ring.bytes[(start + i) % RING_SIZE];
        }
        ring.read_at = start + n;
        n
    })
}

pub fn clear_log() {
    without_interrupts(|| {
        let mut ring = RING.lock();
        ring.cleared_at = ring.written;
    });
}

pub fn console_loglevel() -> u8 {
    CONSOLE_LOGLEVEL.load(Ordering::Relaxed)
}

pub fn set_console_loglevel(level: u8) {
    CONSOLE_LOGLEVEL.store(level.min(15), Ordering::Relaxed);
}

/// /proc/sys/kernel/printk's other three levels: a message's when it
/// names none, the lowest the console may be set to (syslog's
/// CONSOLE_OFF and CONSOLE_LEVEL), and the console's default.
static OTHER_LEVELS: [AtomicU8; 3] = [AtomicU8::new(4), AtomicU8::new(1), AtomicU8::new(7)];

/// The four numbers of /proc/sys/kernel/printk.
pub fn printk_levels() -> [u8; 4] {
    let [a, b, c] = &OTHER_LEVELS;
    [console_loglevel(), a.load(Ordering::Relaxed), b.load(Ordering::Relaxed), c.load(Ordering::Relaxed)]
}

/// Sets the first `levels.len()` (at most four) of them.
pub fn set_printk_levels(levels: &[u8]) {
    for (i, &level) in levels.iter().enumerate().take(4) {
        match i {
            0 => set_console_loglevel(level),
            _ => OTHER_LEVELS[i - 1].store(level.min(15), Ordering::Relaxed),
        }
    }
}

/// The lowest level the console may be set to.
pub fn minimum_console_loglevel() -> u8 {
    OTHER_LEVELS[1].load(Ordering::Relaxed)
}

/// A line being formatted on the stack: logging must not allocate.
struct LineBuf {
    buf: [u8; 512],
    len: usize,
}

impl Write for LineBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len() - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

pub fn log(level: Level, args: fmt::Arguments) {
    let mut line = LineBuf { buf: [0; 512], len: 0 };
    let ns = crate::time::uptime_ns();
    let _ = write!(line, "[{:5}.{:06}] ", ns / 1_000_000_000, (ns / 1000) % 1_000_000);
    let _ = line.write_fmt(args);
    if line.len == line.buf.len() {
        line.buf[line.len - 1] = b'\n';
    } else if line.buf[line.len - 1] != b'\n' {
        line.buf[line.len] = b'\n';
        line.len += 1;
    }
    let text = &line.buf[..line.len];
    let prefix = [b'<', b'0' + level as u8, b'>'];
    without_interrupts(|| {
        let mut ring = RING.lock();
        for &b in prefix.iter().chain(text) {
            let at = ring.written % RING_SIZE;
            ring.bytes[at] = b;
            ring.written += 1;
        }
        if (level as u8) < CONSOLE_LOGLEVEL.load(Ordering::Relaxed) {
            console_write(text);
        }
    });
}

/// Writes straight to the console, bypassing the ring's lock: for panics,
/// where the lock may be held by the code that failed.
pub fn emergency_write(args: fmt::Arguments) {
    struct Console;
    impl Write for Console {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            console_write(s.as_bytes());
            Ok(())
        }
    }
    let _ = Console.write_fmt(args);
}

#[macro_export]
macro_rules! pr_emerg { ($($a:tt)*) => { $crate::printk::log($crate::printk::Level::Emerg, format_args!($($a)*)) } }
#[macro_export]
macro_rules! pr_alert { ($($a:tt)*) => { $crate::printk::log($crate::printk::Level::Alert, format_args!($($a)*)) } }
#[macro_export]
macro_rules! pr_crit { ($($a:tt)*) => { $crate::printk::log($crate::printk::Level::Crit, format_args!($($a)*)) } }
#[macro_export]
macro_rules! pr_err { ($($a:tt)*) => { $crate::printk::log($crate::printk::Level::Err, format_args!($($a)*)) } }
#[macro_export]
macro_rules! pr_warn { ($($a:tt)*) => { $crate::printk::log($crate::printk::Level::Warning, format_args!($($a)*)) } }
#[macro_export]
macro_rules! pr_notice { ($($a:tt)*) => { $crate::printk::log($crate::printk::Level::Notice, format_args!($($a)*)) } }
#[macro_export]
macro_rules! pr_info { ($($a:tt)*) => { $crate::printk::log($crate::printk::Level::Info, format_args!($($a)*)) } }
#[macro_export]
macro_rules! pr_debug { ($($a:tt)*) => { $crate::printk::log($crate::printk::Level::Debug, format_args!($($a)*)) } }
