//! The terminal ioctls (Linux's tty_ioctl, tty_mode_ioctl and
//! n_tty_ioctl_helper). Commands that change the terminal's state are
//! subject to job control (SIGTTOU from a background process).

use abi::ioctl::*;
use abi::signal::SIGWINCH;
use abi::{Errno, Termios, Termios2, Winsize, CBAUD, ICANON, IXON, TCIFLUSH, TCIOFF, TCIOFLUSH, TCION};
use abi::{TCOFLUSH, TCOOFF, TCOON, VSTART, VSTOP};

use super::file::TtyFile;
use super::{job, Tty};
use crate::uaccess::{read_user, write_user};

/// Line discipline N_TTY, the only one.
const N_TTY: i32 = 0;

fn put<T: bytemuck::Pod>(arg: u64, value: &T) -> Result<usize, Errno> {
    write_user(arg, value).map(|_| 0)
}

fn put_int(arg: u64, value: usize) -> Result<usize, Errno> {
    put(arg, &(value.min(i32::MAX as usize) as i32))
}

/// The speed in bits per second that a CBAUD code stands for.
fn baud(cflag: u32) -> u32 {
    const LOW: [u32; 16] = [0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400];
    const HIGH: [u32; 16] = [
        0, 57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000,
        3500000, 4000000,
    ];
    let code = cflag & CBAUD;
    if code & abi::CBAUDEX != 0 {
        HIGH[(code & 0xf) as usize]
    } else {
        LOW[code as usize]
    }
}

pub fn ioctl(file: &TtyFile, cmd: u32, arg: u64) -> Result<usize, Errno> {
    let tty = file.tty();
    if file.hung_up() {
        return Err(if cmd as usize == TIOCSPGRP { Errno::ENOTTY } else { Errno::EIO });
    }
    match cmd as usize {
        TCGETS => put(arg, &tty.state.lock().termios),
        TCSETS | TCSETSW | TCSETSF => {
            job::check_settings_change(tty)?;
            let new: Termios = read_user(arg)?;
            set_termios(tty, new, cmd as usize != TCSETS, cmd as usize == TCSETSF)
        }
        TCGETS2 => {
            let t = tty.state.lock().termios;
            let speed = baud(t.c_cflag);
            let t2 = Termios2 {
                c_iflag: t.c_iflag,
                c_oflag: t.c_oflag,
                c_cflag: t.c_cflag,
                c_lflag: t.c_lflag,
                c_line: t.c_line,
                c_cc: t.c_cc,
                c_ispeed: speed,
                c_ospeed: speed,
            };
            put(arg, &t2)
        }
        TCSETS2 | TCSETSW2 | TCSETSF2 => {
            job::check_settings_change(tty)?;
            let t2: Termios2 = read_user(arg)?;
            let new = Termios {
                c_iflag: t2.c_iflag,
                c_oflag: t2.c_oflag,
                c_cflag: t2.c_cflag,
                c_lflag: t2.c_lflag,
                c_line: t2.c_line,
                c_cc: t2.c_cc,
            };
            set_termios(tty, new, cmd as usize != TCSETS2, cmd as usize == TCSETSF2)
        }
        TIOCGWINSZ => put(arg, &tty.state.lock().winsize),
        TIOCSWINSZ => set_winsize(tty, read_user(arg)?),
        TIOCGPGRP => put_int(arg, job::foreground(tty)? as usize),
        TIOCSPGRP => {
            match job::check_settings_change(tty) {
                Err(Errno::EIO) => return Err(Errno::ENOTTY),
                r => r?,
            }
            job::set_foreground(tty, read_user(arg)?).map(|_| 0)
        }
        TIOCGSID => put_int(arg, job::session(tty)? as usize),
        TIOCSCTTY => job::acquire(tty, arg == 1, file.readable).map(|_| 0),
        TIOCNOTTY => job::give_up(tty).map(|_| 0),
        FIONREAD => {
            tty.driver.process_input();
            let st = tty.state.lock();
            let n = st.ldisc.readable_bytes(&st.termios);
            drop(st);
            put_int(arg, n)
        }
        TIOCOUTQ => put_int(arg, tty.driver.chars_in_buffer()),
        TCFLSH => {
            job::check_settings_change(tty)?;
            flush(tty, arg as i32).map(|_| 0)
        }
        TCXONC => {
            job::check_settings_change(tty)?;
            flow(tty, arg as i32).map(|_| 0)
        }
        TCSBRK | TCSBRKP => {
            job::check_settings_change(tty)?;
            // tcdrain is TCSBRK with a non-zero argument; a break on this
            // line would be nothing to see, so both just drain.
            wait_until_sent(tty).map(|_| 0)
        }
        TIOCSBRK | TIOCCBRK => Ok(0),
        TIOCSTI => {
            if !job::may_inject(tty) {
                return Err(Errno::EPERM);
            }
            let byte: u8 = read_user(arg)?;
            tty.receive(&[byte]);
            Ok(0)
        }
        TIOCGETD => put(arg, &N_TTY),
        TIOCSETD => match read_user::<i32>(arg)? {
            N_TTY => Ok(0),
            _ => Err(Errno::EINVAL),
        },
        TIOCEXCL | TIOCNXCL => {
            tty.state.lock().exclusive = cmd as usize == TIOCEXCL;
            Ok(0)
        }
        TIOCGEXCL => put_int(arg, usize::from(tty.state.lock().exclusive)),
        TIOCVHANGUP => {
            if !crate::sched::current().cred.lock().capable(abi::capability::CAP_SYS_TTY_CONFIG) {
                return Err(Errno::EPERM);
            }
            job::hangup(tty, false);
            Ok(0)
        }
        _ => Err(Errno::ENOTTY),
    }
}

/// Waits until queued output has gone to the UART (tcdrain, TCSETSW).
fn wait_until_sent(tty: &Tty) -> Result<(), Errno> {
    tty.write_wait.wait_interruptible(|| (tty.driver.chars_in_buffer() == 0).then_some(()))
}

/// TCSETS*: optionally drain output (W, F) and discard input (F), then
/// switch the line discipline's mode if ICANON changed.
fn set_termios(tty: &Tty, new: Termios, drain: bool, flush_input: bool) -> Result<usize, Errno> {
    if drain {
        wait_until_sent(tty)?;
    }
    let restarted = {
        let mut st = tty.state.lock();
        if flush_input {
            st.ldisc.flush();
        }
        let old = st.termios;
        st.termios = new;
        st.ldisc.set_mode(old.c_lflag & ICANON != 0, new.c_lflag & ICANON != 0);
        // Turning IXON off restarts output stopped by ^S.
        let restart = old.c_iflag & IXON != 0 && new.c_iflag & IXON == 0 && st.ldisc.stopped && !st.ldisc.tco_stopped;
        if restart {
            st.ldisc.start();
        }
        restart
    };
    if restarted {
        tty.flow_changed(false);
    }
    tty.read_wait.wake_all();
    tty.write_wait.wake_all();
    Ok(0)
}

/// TIOCSWINSZ: a new size signals the foreground group with SIGWINCH.
fn set_winsize(tty: &Tty, ws: Winsize) -> Result<usize, Errno> {
    let fg = {
        let mut st = tty.state.lock();
        if st.winsize == ws {
            return Ok(0);
        }
        st.winsize = ws;
        st.pgrp
    };
    if let Some(fg) = fg {
        job::signal_pgrp(fg, SIGWINCH);
    }
    Ok(0)
}

/// TCFLSH: discard received input (with what the driver holds), queued
/// output, or both.
fn flush(tty: &Tty, which: i32) -> Result<(), Errno> {
    let (input, output) = match which {
        TCIFLUSH => (true, false),
        TCOFLUSH => (false, true),
        TCIOFLUSH => (true, true),
        _ => return Err(Errno::EINVAL),
    };
    if input {
        tty.driver.discard_input();
        tty.state.lock().ldisc.flush();
    }
    if output {
        tty.driver.flush_buffer();
        tty.write_wait.wake_all();
    }
    Ok(())
}

/// TCXONC: suspend or restart output, or send STOP or START.
fn flow(tty: &Tty, action: i32) -> Result<(), Errno> {
    match action {
        TCOOFF | TCOON => {
            let stopped = {
                let mut st = tty.state.lock();
                if action == TCOOFF && !st.ldisc.tco_stopped {
                    st.ldisc.tco_stopped = true;
                    st.ldisc.stop();
                } else if action == TCOON && st.ldisc.tco_stopped {
                    st.ldisc.tco_stopped = false;
                    st.ldisc.start();
                }
                st.ldisc.stopped
            };
            tty.flow_changed(stopped);
        }
        TCIOFF | TCION => {
            let index = if action == TCIOFF { VSTOP } else { VSTART };
            let c = tty.state.lock().termios.c_cc[index];
            if c != 0 {
                tty.driver.send_xchar(c);
            }
        }
        _ => return Err(Errno::EINVAL),
    }
    Ok(())
}
