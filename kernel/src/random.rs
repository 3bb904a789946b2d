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

pub fn fill(buf: &mut [u8]) {
    for chunk in buf.chunks_mut(8) {
        let r = next_u64().to_le_bytes();
        chunk.copy_from_slice(&r[..chunk.len()]);
    }
}
