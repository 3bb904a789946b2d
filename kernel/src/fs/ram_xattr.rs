//! The extended attributes tmpfs keeps in memory, as Linux 6.1's tmpfs:
//! the security.* and trusted.* namespaces (user.* and others are
//! EOPNOTSUPP there). Who may touch which namespace is the VFS's rule
//! (xattr.rs).

use alloc::vec::Vec;

use abi::ioctl::{XATTR_CREATE, XATTR_REPLACE};
use abi::Errno;

use super::inode::Inode;

fn supported(name: &[u8]) -> bool {
    name.starts_with(b"security.") || name.starts_with(b"trusted.")
}

pub fn get(inode: &Inode, name: &[u8]) -> Result<Vec<u8>, Errno> {
    if !supported(name) {
        return Err(Errno::EOPNOTSUPP);
    }
    let i = inode.lock();
    i.xattrs.get(name).cloned().ok_or(Errno::ENODATA)
}

/// Sets (Some) or removes (None) an attribute; XATTR_CREATE is EEXIST for
/// a name already there, XATTR_REPLACE and a removal ENODATA for one that
/// is not.
pub fn set(inode: &Inode, name: &[u8], value: Option<&[u8]>, flags: i32) -> Result<(), Errno> {
    if !supported(name) {
        return Err(Errno::EOPNOTSUPP);
    }
    let mut i = inode.lock();
    let exists = i.xattrs.contains_key(name);
    if (value.is_none() || flags & XATTR_REPLACE != 0) && !exists {
        return Err(Errno::ENODATA);
    }
    if flags & XATTR_CREATE != 0 && exists {
        return Err(Errno::EEXIST);
    }
    match value {
        Some(v) => {
            i.xattrs.insert(name.to_vec(), v.to_vec());
        }
        None => {
            i.xattrs.remove(name);
        }
    }
    i.changed();
    Ok(())
}

/// The names, each followed by a NUL.
pub fn list(inode: &Inode) -> Vec<u8> {
    let i = inode.lock();
    let mut out = Vec::new();
    for name in i.xattrs.keys() {
        out.extend_from_slice(name);
        out.push(0);
    }
    out
}
