//! kestrelfs as the VFS sees it: its kind of filesystem (mount(2) by name)
//! and its superblock operations, each a call into the volume.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, Statfs};

use super::Volume;
use crate::fs::fs_type::FileSystemType;
use crate::fs::inode::Inode;
use crate::fs::mount::Path;
use crate::fs::super_block::{SuperBlock, SB_REMOUNT_MASK};
use crate::fs::super_ops::{check_remount_read_only, SuperOperations};

pub static KESTRELFS: FileSystemType = FileSystemType {
    name: "kestrelfs",
    magic: super::KESTRELFS_MAGIC,
    nodev: false,
    mount: Some(super::mount::new_mount),
};

/// A mounted volume's operations.
pub struct KestrelOps(pub Arc<Volume>);

impl SuperOperations for KestrelOps {
    fn new_inode(&self, dir: &Inode, mode: u32, uid: u32, gid: u32, rdev: u64) -> Option<Result<Arc<Inode>, Errno>> {
        Some(self.0.new_inode(dir, mode, uid, gid, rdev))
    }

    fn add_name(&self, dir: &Inode, name: &[u8], inode: &Inode) -> Result<(), Errno> {
        self.0.add_name(dir, name, inode)
    }

    fn remove_name(&self, dir: &Inode, name: &[u8]) -> Result<(), Errno> {
        self.0.remove_name(dir, name)
    }

    fn move_name(&self, old_dir: &Inode, old_name: &[u8], new_dir: &Inode, new_name: &[u8]) -> Result<(), Errno> {
        self.0.move_name(old_dir, old_name, new_dir, new_name)
    }

    fn exchange_names(&self, dir_a: &Inode, name_a: &[u8], dir_b: &Inode, name_b: &[u8]) -> Result<(), Errno> {
        self.0.exchange_names(dir_a, name_a, dir_b, name_b)
    }

    fn forget(&self, ino: u64) {
        self.0.forget(ino);
    }

    fn sync(&self) -> Result<(), Errno> {
        self.0.sync()
    }

    fn statfs(&self, sb: &SuperBlock) -> Statfs {
        self.0.statfs(sb)
    }

    /// The options and the read-only change before the flags: going
    /// read-only commits first; read-write needs a filesystem opened for
    /// writing.
    fn remount(&self, sb: &SuperBlock, sb_flags: u32, data: Option<&[u8]>) -> Result<(), Errno> {
        let old = sb.flags();
        let new = (old & !SB_REMOUNT_MASK) | (sb_flags & SB_REMOUNT_MASK);
        check_remount_read_only(sb, new)?;
        super::mount::remount(&self.0, old, new, data)?;
        sb.set_flags(new);
        Ok(())
    }

    fn make_read_only(&self) -> Result<(), Errno> {
        self.0.make_read_only()
    }

    fn show_options(&self, _sb: &SuperBlock) -> String {
        self.0.compress_option().map(|c| format!(",compress={c}")).unwrap_or_default()
    }

    fn sync_for_unmount(&self) {
        self.0.sync_for_unmount();
    }

    fn put_super(&self) {
        self.0.close();
    }

    fn inode_flags(&self, inode: &Inode) -> Option<Result<u32, Errno>> {
        Some(self.0.flags(inode))
    }

    fn set_inode_flags(&self, inode: &Inode, flags: u32) -> Result<(), Errno> {
        self.0.set_flags(inode, flags)
    }

    fn get_xattr(&self, path: &Path, name: &[u8]) -> Result<Vec<u8>, Errno> {
        self.0.get_xattr(&path.inode, name)
    }

    fn set_xattr(&self, path: &Path, name: &[u8], value: Option<&[u8]>, flags: i32) -> Result<(), Errno> {
        self.0.set_xattr(&path.inode, name, value, flags)
    }

    fn list_xattr(&self, path: &Path) -> Result<Vec<u8>, Errno> {
        self.0.list_xattr(&path.inode)
    }
}
