//! Socket timeouts: SO_RCVTIMEO and SO_SNDTIMEO as a `struct timeval`,
//! and the wait of a blocking socket call, which they bound.

use abi::{Errno, Timeval};

use crate::sched::wait::WaitQueue;

/// Waits on `queue` until `ready` says what happened: at once when
/// `nonblock` (EAGAIN if nothing yet), else up to `timeout` ns (then
/// EAGAIN), or until a signal (ERESTARTSYS, or EINTR under a timeout, as
/// Linux's sock_intr_errno).
pub fn wait_for<T>(
    queue: &WaitQueue,
    timeout: Option<u64>,
    nonblock: bool,
    mut ready: impl FnMut() -> Option<Result<T, Errno>>,
) -> Result<T, Errno> {
    if nonblock || timeout == Some(0) {
        return ready().unwrap_or(Err(Errno::EAGAIN));
    }
    let deadline = timeout.map(|t| crate::time::uptime_ns().saturating_add(t));
    match crate::sched::timer::wait_with_deadline(queue, deadline, &mut ready) {
        Ok(Some(result)) => result,
        Ok(None) => Err(Errno::EAGAIN),
        Err(e) if timeout.is_some() && e == Errno::ERESTARTSYS => Err(Errno::EINTR),
        Err(e) => Err(e),
    }
}

/// A timeout option's value: EDOM for bad microseconds; a negative time
/// is "do not wait", zero "wait for ever" (Linux's sock_set_timeout).
pub fn timeout_from(tv: &Timeval) -> Result<Option<u64>, Errno> {
    if !(0..1_000_000).contains(&tv.tv_usec) {
        return Err(Errno::EDOM);
    }
    if tv.tv_sec < 0 {
        return Ok(Some(0));
    }
    if tv.tv_sec == 0 && tv.tv_usec == 0 {
        return Ok(None);
    }
    Ok(Some((tv.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(tv.tv_usec as u64 * 1000)))
}

pub fn timeval_of(timeout: Option<u64>) -> Timeval {
    let ns = timeout.unwrap_or(0);
    Timeval { tv_sec: (ns / 1_000_000_000) as i64, tv_usec: ((ns % 1_000_000_000) / 1000) as i64 }
}
