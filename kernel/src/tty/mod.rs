//! Terminals: the tty layer between the serial driver and the files that
//! programs read, write and control, with Linux's semantics.
//!
//! - `ldisc`: the line discipline (N_TTY): input processing, canonical
//!   editing, echo, and the input buffer reads take from;
//! - `output`: output processing (OPOST) and the column it tracks;
//! - `file`: opening /dev/console, /dev/tty and /dev/ttyS0, and the open
//!   file's read, write and poll;
//! - `ioctl`: the terminal ioctls;
//! - `job`: controlling terminals, job control (SIGTTIN/SIGTTOU), the
//!   foreground process group, hangup when the session leader exits;
//! - `driver`: what a terminal asks of its device;
//! - `serial`: ttyS0's driver, whose deferred work feeds the UART's input
//!   to the line discipline;
//! - `vt`: the virtual terminal tty1 on the screen and keyboard: the
//!   terminal emulator and its driver.
//!
//! Two terminals exist, the serial line ttyS0 and the virtual terminal
//! tty1 (also /dev/tty0, the current virtual terminal). /dev/console is
//! the one the command line's last `console=` names, ttyS0 by default.
//!
//! Locking: a terminal's state is one spin lock, taken only in process
//! context (system calls and the deferred work, never an interrupt
//! handler) and never held across a sleep. Under it the driver's own lock
//! may be taken (to queue output), never the other way round. Signals are
//! sent after it is released.

pub mod console;
mod driver;
mod file;
mod ioctl;
pub mod job;
mod ldisc;
mod output;
mod serial;
pub mod vt;

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::{Termios, Winsize, B115200, B38400, CLOCAL, CREAD, CS8, HUPCL};
use spin::Mutex;

use crate::sched::task::Pid;
use crate::sched::wait::WaitQueue;
use driver::TtyDriver;
use ldisc::{Action, Ldisc};
use output::Sink;

pub use file::open;

pub struct TtyState {
    termios: Termios,
    winsize: Winsize,
    ldisc: Ldisc,
    /// The session this is the controlling terminal of, and its
    /// foreground process group.
    session: Option<Pid>,
    pgrp: Option<Pid>,
    /// Session members (not the leader) that gave the terminal up with
    /// TIOCNOTTY: it is no longer their controlling terminal.
    detached: Vec<Pid>,
    /// TIOCEXCL: only a privileged process may open it again.
    exclusive: bool,
}

pub struct Tty {
    state: Mutex<TtyState>,
    driver: &'static dyn TtyDriver,
    /// Woken when input arrives, a line is finished, or the mode changes.
    read_wait: WaitQueue,
    /// Woken when output may proceed (room, restart after ^S).
    write_wait: WaitQueue,
    /// Bumped by each hangup: files opened before it are hung up.
    generation: AtomicU64,
    /// The earliest VTIME deadline a reader sleeps until (0: none); the
    /// deferred work wakes the readers when it passes.
    read_deadline: AtomicU64,
}

/// The settings Linux gives a serial console: canonical mode with echo and
/// signals, 115200 baud 8N1.
const fn console_termios() -> Termios {
    let mut t = Termios::sane();
    t.c_cflag = B115200 | CS8 | CREAD | HUPCL | CLOCAL;
    t
}

/// ttyS0, the serial line.
pub static TTYS0: Tty = Tty::new(console_termios(), &serial::Uart);

/// The settings Linux gives a virtual terminal.
const fn vt_termios() -> Termios {
    let mut t = Termios::sane();
    t.c_cflag = B38400 | CS8 | CREAD | HUPCL;
    t
}

/// tty1, the virtual terminal (also /dev/tty0).
pub static TTY1: Tty = Tty::new(vt_termios(), &vt::driver::VtDriver);

/// Every terminal (for the exit of a session leader).
pub fn all() -> [&'static Tty; 2] {
    [&TTYS0, &TTY1]
}

/// The terminals' deferred work (see `sched::run_deferred_work`).
pub fn run_deferred() {
    let now = crate::time::uptime_ns();
    for tty in all() {
        if tty.driver.take_work() {
            tty.driver.process_input();
            tty.write_wait.wake_all();
        }
        tty.expire_read_deadline(now);
    }
}

/// The earliest VTIME deadline of a reader (the deferred work wakes it).
pub fn next_deadline() -> Option<u64> {
    all().into_iter().filter_map(|t| t.read_deadline()).min()
}

/// True when an interrupt left work that `run_deferred` has not done.
pub fn deferred_pending() -> bool {
    all().into_iter().any(|t| t.driver.work_pending())
}

/// Processed output and echoes go to the driver. Echoes that do not fit
/// are dropped; writers wait for room instead.
struct DriverSink(&'static dyn TtyDriver);

impl Sink for DriverSink {
    fn put(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }

    fn flush(&mut self) {
        self.0.flush_buffer();
    }
}

impl Tty {
    const fn new(termios: Termios, driver: &'static dyn TtyDriver) -> Tty {
        Tty {
            driver,
            state: Mutex::new(TtyState {
                termios,
                winsize: Winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 },
                ldisc: Ldisc::new(),
                session: None,
                pgrp: None,
                detached: Vec::new(),
                exclusive: false,
            }),
            read_wait: WaitQueue::new(),
            write_wait: WaitQueue::new(),
            generation: AtomicU64::new(0),
            read_deadline: AtomicU64::new(0),
        }
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Runs the line discipline over received bytes (from the driver, or
    /// TIOCSTI); returns how many it took (fewer when its buffer is full).
    /// Signal characters signal the foreground process group.
    pub fn receive(&self, bytes: &[u8]) -> usize {
        let mut signals = [0i32; 4];
        let mut nsig = 0;
        let (taken, pgrp) = {
            let mut guard = self.state.lock();
            let st = &mut *guard;
            let was_stopped = st.ldisc.stopped;
            let mut taken = 0;
            for &b in bytes {
                match st.ldisc.receive(&st.termios, b, &mut DriverSink(self.driver)) {
                    Action::Full => break,
                    Action::Signal(sig) => {
                        signals[nsig] = sig;
                        nsig += 1;
                    }
                    Action::None => {}
                }
                taken += 1;
                if nsig == signals.len() {
                    break;
                }
            }
            if st.ldisc.stopped != was_stopped {
                self.driver.set_stopped(st.ldisc.stopped);
            }
            (taken, st.pgrp)
        };
        if taken > 0 {
            self.read_wait.wake_all();
            self.write_wait.wake_all();
        }
        if let Some(pgrp) = pgrp {
            for &sig in &signals[..nsig] {
                job::signal_pgrp(pgrp, sig);
            }
        }
        taken
    }

    /// Remembers that a reader sleeps until `deadline` (ns of uptime).
    fn add_read_deadline(&self, deadline: u64) {
        let _ = self
            .read_deadline
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |d| (d == 0 || deadline < d).then_some(deadline));
    }

    /// Deferred work: wakes the readers whose VTIME deadline passed.
    fn read_deadline(&self) -> Option<u64> {
        Some(self.read_deadline.load(Ordering::Acquire)).filter(|&d| d != 0)
    }

    fn expire_read_deadline(&self, now: u64) {
        let d = self.read_deadline.load(Ordering::Acquire);
        if d != 0 && now >= d && self.read_deadline.compare_exchange(d, 0, Ordering::AcqRel, Ordering::Acquire).is_ok()
        {
            self.read_wait.wake_all();
        }
    }

    /// Output stopped (^S or TCOOFF) changed: tell the driver, wake writers.
    fn flow_changed(&self, stopped: bool) {
        self.driver.set_stopped(stopped);
        self.write_wait.wake_all();
    }
}
