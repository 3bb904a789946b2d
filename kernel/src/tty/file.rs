//! Opening a terminal, and the open terminal file: read (canonical and
//! VMIN/VTIME), write (output processing, ^S, TOSTOP) and poll.
//!
//! /dev/console is Linux's redirection to the console's terminal: reads
//! and writes through it are exempt from job control, it never becomes a
//! controlling terminal on open, and a hangup does not end it.

use alloc::boxed::Box;

use abi::{Errno, OpenFlags, ICANON, TOSTOP, VMIN, VTIME};
use abi::{POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};

use super::output::{Sink, MAX_EXPANSION};
use super::{job, Tty, TTY1, TTYS0};
use crate::fs::file::File;
use crate::time::{uptime_ns, NSEC_PER_SEC};

pub use crate::fs::chardev::{TTYAUX_MAJOR, TTY_MAJOR};
/// ttyS0 is minor 64 of the tty major.
const TTYS0_MINOR: u32 = 64;
/// Output fewer than this many bytes behind is "writable" for poll
/// (Linux's WAKEUP_CHARS).
const WAKEUP_CHARS: usize = 256;

/// Output processed per step of a write.
const CHUNK: usize = 512;

struct Chunk {
    bytes: [u8; CHUNK],
    len: usize,
}

impl Sink for Chunk {
    fn put(&mut self, bytes: &[u8]) {
        self.bytes[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn flush(&mut self) {
        self.len = 0;
    }
}

pub struct TtyFile {
    tty: &'static Tty,
    /// Opened as /dev/console.
    pub(super) console: bool,
    /// The terminal's hangup count when opened.
    generation: u64,
    pub(super) readable: bool,
}

/// Opens terminal device (major, minor): /dev/tty (5,0), /dev/console
/// (5,1), /dev/tty0 (4,0, the current virtual terminal: always tty1),
/// /dev/tty1 (4,1) or /dev/ttyS0 (4,64). ENXIO for other numbers, and for /dev/tty
/// without a controlling terminal.
pub fn open(major: u32, minor: u32, flags: OpenFlags) -> Result<Box<dyn File>, Errno> {
    let (tty, console) = match (major, minor) {
        (TTYAUX_MAJOR, 0) => (job::current_ctty().ok_or(Errno::ENXIO)?, false),
        (TTYAUX_MAJOR, 1) => (super::console::dev_console(), true),
        (TTY_MAJOR, 0 | 1) => (&TTY1, false),
        (TTY_MAJOR, TTYS0_MINOR) => (&TTYS0, false),
        _ => return Err(Errno::ENXIO),
    };
    let me = crate::sched::current();
    if tty.state.lock().exclusive && !me.cred.lock().is_privileged() {
        return Err(Errno::EBUSY);
    }
    let readable = flags.readable();
    // /dev/console never becomes a controlling terminal on open (Linux's
    // noctty rule); /dev/tty already is one.
    if major == TTY_MAJOR && !flags.contains(OpenFlags::O_NOCTTY) && readable {
        job::acquire_on_open(tty, &me);
    }
    Ok(Box::new(TtyFile { tty, console, generation: tty.generation(), readable }))
}

impl TtyFile {
    pub(super) fn tty(&self) -> &'static Tty {
        self.tty
    }

    /// A hangup happened since this file was opened (never for the
    /// console redirection).
    pub(super) fn hung_up(&self) -> bool {
        !self.console && self.tty.generation() != self.generation
    }

    /// What a non-canonical read waits for (Linux's n_tty_read): at least
    /// `minimum` bytes, VTIME as an inter-byte timer (`inter_byte`) or as
    /// an overall timeout (`deadline`).
    fn raw_limits(&self, vmin: u8, vtime: u8) -> (usize, u64, Option<u64>) {
        let time = u64::from(vtime) * NSEC_PER_SEC / 10;
        if vmin > 0 {
            (usize::from(vmin), time, None)
        } else {
            (1, 0, Some(uptime_ns() + time))
        }
    }

    fn read_tty(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        let tty = self.tty;
        let (icanon, vmin, vtime) = {
            let st = tty.state.lock();
            (st.termios.c_lflag & ICANON != 0, st.termios.c_cc[VMIN], st.termios.c_cc[VTIME])
        };
        // Canonical reads return a line whenever one is there.
        let (minimum, inter_byte, mut deadline) = if icanon { (0, 0, None) } else { self.raw_limits(vmin, vtime) };
        let mut done = 0;
        loop {
            let got = {
                let mut st = tty.state.lock();
                if st.termios.c_lflag & ICANON != 0 {
                    st.ldisc.read_canon(&mut buf[done..]).map(|n| (n, true))
                } else {
                    Some((st.ldisc.read_raw(&mut buf[done..]), false))
                }
            };
            if let Some((n, line)) = got {
                if n > 0 {
                    // Room in the buffer: input held back may come in.
                    tty.driver.process_input();
                }
                done += n;
                if line || done >= minimum || done == buf.len() {
                    break;
                }
                if n > 0 && inter_byte > 0 {
                    deadline = Some(uptime_ns() + inter_byte);
                }
            }
            if deadline.is_some_and(|d| uptime_ns() >= d) || self.hung_up() {
                break;
            }
            if nonblock {
                return if done > 0 { Ok(done) } else { Err(Errno::EAGAIN) };
            }
            let waited = tty.read_wait.wait_interruptible(|| {
                let st = tty.state.lock();
                let ready = st.ldisc.input_available(&st.termios, false)
                    || self.hung_up()
                    || deadline.is_some_and(|d| uptime_ns() >= d);
                if !ready {
                    if let Some(d) = deadline {
                        tty.add_read_deadline(d);
                    }
                }
                ready.then_some(())
            });
            if let Err(e) = waited {
                return if done > 0 { Ok(done) } else { Err(e) };
            }
        }
        Ok(done)
    }

    fn write_tty(&self, buf: &[u8], nonblock: bool) -> Result<usize, Errno> {
        let tty = self.tty;
        let mut done = 0;
        while done < buf.len() {
            let can_write = || !tty.state.lock().ldisc.stopped && tty.driver.write_room() >= MAX_EXPANSION;
            if !can_write() {
                if nonblock {
                    return if done > 0 { Ok(done) } else { Err(Errno::EAGAIN) };
                }
                let waited = tty.write_wait.wait_interruptible(|| (can_write() || self.hung_up()).then_some(()));
                if let Err(e) = waited {
                    return if done > 0 { Ok(done) } else { Err(e) };
                }
                if self.hung_up() {
                    return if done > 0 { Ok(done) } else { Err(Errno::EIO) };
                }
                continue;
            }
            // Process a chunk into a buffer, then queue it in one go.
            let mut chunk = Chunk { bytes: [0; CHUNK], len: 0 };
            let room = tty.driver.write_room().min(CHUNK);
            let mut guard = tty.state.lock();
            let st = &mut *guard;
            while done < buf.len() && !st.ldisc.stopped && chunk.len + MAX_EXPANSION <= room {
                st.ldisc.cols.output(&st.termios, buf[done], &mut chunk);
                done += 1;
            }
            tty.driver.write(&chunk.bytes[..chunk.len]);
        }
        Ok(done)
    }
}

impl File for TtyFile {
    fn read(&self, buf: &mut [u8], flags: OpenFlags) -> Result<usize, Errno> {
        if self.hung_up() {
            return Ok(0);
        }
        if !self.console {
            job::check_read(self.tty)?;
        }
        if buf.is_empty() {
            return Ok(0);
        }
        self.tty.driver.process_input();
        self.read_tty(buf, flags.contains(OpenFlags::O_NONBLOCK))
    }

    fn write(&self, buf: &[u8], flags: OpenFlags) -> Result<usize, Errno> {
        if self.hung_up() {
            return Err(Errno::EIO);
        }
        let tostop = self.tty.state.lock().termios.c_lflag & TOSTOP != 0;
        if tostop && !self.console {
            job::check_change(self.tty, abi::signal::SIGTTOU)?;
        }
        self.write_tty(buf, flags.contains(OpenFlags::O_NONBLOCK))
    }

    fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        super::ioctl::ioctl(self, cmd, arg)
    }

    fn can_poll(&self) -> bool {
        true
    }

    fn poll(&self) -> i16 {
        if self.hung_up() {
            return POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDNORM | POLLWRNORM;
        }
        self.tty.driver.process_input();
        let mut mask = 0;
        {
            let st = self.tty.state.lock();
            if st.ldisc.input_available(&st.termios, true) {
                mask |= POLLIN | POLLRDNORM;
            }
        }
        if self.tty.driver.chars_in_buffer() < WAKEUP_CHARS && self.tty.driver.write_room() > 0 {
            mask |= POLLOUT | POLLWRNORM;
        }
        mask
    }
}
