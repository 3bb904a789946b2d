//! A data-parallel computation on rayon's thread pool: `parsum N` sorts N
//! pseudo-random numbers in parallel, sums a function of them in parallel
//! and checks both against the sequential results; prints the checksum.

use std::time::Instant;

use rayon::prelude::*;

fn numbers(n: usize) -> Vec<u64> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % 1_000_000_007
        })
        .collect()
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let data = numbers(n);
    let start = Instant::now();
    let mut parallel = data.clone();
    parallel.par_sort_unstable();
    let psum: u64 = parallel.par_iter().map(|&v| v * v % 1_000_003).sum();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let mut sequential = data;
    sequential.sort_unstable();
    let ssum: u64 = sequential.iter().map(|&v| v * v % 1_000_003).sum();
    assert!(parallel == sequential && psum == ssum, "parallel and sequential results differ");
    println!("parsum: {n} numbers sorted and summed in parallel, checksum {psum}");
    eprintln!("workload parsum {ms:.1} ms");
}
