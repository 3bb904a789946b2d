//! ioctl(2): the commands every descriptor answers (Linux's
//! do_vfs_ioctl, with the inode flags of FS_IOC_GETFLAGS/SETFLAGS, which
//! only kestrelfs keeps), then the open file's own.

use abi::ioctl::{FIOCLEX, FIONBIO, FIONCLEX, FIONREAD, FIOQSIZE, FS_IOC_GETFLAGS, FS_IOC_SETFLAGS};
use abi::{Errno, OpenFlags};

use super::file::get_file;
use crate::sched::current;
use crate::uaccess::{read_user, write_user};

pub fn sys_ioctl(fd: i32, cmd: u32, arg: u64) -> Result<usize, Errno> {
    let file = get_file(fd)?;
    let inode = file.inode();
    match cmd as usize {
        FIOCLEX | FIONCLEX => current().files.lock().set_cloexec(fd, cmd as usize == FIOCLEX).map(|_| 0),
        FIONBIO => {
            let on: i32 = read_user(arg)?;
            let flags = file.flags() - OpenFlags::O_NONBLOCK;
            let flags = if on != 0 { flags | OpenFlags::O_NONBLOCK } else { flags };
            file.set_status_flags(flags.bits());
            Ok(0)
        }
        // The space the file takes (Linux's inode_get_bytes), not its size.
        FIOQSIZE if inode.is_regular() || inode.is_dir() || inode.is_symlink() => {
            write_user(arg, &(inode.stat().st_blocks * 512)).map(|_| 0)
        }
        FIOQSIZE => Err(Errno::ENOTTY),
        // A regular file has what lies between the offset and the end.
        FIONREAD if inode.is_regular() => {
            let left = (inode.stat().st_size as u64).saturating_sub(file.pos());
            write_user(arg, &(left.min(i32::MAX as u64) as i32)).map(|_| 0)
        }
        // Inode flags (chattr, lsattr), where the filesystem keeps them.
        FS_IOC_GETFLAGS | FS_IOC_SETFLAGS => match inode.sb.ops().inode_flags(inode) {
            Some(flags) if cmd as usize == FS_IOC_GETFLAGS => write_user(arg, &(flags? as i32)).map(|_| 0),
            Some(_) => {
                let flags: i32 = read_user(arg)?;
                super::perm::owner_or_privileged(inode)?;
                file.path().mnt.want_write()?;
                inode.sb.ops().set_inode_flags(inode, flags as u32).map(|_| 0)
            }
            None => file.ioctl(cmd, arg),
        },
        FICLONE => clone_range(&file, arg as i32),
        FICLONERANGE => {
            let [src, ..]: [i64; 4] = read_user(arg)?;
            clone_range(&file, i32::try_from(src).map_err(|_| Errno::EBADF)?)
        }
        _ => file.ioctl(cmd, arg),
    }
}

const FICLONE: usize = 0x4004_9409;
const FICLONERANGE: usize = 0x4020_940d;

/// FICLONE and FICLONERANGE: sharing extents between files (reflinks).
/// Linux's checks, then EOPNOTSUPP: no filesystem here shares extents.
fn clone_range(dst: &super::file::OpenFile, src_fd: i32) -> Result<usize, Errno> {
    let src = get_file(src_fd)?;
    if !alloc::sync::Arc::ptr_eq(&src.path().mnt, &dst.path().mnt) {
        return Err(Errno::EXDEV);
    }
    if src.inode().is_dir() || dst.inode().is_dir() {
        return Err(Errno::EISDIR);
    }
    if !src.inode().is_regular() || !dst.inode().is_regular() {
        return Err(Errno::EINVAL);
    }
    if !src.flags().readable() || !dst.flags().writable() || dst.flags().contains(OpenFlags::O_APPEND) {
        return Err(Errno::EBADF);
    }
    Err(Errno::EOPNOTSUPP)
}
