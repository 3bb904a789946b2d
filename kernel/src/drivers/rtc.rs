//! The CMOS real-time clock, read once at boot to set the wall clock.

use machine::io::IoPort;
use spin::Once;

static CMOS: Once<Option<IoPort>> = Once::new();

fn cmos(reg: u8) -> u8 {
    let Some(ports) = CMOS.call_once(|| IoPort::claim(0x70, 2)) else { return 0 };
    ports.write8(0, reg | 0x80); // keep NMIs disabled while selecting
    ports.read8(1)
}

fn update_in_progress() -> bool {
    cmos(0x0A) & 0x80 != 0
}

fn bcd(v: u8) -> u8 {
    (v & 0x0f) + (v >> 4) * 10
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since the Unix epoch, as the RTC reports them (UTC).
pub fn read_epoch_seconds() -> i64 {
    let mut spins = 0;
    while update_in_progress() && spins < 1_000_000 {
        spins += 1;
    }
    let (mut sec, mut min, mut hour) = (cmos(0x00), cmos(0x02), cmos(0x04));
    let (mut day, mut month, mut year) = (cmos(0x07), cmos(0x08), cmos(0x09));
    let century = cmos(0x32);
    let status_b = cmos(0x0B);
    let binary = status_b & 0x04 != 0;
    let pm = hour & 0x80 != 0;
    hour &= 0x7f;
    let mut century = century;
    if !binary {
        sec = bcd(sec);
        min = bcd(min);
        hour = bcd(hour);
        day = bcd(day);
        month = bcd(month);
        year = bcd(year);
        century = bcd(century);
    }
    if status_b & 0x02 == 0 && pm {
        hour = (hour % 12) + 12;
    }
    let century = if (19..=30).contains(&century) { i64::from(century) } else { 20 };
    let full_year = century * 100 + i64::from(year);
    days_from_civil(full_year, i64::from(month), i64::from(day)) * 86_400
        + i64::from(hour) * 3600
        + i64::from(min) * 60
        + i64::from(sec)
}
