//! `mkfs`: a filesystem image from a directory tree, keeping types, mode,
//! owner, times, symlinks, hard links and device numbers.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use kestrelfs::inode::*;
use kestrelfs::{BlockDevice, Fs, NewInode, SetAttr, Timespec};

use crate::Fail;

/// Linux's dev_t split (glibc's gnu_dev_major / gnu_dev_minor).
pub fn split_dev(rdev: u64) -> (u32, u32) {
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    (major as u32, minor as u32)
}

fn ts(sec: i64, nsec: i64) -> Timespec {
    Timespec { sec, nsec: nsec as u32 }
}

fn attrs(m: &fs::Metadata) -> SetAttr {
    SetAttr {
        mode: Some(m.mode() & 0o7777),
        uid: Some(m.uid()),
        gid: Some(m.gid()),
        atime: Some(ts(m.atime(), m.atime_nsec())),
        mtime: Some(ts(m.mtime(), m.mtime_nsec())),
        ctime: Some(ts(m.ctime(), m.ctime_nsec())),
    }
}

/// What mkfs copied.
#[derive(Default, Debug)]
pub struct Copied {
    pub files: u64,
    pub bytes: u64,
}

pub struct Builder<'a, D: BlockDevice> {
    fs: &'a mut Fs<D>,
    /// Source (dev, ino) of multiply-linked files already copied.
    links: HashMap<(u64, u64), u64>,
    pub copied: Copied,
    /// Every file's owner in the image, whoever owns the source (`--owner`).
    pub owner: Option<(u32, u32)>,
}

impl<'a, D: BlockDevice> Builder<'a, D> {
    pub fn new(fs: &'a mut Fs<D>) -> Self {
        Builder { fs, links: HashMap::new(), copied: Copied::default(), owner: None }
    }

    /// The source's metadata as stored: its own, or with `--owner`'s owner.
    fn attrs(&self, m: &fs::Metadata) -> SetAttr {
        let mut a = attrs(m);
        if let Some((uid, gid)) = self.owner {
            a.uid = Some(uid);
            a.gid = Some(gid);
        }
        a
    }

    /// Copies the tree under `src` into the root directory.
    pub fn copy_tree(&mut self, src: &Path) -> Result<(), Fail> {
        let meta = fs::symlink_metadata(src).map_err(|e| Fail::io(src, e))?;
        if !meta.is_dir() {
            return Err(Fail::Usage(format!("{} is not a directory", src.display())));
        }
        let root = self.fs.root();
        self.copy_dir(src, root)?;
        self.fs.set_attr(root, &self.attrs(&meta)).map_err(|e| Fail::fs(src, e))
    }

    fn copy_dir(&mut self, src: &Path, dir: u64) -> Result<(), Fail> {
        let mut names: Vec<_> = fs::read_dir(src)
            .map_err(|e| Fail::io(src, e))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()
            .map_err(|e| Fail::io(src, e))?;
        names.sort();
        for name in names {
            let path = src.join(&name);
            self.copy_entry(&path, dir, name.as_encoded_bytes())?;
        }
        Ok(())
    }

    fn copy_entry(&mut self, path: &Path, dir: u64, name: &[u8]) -> Result<(), Fail> {
        let m = fs::symlink_metadata(path).map_err(|e| Fail::io(path, e))?;
        let key = (m.dev(), m.ino());
        if !m.is_dir() && m.nlink() > 1 {
            if let Some(&ino) = self.links.get(&key) {
                return self.fs.link(ino, dir, name).map_err(|e| Fail::fs(path, e));
            }
        }
        let ft = m.file_type();
        let fail = |e| Fail::fs(path, e);
        let ino = if ft.is_dir() {
            let ino = self.fs.mkdir(dir, name, m.mode(), m.uid(), m.gid()).map_err(fail)?;
            self.copy_dir(path, ino)?;
            ino
        } else if ft.is_symlink() {
            let target = fs::read_link(path).map_err(|e| Fail::io(path, e))?;
            self.fs.symlink(dir, name, target.as_os_str().as_encoded_bytes(), m.uid(), m.gid()).map_err(fail)?
        } else {
            let kind = if ft.is_file() {
                S_IFREG
            } else if ft.is_char_device() {
                S_IFCHR
            } else if ft.is_block_device() {
                S_IFBLK
            } else if ft.is_fifo() {
                S_IFIFO
            } else {
                S_IFSOCK
            };
            let (rdev_major, rdev_minor) = split_dev(m.rdev());
            let new =
                NewInode { rdev_major, rdev_minor, ..NewInode::new(kind | (m.mode() & 0o7777), m.uid(), m.gid()) };
            let ino = self.fs.create(dir, name, &new).map_err(fail)?;
            if ft.is_file() {
                self.copy_data(path, ino)?;
            }
            ino
        };
        if !m.is_dir() && m.nlink() > 1 {
            self.links.insert(key, ino);
        }
        self.copied.files += 1;
        self.fs.set_attr(ino, &self.attrs(&m)).map_err(|e| Fail::fs(path, e))
    }

    fn copy_data(&mut self, path: &Path, ino: u64) -> Result<(), Fail> {
        let mut f = fs::File::open(path).map_err(|e| Fail::io(path, e))?;
        let mut buf = vec![0u8; 1 << 20];
        let mut off = 0u64;
        loop {
            let n = f.read(&mut buf).map_err(|e| Fail::io(path, e))?;
            if n == 0 {
                break;
            }
            self.fs.write(ino, off, &buf[..n]).map_err(|e| Fail::fs(path, e))?;
            off += n as u64;
        }
        self.copied.bytes += off;
        Ok(())
    }
}

/// Bytes and entries under `src`, to size an image.
pub fn measure(src: &Path) -> Result<(u64, u64), Fail> {
    let mut bytes = 0;
    let mut entries = 0;
    let mut stack = vec![src.to_path_buf()];
    while let Some(p) = stack.pop() {
        for e in fs::read_dir(&p).map_err(|e| Fail::io(&p, e))? {
            let e = e.map_err(|e| Fail::io(&p, e))?;
            let m = fs::symlink_metadata(e.path()).map_err(|x| Fail::io(&e.path(), x))?;
            entries += 1;
            bytes += m.len().div_ceil(4096) * 4096;
            if m.is_dir() {
                stack.push(e.path());
            }
        }
    }
    Ok((bytes, entries))
}
