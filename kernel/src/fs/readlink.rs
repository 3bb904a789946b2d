//! readlink(2) and readlinkat(2): a symlink's target, not NUL-terminated,
//! cut to the buffer's size.

use abi::Errno;

use super::namei;
use crate::uaccess::copy_to_user;

pub fn sys_readlinkat(dirfd: i32, path: u64, buf: u64, size: i32) -> Result<usize, Errno> {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = namei::read_path(path)?;
    let link = if path.is_empty() {
        // An empty path reads the symlink an O_PATH|O_NOFOLLOW descriptor
        // holds; any other descriptor has no name to read there.
        let link = namei::fd_path(dirfd)?;
        if !link.is_symlink() {
            return Err(Errno::ENOENT);
        }
        link
    } else {
        namei::lookup(dirfd, &path, false)?
    };
    let target = link.read_link()?;
    let n = target.len().min(size as usize);
    copy_to_user(buf, &target[..n])?;
    link.lock().accessed(link.mnt.atime(false));
    Ok(n)
}

pub fn sys_readlink(path: u64, buf: u64, size: i32) -> Result<usize, Errno> {
    sys_readlinkat(abi::AT_FDCWD, path, buf, size)
}
