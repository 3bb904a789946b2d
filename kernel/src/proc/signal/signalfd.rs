//! signalfd (Linux's fs/signalfd.c): pending signals of a mask, read as
//! `struct signalfd_siginfo` records instead of being delivered. The
//! reader takes its own (and its process's) pending signals, whoever
//! made the descriptor; the signals are usually blocked, so that only the
//! descriptor sees them.

use core::any::Any;

use abi::signal::{SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGSEGV, SIGTRAP, SI_MESGQ, SI_QUEUE, SI_TIMER};
use abi::{Errno, OpenFlags, Siginfo, POLLIN, POLLRDNORM};
use spin::Mutex;

use super::syscalls::SIGNAL_WAIT;
use super::{pending_for, take_pending, UNBLOCKABLE};
use crate::fs::file::{get_file, install_anon, File};
use crate::sched::current;
use crate::uaccess::read_user;

const SFD_CLOEXEC: u32 = OpenFlags::O_CLOEXEC.bits();
const SFD_NONBLOCK: u32 = OpenFlags::O_NONBLOCK.bits();
/// `sizeof(struct signalfd_siginfo)`.
const RECORD: usize = 128;

pub struct SignalFd {
    mask: Mutex<u64>,
}

/// A signal's record, with the fields its kind of siginfo has (Linux's
/// signalfd_copyinfo).
fn record(sig: i32, info: &Siginfo) -> [u8; RECORD] {
    let mut r = [0u8; RECORD];
    let mut put = |at: usize, bytes: &[u8]| r[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, &(sig as u32).to_ne_bytes());
    put(4, &info.si_errno.to_ne_bytes());
    put(8, &info.si_code.to_ne_bytes());
    let code = info.si_code;
    let fault = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP].contains(&sig) && code > 0;
    if fault {
        put(72, &info.si_addr().to_ne_bytes());
        return r;
    }
    if code == SI_TIMER {
        put(24, &info.get_u32(16).to_ne_bytes()); // ssi_tid: the timer id
        put(32, &info.get_u32(20).to_ne_bytes()); // ssi_overrun
    } else {
        put(12, &(info.si_pid() as u32).to_ne_bytes());
        put(16, &info.si_uid().to_ne_bytes());
    }
    if sig == SIGCHLD && code > 0 {
        put(40, &info.si_status().to_ne_bytes());
        put(56, &(info.si_utime() as u64).to_ne_bytes());
        put(64, &(info.si_stime() as u64).to_ne_bytes());
    } else if [SI_QUEUE, SI_TIMER, SI_MESGQ].contains(&code) {
        let value = info.si_value();
        put(44, &(value as u32).to_ne_bytes());
        put(48, &value.to_ne_bytes());
    }
    r
}

impl File for SignalFd {
    fn read(&self, buf: &mut [u8], flags: OpenFlags) -> Result<usize, Errno> {
        if buf.len() < RECORD {
            return Err(Errno::EINVAL);
        }
        let mask = *self.mask.lock();
        let task = current();
        let first = match take_pending(&task, mask) {
            Some(found) => found,
            None if flags.contains(OpenFlags::O_NONBLOCK) => return Err(Errno::EAGAIN),
            None => SIGNAL_WAIT.wait_interruptible(|| take_pending(&task, mask))?,
        };
        buf[..RECORD].copy_from_slice(&record(first.0, &first.1));
        let mut n = RECORD;
        while n + RECORD <= buf.len() {
            let Some((sig, info)) = take_pending(&task, mask) else { break };
            buf[n..n + RECORD].copy_from_slice(&record(sig, &info));
            n += RECORD;
        }
        Ok(n)
    }

    fn can_poll(&self) -> bool {
        true
    }

    fn poll(&self) -> i16 {
        if pending_for(&current()) & *self.mask.lock() != 0 {
            POLLIN | POLLRDNORM
        } else {
            0
        }
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("signalfd")
    }

    fn object(&self) -> Option<&dyn Any> {
        Some(self)
    }
}

/// signalfd4: a new descriptor (`fd` -1) or a new mask for an existing one.
pub fn sys_signalfd4(fd: i32, mask: u64, size: usize, flags: u32) -> Result<usize, Errno> {
    if size != 8 || flags & !(SFD_CLOEXEC | SFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    // SIGKILL and SIGSTOP are never taken this way.
    let mask = read_user::<u64>(mask)? & !UNBLOCKABLE;
    if fd != -1 {
        let file = get_file(fd)?;
        *file.object::<SignalFd>().ok_or(Errno::EINVAL)?.mask.lock() = mask;
        return Ok(fd as usize);
    }
    let status = OpenFlags::O_RDWR | (OpenFlags::from_bits_retain(flags) & OpenFlags::O_NONBLOCK);
    install_anon(SignalFd { mask: Mutex::new(mask) }, status, flags & SFD_CLOEXEC != 0)
}

pub fn sys_signalfd(fd: i32, mask: u64, size: usize) -> Result<usize, Errno> {
    sys_signalfd4(fd, mask, size, 0)
}
