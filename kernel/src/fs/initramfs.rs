//! Unpacking of the initramfs (cpio "newc" format, as Linux reads it) into
//! the RAM filesystem. A damaged archive stops the unpacking with a log
//! line naming what is wrong; what was unpacked before stays.

use alloc::vec::Vec;

use abi::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};

use super::ramfs::{self, Inode, InodeData};

const HEADER_LEN: usize = 110;
const TRAILER: &[u8] = b"TRAILER!!!";

struct Header {
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: u32,
    filesize: usize,
    rdevmajor: u32,
    rdevminor: u32,
    namesize: usize,
}

fn hex_field(h: &[u8], index: usize) -> Result<u32, &'static str> {
    let f = &h[6 + index * 8..6 + (index + 1) * 8];
    let s = core::str::from_utf8(f).map_err(|_| "non-ASCII header")?;
    u32::from_str_radix(s, 16).map_err(|_| "bad hex number in header")
}

fn parse_header(h: &[u8]) -> Result<Header, &'static str> {
    if &h[..6] != b"070701" && &h[..6] != b"070702" {
        return Err("no cpio magic");
    }
    Ok(Header {
        mode: hex_field(h, 1)?,
        uid: hex_field(h, 2)?,
        gid: hex_field(h, 3)?,
        mtime: hex_field(h, 5)?,
        filesize: hex_field(h, 6)? as usize,
        rdevmajor: hex_field(h, 9)?,
        rdevminor: hex_field(h, 10)?,
        namesize: hex_field(h, 11)? as usize,
    })
}

const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// Unpacks every entry; returns the number of entries or an error message.
pub fn unpack(archive: &[u8]) -> Result<usize, &'static str> {
    let mut at = 0;
    let mut count = 0;
    loop {
        // Archives may be padded with zeroes (or concatenated).
        while at < archive.len() && archive[at] == 0 {
            at += 1;
        }
        if at >= archive.len() {
            return Ok(count);
        }
        let h = archive.get(at..at + HEADER_LEN).ok_or("truncated header")?;
        let hdr = parse_header(h)?;
        let name_start = at + HEADER_LEN;
        let name = archive.get(name_start..name_start + hdr.namesize).ok_or("truncated name")?;
        let name = name.strip_suffix(b"\0").ok_or("name not NUL-terminated")?;
        let data_start = align4(name_start + hdr.namesize);
        let data = archive.get(data_start..data_start + hdr.filesize).ok_or("truncated file data")?;
        at = align4(data_start + hdr.filesize);
        if name == TRAILER {
            continue;
        }
        add_entry(name, &hdr, data)?;
        count += 1;
    }
}

fn add_entry(name: &[u8], hdr: &Header, data: &[u8]) -> Result<(), &'static str> {
    let path: Vec<u8> = if name.starts_with(b"/") { name.to_vec() } else { [b"/", name].concat() };
    if path == b"/." || path == b"/" {
        return Ok(());
    }
    let (parent, leaf) = ramfs::split_parent(&path);
    let parent = ramfs::lookup(parent, true).map_err(|_| "entry's parent directory is missing")?;
    let contents = match hdr.mode & S_IFMT {
        S_IFDIR => {
            // An existing directory keeps its entries.
            if parent.child(leaf).is_ok_and(|d| d.is_dir()) {
                return Ok(());
            }
            InodeData::Dir(Default::default())
        }
        S_IFREG => InodeData::File(data.to_vec()),
        S_IFLNK => InodeData::Symlink(data.to_vec()),
        _ => InodeData::Special((u64::from(hdr.rdevmajor) << 8) | u64::from(hdr.rdevminor)),
    };
    let inode = Inode::new(hdr.mode, hdr.uid, hdr.gid, i64::from(hdr.mtime), contents);
    parent.insert(leaf, inode).map_err(|_| "entry's parent is not a directory")
}
