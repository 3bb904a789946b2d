//! `extract`: a tree from the image onto the host, with types, mode,
//! owner (when run as root), times, hard links and device numbers.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use kestrelfs::inode::FileType;
use kestrelfs::{BlockDevice, Fs, Inode, Timespec};
use rustix::fs::{makedev, mknodat, utimensat, AtFlags, FileType as RxType, Mode, Timestamps, CWD};

use crate::Fail;

pub struct Extractor<'a, D: BlockDevice> {
    fs: &'a mut Fs<D>,
    /// Multiply-linked inodes already written, and where.
    links: HashMap<u64, PathBuf>,
    as_root: bool,
}

fn timespec(t: Timespec) -> rustix::fs::Timespec {
    rustix::fs::Timespec { tv_sec: t.sec, tv_nsec: t.nsec as _ }
}

impl<'a, D: BlockDevice> Extractor<'a, D> {
    pub fn new(fs: &'a mut Fs<D>) -> Self {
        Extractor { fs, links: HashMap::new(), as_root: rustix::process::geteuid().is_root() }
    }

    /// Writes inode `ino` (a directory's contents, or one file) at `dest`.
    pub fn extract(&mut self, ino: u64, dest: &Path) -> Result<(), Fail> {
        let inode = self.fs.inode(ino).map_err(|e| Fail::fs(dest, e))?;
        if inode.is_dir() {
            fs::create_dir_all(dest).map_err(|e| Fail::io(dest, e))?;
            for (name, e) in self.fs.readdir(ino).map_err(|e| Fail::fs(dest, e))? {
                let path = dest.join(std::ffi::OsStr::from_encoded_bytes_checked(&name).unwrap_or_default());
                self.extract_entry(e.ino, &path)?;
            }
            self.finish(&inode, dest)
        } else {
            self.extract_entry(ino, dest)
        }
    }

    fn extract_entry(&mut self, ino: u64, path: &Path) -> Result<(), Fail> {
        let inode = self.fs.inode(ino).map_err(|e| Fail::fs(path, e))?;
        if inode.is_dir() {
            fs::create_dir(path).map_err(|e| Fail::io(path, e))?;
            return self.extract(ino, path);
        }
        if inode.nlink > 1 {
            if let Some(first) = self.links.get(&ino) {
                return fs::hard_link(first, path).map_err(|e| Fail::io(path, e));
            }
            self.links.insert(ino, path.to_path_buf());
        }
        let mode = Mode::from_raw_mode(inode.mode & 0o7777);
        match inode.file_type() {
            FileType::Regular => {
                let data = self.fs.read_all(ino).map_err(|e| Fail::fs(path, e))?;
                fs::write(path, data).map_err(|e| Fail::io(path, e))?;
            }
            FileType::Symlink => {
                let target = self.fs.readlink(ino).map_err(|e| Fail::fs(path, e))?;
                let target = std::ffi::OsStr::from_encoded_bytes_checked(&target).unwrap_or_default();
                symlink(target, path).map_err(|e| Fail::io(path, e))?;
            }
            t => {
                let kind = match t {
                    FileType::CharDevice => RxType::CharacterDevice,
                    FileType::BlockDevice => RxType::BlockDevice,
                    FileType::Fifo => RxType::Fifo,
                    _ => RxType::Socket,
                };
                let dev = makedev(inode.rdev_major, inode.rdev_minor);
                mknodat(CWD, path, kind, mode, dev).map_err(|e| Fail::io(path, e.into()))?;
            }
        }
        self.finish(&inode, path)
    }

    /// Owner, mode and times, in that order (chown clears set-ID bits).
    fn finish(&mut self, inode: &Inode, path: &Path) -> Result<(), Fail> {
        let is_link = inode.file_type() == FileType::Symlink;
        if self.as_root {
            std::os::unix::fs::lchown(path, Some(inode.uid), Some(inode.gid)).map_err(|e| Fail::io(path, e))?;
        }
        if !is_link {
            fs::set_permissions(path, fs::Permissions::from_mode(inode.mode & 0o7777))
                .map_err(|e| Fail::io(path, e))?;
        }
        let times = Timestamps { last_access: timespec(inode.atime), last_modification: timespec(inode.mtime) };
        utimensat(CWD, path, &times, AtFlags::SYMLINK_NOFOLLOW).map_err(|e| Fail::io(path, e.into()))
    }
}

/// Helper for names that are not valid UTF-8 (they are kept as bytes).
trait FromBytes {
    fn from_encoded_bytes_checked(b: &[u8]) -> Option<&std::ffi::OsStr>;
}

impl FromBytes for std::ffi::OsStr {
    fn from_encoded_bytes_checked(b: &[u8]) -> Option<&std::ffi::OsStr> {
        Some(std::os::unix::ffi::OsStrExt::from_bytes(b))
    }
}
