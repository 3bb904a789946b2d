//! Time structures: `timespec`, `timeval`, `timezone`, `tms`, interval timers.

use bytemuck::{Pod, Zeroable};

/// Nanoseconds per second.
pub const NSEC_PER_SEC: i64 = 1_000_000_000;

/// `struct timespec` (16 bytes, 64-bit `time_t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Pod, Zeroable)]
#[repr(C)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

impl Timespec {
    /// Time zero.
    pub const ZERO: Timespec = Timespec { tv_sec: 0, tv_nsec: 0 };

    /// True when `tv_nsec` is in `0..1e9` and `tv_sec` is not negative, the
    /// check that makes `nanosleep` and friends fail with `EINVAL`.
    pub const fn is_valid(&self) -> bool {
        self.tv_sec >= 0 && self.tv_nsec >= 0 && self.tv_nsec < NSEC_PER_SEC
    }

    /// From a count of nanoseconds.
    pub const fn from_nanos(ns: u64) -> Timespec {
        Timespec { tv_sec: (ns / NSEC_PER_SEC as u64) as i64, tv_nsec: (ns % NSEC_PER_SEC as u64) as i64 }
    }

    /// Total nanoseconds, saturating; `None` for a negative or invalid value.
    pub const fn to_nanos(&self) -> Option<u64> {
        if !self.is_valid() {
            return None;
        }
        Some((self.tv_sec as u64).saturating_mul(NSEC_PER_SEC as u64).saturating_add(self.tv_nsec as u64))
    }
}

/// Special `tv_nsec` for `utimensat`: set the time to now.
pub const UTIME_NOW: i64 = (1 << 30) - 1;
/// Special `tv_nsec` for `utimensat`: leave the time alone.
pub const UTIME_OMIT: i64 = (1 << 30) - 2;

/// `struct timeval` (16 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Pod, Zeroable)]
#[repr(C)]
pub struct Timeval {
    pub tv_sec: i64,
    pub tv_usec: i64,
}

impl Timeval {
    /// True when `tv_usec` is in `0..1e6` and `tv_sec` is not negative.
    pub const fn is_valid(&self) -> bool {
        self.tv_sec >= 0 && self.tv_usec >= 0 && self.tv_usec < 1_000_000
    }

    /// From a count of nanoseconds (truncating to microseconds).
    pub const fn from_nanos(ns: u64) -> Timeval {
        Timeval { tv_sec: (ns / NSEC_PER_SEC as u64) as i64, tv_usec: ((ns % NSEC_PER_SEC as u64) / 1000) as i64 }
    }
}

/// `struct timezone` of `gettimeofday` (obsolete; normally all zero).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Timezone {
    pub tz_minuteswest: i32,
    pub tz_dsttime: i32,
}

/// `struct tms` of `times`, in clock ticks ([`crate::USER_HZ`] per second).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Tms {
    pub tms_utime: i64,
    pub tms_stime: i64,
    pub tms_cutime: i64,
    pub tms_cstime: i64,
}

/// `struct itimerval` of `setitimer`/`getitimer`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct ItimerVal {
    /// Reload value after expiry (zero: one-shot).
    pub it_interval: Timeval,
    /// Time to the next expiry (zero: disarmed).
    pub it_value: Timeval,
}

/// `struct itimerspec` of `timer_settime` and `timerfd_settime`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct ItimerSpec {
    pub it_interval: Timespec,
    pub it_value: Timespec,
}

// Sizes the ABI fixes; checked at compile time on every target.
const _: () = assert!(core::mem::size_of::<Timespec>() == 16);
const _: () = assert!(core::mem::size_of::<Timeval>() == 16);
const _: () = assert!(core::mem::size_of::<Timezone>() == 8);
const _: () = assert!(core::mem::size_of::<Tms>() == 32);
const _: () = assert!(core::mem::size_of::<ItimerVal>() == 32);
const _: () = assert!(core::mem::size_of::<ItimerSpec>() == 32);
