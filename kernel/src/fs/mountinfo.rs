//! The mount table as /proc shows it: one `MountEntry` per mount, in
//! mount order, and its lines in /proc/mounts' and /proc/self/mountinfo's
//! formats (Linux's show_vfsmnt and show_mountinfo), for procfs to print.

use alloc::format;
use alloc::vec::Vec;

use abi::{major, minor};

use super::context::path_name;
use super::mount::{self, Mount};
use super::mount::{MNT_NOATIME, MNT_NODEV, MNT_NODIRATIME, MNT_NOEXEC, MNT_NOSUID, MNT_NOSYMFOLLOW, MNT_RELATIME};
use super::ramfs;
use super::super_block::{SuperBlock, SB_DIRSYNC, SB_LAZYTIME, SB_MANDLOCK, SB_RDONLY, SB_SYNCHRONOUS};

pub struct MountEntry {
    /// Mount id and the parent mount's (the root's own for the root).
    pub id: u32,
    pub parent_id: u32,
    /// The filesystem's device number (st_dev of its files).
    pub dev: u64,
    /// The directory of its filesystem the mount shows ("/" unless it
    /// is a bind mount of a subdirectory).
    pub root: Vec<u8>,
    /// Where it is mounted, from the root.
    pub mountpoint: Vec<u8>,
    pub source: Vec<u8>,
    pub fstype: &'static str,
    /// MNT_* flags (mount.rs); `readonly` also counts the superblock's.
    pub mnt_flags: u32,
    pub readonly: bool,
    /// SB_* flags (super_block.rs).
    pub sb_flags: u32,
    /// The filesystem's own options, each with a leading comma.
    pub fs_options: Vec<u8>,
}

/// Every attached mount within the root, in mount order.
pub fn mounts() -> Vec<MountEntry> {
    let root = mount::root_path();
    mount::all().iter().filter_map(|m| entry(m, &root.mnt)).collect()
}

/// A mount's entry; None for a mount outside the root (the initramfs's
/// once `root=` put a disk over it), which Linux does not show either.
fn entry(m: &alloc::sync::Arc<Mount>, root: &alloc::sync::Arc<Mount>) -> Option<MountEntry> {
    let mp = m.mountpoint();
    let mountpoint = match &mp {
        _ if alloc::sync::Arc::ptr_eq(m, root) => b"/".to_vec(),
        Some(at) => path_name(at).unwrap_or_else(|_| b"?".to_vec()),
        None => return None,
    };
    if mountpoint.starts_with(b"(unreachable)") {
        return None;
    }
    Some(MountEntry {
        id: m.id,
        parent_id: mp.as_ref().map_or(m.id, |at| at.mnt.id),
        dev: m.sb.dev,
        root: root_within_fs(m),
        mountpoint,
        source: m.source.clone(),
        fstype: m.sb.kind.name,
        mnt_flags: m.flags(),
        readonly: m.is_readonly(),
        sb_flags: m.sb.flags(),
        fs_options: show_fs_options(&m.sb),
    })
}

/// The path of the mount's root inside its own filesystem.
fn root_within_fs(m: &Mount) -> Vec<u8> {
    let mut names = Vec::new();
    let mut at = m.root.clone();
    loop {
        let parent = ramfs::parent_of(&at);
        if alloc::sync::Arc::ptr_eq(&parent, &at) {
            break;
        }
        match parent.name_of(&at) {
            Some(name) => names.push(name),
            None => break,
        }
        at = parent;
    }
    let mut path = Vec::new();
    for name in names.iter().rev() {
        path.push(b'/');
        path.extend_from_slice(name);
    }
    if path.is_empty() {
        path.push(b'/');
    }
    path
}

/// Spaces, tabs, newlines and backslashes as octal escapes (mangle).
fn escaped(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &b in s {
        if matches!(b, b' ' | b'\t' | b'\n' | b'\\') {
            out.extend_from_slice(format!("\\{b:03o}").as_bytes());
        } else {
            out.push(b);
        }
    }
    out
}

impl MountEntry {
    /// The mount's own options: "rw" or "ro", then "nosuid"... (show_mnt_opts).
    pub fn mount_options(&self) -> Vec<u8> {
        let mut out = if self.readonly { b"ro".to_vec() } else { b"rw".to_vec() };
        for (flag, name) in [
            (MNT_NOSUID, ",nosuid"),
            (MNT_NODEV, ",nodev"),
            (MNT_NOEXEC, ",noexec"),
            (MNT_NOATIME, ",noatime"),
            (MNT_NODIRATIME, ",nodiratime"),
            (MNT_RELATIME, ",relatime"),
            (MNT_NOSYMFOLLOW, ",nosymfollow"),
        ] {
            if self.mnt_flags & flag != 0 {
                out.extend_from_slice(name.as_bytes());
            }
        }
        out
    }

    /// A /proc/mounts line: source, mountpoint, type, options, "0 0".
    pub fn mounts_line(&self) -> Vec<u8> {
        let mut line = escaped(&self.source);
        line.push(b' ');
        line.extend(escaped(&self.mountpoint));
        line.extend_from_slice(format!(" {} ", self.fstype).as_bytes());
        let ro = if self.readonly { b"ro".as_slice() } else { b"rw".as_slice() };
        line.extend_from_slice(ro);
        line.extend(show_sb_flags(self.sb_flags));
        line.extend_from_slice(&self.mount_options()[2..]);
        line.extend_from_slice(&self.fs_options);
        line.extend_from_slice(b" 0 0\n");
        line
    }

    /// A /proc/self/mountinfo line: ids, device, root, mountpoint, mount
    /// options, no optional fields (nothing propagates), then type,
    /// source and the superblock's options.
    pub fn mountinfo_line(&self) -> Vec<u8> {
        let mut line = format!("{} {} {}:{} ", self.id, self.parent_id, major(self.dev), minor(self.dev)).into_bytes();
        line.extend(escaped(&self.root));
        line.push(b' ');
        line.extend(escaped(&self.mountpoint));
        line.push(b' ');
        line.extend(self.mount_options());
        line.extend_from_slice(format!(" - {} ", self.fstype).as_bytes());
        line.extend(escaped(&self.source));
        let sb_ro = self.sb_flags & SB_RDONLY != 0;
        line.extend_from_slice(if sb_ro { b" ro" } else { b" rw" });
        line.extend(show_sb_flags(self.sb_flags));
        line.extend_from_slice(&self.fs_options);
        line.push(b'\n');
        line
    }
}

/// The superblock flags in /proc/mounts (show_sb_opts).
fn show_sb_flags(flags: u32) -> Vec<u8> {
    let mut out = Vec::new();
    for (flag, name) in
        [(SB_SYNCHRONOUS, ",sync"), (SB_DIRSYNC, ",dirsync"), (SB_MANDLOCK, ",mand"), (SB_LAZYTIME, ",lazytime")]
    {
        if flags & flag != 0 {
            out.extend_from_slice(name.as_bytes());
        }
    }
    out
}

/// The filesystem's own options in /proc/mounts, as it shows them.
fn show_fs_options(sb: &SuperBlock) -> Vec<u8> {
    sb.ops().show_options(sb).into_bytes()
}
