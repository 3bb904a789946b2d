//! Whether a chunk is worth giving to the compressor: a look at a sample
//! of it, far cheaper than compressing, so data that will not shrink
//! (already compressed, encrypted, random) is stored raw without running
//! the compressor over all of it (as btrfs's heuristic does).
//!
//! The sample is 16 bytes every `len / 512` (at least every 256): 8 KiB of
//! a 128 KiB chunk. It is worth trying when either
//! - the same 8 bytes start several pieces of the sample (repeats, which
//!   LZ matching finds even in data whose bytes look uniform), or
//! - its byte histogram is far from flat: the chance that two sampled
//!   bytes are equal, `sum(count * (count - 1)) / (n * (n - 1))`, is above
//!   9/8 of a flat histogram's 1/256 (about 7.8 bits of entropy a byte;
//!   random bytes give 1/256 give or take a few percent).

/// Chunks this small are always tried: the compressor's cost is small.
const ALWAYS_BELOW: usize = 16 * 1024;
const PIECE: usize = 16;
const PIECES: usize = 512;
/// Pieces beginning with 8 bytes seen before, out of PIECES, that show
/// repeats.
const REPEATS: usize = PIECES / 32;

/// Whether `data` is likely to shrink under lz4 or zstd.
pub fn worth_compressing(data: &[u8]) -> bool {
    if data.len() < ALWAYS_BELOW {
        return true;
    }
    let stride = (data.len() / PIECES).max(256);
    let mut counts = [0u32; 256];
    let mut seen = [0u64; 2 * PIECES];
    let (mut n, mut repeats) = (0u64, 0usize);
    for piece in data.chunks_exact(stride).map(|c| &c[..PIECE]) {
        for &b in piece {
            counts[b as usize] += 1;
        }
        n += PIECE as u64;
        let mut key = [0u8; 8];
        key.copy_from_slice(&piece[..8]);
        // 0 marks a free slot: the key is stored with its low bit set.
        let key = u64::from_le_bytes(key) | 1;
        let mut slot = (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 54) as usize % seen.len();
        while seen[slot] != 0 && seen[slot] != key {
            slot = (slot + 1) % seen.len();
        }
        if seen[slot] == key {
            repeats += 1;
        }
        seen[slot] = key;
    }
    if repeats >= REPEATS {
        return true;
    }
    // Pairs of equal bytes among the n(n-1) ordered pairs of the sample.
    let equal: u64 = counts.iter().map(|&c| c as u64 * (c as u64).saturating_sub(1)).sum();
    equal * 256 * 8 > n * (n - 1) * 9
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn random_bytes_are_not_worth_it() {
        for seed in 1..50 {
            for len in [16 * 1024, 128 * 1024, 1 << 20] {
                assert!(!worth_compressing(&noise(len, seed * 7919)), "seed {seed} len {len}");
            }
        }
    }

    #[test]
    fn structure_is_worth_it() {
        let text: Vec<u8> =
            b"the quick brown fox jumps over the lazy dog\n".iter().copied().cycle().take(131072).collect();
        assert!(worth_compressing(&text));
        assert!(worth_compressing(&[0u8; 131072]));
        // A random block repeated: bytes look flat, but LZ shrinks it.
        let block = noise(4096, 3);
        let repeated: Vec<u8> = block.iter().copied().cycle().take(131072).collect();
        assert!(worth_compressing(&repeated));
        // Base64-like: 64 symbols, flat among themselves.
        let b64: Vec<u8> = noise(131072, 5)
            .iter()
            .map(|b| b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(*b % 64) as usize])
            .collect();
        assert!(worth_compressing(&b64));
        // Small chunks are always tried.
        assert!(worth_compressing(&noise(4096, 9)));
    }
}
