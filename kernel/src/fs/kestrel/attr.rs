//! What kestrelfs keeps beyond the VFS's metadata, through the interfaces
//! a Linux user knows: inode flags (FS_IOC_GETFLAGS / FS_IOC_SETFLAGS, as
//! chattr and lsattr use them: `+c` compress, `+m` do not compress), the
//! per-file compression as btrfs's extended attribute `btrfs.compression`
//! (`none`, `lz4`, `zstd`, `zstd:LEVEL`; empty or removed: the default),
//! and statfs's figures. FORMAT.md's "Compression choice" orders them.

use alloc::format;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use abi::ioctl::{FS_COMPR_FL, FS_NOCOMP_FL, FS_NODUMP_FL, XATTR_CREATE, XATTR_REPLACE};
use abi::{Errno, Statfs};
use kestrelfs::Compression;

use super::{Volume, KESTRELFS_MAGIC};
use crate::fs::inode::Inode;
use crate::fs::super_block::SuperBlock;

/// The flags kestrelfs acts on or keeps harmlessly; others are EOPNOTSUPP,
/// as Linux's filesystems answer for flags they do not implement.
pub const SETTABLE_FLAGS: u32 = FS_COMPR_FL | FS_NOCOMP_FL | FS_NODUMP_FL;

/// The only extended attribute kestrelfs has.
pub const COMPRESSION_XATTR: &[u8] = b"btrfs.compression";

impl Volume {
    /// The inode's FS_*_FL flags.
    pub fn flags(&self, inode: &Inode) -> Result<u32, Errno> {
        self.with_fs(|fs| fs.inode(inode.ino).map(|d| d.flags))
    }

    /// Sets the inode's flags (the caller checked ownership and the mount).
    pub fn set_flags(&self, inode: &Inode, flags: u32) -> Result<(), Errno> {
        if flags & !SETTABLE_FLAGS != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        self.change(|fs| fs.set_flags(inode.ino, flags))?;
        inode.lock().changed();
        Ok(())
    }

    /// The value of extended attribute `name`: ENODATA when not set,
    /// EOPNOTSUPP for a name kestrelfs does not keep.
    pub fn get_xattr(&self, inode: &Inode, name: &[u8]) -> Result<Vec<u8>, Errno> {
        if name != COMPRESSION_XATTR {
            return Err(Errno::EOPNOTSUPP);
        }
        let c = self.with_fs(|fs| fs.inode(inode.ino).map(|d| d.compression))?;
        c.map(|c| format!("{c}").into_bytes()).ok_or(Errno::ENODATA)
    }

    /// Sets (`Some`) or removes (`None`) extended attribute `name`, with
    /// setxattr's XATTR_CREATE / XATTR_REPLACE. An empty value resets to
    /// the default, as on btrfs.
    pub fn set_xattr(&self, inode: &Inode, name: &[u8], value: Option<&[u8]>, flags: i32) -> Result<(), Errno> {
        if name != COMPRESSION_XATTR {
            return Err(Errno::EOPNOTSUPP);
        }
        let choice = match value {
            None | Some(b"") => None,
            Some(v) => {
                let text = core::str::from_utf8(v).map_err(|_| Errno::EINVAL)?;
                Some(Compression::parse(text.trim_end_matches('\0')).ok_or(Errno::EINVAL)?)
            }
        };
        let exists = self.with_fs(|fs| fs.inode(inode.ino).map(|d| d.compression.is_some()))?;
        if (value.is_none() || flags & XATTR_REPLACE != 0) && !exists {
            return Err(Errno::ENODATA);
        }
        if flags & XATTR_CREATE != 0 && exists {
            return Err(Errno::EEXIST);
        }
        self.change(|fs| fs.set_compression(inode.ino, choice))?;
        inode.lock().changed();
        Ok(())
    }

    /// The names listxattr(2) shows: each followed by a NUL.
    pub fn list_xattr(&self, inode: &Inode) -> Result<Vec<u8>, Errno> {
        let set = self.with_fs(|fs| fs.inode(inode.ino).map(|d| d.compression.is_some()))?;
        let mut out = Vec::new();
        if set {
            out.extend_from_slice(COMPRESSION_XATTR);
            out.push(0);
        }
        Ok(out)
    }

    /// statfs(2): the disk's blocks, less those promised to dirty pages.
    pub fn statfs(&self, sb: &SuperBlock) -> Statfs {
        let (total, inodes) = self
            .with_fs(|fs| {
                let s = fs.superblock();
                Ok((s.total_blocks, s.inode_count))
            })
            .unwrap_or((0, 0));
        let free = self.free_blocks.load(Ordering::Relaxed).saturating_sub(self.dirty_pages.load(Ordering::Relaxed));
        // Inodes take no space of their own until written: as many more
        // as 15 per free block (an inode table leaf).
        let ffree = free.saturating_mul(15);
        Statfs {
            f_type: KESTRELFS_MAGIC,
            f_bsize: 4096,
            f_blocks: total,
            f_bfree: free,
            f_bavail: free,
            f_files: inodes.saturating_add(ffree),
            f_ffree: ffree,
            f_fsid: [sb.dev as u32 as i32, (sb.dev >> 32) as u32 as i32],
            f_namelen: crate::fs::namei::NAME_MAX as i64,
            f_frsize: 4096,
            ..Statfs::default()
        }
    }
}
