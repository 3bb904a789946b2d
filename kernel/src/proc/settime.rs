//! Setting the wall clock: clock_settime(2) and settimeofday(2), for
//! root (CAP_SYS_TIME). Only CLOCK_REALTIME can be set; timerfds that
//! asked to be cancelled when it jumps are told.

use abi::time::CLOCK_REALTIME;
use abi::{Errno, Timespec, Timeval};

use crate::uaccess::read_user;

fn set_realtime(ns: i64) -> Result<usize, Errno> {
    if !crate::sched::current().cred.lock().capable(abi::capability::CAP_SYS_TIME) {
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

/// clock_settime, checked in Linux's order: the clock (only the wall
/// clock has a setter; a CPU clock named by its pid or tid has one that
/// always refuses), then the time, then the right to set it.
pub fn sys_clock_settime(clock: i32, tp: u64) -> Result<usize, Errno> {
    let cpu_clock_of_pid = clock < 0 && super::cputime::CpuClock::resolve(clock).ok().flatten().is_some();
    if clock != CLOCK_REALTIME && !cpu_clock_of_pid {
        return Err(Errno::EINVAL);
    }
    let ts: Timespec = read_user(tp)?;
    if cpu_clock_of_pid {
        return Err(Errno::EPERM);
    }
    set_realtime(timespec_ns(&ts)?)
}

/// The most minutes west of Greenwich a time zone may be (15 hours).
const MAX_MINUTES_WEST: i32 = 15 * 60;

/// settimeofday: checked in Linux's order (the times, then the right to
/// set them, even with nothing to set, then the zone's range).
pub fn sys_settimeofday(tv: u64, tz: u64) -> Result<usize, Errno> {
    let time = if tv == 0 { None } else { Some(read_user::<Timeval>(tv)?) };
    if time.is_some_and(|t| t.tv_sec < 0 || !(0..1_000_000).contains(&t.tv_usec)) {
        return Err(Errno::EINVAL);
    }
    let zone = if tz == 0 { None } else { Some(read_user::<abi::Timezone>(tz)?) };
    if !crate::sched::current().cred.lock().capable(abi::capability::CAP_SYS_TIME) {
        return Err(Errno::EPERM);
    }
    // The kernel's time zone stays UTC; a zone is only checked.
    if zone.is_some_and(|z| !(-MAX_MINUTES_WEST..=MAX_MINUTES_WEST).contains(&z.tz_minuteswest)) {
        return Err(Errno::EINVAL);
    }
    match time {
        Some(t) => set_realtime(t.tv_sec * 1_000_000_000 + t.tv_usec * 1000),
        None => Ok(0),
    }
}
