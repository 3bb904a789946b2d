//! `kestrel-fs bench`: compression ratio and decompression throughput of
//! the filesystem's own chunk compression (`kestrelfs::compress`), on a
//! directory tree (the busybox rootfs) and on a text corpus (the
//! repository's *.md and *.rs files, concatenated in path order).
//!
//! Each file is cut into chunks of the filesystem's chunk size and each
//! chunk compressed as the filesystem stores it: raw when compression does
//! not save a 4 KiB block. lz4 is lz4_flex; "zstd" is libzstd at level 3 (what
//! `mkfs` writes), "zstd:1" libzstd at level 1 (what btrfs's `compress=zstd:1`
//! writes), "zstd-fast" the library's built-in encoder (`zstd_fast`, what the
//! kernel writes).
//! Decompression is the library's `decompress_chunk` (lz4_flex, ruzstd),
//! the code the kernel runs. MB is 10^6 bytes; speeds are printed, never judged.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kestrelfs::compress::{compress_chunk, decompress_chunk};
use kestrelfs::error::ChunkFault;
use kestrelfs::layout::DEFAULT_CHUNK;
use kestrelfs::{Algorithm, Compression, Corruption, Error, ZstdEncoder, BLOCK_SIZE};

use crate::host::LibZstd;
use crate::{Args, Fail};

/// Every regular file under `dir` (symbolic links not followed), in path order.
fn files_under(dir: &Path, skip: &[&str], out: &mut Vec<PathBuf>) -> Result<(), Fail> {
    let mut entries: Vec<_> =
        fs::read_dir(dir).map_err(|e| Fail::io(dir, e))?.collect::<Result<_, _>>().map_err(|e| Fail::io(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        let t = e.file_type().map_err(|err| Fail::io(&p, err))?;
        if t.is_dir() {
            if !name.starts_with('.') && !skip.contains(&name.as_ref()) {
                files_under(&p, skip, out)?;
            }
        } else if t.is_file() {
            out.push(p);
        }
    }
    Ok(())
}

/// The chunks of every file, as the filesystem cuts them.
fn chunks_of(files: &[PathBuf], chunk: usize) -> Result<Vec<Vec<u8>>, Fail> {
    let mut out = Vec::new();
    for p in files {
        let data = fs::read(p).map_err(|e| Fail::io(p, e))?;
        out.extend(data.chunks(chunk).map(|c| c.to_vec()));
    }
    Ok(out)
}

struct Figures {
    logical: u64,
    stored: u64,
    stored_blocks: u64,
    compressed_chunks: usize,
    compress_mbs: f64,
    decompress_mbs: f64,
}

fn mbs(bytes: u64, t: Duration) -> f64 {
    bytes as f64 / 1e6 / t.as_secs_f64().max(1e-9)
}

fn measure(chunks: &[Vec<u8>], c: Compression, zstd: Option<&dyn ZstdEncoder>) -> Result<Figures, Fail> {
    let logical: u64 = chunks.iter().map(|c| c.len() as u64).sum();
    let start = Instant::now();
    let stored: Vec<(Algorithm, Vec<u8>, usize)> = chunks
        .iter()
        .map(|d| {
            let (a, s) = compress_chunk(d, c, zstd);
            (a, s, d.len())
        })
        .collect();
    let compress_time = start.elapsed();
    let mut out = vec![0u8; DEFAULT_CHUNK as usize * 8];
    // Decompress everything repeatedly for at least half a second.
    let (mut rounds, mut spent) = (0u64, Duration::ZERO);
    while spent < Duration::from_millis(500) || rounds == 0 {
        let start = Instant::now();
        for (index, (a, s, n)) in stored.iter().enumerate() {
            let fault = |fault| Fail::Lib(Error::Corrupt(Corruption::Chunk { ino: 0, index: index as u64, fault }));
            decompress_chunk(*a, s, &mut out[..*n]).map_err(fault)?;
            if rounds == 0 && out[..*n] != chunks[index][..] {
                return Err(Fail::Lib(Error::Corrupt(Corruption::Chunk {
                    ino: 0,
                    index: index as u64,
                    fault: ChunkFault::Undecodable,
                })));
            }
        }
        spent += start.elapsed();
        rounds += 1;
    }
    Ok(Figures {
        logical,
        stored: stored.iter().map(|(_, s, _)| s.len() as u64).sum(),
        stored_blocks: stored.iter().map(|(_, s, _)| s.len().div_ceil(BLOCK_SIZE) as u64).sum(),
        compressed_chunks: stored.iter().filter(|(a, _, _)| *a != Algorithm::None).count(),
        compress_mbs: mbs(logical, compress_time),
        decompress_mbs: mbs(logical * rounds, spent),
    })
}

fn report(corpus: &str, files: usize, chunks: &[Vec<u8>], chunk: usize) -> Result<(), Fail> {
    let logical: u64 = chunks.iter().map(|c| c.len() as u64).sum();
    let blocks: u64 = chunks.iter().map(|c| c.len().div_ceil(BLOCK_SIZE) as u64).sum();
    println!(
        "fs-bench: {corpus}: {files} files, {} chunks of up to {} KiB, {:.1} MB ({blocks} blocks raw)",
        chunks.len(),
        chunk / 1024,
        logical as f64 / 1e6
    );
    let zstd: &dyn ZstdEncoder = &LibZstd;
    let choices: [(&str, Compression, Option<&dyn ZstdEncoder>); 5] = [
        ("none", Compression::NONE, None),
        ("lz4", Compression::LZ4, None),
        ("zstd", Compression::ZSTD, Some(zstd)),
        ("zstd:1", Compression { level: 1, ..Compression::ZSTD }, Some(zstd)),
        ("zstd-fast", Compression::ZSTD, None),
    ];
    for (name, c, enc) in choices {
        let f = measure(chunks, c, enc)?;
        println!(
            "fs-bench: {corpus}: {name:<12} ratio {:.2} (bytes) {:.2} (blocks), {}/{} chunks compressed, \
             compress {:.0} MB/s, decompress {:.0} MB/s",
            f.logical as f64 / f.stored.max(1) as f64,
            blocks as f64 / f.stored_blocks.max(1) as f64,
            f.compressed_chunks,
            chunks.len(),
            f.compress_mbs,
            f.decompress_mbs
        );
    }
    Ok(())
}

/// kestrel-fs bench [--rootfs DIR] [--text DIR] [--chunk-size BYTES]
pub fn bench(args: &Args) -> Result<(), Fail> {
    args.check(&["--rootfs", "--text", "--chunk-size"], 0, 0)?;
    let chunk = match args.value("--chunk-size") {
        Some(v) => v.parse::<usize>().map_err(|_| Fail::Usage(format!("bad --chunk-size {v}")))?,
        None => DEFAULT_CHUNK as usize,
    };
    if !chunk.is_power_of_two() || !(4096..=1 << 20).contains(&chunk) {
        return Err(Fail::Usage(format!("--chunk-size {chunk}: a power of two, 4096..=1048576")));
    }
    let rootfs = Path::new(args.value("--rootfs").unwrap_or("build/initramfs"));
    if rootfs.is_dir() {
        let mut files = Vec::new();
        files_under(rootfs, &[], &mut files)?;
        let chunks = chunks_of(&files, chunk)?;
        report(&format!("rootfs {}", rootfs.display()), files.len(), &chunks, chunk)?;
    } else {
        println!("fs-bench: rootfs {}: missing, skipped (./scripts/build makes it)", rootfs.display());
    }
    let text = Path::new(args.value("--text").unwrap_or("."));
    let mut files = Vec::new();
    files_under(text, &["target", "build"], &mut files)?;
    files.retain(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("md" | "rs")));
    // One corpus, as one file: the sources concatenated in path order.
    let mut corpus = Vec::new();
    for p in &files {
        corpus.extend(fs::read(p).map_err(|e| Fail::io(p, e))?);
    }
    let chunks: Vec<Vec<u8>> = corpus.chunks(chunk).map(|c| c.to_vec()).collect();
    report(&format!("text {}/**/*.{{md,rs}}", text.display()), files.len(), &chunks, chunk)
}
