//! Names: lookup, readdir, create, link, unlink, rmdir, rename, and the
//! orphan list that keeps unlinked-but-open files until they are closed.

use alloc::vec::Vec;

use super::Fs;
use crate::device::BlockDevice;
use crate::dir::{self, Entries, Entry};
use crate::error::{Corruption, Error, Result};
use crate::inode::{FileType, Inode, Layout, Timespec, S_IFDIR, S_IFLNK, S_IFMT};
use crate::layout::*;

/// What a new inode starts with.
#[derive(Debug, Clone, Copy)]
pub struct NewInode {
    /// Type and permission bits (S_IFREG | 0o644, ...).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev_major: u32,
    pub rdev_minor: u32,
    /// A number taken earlier with [`Fs::reserve_ino`]; None takes the next.
    pub ino: Option<u64>,
}

impl NewInode {
    pub fn new(mode: u32, uid: u32, gid: u32) -> NewInode {
        NewInode { mode, uid, gid, rdev_major: 0, rdev_minor: 0, ino: None }
    }
}

impl<D: BlockDevice> Fs<D> {
    /// A directory's entries, parsed on first use.
    fn entries(&mut self, dir: u64) -> Result<&mut Entries> {
        if !self.dirs.contains_key(&dir) {
            if !self.inode(dir)?.is_dir() {
                return Err(Error::NotDir);
            }
            let data = self.read_all(dir)?;
            let entries = dir::decode(&data).map_err(|fault| Corruption::Dir { ino: dir, fault })?;
            self.dirs.insert(dir, entries);
        }
        self.dirs.get_mut(&dir).ok_or(Error::NotFound)
    }

    /// Marks a directory changed (its contents are rewritten at commit).
    fn touch_dir(&mut self, dir: u64, now: Timespec) -> Result<()> {
        self.dirty_dirs.insert(dir);
        let d = self.inode_mut(dir)?;
        d.mtime = now;
        d.ctime = now;
        Ok(())
    }

    /// The inode `name` names in `dir`.
    pub fn lookup(&mut self, dir: u64, name: &[u8]) -> Result<u64> {
        match name {
            b"." => return Ok(dir),
            b".." => return Ok(self.inode(dir)?.parent),
            _ => {}
        }
        self.entries(dir)?.get(name).map(|e| e.ino).ok_or(Error::NotFound)
    }

    /// Looks up an absolute path from the root (symbolic links are not followed).
    pub fn lookup_path(&mut self, path: &[u8]) -> Result<u64> {
        let mut ino = ROOT_INO;
        for part in path.split(|&c| c == b'/').filter(|p| !p.is_empty()) {
            ino = self.lookup(ino, part)?;
        }
        Ok(ino)
    }

    /// The entries of a directory, in name order ("." and ".." not included).
    pub fn readdir(&mut self, dir: u64) -> Result<Vec<(Vec<u8>, Entry)>> {
        Ok(self.entries(dir)?.iter().map(|(n, e)| (n.clone(), *e)).collect())
    }

    /// Creates a file of any type (regular, directory, device, FIFO, socket, symlink).
    pub fn create(&mut self, dir: u64, name: &[u8], new: &NewInode) -> Result<u64> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        dir::check_name(name)?;
        let ftype = FileType::from_mode(new.mode).ok_or(Error::InvalidArgument)?;
        if new.mode & !(S_IFMT | 0o7777) != 0 {
            return Err(Error::InvalidArgument);
        }
        if self.entries(dir)?.contains_key(name) {
            return Err(Error::Exists);
        }
        let is_dir = ftype == FileType::Directory;
        if is_dir && self.inode(dir)?.nlink >= LINK_MAX {
            return Err(Error::TooManyLinks);
        }
        if new.ino.is_some_and(|i| !self.reserved.contains(&i)) {
            return Err(Error::InvalidArgument);
        }
        let ino = match new.ino {
            Some(i) => {
                self.reserved.remove(&i);
                i
            }
            None => self.reserve_ino()?,
        };
        self.sb.inode_count += 1;
        let now = self.now();
        let inode = Inode {
            mode: new.mode,
            uid: new.uid,
            gid: new.gid,
            nlink: if is_dir { 2 } else { 1 },
            flags: 0,
            compression: None,
            size: 0,
            atime: now,
            mtime: now,
            ctime: now,
            crtime: now,
            rdev_major: if matches!(ftype, FileType::CharDevice | FileType::BlockDevice) { new.rdev_major } else { 0 },
            rdev_minor: if matches!(ftype, FileType::CharDevice | FileType::BlockDevice) { new.rdev_minor } else { 0 },
            parent: if is_dir { dir } else { 0 },
            next_orphan: 0,
            blocks: 0,
            generation: 0,
            layout: Layout::Empty,
        };
        self.inodes.insert(ino, inode);
        self.dirty.insert(ino);
        if is_dir {
            self.dirs.insert(ino, Entries::new());
            self.dirty_dirs.insert(ino);
            self.inode_mut(dir)?.nlink += 1;
        }
        self.entries(dir)?.insert(name.to_vec(), Entry { ino, dtype: ftype.dirent_type() });
        self.touch_dir(dir, now)?;
        Ok(ino)
    }

    /// Takes an inode number for a file created later by [`Fs::create`]
    /// with [`NewInode::ino`] (a kernel numbers its in-memory inode before
    /// the directory entry exists). A number taken and never used is just
    /// skipped: numbers are never reused.
    pub fn reserve_ino(&mut self) -> Result<u64> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        let ino = self.sb.next_inode;
        self.sb.next_inode += 1;
        self.reserved.insert(ino);
        Ok(ino)
    }

    /// mkdir(2).
    pub fn mkdir(&mut self, dir: u64, name: &[u8], mode: u32, uid: u32, gid: u32) -> Result<u64> {
        self.create(dir, name, &NewInode::new(S_IFDIR | (mode & 0o7777), uid, gid))
    }

    /// symlink(2).
    pub fn symlink(&mut self, dir: u64, name: &[u8], target: &[u8], uid: u32, gid: u32) -> Result<u64> {
        self.symlink_with(dir, name, target, &NewInode::new(S_IFLNK | 0o777, uid, gid))
    }

    /// symlink(2) with the new inode's owner, mode bits and number given.
    pub fn symlink_with(&mut self, dir: u64, name: &[u8], target: &[u8], new: &NewInode) -> Result<u64> {
        if target.is_empty()
            || target.len() as u64 > MAX_SYMLINK_BYTES
            || target.contains(&0)
            || new.mode & S_IFMT != S_IFLNK
        {
            return Err(Error::InvalidArgument);
        }
        let ino = self.create(dir, name, new)?;
        self.write_contents(ino, 0, target)?;
        Ok(ino)
    }

    /// link(2): a new name for a file that is not a directory.
    pub fn link(&mut self, ino: u64, dir: u64, name: &[u8]) -> Result<()> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        dir::check_name(name)?;
        let inode = self.inode(ino)?;
        if inode.is_dir() {
            return Err(Error::IsDir);
        }
        if inode.nlink >= LINK_MAX {
            return Err(Error::TooManyLinks);
        }
        if self.entries(dir)?.contains_key(name) {
            return Err(Error::Exists);
        }
        let now = self.now();
        self.entries(dir)?.insert(name.to_vec(), Entry { ino, dtype: inode.file_type().dirent_type() });
        self.touch_dir(dir, now)?;
        let was_orphan = inode.nlink == 0;
        let i = self.inode_mut(ino)?;
        i.nlink += 1;
        i.ctime = now;
        if was_orphan {
            self.orphan_remove(ino)?;
        }
        Ok(())
    }

    /// unlink(2).
    pub fn unlink(&mut self, dir: u64, name: &[u8]) -> Result<()> {
        let e = *self.entries(dir)?.get(name).ok_or(Error::NotFound)?;
        if self.inode(e.ino)?.is_dir() {
            return Err(Error::IsDir);
        }
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        let now = self.now();
        self.entries(dir)?.remove(name);
        self.touch_dir(dir, now)?;
        self.drop_link(e.ino, now)
    }

    /// rmdir(2).
    pub fn rmdir(&mut self, dir: u64, name: &[u8]) -> Result<()> {
        let e = *self.entries(dir)?.get(name).ok_or(Error::NotFound)?;
        if !self.inode(e.ino)?.is_dir() {
            return Err(Error::NotDir);
        }
        if !self.entries(e.ino)?.is_empty() {
            return Err(Error::NotEmpty);
        }
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        let now = self.now();
        self.entries(dir)?.remove(name);
        self.touch_dir(dir, now)?;
        self.inode_mut(dir)?.nlink -= 1;
        self.inode_mut(e.ino)?.nlink = 1;
        self.drop_link(e.ino, now)
    }

    /// rename(2), replacing the target as POSIX says.
    pub fn rename(&mut self, odir: u64, oname: &[u8], ndir: u64, nname: &[u8]) -> Result<()> {
        let src = *self.entries(odir)?.get(oname).ok_or(Error::NotFound)?;
        dir::check_name(nname)?;
        if !self.inode(ndir)?.is_dir() {
            return Err(Error::NotDir);
        }
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        let src_is_dir = self.inode(src.ino)?.is_dir();
        if src_is_dir {
            // Not into itself or below itself.
            let mut d = ndir;
            loop {
                if d == src.ino {
                    return Err(Error::InvalidArgument);
                }
                if d == ROOT_INO {
                    break;
                }
                d = self.inode(d)?.parent;
            }
        }
        let dst = self.entries(ndir)?.get(nname).copied();
        if let Some(dst) = dst {
            if dst.ino == src.ino {
                return Ok(());
            }
            let dst_is_dir = self.inode(dst.ino)?.is_dir();
            match (src_is_dir, dst_is_dir) {
                (true, false) => return Err(Error::NotDir),
                (false, true) => return Err(Error::IsDir),
                (true, true) if !self.entries(dst.ino)?.is_empty() => return Err(Error::NotEmpty),
                _ => {}
            }
        }
        let now = self.now();
        if let Some(dst) = dst {
            self.entries(ndir)?.remove(nname);
            if self.inode(dst.ino)?.is_dir() {
                self.inode_mut(ndir)?.nlink -= 1;
                self.inode_mut(dst.ino)?.nlink = 1;
            }
            self.drop_link(dst.ino, now)?;
        }
        self.entries(odir)?.remove(oname);
        self.entries(ndir)?.insert(nname.to_vec(), src);
        self.touch_dir(odir, now)?;
        self.touch_dir(ndir, now)?;
        if src_is_dir && odir != ndir {
            self.inode_mut(src.ino)?.parent = ndir;
            self.inode_mut(odir)?.nlink -= 1;
            self.inode_mut(ndir)?.nlink += 1;
        }
        self.inode_mut(src.ino)?.ctime = now;
        Ok(())
    }

    /// Notes that the kernel holds `ino` open: unlinking it keeps it (on
    /// the orphan list) until the last `unpin`.
    pub fn pin(&mut self, ino: u64) {
        *self.pins.entry(ino).or_insert(0) += 1;
    }

    /// The kernel closed `ino`; an unlinked file goes away now.
    pub fn unpin(&mut self, ino: u64) -> Result<()> {
        let left = match self.pins.get_mut(&ino) {
            Some(n) => {
                *n -= 1;
                *n
            }
            None => return Ok(()),
        };
        if left == 0 {
            self.pins.remove(&ino);
            if self.inode(ino)?.nlink == 0 && !self.read_only {
                self.orphan_remove(ino)?;
                self.delete_inode(ino)?;
            }
        }
        Ok(())
    }

    /// One name fewer for `ino`: at zero it is deleted, or orphaned while open.
    fn drop_link(&mut self, ino: u64, now: Timespec) -> Result<()> {
        let inode = self.inode_mut(ino)?;
        inode.nlink = inode.nlink.saturating_sub(1);
        inode.ctime = now;
        if inode.nlink > 0 {
            return Ok(());
        }
        if self.pins.contains_key(&ino) {
            let head = self.sb.orphan_head;
            self.inode_mut(ino)?.next_orphan = head;
            self.sb.orphan_head = ino;
            Ok(())
        } else {
            self.delete_inode(ino)
        }
    }

    fn orphan_remove(&mut self, ino: u64) -> Result<()> {
        let next = self.inode(ino)?.next_orphan;
        if self.sb.orphan_head == ino {
            self.sb.orphan_head = next;
        } else {
            let mut cur = self.sb.orphan_head;
            while cur != 0 {
                let n = self.inode(cur)?.next_orphan;
                if n == ino {
                    self.inode_mut(cur)?.next_orphan = next;
                    break;
                }
                cur = n;
            }
        }
        self.inode_mut(ino)?.next_orphan = 0;
        Ok(())
    }

    /// Frees an inode and everything it stores.
    fn delete_inode(&mut self, ino: u64) -> Result<()> {
        self.free_contents(ino)?;
        self.inodes.remove(&ino);
        self.maps.remove(&ino);
        self.dirs.remove(&ino);
        self.dirty_dirs.remove(&ino);
        self.dirty.remove(&ino);
        self.deleted.insert(ino);
        self.sb.inode_count -= 1;
        Ok(())
    }

    /// Deletes the orphans a crash left (at mount).
    pub(super) fn reclaim_orphans(&mut self) -> Result<()> {
        let mut seen = 0u64;
        while self.sb.orphan_head != 0 {
            let ino = self.sb.orphan_head;
            self.sb.orphan_head = self.inode(ino)?.next_orphan;
            seen += 1;
            if seen > self.sb.inode_count {
                return Err(Error::Corrupt(Corruption::Counter {
                    name: "orphan list length",
                    stored: seen,
                    counted: self.sb.inode_count,
                }));
            }
            self.delete_inode(ino)?;
        }
        self.commit()
    }
}
