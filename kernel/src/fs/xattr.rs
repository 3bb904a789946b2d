//! Extended attributes: setxattr(2), getxattr(2), listxattr(2),
//! removexattr(2), each with its l- (the link itself) and f- (a
//! descriptor) form. Only kestrelfs keeps one, `btrfs.compression`
//! (kestrel/attr.rs); the RAM filesystems have none, and answer
//! EOPNOTSUPP to a get or set and an empty list, as Linux 6.1's ramfs and
//! tmpfs do for names outside security.* and trusted.*.

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
    permission(&path, MAY_WRITE)?;
    path.inode.sb.ops().set_xattr(&path, &name, Some(&data), flags).map(|_| 0)
}

fn getxattr(target: Target, name: u64, value: u64, size: usize) -> Result<usize, Errno> {
    let name = read_name(name)?;
    let path = resolve(target)?;
    permission(&path, MAY_READ)?;
    let data = path.inode.sb.ops().get_xattr(&path, &name)?;
    give(&data, value, size.min(XATTR_SIZE_MAX))
}

fn listxattr(target: Target, list: u64, size: usize) -> Result<usize, Errno> {
    let path = resolve(target)?;
    let names = path.inode.sb.ops().list_xattr(&path)?;
    give(&names, list, size.min(XATTR_SIZE_MAX))
}

fn removexattr(target: Target, name: u64) -> Result<usize, Errno> {
    let name = read_name(name)?;
    let path = resolve(target)?;
    path.mnt.want_write()?;
    permission(&path, MAY_WRITE)?;
    path.inode.sb.ops().set_xattr(&path, &name, None, 0).map(|_| 0)
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
