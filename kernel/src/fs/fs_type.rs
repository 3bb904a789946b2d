//! Kinds of filesystem (Linux's file_system_type): each has a name (for
//! mount(2), /proc/filesystems and /proc/mounts), statfs's magic number,
//! and, if mount(2) can make one, how. Filesystems register themselves at
//! boot; the VFS looks them up by name and knows none of them.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::Errno;
use spin::Mutex;

use super::mount::Mount;

/// Makes a new mount of a filesystem: (source, superblock flags, mount
/// flags, options).
pub type MountFn = fn(Option<Vec<u8>>, u32, u32, Option<&[u8]>) -> Result<Arc<Mount>, Errno>;

pub struct FileSystemType {
    pub name: &'static str,
    pub magic: i64,
    /// Needs no block device ("nodev" in /proc/filesystems).
    pub nodev: bool,
    /// None for filesystems mount(2) cannot make (rootfs, pipefs).
    pub mount: Option<MountFn>,
}

static REGISTERED: Mutex<Vec<&'static FileSystemType>> = Mutex::new(Vec::new());

pub fn register_filesystem(fs: &'static FileSystemType) {
    let mut all = REGISTERED.lock();
    if !all.iter().any(|t| core::ptr::eq(*t, fs)) {
        all.push(fs);
    }
}

/// The registered filesystem called `name`.
pub fn find_filesystem(name: &[u8]) -> Option<&'static FileSystemType> {
    REGISTERED.lock().iter().copied().find(|t| t.name.as_bytes() == name)
}

/// Every registered filesystem, in registration order.
pub fn filesystems() -> Vec<&'static FileSystemType> {
    REGISTERED.lock().clone()
}
