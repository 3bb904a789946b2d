//! The system console on the serial port, as a file for descriptors 0-2.
//! A minimal canonical line discipline (echo, ICRNL, erase, ONLCR) until the
//! TTY layer exists.

use alloc::vec::Vec;

use abi::ioctl::{TCGETS, TIOCGWINSZ};
use abi::{Errno, OpenFlags, Termios, Winsize, B115200, CLOCAL, CREAD, CS8, HUPCL};
use spin::Mutex;

use crate::drivers::uart16550;
use crate::fs::file::File;
use crate::mm::uaccess::write_user;

/// The console device: one per machine.
pub struct Console {
    /// Bytes of a finished line not yet read.
    pending: Mutex<Vec<u8>>,
}

impl Console {
    pub const fn new() -> Console {
        Console { pending: Mutex::new(Vec::new()) }
    }

    fn read_line(&self) -> Result<Vec<u8>, Errno> {
        let mut line = Vec::new();
        loop {
            let Some(mut b) = uart16550::try_read_byte() else {
                // No UART interrupt yet: look again at the next tick, letting
                // other tasks run meanwhile; a signal ends the wait.
                let next_tick = crate::time::uptime_ns() + crate::time::NSEC_PER_SEC / crate::time::HZ;
                crate::sched::timer::sleep_until(next_tick)?;
                continue;
            };
            if b == b'\r' {
                b = b'\n';
            }
            match b {
                0x7f | 0x08 => {
                    if line.pop().is_some() {
                        uart16550::write_bytes(b"\x08 \x08");
                    }
                }
                0x04 if line.is_empty() => return Ok(line), // ^D: end of file
                _ => {
                    uart16550::write_bytes(&[b]);
                    line.push(b);
                    if b == b'\n' {
                        return Ok(line);
                    }
                }
            }
        }
    }

    /// The settings Linux reports for a serial console at 115200 baud.
    fn termios() -> Termios {
        let mut t = Termios::sane();
        t.c_cflag = B115200 | CS8 | CREAD | HUPCL | CLOCAL;
        t
    }
}

impl File for Console {
    fn read(&self, buf: &mut [u8], _flags: OpenFlags) -> Result<usize, Errno> {
        if self.pending.lock().is_empty() {
            // Not under the lock: reading a line sleeps.
            let line = self.read_line()?;
            self.pending.lock().extend(line);
        }
        let mut pending = self.pending.lock();
        let n = buf.len().min(pending.len());
        buf[..n].copy_from_slice(&pending[..n]);
        pending.drain(..n);
        Ok(n)
    }

    fn write(&self, buf: &[u8], _flags: OpenFlags) -> Result<usize, Errno> {
        uart16550::write_bytes(buf);
        Ok(buf.len())
    }

    fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        match cmd as usize {
            // A serial line has no size until someone sets one: Linux answers 0x0.
            TIOCGWINSZ => write_user(arg, &Winsize::default()).map(|_| 0),
            TCGETS => write_user(arg, &Self::termios()).map(|_| 0),
            _ => Err(Errno::ENOTTY),
        }
    }
}
