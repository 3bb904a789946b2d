//! Credentials. Every process runs as root (uid 0, gid 0) until setuid(2)
//! and friends exist, so the getters report exactly that.

use abi::Errno;

pub const ROOT_UID: u32 = 0;
pub const ROOT_GID: u32 = 0;

pub fn sys_getuid() -> Result<usize, Errno> {
    Ok(ROOT_UID as usize)
}

pub fn sys_geteuid() -> Result<usize, Errno> {
    Ok(ROOT_UID as usize)
}

pub fn sys_getgid() -> Result<usize, Errno> {
    Ok(ROOT_GID as usize)
}

pub fn sys_getegid() -> Result<usize, Errno> {
    Ok(ROOT_GID as usize)
}
