//! Clock ids, timer flags and interval-timer kinds.
//!
//! Clock ids are `i32`, the type of `clockid_t`: a dispatcher should compare
//! `arg as u32 as i32`. Negative ids encode per-process/per-thread CPU
//! clocks and fds (dynamic clocks); this crate only names the fixed ones.

pub const CLOCK_REALTIME: i32 = 0;
pub const CLOCK_MONOTONIC: i32 = 1;
pub const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
pub const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
/// Monotonic, not slewed by NTP.
pub const CLOCK_MONOTONIC_RAW: i32 = 4;
/// Faster, tick-resolution `CLOCK_REALTIME`.
pub const CLOCK_REALTIME_COARSE: i32 = 5;
/// Faster, tick-resolution `CLOCK_MONOTONIC`.
pub const CLOCK_MONOTONIC_COARSE: i32 = 6;
/// Monotonic including time spent suspended.
pub const CLOCK_BOOTTIME: i32 = 7;
pub const CLOCK_REALTIME_ALARM: i32 = 8;
pub const CLOCK_BOOTTIME_ALARM: i32 = 9;
pub const CLOCK_TAI: i32 = 11;

/// `flags` of `clock_nanosleep`/`timer_settime`: the time is absolute.
pub const TIMER_ABSTIME: i32 = 1;

// `flags` of `timerfd_settime`.
pub const TFD_TIMER_ABSTIME: i32 = 1;
pub const TFD_TIMER_CANCEL_ON_SET: i32 = 2;

// `which` of `setitimer`/`getitimer`.
/// Real time; delivers `SIGALRM`.
pub const ITIMER_REAL: i32 = 0;
/// User CPU time; delivers `SIGVTALRM`.
pub const ITIMER_VIRTUAL: i32 = 1;
/// User and system CPU time; delivers `SIGPROF`.
pub const ITIMER_PROF: i32 = 2;
