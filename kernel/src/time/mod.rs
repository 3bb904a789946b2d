//! Timekeeping: the TSC (calibrated at boot) is the clock source; the wall
//! clock is the RTC's reading at boot plus TSC time since.

pub mod clock;

use core::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use abi::Timespec;

use crate::arch::boot::boot_tsc;
use crate::arch::cpu::rdtsc;

pub const NSEC_PER_SEC: u64 = 1_000_000_000;
/// The timer tick rate: 1 ms ticks keep sleeps and timeouts within about
/// a millisecond of their deadline (the scheduler's time slice is longer).
pub const HZ: u64 = 1000;

static TSC_HZ: AtomicU64 = AtomicU64::new(0);
/// Nanoseconds per TSC tick, as a fraction of 2^TSC_SHIFT: what the vDSO
/// computes with too, so both read the same clock.
static TSC_MULT: AtomicU64 = AtomicU64::new(0);
const TSC_SHIFT: u32 = 32;
/// LAPIC timer counts a second (with its divide-by-16 setting).
static APIC_TIMER_HZ: AtomicU64 = AtomicU64::new(0);
/// Wall-clock time (ns since the epoch) at the kernel's first instruction.
static BOOT_REALTIME_NS: AtomicI64 = AtomicI64::new(0);

pub fn init(tsc_hz: u64, rtc_epoch_seconds: i64) {
    TSC_HZ.store(tsc_hz, Ordering::Relaxed);
    let mult = (u128::from(NSEC_PER_SEC) << TSC_SHIFT) / u128::from(tsc_hz.max(1));
    TSC_MULT.store(mult as u64, Ordering::Relaxed);
    let since_boot = uptime_ns() as i64;
    BOOT_REALTIME_NS.store(rtc_epoch_seconds * NSEC_PER_SEC as i64 - since_boot, Ordering::Relaxed);
}

/// The local timer's rate, from the boot calibration.
pub fn set_apic_timer_hz(hz: u64) {
    APIC_TIMER_HZ.store(hz, Ordering::Relaxed);
}

/// One timer interrupt `ns` from now (rounded up): the scheduler programs
/// each next tick or deadline (sched/timer.rs).
pub fn timer_in_ns(ns: u64) {
    let hz = APIC_TIMER_HZ.load(Ordering::Relaxed);
    let counts = (u128::from(ns) * u128::from(hz)).div_ceil(u128::from(NSEC_PER_SEC));
    crate::arch::apic::timer_start_oneshot(counts.clamp(1, u128::from(u32::MAX)) as u32);
}

pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed)
}

/// The TSC's scale: nanoseconds are (ticks * mult) >> shift.
pub fn tsc_scale() -> (u64, u32) {
    (TSC_MULT.load(Ordering::Relaxed), TSC_SHIFT)
}

/// Nanoseconds between two TSC readings (0 before calibration).
pub fn tsc_delta_ns(from: u64, to: u64) -> u64 {
    let (mult, shift) = tsc_scale();
    ((u128::from(to.saturating_sub(from)) * u128::from(mult)) >> shift) as u64
}

/// What else must know when the wall clock is set (the vDSO's data),
/// registered at boot.
static REALTIME_SET_HOOKS: crate::hooks::Hooks<fn(), 4> = crate::hooks::Hooks::new();

pub fn on_realtime_set(hook: fn()) {
    REALTIME_SET_HOOKS.register(hook);
}

/// Nanoseconds since the kernel's first instruction.
pub fn uptime_ns() -> u64 {
    tsc_delta_ns(boot_tsc(), rdtsc())
}

fn to_timespec(ns: i64) -> Timespec {
    Timespec { tv_sec: ns.div_euclid(NSEC_PER_SEC as i64), tv_nsec: ns.rem_euclid(NSEC_PER_SEC as i64) }
}

pub fn monotonic() -> Timespec {
    to_timespec(uptime_ns() as i64)
}

/// CLOCK_REALTIME in ns since the epoch.
pub fn realtime_ns() -> i64 {
    BOOT_REALTIME_NS.load(Ordering::Relaxed) + uptime_ns() as i64
}

/// Times CLOCK_REALTIME was set (clock_settime): timers that asked to be
/// cancelled when it jumps compare this.
static REALTIME_SETS: AtomicU64 = AtomicU64::new(0);

/// Sets CLOCK_REALTIME to `ns` since the epoch.
pub fn set_realtime_ns(ns: i64) {
    BOOT_REALTIME_NS.store(ns - uptime_ns() as i64, Ordering::Relaxed);
    REALTIME_SETS.fetch_add(1, Ordering::Relaxed);
    for hook in REALTIME_SET_HOOKS.all() {
        hook();
    }
}

pub fn realtime_sets() -> u64 {
    REALTIME_SETS.load(Ordering::Relaxed)
}

/// How far CLOCK_REALTIME is ahead of uptime, in ns.
pub fn realtime_offset_ns() -> i64 {
    BOOT_REALTIME_NS.load(Ordering::Relaxed)
}

pub fn realtime() -> Timespec {
    to_timespec(BOOT_REALTIME_NS.load(Ordering::Relaxed) + uptime_ns() as i64)
}

/// Busy-waits (interrupts may run) for `ns` nanoseconds.
pub fn delay_ns(ns: u64) {
    let start = uptime_ns();
    while uptime_ns().saturating_sub(start) < ns {
        core::hint::spin_loop();
    }
}
