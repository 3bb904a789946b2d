//! Calibration of the TSC and the LAPIC timer against the 8254 PIT, whose
//! input clock is fixed (1.193182 MHz) on every PC.

use super::apic;
use super::cpu::rdtsc;
use crate::io::{inb, outb};

const PIT_HZ: u64 = 1_193_182;
const CALIBRATION_MS: u64 = 10;

#[derive(Clone, Copy)]
pub struct Calibration {
    pub tsc_hz: u64,
    /// LAPIC timer counts per second with the divide-by-16 setting.
    pub apic_timer_hz: u64,
}

/// The median of three measurements: under emulation on a busy host one
/// window can be stretched or cut short, and a wrong TSC rate would skew
/// every clock and timeout.
pub fn calibrate() -> Calibration {
    let mut runs = [measure(), measure(), measure()];
    runs.sort_unstable_by_key(|c| c.tsc_hz);
    let Calibration { tsc_hz, apic_timer_hz } = runs[1];
    Calibration { tsc_hz, apic_timer_hz }
}

/// Measures over 10 ms with PIT channel 2 in one-shot mode, polling its
/// output through port 0x61 (no interrupt needed).
fn measure() -> Calibration {
    let count = (PIT_HZ * CALIBRATION_MS / 1000) as u16;
    let gate = pit_read(0x61);
    pit_write(0x61, (gate & !0x02) | 0x01); // gate on, speaker off
    pit_write(0x43, 0b1011_0000); // channel 2, lobyte/hibyte, mode 0
    pit_write(0x42, count as u8);
    pit_write(0x42, (count >> 8) as u8);
    let g = pit_read(0x61) & !0x01;
    pit_write(0x61, g); // restart the count on a rising gate edge
    apic::timer_start_oneshot_max();
    let apic_start = apic::timer_current();
    let tsc_start = rdtsc();
    pit_write(0x61, g | 0x01);
    let mut spins = 0u64;
    while pit_read(0x61) & 0x20 == 0 && spins < 100_000_000 {
        spins += 1;
        core::hint::spin_loop();
    }
    let tsc_end = rdtsc();
    let apic_end = apic::timer_current();
    pit_write(0x61, gate);
    let tsc_hz = (tsc_end - tsc_start) * 1000 / CALIBRATION_MS;
    let apic_timer_hz = u64::from(apic_start - apic_end) * 1000 / CALIBRATION_MS;
    Calibration { tsc_hz, apic_timer_hz }
}

/// Reads the PIT (ports 0x40..0x43) or its gate and status (0x61).
fn pit_read(port: u16) -> u8 {
    assert!(matches!(port, 0x40..=0x43 | 0x61));
    // SAFETY: the PIT and port 0x61 are reserved to this calibration (the
    // `io` module refuses to hand them out); reads have no memory effect.
    unsafe { inb(port) }
}

fn pit_write(port: u16, value: u8) {
    assert!(matches!(port, 0x40..=0x43 | 0x61));
    // SAFETY: as pit_read; the writes follow the 8254's protocol.
    unsafe { outb(port, value) }
}
