//! The RAM filesystems as kinds of filesystem: rootfs (the initramfs's),
//! ramfs and tmpfs (Linux's shmem), their mount(2) and remount options,
//! statfs figures and /proc/mounts options. Their trees are the VFS's own
//! in-memory tree (ramfs.rs); tmpfs adds size and inode limits.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, Statfs};

use super::fs_type::FileSystemType;
use super::mount::{Mount, Path};
use super::mount_options::{self, tmpfs_default_limits, Options, PAGE, RAMFS_DEFAULT_MODE, TMPFS_DEFAULT_MODE};
use super::perm::current_cred;
use super::super_block::{SuperBlock, SB_REMOUNT_MASK};
use super::super_ops::{check_remount_read_only, simple_statfs, SuperOperations};

pub static ROOTFS: FileSystemType =
    FileSystemType { name: "rootfs", magic: abi::RAMFS_MAGIC, nodev: true, mount: None };
pub static RAMFS: FileSystemType =
    FileSystemType { name: "ramfs", magic: abi::RAMFS_MAGIC, nodev: true, mount: Some(mount_ramfs) };
pub static TMPFS: FileSystemType =
    FileSystemType { name: "tmpfs", magic: abi::TMPFS_MAGIC, nodev: true, mount: Some(mount_tmpfs) };

/// The operations of a RAM filesystem: the tree is the whole of it.
pub struct RamOps {
    tmpfs: bool,
}

impl RamOps {
    pub fn new(sb: &SuperBlock) -> Arc<RamOps> {
        Arc::new(RamOps { tmpfs: sb.is(&TMPFS) })
    }
}

fn mount_ramfs(
    source: Option<Vec<u8>>,
    sb_flags: u32,
    mnt_flags: u32,
    data: Option<&[u8]>,
) -> Result<Arc<Mount>, Errno> {
    mount_ram(&RAMFS, source, sb_flags, mnt_flags, data)
}

fn mount_tmpfs(
    source: Option<Vec<u8>>,
    sb_flags: u32,
    mnt_flags: u32,
    data: Option<&[u8]>,
) -> Result<Arc<Mount>, Errno> {
    mount_ram(&TMPFS, source, sb_flags, mnt_flags, data)
}

fn mount_ram(
    kind: &'static FileSystemType,
    source: Option<Vec<u8>>,
    sb_flags: u32,
    mnt_flags: u32,
    data: Option<&[u8]>,
) -> Result<Arc<Mount>, Errno> {
    let tmpfs = core::ptr::eq(kind, &TMPFS);
    let opts = mount_options::parse(tmpfs, data, false)?;
    let sb = SuperBlock::new(kind, (sb_flags | opts.sb_set) & !opts.sb_clear);
    sb.set_ops(RamOps::new(&sb));
    let cred = current_cred();
    let default_mode = if tmpfs { TMPFS_DEFAULT_MODE } else { RAMFS_DEFAULT_MODE };
    let mode = opts.mode.unwrap_or(default_mode);
    let root = super::ramfs::new_root(&sb, mode, opts.uid.unwrap_or(cred.uid), opts.gid.unwrap_or(cred.gid));
    if tmpfs {
        let (blocks, inodes) = tmpfs_default_limits();
        sb.set_limits(opts.blocks.unwrap_or(blocks), opts.inodes.unwrap_or(inodes));
    }
    let source = source.unwrap_or_else(|| b"none".to_vec());
    Ok(Mount::create(sb, root, source, mnt_flags))
}

/// tmpfs's limits after a remount (shmem_reconfigure): a limit cannot be
/// set where there was none, nor below what is in use (EINVAL); 0 lifts it.
fn tmpfs_new_limits(sb: &SuperBlock, opts: &Options) -> Result<(u64, u64), Errno> {
    let (old_blocks, old_inodes) = sb.limits();
    let (used_blocks, used_inodes) = sb.usage();
    let pick = |new: Option<u64>, old: u64, used: u64| match new {
        None => Ok(old),
        Some(0) => Ok(0),
        Some(_) if old == 0 => Err(Errno::EINVAL),
        Some(n) if n < used => Err(Errno::EINVAL),
        Some(n) => Ok(n),
    };
    Ok((pick(opts.blocks, old_blocks, used_blocks)?, pick(opts.inodes, old_inodes, used_inodes)?))
}

impl SuperOperations for RamOps {
    /// tmpfs reports its limits and what is left (shmem_statfs); ramfs
    /// only its type (simple_statfs).
    fn statfs(&self, sb: &SuperBlock) -> Statfs {
        let mut s = simple_statfs(sb);
        if self.tmpfs {
            let (max_blocks, max_inodes) = sb.limits();
            let (used_blocks, used_inodes) = sb.usage();
            if max_blocks != 0 {
                s.f_blocks = max_blocks;
                s.f_bfree = max_blocks.saturating_sub(used_blocks);
                s.f_bavail = s.f_bfree;
            }
            if max_inodes != 0 {
                s.f_files = max_inodes;
                s.f_ffree = max_inodes.saturating_sub(used_inodes);
            }
            s.f_fsid = [sb.dev as u32 as i32, (sb.dev >> 32) as u32 as i32];
        }
        s
    }

    fn get_xattr(&self, path: &Path, name: &[u8]) -> Result<Vec<u8>, Errno> {
        if !self.tmpfs {
            return Err(Errno::EOPNOTSUPP);
        }
        super::ram_xattr::get(&path.inode, name)
    }

    fn set_xattr(&self, path: &Path, name: &[u8], value: Option<&[u8]>, flags: i32) -> Result<(), Errno> {
        if !self.tmpfs {
            return Err(Errno::EOPNOTSUPP);
        }
        super::ram_xattr::set(&path.inode, name, value, flags)
    }

    fn list_xattr(&self, path: &Path) -> Result<Vec<u8>, Errno> {
        Ok(if self.tmpfs { super::ram_xattr::list(&path.inode) } else { Vec::new() })
    }

    fn remount(&self, sb: &SuperBlock, sb_flags: u32, data: Option<&[u8]>) -> Result<(), Errno> {
        let opts = mount_options::parse(self.tmpfs, data, true)?;
        let old = sb.flags();
        let new = (old & !SB_REMOUNT_MASK) | (((sb_flags | opts.sb_set) & !opts.sb_clear) & SB_REMOUNT_MASK);
        check_remount_read_only(sb, new)?;
        if self.tmpfs {
            let (blocks, inodes) = tmpfs_new_limits(sb, &opts)?;
            sb.set_limits(blocks, inodes);
        }
        sb.set_flags(new);
        Ok(())
    }

    /// Where they differ from the defaults (shmem_show_options,
    /// ramfs_show_options).
    fn show_options(&self, sb: &SuperBlock) -> String {
        let mut out = String::new();
        let (mode, uid, gid) = sb.root_owner();
        if !self.tmpfs {
            if sb.is(&RAMFS) && mode != RAMFS_DEFAULT_MODE {
                out += &format!(",mode={mode:o}");
            }
            return out;
        }
        let (blocks, inodes) = sb.limits();
        let (default_blocks, default_inodes) = tmpfs_default_limits();
        if blocks != default_blocks {
            out += &format!(",size={}k", blocks * (PAGE / 1024));
        }
        if inodes != default_inodes {
            out += &format!(",nr_inodes={inodes}");
        }
        if mode != TMPFS_DEFAULT_MODE {
            out += &format!(",mode={mode:03o}");
        }
        if uid != 0 {
            out += &format!(",uid={uid}");
        }
        if gid != 0 {
            out += &format!(",gid={gid}");
        }
        out
    }
}
