//! Unpacking of the initramfs (cpio "newc" format, as Linux reads it) into
//! the RAM filesystem. A damaged archive stops the unpacking with a log
//! line naming what is wrong; what was unpacked before stays.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Timespec, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};

use super::create::{create_in, symlink_in};
use super::inode::Inode;
use super::{namei, ramfs};

const HEADER_LEN: usize = 110;
const TRAILER: &[u8] = b"TRAILER!!!";

struct Header {
    ino: u32,
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u32,
    mtime: u32,
    filesize: usize,
    devmajor: u32,
    devminor: u32,
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
        ino: hex_field(h, 0)?,
        mode: hex_field(h, 1)?,
        uid: hex_field(h, 2)?,
        gid: hex_field(h, 3)?,
        nlink: hex_field(h, 4)?,
        mtime: hex_field(h, 5)?,
        filesize: hex_field(h, 6)? as usize,
        devmajor: hex_field(h, 7)?,
        devminor: hex_field(h, 8)?,
        rdevmajor: hex_field(h, 9)?,
        rdevminor: hex_field(h, 10)?,
        namesize: hex_field(h, 11)? as usize,
    })
}

const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// State across entries: hard links seen, and directories whose times are
/// set at the end (adding their entries changed them).
#[derive(Default)]
struct Unpacker {
    links: BTreeMap<(u32, u32, u32), Arc<Inode>>,
    dirs: Vec<(Arc<Inode>, i64)>,
}

/// Unpacks every entry; returns the number of entries or an error message.
pub fn unpack(archive: &[u8]) -> Result<usize, &'static str> {
    let mut state = Unpacker::default();
    let result = unpack_entries(archive, &mut state);
    for (dir, mtime) in &state.dirs {
        set_times(dir, *mtime);
    }
    result
}

fn unpack_entries(archive: &[u8], state: &mut Unpacker) -> Result<usize, &'static str> {
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
            state.links.clear();
            continue;
        }
        state.add_entry(name, &hdr, data)?;
        count += 1;
    }
}

/// The archive's mtime for atime and mtime, as Linux's unpacker sets them.
fn set_times(inode: &Inode, mtime: i64) {
    let t = Timespec { tv_sec: mtime, tv_nsec: 0 };
    let mut i = inode.lock();
    i.atime = t;
    i.mtime = t;
}

/// The archive's owner and mode, applied after creation as Linux does (so
/// the umask does not apply, and an existing directory takes them too).
fn set_owner(inode: &Inode, hdr: &Header) {
    let mut i = inode.lock();
    i.uid = hdr.uid;
    i.gid = hdr.gid;
    i.mode = (i.mode & S_IFMT) | (hdr.mode & 0o7777);
}

impl Unpacker {
    fn add_entry(&mut self, name: &[u8], hdr: &Header, data: &[u8]) -> Result<(), &'static str> {
        let path: Vec<u8> = if name.starts_with(b"/") { name.to_vec() } else { [b"/", name].concat() };
        let parent = namei::lookup_parent(abi::AT_FDCWD, &path).map_err(|_| "entry's parent directory is missing")?;
        if parent.kind != namei::LastKind::Normal {
            // "." is the root itself: it takes the archive's owner and mode.
            let root = ramfs::root();
            set_owner(&root, hdr);
            self.dirs.push((root, i64::from(hdr.mtime)));
            return Ok(());
        }
        let (dir, leaf) = (&parent.dir, parent.name.as_slice());
        let existing = parent.existing().map_err(|_| "entry's parent is not a directory")?;
        let kind = hdr.mode & S_IFMT;
        if let Some(old) = existing {
            if kind == S_IFDIR && old.is_dir() {
                set_owner(&old, hdr);
                self.dirs.push((old, i64::from(hdr.mtime)));
                return Ok(());
            }
            // A later entry replaces an earlier one of the same name.
            let _ns = ramfs::namespace_lock();
            if old.is_dir() && !old.lock().dir().is_ok_and(|d| d.is_empty()) {
                return Err("entry replaces a non-empty directory");
            }
            ramfs::remove_entry(dir, leaf).map_err(|_| "cannot replace an entry")?;
        }
        let key = (hdr.devmajor, hdr.devminor, hdr.ino);
        let linked = if kind == S_IFREG && hdr.nlink >= 2 { self.links.get(&key).cloned() } else { None };
        let inode = match linked {
            Some(first) => {
                let _ns = ramfs::namespace_lock();
                super::create::enter(dir, leaf, &first).map_err(|_| "cannot add a hard link")?;
                first
            }
            None => {
                let rdev = abi::makedev(hdr.rdevmajor, hdr.rdevminor);
                let made = match kind {
                    S_IFLNK => symlink_in(dir, leaf, data.to_vec()),
                    S_IFDIR | S_IFREG => create_in(dir, leaf, hdr.mode, 0),
                    _ => create_in(dir, leaf, hdr.mode, rdev),
                };
                made.map_err(|_| "cannot create an entry")?
            }
        };
        if kind == S_IFREG && !data.is_empty() {
            let mut i = inode.lock();
            let file = i.file_mut().map_err(|_| "not a regular file")?;
            file.truncate(0);
            if file.write(0, data).ok() != Some(data.len()) {
                return Err("out of memory for file data");
            }
        }
        if kind == S_IFREG && hdr.nlink >= 2 {
            self.links.insert(key, inode.clone());
        }
        set_owner(&inode, hdr);
        if kind == S_IFDIR {
            self.dirs.push((inode, i64::from(hdr.mtime)));
        } else {
            set_times(&inode, i64::from(hdr.mtime));
        }
        Ok(())
    }
}
