//! `export`: a file's stored chunks as a standard compressed stream that
//! `lz4 -d` or `zstd -d` decodes to the file's bytes.
//!
//! lz4: one lz4 frame (the frame format, magic 0x184D2204) with
//! independent blocks; every chunk stored as lz4 becomes one block
//! verbatim, other chunks (raw, zstd, zero ranges) become blocks encoded
//! here. zstd: a sequence of zstd frames (zstd -d concatenates them); every
//! chunk stored as zstd is a frame verbatim, other ranges are compressed
//! here.

use std::io::Write;

use kestrelfs::{Algorithm, BlockDevice, Fs};

use crate::xxh32::xxh32;
use crate::Fail;

/// What an export did: chunks copied as stored, ranges encoded here.
#[derive(Debug, Default)]
pub struct Exported {
    pub verbatim: u64,
    pub encoded: u64,
}

/// One piece of the file, in order: stored bytes to copy, or plain bytes.
enum Piece {
    Stored(Vec<u8>),
    Plain(Vec<u8>),
}

fn pieces<D: BlockDevice>(fs: &mut Fs<D>, ino: u64, want: Algorithm) -> Result<Vec<Piece>, kestrelfs::Error> {
    let inode = fs.inode(ino)?;
    if let kestrelfs::Layout::Inline(data) = inode.layout {
        return Ok(vec![Piece::Plain(data)]);
    }
    let size = inode.size;
    let c = fs.chunk_size();
    let mut out = Vec::new();
    let mut pos = 0;
    for (index, ptr) in fs.chunks(ino)? {
        let start = index * c;
        if start > pos {
            out.extend(zeros(start - pos, c));
        }
        if ptr.algorithm == want {
            out.push(Piece::Stored(fs.read_stored(ino, index, &ptr)?));
        } else {
            let mut buf = vec![0u8; ptr.logical_len as usize];
            fs.read(ino, start, &mut buf)?;
            out.push(Piece::Plain(buf));
        }
        pos = start + ptr.logical_len as u64;
    }
    if size > pos {
        out.extend(zeros(size - pos, c));
    }
    Ok(out)
}

fn zeros(mut n: u64, max: u64) -> Vec<Piece> {
    let mut out = Vec::new();
    while n > 0 {
        let k = n.min(max);
        out.push(Piece::Plain(vec![0; k as usize]));
        n -= k;
    }
    out
}

/// Writes an lz4 frame of file `ino`.
pub fn lz4<D: BlockDevice>(fs: &mut Fs<D>, ino: u64, out: &mut dyn Write) -> Result<Exported, Fail> {
    let size = fs.inode(ino).map_err(Fail::Lib)?.size;
    let c = fs.chunk_size();
    // Block maximum size code: 4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB.
    let bd = match c {
        0..=65536 => 4u8,
        65537..=262144 => 5,
        262145..=1048576 => 6,
        _ => 7,
    };
    // FLG: version 01, independent blocks, content size present.
    let mut desc = vec![0b0110_1000u8, bd << 4];
    desc.extend_from_slice(&size.to_le_bytes());
    let mut frame = 0x184D_2204u32.to_le_bytes().to_vec();
    frame.extend_from_slice(&desc);
    frame.push((xxh32(&desc, 0) >> 8) as u8);
    out.write_all(&frame).map_err(Fail::Write)?;
    let mut done = Exported::default();
    for p in pieces(fs, ino, Algorithm::Lz4).map_err(Fail::Lib)? {
        let (bytes, raw) = match p {
            Piece::Stored(s) => {
                done.verbatim += 1;
                (s, false)
            }
            Piece::Plain(plain) => {
                done.encoded += 1;
                let packed = lz4_flex::compress(&plain);
                if packed.len() < plain.len() {
                    (packed, false)
                } else {
                    (plain, true)
                }
            }
        };
        let mut len = bytes.len() as u32;
        if raw {
            len |= 0x8000_0000;
        }
        out.write_all(&len.to_le_bytes()).map_err(Fail::Write)?;
        out.write_all(&bytes).map_err(Fail::Write)?;
    }
    out.write_all(&0u32.to_le_bytes()).map_err(Fail::Write)?;
    Ok(done)
}

/// Writes zstd frames of file `ino`.
pub fn zstd<D: BlockDevice>(fs: &mut Fs<D>, ino: u64, out: &mut dyn Write) -> Result<Exported, Fail> {
    let mut done = Exported::default();
    let pieces = pieces(fs, ino, Algorithm::Zstd).map_err(Fail::Lib)?;
    if pieces.is_empty() {
        let frame = zstd::bulk::compress(&[], 3).map_err(Fail::Write)?;
        out.write_all(&frame).map_err(Fail::Write)?;
    }
    for p in pieces {
        let frame = match p {
            Piece::Stored(s) => {
                done.verbatim += 1;
                s
            }
            Piece::Plain(plain) => {
                done.encoded += 1;
                zstd::bulk::compress(&plain, 3).map_err(Fail::Write)?
            }
        };
        out.write_all(&frame).map_err(Fail::Write)?;
    }
    Ok(done)
}
