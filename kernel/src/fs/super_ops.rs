//! What a filesystem does beyond the VFS's in-memory tree (Linux's
//! super_operations, with the inode operations a disk filesystem needs):
//! a disk filesystem mirrors names into its own structures, keeps inode
//! flags and extended attributes, writes back and commits, and reports
//! its own figures. Every method has the behaviour of a filesystem that
//! lives in RAM alone as its default.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, Statfs};

use super::inode::Inode;
use super::mount::Path;
use super::super_block::{SuperBlock, SB_RDONLY, SB_REMOUNT_MASK};

pub trait SuperOperations: Send + Sync {
    /// An inode for a name about to be made in `dir`; None lets the VFS
    /// make a RAM inode.
    fn new_inode(
        &self,
        _dir: &Inode,
        _mode: u32,
        _uid: u32,
        _gid: u32,
        _rdev: u64,
    ) -> Option<Result<Arc<Inode>, Errno>> {
        None
    }

    /// A name was entered in, removed from, moved between or swapped
    /// between directories (before the VFS's tree changes).
    fn add_name(&self, _dir: &Inode, _name: &[u8], _inode: &Inode) -> Result<(), Errno> {
        Ok(())
    }

    fn remove_name(&self, _dir: &Inode, _name: &[u8]) -> Result<(), Errno> {
        Ok(())
    }

    fn move_name(&self, _old_dir: &Inode, _old_name: &[u8], _new_dir: &Inode, _new_name: &[u8]) -> Result<(), Errno> {
        Ok(())
    }

    fn exchange_names(&self, _dir_a: &Inode, _name_a: &[u8], _dir_b: &Inode, _name_b: &[u8]) -> Result<(), Errno> {
        Ok(())
    }

    /// The granularity of the filesystem's timestamps in ns (Linux's
    /// s_time_gran): stat reports times rounded down to it.
    fn time_granularity(&self) -> u32 {
        1
    }

    /// The last reference to an inode is gone.
    fn forget(&self, _ino: u64) {}

    /// Writes everything back and commits (sync, syncfs, fsync). A RAM
    /// filesystem holds the only copy: nothing to do.
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }

    /// statfs(2)'s figures; by default only the type.
    fn statfs(&self, sb: &SuperBlock) -> Statfs {
        simple_statfs(sb)
    }

    /// MS_REMOUNT: applies the options and the new superblock flags.
    fn remount(&self, sb: &SuperBlock, sb_flags: u32, _data: Option<&[u8]>) -> Result<(), Errno> {
        let new = (sb.flags() & !SB_REMOUNT_MASK) | (sb_flags & SB_REMOUNT_MASK);
        check_remount_read_only(sb, new)?;
        sb.set_flags(new);
        Ok(())
    }

    /// The root filesystem becomes read-only (`umount /`): written back
    /// and committed first.
    fn make_read_only(&self) -> Result<(), Errno> {
        Ok(())
    }

    /// The filesystem's own options in /proc/mounts (",opt=value...").
    fn show_options(&self, _sb: &SuperBlock) -> String {
        String::new()
    }

    /// The last mount is going: write back before the tree is taken apart
    /// (`sync_for_unmount`), let go of the device after (`put_super`).
    fn sync_for_unmount(&self) {}

    fn put_super(&self) {}

    /// FS_IOC_GETFLAGS and FS_IOC_SETFLAGS (chattr, lsattr): None when the
    /// filesystem keeps no inode flags (the file's own ioctl answers).
    fn inode_flags(&self, _inode: &Inode) -> Option<Result<u32, Errno>> {
        None
    }

    fn set_inode_flags(&self, _inode: &Inode, _flags: u32) -> Result<(), Errno> {
        Err(Errno::ENOTTY)
    }

    /// Extended attributes: EOPNOTSUPP where the filesystem keeps none.
    fn get_xattr(&self, _path: &Path, _name: &[u8]) -> Result<Vec<u8>, Errno> {
        Err(Errno::EOPNOTSUPP)
    }

    /// Sets (Some) or removes (None) an attribute.
    fn set_xattr(&self, _path: &Path, _name: &[u8], _value: Option<&[u8]>, _flags: i32) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }

    /// The attributes' names, each followed by a NUL.
    fn list_xattr(&self, _path: &Path) -> Result<Vec<u8>, Errno> {
        Ok(Vec::new())
    }
}

/// What a filesystem without figures of its own reports: its type, block
/// size and name length (Linux's simple_statfs).
pub fn simple_statfs(sb: &SuperBlock) -> Statfs {
    Statfs {
        f_type: sb.kind.magic,
        f_bsize: 4096,
        f_namelen: super::namei::NAME_MAX as i64,
        f_frsize: 4096,
        ..Statfs::default()
    }
}

/// A remount to read-only waits for no writer: EBUSY while files are
/// open for writing.
pub fn check_remount_read_only(sb: &SuperBlock, new_flags: u32) -> Result<(), Errno> {
    if new_flags & SB_RDONLY != 0 && !sb.is_readonly() && sb.writers() > 0 {
        return Err(Errno::EBUSY);
    }
    Ok(())
}

/// The operations of a filesystem with nothing beyond the VFS's tree
/// (pipefs, procfs).
pub struct SimpleOps;

impl SuperOperations for SimpleOps {}
