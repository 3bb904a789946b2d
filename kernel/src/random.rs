//! Random bytes for the kernel (AT_RANDOM): RDRAND where the CPU has it,
//! else a xorshift generator seeded from the TSC.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::arch::cpu::{rdrand, rdtsc};

static STATE: AtomicU64 = AtomicU64::new(0);

fn xorshift() -> u64 {
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        x = rdtsc() | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    x ^ rdtsc().rotate_left(32)
}

pub fn next_u64() -> u64 {
    rdrand().unwrap_or_else(xorshift)
}

/// Stirs bytes written to /dev/random (or given by RNDADDENTROPY) into
/// the fallback generator's state.
pub fn mix(bytes: &[u8]) {
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        let _ = STATE.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| {
            Some((s ^ u64::from_le_bytes(word)).rotate_left(17) | 1)
        });
    }
}

pub fn fill(buf: &mut [u8]) {
    for chunk in buf.chunks_mut(8) {
        let r = next_u64().to_le_bytes();
        chunk.copy_from_slice(&r[..chunk.len()]);
    }
}

const GRND_NONBLOCK: u32 = 1;
const GRND_RANDOM: u32 = 2;
const GRND_INSECURE: u32 = 4;
/// Linux's MAX_RW_COUNT: the most one call transfers.
const MAX_RW_COUNT: usize = (i32::MAX as usize) & !4095;

/// getrandom(2): `len` random bytes at `buf`. The pool is ready from boot
/// (RDRAND, or the TSC-seeded generator), so no flag ever waits; an
/// unmapped buffer is EFAULT, or a short count once some bytes are in.
pub fn sys_getrandom(buf: u64, len: usize, flags: u32) -> Result<usize, abi::Errno> {
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || flags & (GRND_RANDOM | GRND_INSECURE) == GRND_RANDOM | GRND_INSECURE
    {
        return Err(abi::Errno::EINVAL);
    }
    let len = len.min(MAX_RW_COUNT);
    let mut chunk = [0u8; 256];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(chunk.len());
        fill(&mut chunk[..n]);
        if let Err(e) = crate::uaccess::copy_to_user(buf + done as u64, &chunk[..n]) {
            return if done > 0 { Ok(done) } else { Err(e) };
        }
        done += n;
    }
    Ok(len)
}
