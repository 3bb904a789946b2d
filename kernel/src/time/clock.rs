//! clock_gettime(2) and clock_getres(2).

use abi::time::*;
use abi::{Errno, Timespec};

use crate::uaccess::write_user;

fn read_clock(clock: i32) -> Result<Timespec, Errno> {
    match clock {
        // The alarm clocks read as their plain ones (their timers would
        // also wake a suspended machine, which never suspends here).
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE | CLOCK_REALTIME_ALARM => Ok(super::realtime()),
        // No suspend exists, so BOOTTIME equals MONOTONIC; no NTP slewing, so
        // MONOTONIC_RAW does too.
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME | CLOCK_BOOTTIME_ALARM => {
            Ok(super::monotonic())
        }
        // The CPU-time clocks are proc::cputime's; per-process and
        // per-thread clock ids (clock_getcpuclockid) are not supported.
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_clock_gettime(clock: i32, tp: u64) -> Result<usize, Errno> {
    let now = read_clock(clock)?;
    write_user(tp, &now)?;
    Ok(0)
}

pub fn sys_gettimeofday(tv: u64, tz: u64) -> Result<usize, Errno> {
    if tv != 0 {
        let now = super::realtime();
        write_user(tv, &abi::Timeval { tv_sec: now.tv_sec, tv_usec: now.tv_nsec / 1000 })?;
    }
    if tz != 0 {
        // The kernel's timezone is UTC with no DST, as Linux's default.
        write_user(tz, &abi::Timezone::default())?;
    }
    Ok(0)
}

pub fn sys_time(tloc: u64) -> Result<usize, Errno> {
    let now = super::realtime().tv_sec;
    if tloc != 0 {
        write_user(tloc, &now)?;
    }
    Ok(now as usize)
}

pub fn sys_clock_getres(clock: i32, tp: u64) -> Result<usize, Errno> {
    read_clock(clock)?;
    if tp != 0 {
        write_user(tp, &Timespec { tv_sec: 0, tv_nsec: 1 })?;
    }
    Ok(0)
}
