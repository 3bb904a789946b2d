//! Names on the disk follow the VFS's: ramfs.rs calls these before it
//! changes a directory of a kestrel filesystem, so a refusal from the disk
//! (ENOSPC, damage) leaves both as they were. A new inode gets its disk
//! number when it is made, and its disk record when it is first named.
//! One system call's changes are never split by a commit (commits happen
//! at writeback, between system calls), so a rename made of several
//! library steps is still atomic on the disk.

use alloc::sync::Arc;

use abi::{major, minor, Errno, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};
use kestrelfs::NewInode;

use super::Volume;
use crate::fs::backing::Backing;
use crate::fs::dir::Dir;
use crate::fs::filedata::FileData;
use crate::fs::inode::{Content, Inner, Inode};

impl Volume {
    /// A new inode for a directory of this filesystem, not named yet
    /// (ramfs::new_child): its number is taken from the disk now.
    pub fn new_inode(
        self: &Arc<Self>,
        dir: &Inode,
        mode: u32,
        uid: u32,
        gid: u32,
        rdev: u64,
    ) -> Result<Arc<Inode>, Errno> {
        let ino = self.change(|fs| fs.reserve_ino())?;
        let sb = dir.sb.clone();
        let content = match mode & S_IFMT {
            S_IFDIR => Content::Dir(Dir::new(None)),
            S_IFREG => Content::File(FileData::with_backing(sb.clone(), 0, Backing::new(self.clone(), ino, 0, 0))),
            S_IFLNK => Content::Symlink(alloc::vec::Vec::new()),
            _ => Content::Special,
        };
        let nlink = u32::from(mode & S_IFMT == S_IFDIR);
        let inner = Inner::fresh(mode, uid, gid, nlink, rdev, content);
        let inode = Inode::with_inner(&sb, ino, inner);
        self.unborn.lock().insert(ino);
        self.register(&inode);
        Ok(inode)
    }

    /// `inode` gets the name `name` in `dir` (ramfs::add_entry): its
    /// record is written now if it is new, else it gains a link.
    pub fn add_name(&self, dir: &Inode, name: &[u8], inode: &Inode) -> Result<(), Errno> {
        let ino = inode.ino;
        if !self.is_unborn(ino) {
            return self.change(|fs| fs.link(ino, dir.ino, name));
        }
        let (mode, uid, gid, rdev, target) = {
            let i = inode.lock();
            let target = match &i.content {
                Content::Symlink(t) => t.clone(),
                _ => alloc::vec::Vec::new(),
            };
            (i.mode, i.uid, i.gid, i.rdev, target)
        };
        let new = NewInode {
            rdev_major: major(rdev),
            rdev_minor: minor(rdev),
            ino: Some(ino),
            ..NewInode::new(mode, uid, gid)
        };
        self.change(|fs| {
            if mode & S_IFMT == S_IFLNK {
                fs.symlink_with(dir.ino, name, &target, &new)?;
            } else {
                fs.create(dir.ino, name, &new)?;
            }
            fs.pin(ino);
            Ok(())
        })?;
        self.unborn.lock().remove(&ino);
        Ok(())
    }

    /// The name `name` leaves `dir` (ramfs::remove_entry).
    pub fn remove_name(&self, dir: &Inode, name: &[u8]) -> Result<(), Errno> {
        self.change(|fs| {
            let ino = fs.lookup(dir.ino, name)?;
            if fs.inode(ino)?.is_dir() {
                fs.rmdir(dir.ino, name)
            } else {
                fs.unlink(dir.ino, name)
            }
        })
    }

    /// A name moves to a free name (ramfs::move_entry).
    pub fn move_name(&self, old_dir: &Inode, old_name: &[u8], new_dir: &Inode, new_name: &[u8]) -> Result<(), Errno> {
        self.change(|fs| fs.rename(old_dir.ino, old_name, new_dir.ino, new_name))
    }

    /// Two names swap their inodes (RENAME_EXCHANGE): three renames
    /// through a name no one can see between them.
    pub fn exchange_names(&self, dir_a: &Inode, name_a: &[u8], dir_b: &Inode, name_b: &[u8]) -> Result<(), Errno> {
        self.change(|fs| {
            let mut spare = alloc::vec::Vec::from(&b".kestrel-exchange-"[..]);
            let mut n = dir_a.ino;
            while fs.lookup(dir_a.ino, &spare).is_ok() {
                spare.push(b'0' + (n % 10) as u8);
                n /= 10;
                n += 1;
            }
            fs.rename(dir_a.ino, name_a, dir_a.ino, &spare)?;
            if let Err(e) = fs.rename(dir_b.ino, name_b, dir_a.ino, name_a) {
                fs.rename(dir_a.ino, &spare, dir_a.ino, name_a)?;
                return Err(e);
            }
            fs.rename(dir_a.ino, &spare, dir_b.ino, name_b)
        })
    }
}
