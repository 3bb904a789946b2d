//! A process's filesystem context: its working directory and umask
//! (Linux's fs_struct). Copied by fork, kept by execve.

use alloc::vec::Vec;

#[derive(Clone)]
pub struct FsContext {
    /// The absolute path of the working directory.
    pub cwd: Vec<u8>,
    /// Linux's default umask for init is 0022.
    pub umask: u32,
}

impl FsContext {
    pub fn new() -> FsContext {
        FsContext { cwd: b"/".to_vec(), umask: 0o022 }
    }
}

impl Default for FsContext {
    fn default() -> Self {
        Self::new()
    }
}

/// getcwd(2): the working directory's path, NUL-terminated; ERANGE if the
/// buffer is too small. Returns the length including the NUL, as Linux.
pub fn sys_getcwd(buf: u64, size: usize) -> Result<usize, abi::Errno> {
    let mut path = crate::sched::current().fs.lock().cwd.clone();
    path.push(0);
    if path.len() > size {
        return Err(abi::Errno::ERANGE);
    }
    crate::mm::uaccess::copy_to_user(buf, &path)?;
    Ok(path.len())
}

/// umask(2): sets the file-mode creation mask, returning the old one.
pub fn sys_umask(mask: u32) -> Result<usize, abi::Errno> {
    let task = crate::sched::current();
    let mut fs = task.fs.lock();
    let old = fs.umask;
    fs.umask = mask & 0o777;
    Ok(old as usize)
}
