//! Chunk compression: none, lz4 (a raw lz4 block, no frame) or zstd (one
//! complete zstd frame). A chunk is stored compressed only when that saves
//! at least one 4 KiB block; otherwise it is stored raw.

use alloc::vec;
use alloc::vec::Vec;

use crate::device::BLOCK_SIZE;
use crate::error::ChunkFault;
use crate::layout::blocks_for;

/// How a chunk's bytes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    None,
    Lz4,
    Zstd,
}

impl Algorithm {
    /// The on-disk code (superblock default, chunk pointers).
    pub fn code(self) -> u8 {
        match self {
            Algorithm::None => 0,
            Algorithm::Lz4 => 1,
            Algorithm::Zstd => 2,
        }
    }

    pub fn from_code(c: u8) -> Option<Algorithm> {
        Some(match c {
            0 => Algorithm::None,
            1 => Algorithm::Lz4,
            2 => Algorithm::Zstd,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::None => "none",
            Algorithm::Lz4 => "lz4",
            Algorithm::Zstd => "zstd",
        }
    }
}

/// An algorithm and its level (0: the algorithm's default; zstd takes
/// -7..=22, lz4 and none ignore it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Compression {
    pub algorithm: Algorithm,
    pub level: i8,
}

impl Compression {
    pub const NONE: Compression = Compression { algorithm: Algorithm::None, level: 0 };
    pub const LZ4: Compression = Compression { algorithm: Algorithm::Lz4, level: 0 };
    pub const ZSTD: Compression = Compression { algorithm: Algorithm::Zstd, level: 0 };

    /// Parses btrfs's spelling: `none`, `lz4`, `zstd`, `zstd:LEVEL`.
    pub fn parse(s: &str) -> Option<Compression> {
        let (name, level) = match s.split_once(':') {
            Some((n, l)) => (n, l.parse::<i8>().ok()?),
            None => (s, 0),
        };
        let algorithm = match name {
            "none" | "no" => Algorithm::None,
            "lz4" => Algorithm::Lz4,
            "zstd" => Algorithm::Zstd,
            _ => return None,
        };
        if level != 0 && (algorithm != Algorithm::Zstd || !(-7..=22).contains(&level)) {
            return None;
        }
        Some(Compression { algorithm, level })
    }
}

impl core::fmt::Display for Compression {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.level {
            0 => write!(f, "{}", self.algorithm.name()),
            l => write!(f, "{}:{l}", self.algorithm.name()),
        }
    }
}

/// A zstd encoder other than the built-in one (`zstd_fast`), which a
/// platform may provide: the host tool's is libzstd with its levels (the
/// kernel uses the built-in one).
pub trait ZstdEncoder {
    /// One complete zstd frame holding `data`, at `level` (0: default).
    fn compress(&self, data: &[u8], level: i8) -> Vec<u8>;
}

/// Compresses one chunk. Returns the algorithm actually used and the
/// stored bytes: raw when compression does not save a block, when the
/// chunk fits in one block (so it cannot), or when a sample shows it will
/// not (`heuristic`).
pub fn compress_chunk(data: &[u8], c: Compression, zstd: Option<&dyn ZstdEncoder>) -> (Algorithm, Vec<u8>) {
    let packed = match c.algorithm {
        Algorithm::None => None,
        // One block is the least a chunk takes: nothing to save.
        _ if blocks_for(data.len() as u64) <= 1 => None,
        _ if !crate::heuristic::worth_compressing(data) => None,
        Algorithm::Lz4 => Some(lz4_flex::compress(data)),
        Algorithm::Zstd => Some(match zstd {
            Some(enc) => enc.compress(data, c.level),
            None => crate::zstd_fast::compress(data, c.level),
        }),
    };
    match packed {
        Some(p) if !p.is_empty() && blocks_for(p.len() as u64) < blocks_for(data.len() as u64) => (c.algorithm, p),
        _ => (Algorithm::None, data.to_vec()),
    }
}

/// Decompresses a stored chunk into `out`, whose length is the chunk's
/// logical length; fails unless exactly that many bytes come out.
pub fn decompress_chunk(algo: Algorithm, stored: &[u8], out: &mut [u8]) -> Result<(), ChunkFault> {
    let expected = out.len() as u32;
    let got = match algo {
        Algorithm::None => {
            if stored.len() != out.len() {
                return Err(ChunkFault::LengthMismatch { expected, found: stored.len() as u32 });
            }
            out.copy_from_slice(stored);
            out.len()
        }
        Algorithm::Lz4 => lz4_flex::decompress_into(stored, out).map_err(|_| ChunkFault::Undecodable)?,
        Algorithm::Zstd => {
            // Decode into a buffer with room to spare, so a frame that is
            // longer than promised is reported as such, not truncated.
            let mut buf = vec![0u8; out.len() + BLOCK_SIZE];
            let mut dec = ruzstd::decoding::FrameDecoder::new();
            let n = dec.decode_all(stored, &mut buf).map_err(|_| ChunkFault::Undecodable)?;
            if n == out.len() {
                out.copy_from_slice(&buf[..n]);
            }
            n
        }
    };
    if got != out.len() {
        return Err(ChunkFault::LengthMismatch { expected, found: got as u32 });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        assert_eq!(Compression::parse("zstd:19"), Some(Compression { algorithm: Algorithm::Zstd, level: 19 }));
        assert_eq!(Compression::parse("lz4"), Some(Compression::LZ4));
        assert_eq!(Compression::parse("lz4:3"), None);
        assert_eq!(Compression::parse("zlib"), None);
        assert_eq!(alloc::format!("{}", Compression::parse("zstd:3").unwrap()), "zstd:3");
    }

    #[test]
    fn round_trips_and_raw_fallback() {
        let text: Vec<u8> =
            b"the quick brown fox jumps over the lazy dog\n".iter().copied().cycle().take(100_000).collect();
        for c in [Compression::NONE, Compression::LZ4, Compression::ZSTD] {
            let (algo, stored) = compress_chunk(&text, c, None);
            assert_eq!(algo, c.algorithm);
            let mut out = vec![0; text.len()];
            decompress_chunk(algo, &stored, &mut out).unwrap();
            assert_eq!(out, text);
        }
        // Pseudo-random bytes do not compress: stored raw.
        let mut x = 0x1234_5678u32;
        let noise: Vec<u8> = (0..65536)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        assert_eq!(compress_chunk(&noise, Compression::LZ4, None).0, Algorithm::None);
        assert_eq!(compress_chunk(&noise, Compression::ZSTD, None).0, Algorithm::None);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut out = vec![0u8; 4096];
        for seed in 0..200u32 {
            let junk: Vec<u8> = (0..300u32).map(|i| (i.wrapping_mul(seed + 7) >> 3) as u8).collect();
            let _ = decompress_chunk(Algorithm::Lz4, &junk, &mut out);
            let _ = decompress_chunk(Algorithm::Zstd, &junk, &mut out);
        }
    }
}
