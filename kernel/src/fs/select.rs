//! poll(2), ppoll(2), select(2), pselect6(2): waiting until descriptors
//! are ready.
//!
//! Readiness comes from each file's `poll`. A waiting call sleeps on the
//! scheduler's poll queue, which every wait queue's wake also wakes, and
//! looks again after each wake, until something is ready, the timeout
//! passes (or a file's own deadline: a timerfd's expiry), or a signal
//! arrives.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use abi::{Errno, PollFd, Timespec, Timeval};
use abi::{POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDBAND, POLLRDNORM, POLLWRBAND, POLLWRNORM};

use super::file::OpenFile;
use crate::sched::current;
use crate::sched::timer::wait_with_deadline;
use crate::sched::wait::{Polling, POLL_QUEUE};
use crate::time::{uptime_ns, NSEC_PER_SEC};
use crate::uaccess::{copy_from_user, copy_to_user, read_user, write_user};

/// The kernel's sigset_t is 8 bytes.
const SIGSET_SIZE: usize = 8;

/// When to give up: None waits for ever, Some(now) does not wait at all.
type Deadline = Option<u64>;

fn deadline_after(ns: u64) -> Deadline {
    Some(uptime_ns().saturating_add(ns))
}

fn timespec_ns(ts: &Timespec) -> Result<u64, Errno> {
    ts.to_nanos().ok_or(Errno::EINVAL)
}

/// Runs `scan` until it finds something ready (a count above 0) or the
/// deadline passes; a signal ends the wait with ERESTARTNOHAND (restart
/// unless a handler runs, then EINTR), as Linux's poll and select. `scan`
/// also says the earliest time a watched file may turn ready by itself.
pub fn wait_ready(
    deadline: Deadline,
    mut scan: impl FnMut(&mut Option<u64>) -> Result<usize, Errno>,
) -> Result<usize, Errno> {
    // Most calls find something ready, or do not wait: no sleeping set-up.
    let mut file_deadline = None;
    let ready = scan(&mut file_deadline)?;
    if ready > 0 || deadline.is_some_and(|d| uptime_ns() >= d) {
        return Ok(ready);
    }
    let _polling = Polling::start();
    let mut outcome = None;
    loop {
        let wake_at = match (deadline, file_deadline) {
            (Some(d), Some(f)) => Some(u64::min(d, f)),
            (d, f) => d.or(f),
        };
        let waited = wait_with_deadline(&POLL_QUEUE, wake_at, || {
            file_deadline = None;
            match scan(&mut file_deadline) {
                Ok(0) if deadline.is_none_or(|d| uptime_ns() < d) => None,
                done => {
                    outcome = Some(done);
                    Some(())
                }
            }
        });
        match waited {
            Ok(Some(())) => return outcome.take().expect("set with Some"),
            Ok(None) => continue,
            Err(_) => return Err(Errno::ERESTARTNOHAND),
        }
    }
}

/// Folds a file's own deadline into the earliest one.
pub fn earliest(at: &mut Option<u64>, file: &OpenFile) {
    if let Some(d) = file.poll_deadline() {
        *at = Some(at.map_or(d, |a| a.min(d)));
    }
}

/// The open files of descriptors, looked up once per call (a closed
/// descriptor is None).
fn files_of(fds: impl Iterator<Item = i32>) -> Vec<Option<Arc<OpenFile>>> {
    let task = current();
    let table = task.files.lock();
    fds.map(|fd| if fd < 0 { None } else { table.get(fd).ok() }).collect()
}

/// Applies ppoll's or pselect6's signal mask for the call; returns the
/// mask to restore.
fn set_sigmask(sigmask: u64, size: usize) -> Result<Option<u64>, Errno> {
    if sigmask == 0 {
        return Ok(None);
    }
    if size != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let new: u64 = read_user(sigmask)?;
    let old = current().signal_mask.swap(new & !UNBLOCKABLE, Ordering::Relaxed);
    Ok(Some(old))
}

/// Runs `wait` under the signal mask at `sigmask` (if given), as ppoll,
/// pselect6 and epoll_pwait do.
pub fn with_sigmask(sigmask: u64, size: usize, wait: impl FnOnce() -> Result<usize, Errno>) -> Result<usize, Errno> {
    let old = set_sigmask(sigmask, size)?;
    let result = wait();
    restore_sigmask(old, &result);
    result
}

/// SIGKILL and SIGSTOP: no mask blocks them.
const UNBLOCKABLE: u64 = (1 << (abi::signal::SIGKILL - 1)) | (1 << (abi::signal::SIGSTOP - 1));

/// Restores the mask after the call; when a signal interrupted it, signal
/// delivery restores it instead, after the handler ran under the call's
/// mask (as rt_sigsuspend).
fn restore_sigmask(old: Option<u64>, result: &Result<usize, Errno>) {
    let Some(old) = old else { return };
    let task = current();
    if matches!(result, Err(e) if *e == Errno::ERESTARTNOHAND || *e == Errno::EINTR) {
        *task.saved_mask.lock() = Some(old);
    } else {
        task.signal_mask.store(old, Ordering::Relaxed);
    }
}

fn do_poll(fds: u64, nfds: u32, deadline: Deadline) -> Result<usize, Errno> {
    let nfds = nfds as usize;
    if nfds > current().files.lock().limit() {
        return Err(Errno::EINVAL);
    }
    let mut polls = vec![PollFd::default(); nfds];
    copy_from_user(bytemuck::cast_slice_mut(&mut polls), fds)?;
    let files = files_of(polls.iter().map(|p| p.fd));
    let ready = wait_ready(deadline, |at| {
        let mut count = 0;
        for file in files.iter().flatten() {
            earliest(at, file);
        }
        for (p, file) in polls.iter_mut().zip(&files) {
            p.revents = match (p.fd, file) {
                (fd, _) if fd < 0 => 0,
                (_, None) => POLLNVAL,
                // POLLERR and POLLHUP are reported whether asked or not.
                (_, Some(f)) => f.poll() & (p.events | POLLERR | POLLHUP),
            };
            count += usize::from(p.revents != 0);
        }
        Ok(count)
    })?;
    copy_to_user(fds, bytemuck::cast_slice(&polls))?;
    Ok(ready)
}

pub fn sys_poll(fds: u64, nfds: u32, timeout_ms: i32) -> Result<usize, Errno> {
    let deadline = u64::try_from(timeout_ms).ok().and_then(|ms| deadline_after(ms * 1_000_000));
    do_poll(fds, nfds, deadline)
}

/// ppoll(2): a timespec timeout (written back with the time left) and a
/// signal mask for the wait.
pub fn sys_ppoll(fds: u64, nfds: u32, tsp: u64, sigmask: u64, sigsetsize: usize) -> Result<usize, Errno> {
    let deadline = if tsp == 0 { None } else { deadline_after(timespec_ns(&read_user(tsp)?)?) };
    let old = set_sigmask(sigmask, sigsetsize)?;
    let result = do_poll(fds, nfds, deadline);
    restore_sigmask(old, &result);
    if let (Some(d), true, false) = (deadline, result.is_ok(), sticky_timeouts()) {
        write_user(tsp, &Timespec::from_nanos(d.saturating_sub(uptime_ns())))?;
    }
    result
}

/// personality(2)'s STICKY_TIMEOUTS: the timeout is not written back.
fn sticky_timeouts() -> bool {
    current().personality.load(core::sync::atomic::Ordering::Relaxed) & abi::personality::STICKY_TIMEOUTS != 0
}

/// The three fd_sets of select, as bit vectors of `n` descriptors.
struct FdSets {
    n: usize,
    sets: [Option<(u64, Vec<u64>)>; 3],
}

const READ_EVENTS: i16 = POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR;
const WRITE_EVENTS: i16 = POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR;
const EXCEPT_EVENTS: i16 = POLLPRI;

fn do_select(n: i32, addrs: [u64; 3], deadline: Deadline) -> Result<usize, Errno> {
    let n = usize::try_from(n).map_err(|_| Errno::EINVAL)?;
    let n = n.min(current().files.lock().limit());
    // fd_sets move as whole longs, as Linux copies them.
    let words = n.div_ceil(64);
    let mut sets = FdSets { n, sets: [None, None, None] };
    for (slot, &addr) in sets.sets.iter_mut().zip(&addrs) {
        if addr != 0 {
            let mut bits = vec![0u64; words];
            copy_from_user(bytemuck::cast_slice_mut(&mut bits), addr)?;
            if n % 64 != 0 {
                bits[words - 1] &= (1 << (n % 64)) - 1;
            }
            *slot = Some((addr, bits));
        }
    }
    let wanted = |fd: usize| sets.sets.iter().flatten().any(|(_, b)| b[fd / 64] & (1 << (fd % 64)) != 0);
    let watched: Vec<usize> = (0..sets.n).filter(|&fd| wanted(fd)).collect();
    let files = files_of(watched.iter().map(|&fd| fd as i32));
    if files.iter().any(Option::is_none) {
        return Err(Errno::EBADF);
    }
    let mut out: [Vec<u64>; 3] = [vec![0; words], vec![0; words], vec![0; words]];
    let ready = wait_ready(deadline, |at| {
        let mut count = 0;
        for o in out.iter_mut() {
            o.fill(0);
        }
        for (&fd, file) in watched.iter().zip(files.iter().flatten()) {
            earliest(at, file);
            let events = file.poll();
            for (i, mask) in [READ_EVENTS, WRITE_EVENTS, EXCEPT_EVENTS].into_iter().enumerate() {
                let asked = sets.sets[i].as_ref().is_some_and(|(_, b)| b[fd / 64] & (1 << (fd % 64)) != 0);
                if asked && events & mask != 0 {
                    out[i][fd / 64] |= 1 << (fd % 64);
                    count += 1;
                }
            }
        }
        Ok(count)
    })?;
    for (set, bits) in sets.sets.iter().zip(&out) {
        if let Some((addr, _)) = set {
            copy_to_user(*addr, bytemuck::cast_slice(bits))?;
        }
    }
    Ok(ready)
}

/// select(2): Linux writes the time left back into the timeval.
pub fn sys_select(n: i32, readfds: u64, writefds: u64, exceptfds: u64, timeout: u64) -> Result<usize, Errno> {
    let deadline = if timeout == 0 {
        None
    } else {
        // Microseconds past a second carry over; only negatives are wrong.
        let tv: Timeval = read_user(timeout)?;
        if tv.tv_sec < 0 || tv.tv_usec < 0 {
            return Err(Errno::EINVAL);
        }
        let ns =
            (tv.tv_sec as u64).saturating_mul(NSEC_PER_SEC).saturating_add((tv.tv_usec as u64).saturating_mul(1000));
        deadline_after(ns)
    };
    let result = do_select(n, [readfds, writefds, exceptfds], deadline);
    if let (Some(d), true, false) = (deadline, result.is_ok(), sticky_timeouts()) {
        write_user(timeout, &Timeval::from_nanos(d.saturating_sub(uptime_ns())))?;
    }
    result
}

/// pselect6(2): a timespec timeout, and its sixth argument points to a
/// (sigset pointer, sigset size) pair.
pub fn sys_pselect6(n: i32, readfds: u64, writefds: u64, exceptfds: u64, tsp: u64, sig: u64) -> Result<usize, Errno> {
    let deadline = if tsp == 0 { None } else { deadline_after(timespec_ns(&read_user(tsp)?)?) };
    let old = if sig == 0 {
        None
    } else {
        let [mask, size]: [u64; 2] = read_user(sig)?;
        set_sigmask(mask, size as usize)?
    };
    let result = do_select(n, [readfds, writefds, exceptfds], deadline);
    restore_sigmask(old, &result);
    if let (Some(d), true, false) = (deadline, result.is_ok(), sticky_timeouts()) {
        write_user(tsp, &Timespec::from_nanos(d.saturating_sub(uptime_ns())))?;
    }
    result
}
