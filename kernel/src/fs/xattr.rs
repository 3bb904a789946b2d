//! Extended attributes: setxattr(2), getxattr(2), listxattr(2),
//! removexattr(2), each with its l- (the link itself) and f- (a
//! descriptor) form, and who may touch which namespace (Linux's
//! xattr_permission with the capability rules of a kernel without a
//! security module). tmpfs keeps security.* and trusted.* names
//! (ram_xattr.rs); kestrelfs keeps one, `btrfs.compression`
//! (kestrel/attr.rs); ramfs none.

use alloc::vec;
use alloc::vec::Vec;

use abi::{AtFlags, Errno};

use super::file::get_file;
use super::mount::Path;
use super::namei;
use super::perm::{permission, MAY_READ, MAY_WRITE};
use crate::uaccess::{copy_from_user, copy_to_user, read_user_cstr};

/// Linux's limits: a name of 1..=255 bytes, a value or list of 64 KiB.
const XATTR_NAME_MAX: usize = 255;
const XATTR_SIZE_MAX: usize = 65536;

/// Which file: a path (following a last symlink or not), or a descriptor.
enum Target {
    Path(u64, bool),
    Fd(i32),
}

fn resolve(target: Target) -> Result<Path, Errno> {
    match target {
        Target::Path(path, follow) => {
            let path = namei::read_path(path)?;
            let flags = if follow { AtFlags::empty() } else { AtFlags::AT_SYMLINK_NOFOLLOW };
            namei::lookup_at(abi::AT_FDCWD, &path, flags)
        }
        Target::Fd(fd) => Ok(get_file(fd)?.path().clone()),
    }
}

/// The attribute's name: ERANGE when empty or longer than XATTR_NAME_MAX.
fn read_name(addr: u64) -> Result<Vec<u8>, Errno> {
    let name = read_user_cstr(addr, XATTR_NAME_MAX, Errno::ERANGE)?;
    if name.is_empty() {
        return Err(Errno::ERANGE);
    }
    Ok(name)
}

/// Copies `data` out as the get and list calls do: size 0 asks for the
/// length; a smaller buffer is ERANGE.
fn give(data: &[u8], buf: u64, size: usize) -> Result<usize, Errno> {
    if size == 0 {
        return Ok(data.len());
    }
    if size < data.len() {
        return Err(Errno::ERANGE);
    }
    copy_to_user(buf, data)?;
    Ok(data.len())
}

fn setxattr(target: Target, name: u64, value: u64, size: usize, flags: i32) -> Result<usize, Errno> {
    if flags & !(abi::ioctl::XATTR_CREATE | abi::ioctl::XATTR_REPLACE) != 0 {
        return Err(Errno::EINVAL);
    }
    let name = read_name(name)?;
    if size > XATTR_SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    let mut data = vec![0u8; size];
    if size > 0 {
        copy_from_user(&mut data, value)?;
    }
    let path = resolve(target)?;
    path.mnt.want_write()?;
    may_touch(&path, &name, true)?;
    path.inode.sb.ops().set_xattr(&path, &name, Some(&data), flags)?;
    super::notify::notify(&path.inode, None, super::notify::IN_ATTRIB);
    Ok(0)
}

fn getxattr(target: Target, name: u64, value: u64, size: usize) -> Result<usize, Errno> {
    let name = read_name(name)?;
    let path = resolve(target)?;
    may_touch(&path, &name, false)?;
    let data = path.inode.sb.ops().get_xattr(&path, &name)?;
    give(&data, value, size.min(XATTR_SIZE_MAX))
}

fn listxattr(target: Target, list: u64, size: usize) -> Result<usize, Errno> {
    let path = resolve(target)?;
    let mut names = path.inode.sb.ops().list_xattr(&path)?;
    // trusted.* names are shown to the privileged only.
    if !privileged() {
        let kept: Vec<&[u8]> =
            names.split(|&b| b == 0).filter(|n| !n.is_empty() && !n.starts_with(b"trusted.")).collect();
        names = kept.iter().flat_map(|n| n.iter().copied().chain(core::iter::once(0))).collect();
    }
    give(&names, list, size.min(XATTR_SIZE_MAX))
}

fn removexattr(target: Target, name: u64) -> Result<usize, Errno> {
    let name = read_name(name)?;
    let path = resolve(target)?;
    path.mnt.want_write()?;
    may_touch(&path, &name, true)?;
    path.inode.sb.ops().set_xattr(&path, &name, None, 0)?;
    super::notify::notify(&path.inode, None, super::notify::IN_ATTRIB);
    Ok(0)
}

fn privileged() -> bool {
    crate::sched::current().cred.lock().is_privileged()
}

/// Whether the caller may read (`write` false) or change attribute `name`
/// of `path`: trusted.* is for the privileged (EPERM to change, ENODATA
/// to read); security.* takes privilege to change (CAP_SYS_ADMIN, the
/// capability module's rule) and nothing to read; system.* is the
/// filesystem's to judge; user.* lives on regular files and directories
/// only; the rest need the file's read or write permission.
fn may_touch(path: &Path, name: &[u8], write: bool) -> Result<(), Errno> {
    if name.starts_with(b"trusted.") {
        return match (privileged(), write) {
            (true, _) => Ok(()),
            (false, true) => Err(Errno::EPERM),
            (false, false) => Err(Errno::ENODATA),
        };
    }
    if name.starts_with(b"security.") {
        return if write && !privileged() { Err(Errno::EPERM) } else { Ok(()) };
    }
    if name.starts_with(b"system.") {
        return Ok(());
    }
    if name.starts_with(b"user.") && !(path.is_regular() || path.is_dir()) {
        return Err(if write { Errno::EPERM } else { Errno::ENODATA });
    }
    permission(path, if write { MAY_WRITE } else { MAY_READ })
}

pub fn sys_setxattr(path: u64, name: u64, value: u64, size: usize, flags: i32) -> Result<usize, Errno> {
    setxattr(Target::Path(path, true), name, value, size, flags)
}

pub fn sys_lsetxattr(path: u64, name: u64, value: u64, size: usize, flags: i32) -> Result<usize, Errno> {
    setxattr(Target::Path(path, false), name, value, size, flags)
}

pub fn sys_fsetxattr(fd: i32, name: u64, value: u64, size: usize, flags: i32) -> Result<usize, Errno> {
    setxattr(Target::Fd(fd), name, value, size, flags)
}

pub fn sys_getxattr(path: u64, name: u64, value: u64, size: usize) -> Result<usize, Errno> {
    getxattr(Target::Path(path, true), name, value, size)
}

pub fn sys_lgetxattr(path: u64, name: u64, value: u64, size: usize) -> Result<usize, Errno> {
    getxattr(Target::Path(path, false), name, value, size)
}

pub fn sys_fgetxattr(fd: i32, name: u64, value: u64, size: usize) -> Result<usize, Errno> {
    getxattr(Target::Fd(fd), name, value, size)
}

pub fn sys_listxattr(path: u64, list: u64, size: usize) -> Result<usize, Errno> {
    listxattr(Target::Path(path, true), list, size)
}

pub fn sys_llistxattr(path: u64, list: u64, size: usize) -> Result<usize, Errno> {
    listxattr(Target::Path(path, false), list, size)
}

pub fn sys_flistxattr(fd: i32, list: u64, size: usize) -> Result<usize, Errno> {
    listxattr(Target::Fd(fd), list, size)
}

pub fn sys_removexattr(path: u64, name: u64) -> Result<usize, Errno> {
    removexattr(Target::Path(path, true), name)
}

pub fn sys_lremovexattr(path: u64, name: u64) -> Result<usize, Errno> {
    removexattr(Target::Path(path, false), name)
}

pub fn sys_fremovexattr(fd: i32, name: u64) -> Result<usize, Errno> {
    removexattr(Target::Fd(fd), name)
}
