//! Setting the wall clock: clock_settime(2) and settimeofday(2), for
//! root (CAP_SYS_TIME). Only CLOCK_REALTIME can be set; timerfds that
//! asked to be cancelled when it jumps are told.

use abi::time::CLOCK_REALTIME;
use abi::{Errno, Timespec, Timeval};

use crate::fs::perm::current_cred;
use crate::uaccess::read_user;

fn set_realtime(ns: i64) -> Result<usize, Errno> {
    if !current_cred().is_privileged() {
        return Err(Errno::EPERM);
    }
    crate::time::set_realtime_ns(ns);
    crate::fs::timerfd::clock_was_set();
    Ok(0)
}

/// A settable time: not negative, nanoseconds below a second.
fn timespec_ns(ts: &Timespec) -> Result<i64, Errno> {
    ts.to_nanos().map(|ns| ns as i64).ok_or(Errno::EINVAL)
}

pub fn sys_clock_settime(clock: i32, tp: u64) -> Result<usize, Errno> {
    if clock != CLOCK_REALTIME {
        // The CPU-time clocks cannot be set (EPERM, as Linux); others have no setter.
        return Err(if super::cputime::CpuClock::resolve(clock).ok().flatten().is_some() {
            Errno::EPERM
        } else {
            Errno::EINVAL
        });
    }
    let ts: Timespec = read_user(tp)?;
    set_realtime(timespec_ns(&ts)?)
}

pub fn sys_settimeofday(tv: u64, tz: u64) -> Result<usize, Errno> {
    if tz != 0 {
        // The kernel's timezone stays UTC; reading the argument still checks it.
        read_user::<abi::Timezone>(tz)?;
    }
    if tv == 0 {
        return Ok(0);
    }
    let tv: Timeval = read_user(tv)?;
    if tv.tv_sec < 0 || !(0..1_000_000).contains(&tv.tv_usec) {
        return Err(Errno::EINVAL);
    }
    set_realtime(tv.tv_sec * 1_000_000_000 + tv.tv_usec * 1000)
}
