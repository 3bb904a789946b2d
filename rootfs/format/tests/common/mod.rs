//! Helpers shared by the library's integration tests.
#![allow(dead_code)]

use std::sync::atomic::{AtomicI64, Ordering};

use kestrelfs::{fsck, BlockDevice, Compression, FormatOptions, Fs, MemDevice, OpenOptions, Platform, Timespec};

/// A clock that ticks one millisecond (and a few nanoseconds) per reading.
pub struct TestClock(AtomicI64);

impl Platform for TestClock {
    fn now(&self) -> Timespec {
        let t = self.0.fetch_add(1_000_003, Ordering::Relaxed);
        Timespec { sec: 1_700_000_000 + t / 1_000_000_000, nsec: (t % 1_000_000_000) as u32 }
    }
}

pub fn clock() -> Box<dyn Platform> {
    Box::new(TestClock(AtomicI64::new(0)))
}

pub fn format(blocks: u64, compression: Compression) -> Fs<MemDevice> {
    let opts = FormatOptions { compression, ..FormatOptions::default() };
    Fs::format(MemDevice::new(blocks), &opts, clock()).expect("format")
}

pub fn open<D: BlockDevice>(dev: D) -> Fs<D> {
    Fs::open(dev, OpenOptions::default(), clock()).expect("open")
}

/// Runs fsck and fails the test with its problems if there are any.
pub fn assert_clean<D: BlockDevice>(dev: &mut D) {
    let report = fsck::check(dev).expect("fsck runs");
    let msgs: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(msgs.is_empty(), "fsck found problems:\n{}", msgs.join("\n"));
}

/// Deterministic pseudo-random numbers (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Compressible text of `n` bytes.
pub fn text(n: usize, seed: u64) -> Vec<u8> {
    let words = ["kestrel ", "falcon ", "hovers ", "over ", "the ", "field ", "and ", "dives\n", "swiftly ", "0123 "];
    let mut r = Rng(seed | 1);
    let mut out = Vec::with_capacity(n + 16);
    while out.len() < n {
        out.extend_from_slice(words[r.below(words.len() as u64) as usize].as_bytes());
    }
    out.truncate(n);
    out
}
