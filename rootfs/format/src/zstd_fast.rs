//! The built-in zstd encoder's match finder: ruzstd encodes the frame
//! (Huffman literals, FSE sequences) from the matches this finds.
//!
//! ruzstd's own finder keeps the first position of each 5-byte string, so
//! its offsets point far back and cost many bits, and it clears a 1 MiB
//! table for every frame. This one follows zstd's "fast" and "double fast"
//! strategies (its levels 1 to 4): two tables of the latest position of
//! each hashed 5-byte and 8-byte string, sized to the frame; the last
//! offset tried too (repeated offsets are common in structured data), the
//! longest of the three taken; matches extended backwards over the pending
//! literals; a step that grows while nothing matches, so incompressible
//! stretches are crossed quickly; and, from [`LAZY_LEVEL`], one step of
//! lazy matching. A chunk is at most 1 MiB, so positions fit in `u32` and
//! the window is the whole frame.

use alloc::vec;
use alloc::vec::Vec;

use ruzstd::encoding::{CompressionLevel, FrameCompressor, Matcher, Sequence};

/// log2 of each hash table's entries at most (a 128 KiB chunk has 2^17
/// positions); smaller frames get smaller tables, down to 2^8 entries.
const HASH_LOG: u32 = 14;
/// Bytes hashed by the short table; shorter matches are not looked for
/// (zstd needs 3 at least).
const SHORT: usize = 5;
/// At levels with lazy matching, matches shorter than this are given up
/// for a longer one a byte on.
const LAZY_BELOW: usize = 32;
/// Bytes hashed by the long table.
const LONG: usize = 8;
/// The step grows by one every 2^SKIP_LOG bytes without a match.
const SKIP_LOG: u32 = 8;
/// The largest block zstd allows, and the most one space holds.
const BLOCK_MAX: usize = 128 * 1024;

/// The first level that looks one byte on for a longer match (lazy
/// matching: about 10% smaller text, 25% slower); below it (and at 0, the
/// default) matching is greedy, about zstd's level 1.
pub const LAZY_LEVEL: i8 = 2;

/// One zstd frame holding `data` at `level` (see [`LAZY_LEVEL`]), its
/// matches found by [`FastMatcher`].
pub fn compress(data: &[u8], level: i8) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    let matcher = FastMatcher::new(data.len(), level >= LAZY_LEVEL);
    let mut frame = FrameCompressor::new_with_matcher(matcher, CompressionLevel::Fastest);
    frame.set_source(data);
    frame.set_drain(&mut out);
    frame.compress();
    drop(frame);
    out
}

pub struct FastMatcher {
    /// Every byte of the frame so far; the last block from `block_start`.
    data: Vec<u8>,
    block_start: usize,
    /// Hash of SHORT and of LONG bytes to their latest position plus one
    /// (0: none).
    short: Vec<u32>,
    long: Vec<u32>,
    hash_log: u32,
    /// The offset of the last match, tried first.
    last_offset: usize,
    lazy: bool,
    /// The frame's length.
    len: usize,
}

impl FastMatcher {
    /// A finder for a frame of `len` bytes, greedy or `lazy`.
    pub fn new(len: usize, lazy: bool) -> FastMatcher {
        // About one entry for every 8 positions.
        let hash_log = (len.max(1).ilog2().saturating_sub(3)).clamp(8, HASH_LOG);
        FastMatcher {
            data: Vec::with_capacity(len),
            block_start: 0,
            short: vec![0; 1 << hash_log],
            long: vec![0; 1 << hash_log],
            hash_log,
            last_offset: 0,
            lazy,
            len,
        }
    }

    fn read_u64(&self, at: usize) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.data[at..at + 8]);
        u64::from_le_bytes(b)
    }

    /// The top `hash_log` bits of the low `bytes` bytes at `at`,
    /// multiplied by a large odd constant.
    fn hash(&self, at: usize, bytes: usize) -> usize {
        let v = self.read_u64(at) << (64 - 8 * bytes);
        (v.wrapping_mul(0xcf1b_bcdc_b7a5_6463) >> (64 - self.hash_log)) as usize
    }

    fn insert(&mut self, at: usize) {
        let (s, l) = (self.hash(at, SHORT), self.hash(at, LONG));
        self.short[s] = at as u32 + 1;
        self.long[l] = at as u32 + 1;
    }

    /// The bytes at `a` and `b` (a < b) have in common, up to `end`.
    fn common(&self, mut a: usize, mut b: usize, end: usize) -> usize {
        let start = b;
        while b + 8 <= end {
            let x = self.read_u64(a) ^ self.read_u64(b);
            if x != 0 {
                return b - start + (x.trailing_zeros() / 8) as usize;
            }
            a += 8;
            b += 8;
        }
        while b < end && self.data[a] == self.data[b] {
            a += 1;
            b += 1;
        }
        b - start
    }

    /// The longest match at `ip` among the last offset's (at least 4
    /// bytes: it costs little to name), the long table's (8) and the short
    /// table's (SHORT): its source position and length.
    fn find(&mut self, ip: usize, end: usize) -> Option<(usize, usize)> {
        let (hs, hl) = (self.hash(ip, SHORT), self.hash(ip, LONG));
        let (short, long) = (self.short[hs] as usize, self.long[hl] as usize);
        self.short[hs] = ip as u32 + 1;
        self.long[hl] = ip as u32 + 1;
        let here = self.read_u64(ip);
        let mut best: Option<(usize, usize)> = None;
        let mut consider = |src: usize, min: usize, this: &Self| {
            let mask = if min >= 8 { u64::MAX } else { (1u64 << (8 * min)) - 1 };
            if (this.read_u64(src) ^ here) & mask != 0 {
                return;
            }
            let len = this.common(src, ip, end);
            if best.is_none_or(|(_, l)| len > l) {
                best = Some((src, len));
            }
        };
        let off = self.last_offset;
        if off != 0 && off <= ip {
            consider(ip - off, 4, self);
        }
        if long != 0 {
            consider(long - 1, LONG, self);
        }
        if short != 0 && short != long {
            consider(short - 1, SHORT, self);
        }
        best
    }

    fn match_block(&mut self, mut emit: impl for<'a> FnMut(Sequence<'a>)) {
        let end = self.data.len();
        let mut anchor = self.block_start;
        // The block's first sequence keeps at least one literal: ruzstd's
        // FSE table builder panics when every sequence of a block has
        // none (literal-length code 0 as the only symbol).
        let mut floor = anchor + 1;
        let mut ip = floor;
        // Hashing reads 8 bytes.
        while ip + 8 <= end {
            let Some((mut src, mut len)) = self.find(ip, end) else {
                ip += 1 + ((ip - anchor) >> SKIP_LOG);
                continue;
            };
            // One step of lazy matching: a longer match one byte on wins.
            if self.lazy && len < LAZY_BELOW && ip + 9 <= end {
                if let Some((s1, l1)) = self.find(ip + 1, end) {
                    if l1 > len + 1 {
                        ip += 1;
                        (src, len) = (s1, l1);
                    }
                }
            }
            while ip > floor && src > 0 && self.data[ip - 1] == self.data[src - 1] {
                ip -= 1;
                src -= 1;
                len += 1;
            }
            let offset = ip - src;
            self.last_offset = offset;
            emit(Sequence::Triple { literals: &self.data[anchor..ip], offset, match_len: len });
            ip += len;
            anchor = ip;
            floor = ip;
            // Positions inside the match are indexed sparsely, the ones
            // just before its end too, where the next match often starts.
            if ip + 8 <= end {
                self.insert(ip - 2);
                self.insert(ip - len / 2);
            }
        }
        if anchor < end {
            emit(Sequence::Literals { literals: &self.data[anchor..end] });
        }
    }
}

impl Matcher for FastMatcher {
    fn get_next_space(&mut self) -> Vec<u8> {
        // Empty once the frame is all in: the compressor then ends it.
        vec![0; (self.len - self.data.len()).min(BLOCK_MAX)]
    }

    fn get_last_space(&mut self) -> &[u8] {
        &self.data[self.block_start..]
    }

    fn commit_space(&mut self, space: Vec<u8>) {
        self.block_start = self.data.len();
        self.data.extend_from_slice(&space);
    }

    fn skip_matching(&mut self) {
        let end = self.data.len();
        let mut at = self.block_start;
        while at + 8 <= end {
            self.insert(at);
            at += 4;
        }
    }

    fn start_matching(&mut self, handle_sequence: impl for<'a> FnMut(Sequence<'a>)) {
        self.match_block(handle_sequence);
    }

    fn reset(&mut self, _level: CompressionLevel) {
        self.data.clear();
        self.block_start = 0;
        self.short.fill(0);
        self.long.fill(0);
        self.last_offset = 0;
    }

    fn window_size(&self) -> u64 {
        // zstd's smallest window is 1 KiB; the frame is the window.
        self.len.next_power_of_two().max(1024) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frame's length at the greedy level, having checked that both
    /// levels' frames decode to `data`.
    fn round_trip(data: &[u8]) -> usize {
        let mut sizes = [0; 2];
        for (i, level) in [1, LAZY_LEVEL].into_iter().enumerate() {
            let packed = compress(data, level);
            let mut out = vec![0u8; data.len() + 4096];
            let n = ruzstd::decoding::FrameDecoder::new().decode_all(&packed, &mut out).unwrap();
            assert_eq!(&out[..n], data);
            sizes[i] = packed.len();
        }
        sizes[0]
    }

    #[test]
    fn round_trips() {
        let text: Vec<u8> =
            b"the quick brown fox jumps over the lazy dog\n".iter().copied().cycle().take(300_000).collect();
        assert!(round_trip(&text) < 2000);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..200_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        round_trip(&noise);
        for len in [0, 1, 7, 8, 9, 4096, 131_072, 131_073] {
            round_trip(&text[..len]);
            round_trip(&noise[..len]);
        }
        let mut mixed = noise[..50_000].to_vec();
        mixed.extend_from_slice(&noise[..50_000]);
        mixed.extend_from_slice(&text[..100_000]);
        let n = round_trip(&mixed);
        assert!(n < 60_000, "{n}");
    }
}
