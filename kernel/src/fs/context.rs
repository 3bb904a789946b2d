//! A process's filesystem context: its root, working directory and umask
//! (Linux's fs_struct). Copied by fork, kept by execve. Also chdir(2),
//! fchdir(2), chroot(2), getcwd(2), umask(2).

use alloc::vec::Vec;

use abi::Errno;

use super::mount::{root_path, Path};
use super::namei;
use super::perm::{permission, MAY_EXEC};
use super::ramfs;

#[derive(Clone)]
pub struct FsContext {
    /// The working directory itself (a mount and a directory), not its
    /// name: it stays the same directory when it is renamed or moved, and
    /// keeps its mount busy, as on Linux.
    pub cwd: Path,
    /// The directory chroot(2) made the process's "/"; None: the
    /// namespace's root, whichever it is now.
    pub root: Option<Path>,
    /// Linux's default umask for init is 0022.
    pub umask: u32,
}

impl FsContext {
    pub fn new() -> FsContext {
        FsContext { cwd: root_path(), root: None, umask: 0o022 }
    }

    /// The process's "/".
    pub fn root(&self) -> Path {
        self.root.clone().unwrap_or_else(root_path)
    }
}

/// The calling process's "/": where absolute paths start and `..` stops.
pub fn process_root() -> Path {
    crate::sched::current().fs.lock().root()
}

impl Default for FsContext {
    fn default() -> Self {
        Self::new()
    }
}

/// The absolute path of a place, from its `..` links and the names its
/// parents hold it under, climbing from a mount's root to its mountpoint
/// (Linux's d_path); ENOENT once a directory has been removed. A place in
/// a detached mount has no path from the root: it starts with
/// "(unreachable)", as Linux's getcwd says.
pub fn path_name(place: &Path) -> Result<Vec<u8>, Errno> {
    if place.is_dir() && ramfs::is_dead(place) {
        return Err(Errno::ENOENT);
    }
    // From the process's root; a place outside it is unreachable too.
    let root = process_root();
    let namespace_root = root_path();
    let mut names = Vec::new();
    let mut at = place.clone();
    let mut reachable = true;
    while !at.same_as(&root) {
        if at.same_as(&namespace_root) {
            reachable = false;
            break;
        }
        if at.is_mount_root() {
            match at.mnt.mountpoint() {
                Some(mp) => at = mp,
                None => {
                    reachable = false;
                    break;
                }
            }
            continue;
        }
        let parent = ramfs::parent_of(&at);
        let name = parent.name_of(&at).ok_or(Errno::ENOENT)?;
        names.push(name);
        at = at.child(parent);
    }
    let mut path = Vec::new();
    if !reachable {
        path.extend_from_slice(b"(unreachable)");
    }
    for name in names.iter().rev() {
        path.push(b'/');
        path.extend_from_slice(name);
    }
    if names.is_empty() {
        path.push(b'/');
    }
    Ok(path)
}

/// getcwd(2): the working directory's path, NUL-terminated; ERANGE if the
/// buffer is too small. Returns the length including the NUL, as Linux.
pub fn sys_getcwd(buf: u64, size: usize) -> Result<usize, Errno> {
    let mut path = path_name(&namei::cwd())?;
    path.push(0);
    if path.len() > size {
        return Err(Errno::ERANGE);
    }
    crate::uaccess::copy_to_user(buf, &path)?;
    Ok(path.len())
}

fn set_cwd(dir: Path) -> Result<usize, Errno> {
    if !dir.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    permission(&dir, MAY_EXEC)?;
    dir.mnt.touch();
    let old = core::mem::replace(&mut crate::sched::current().fs.lock().cwd, dir);
    drop(old); // outside the lock: it may be a detached mount's last user
    Ok(0)
}

pub fn sys_chdir(path: u64) -> Result<usize, Errno> {
    let path = namei::read_path(path)?;
    set_cwd(namei::lookup(abi::AT_FDCWD, &path, true)?)
}

/// fchdir(2): O_PATH descriptors of directories work too.
pub fn sys_fchdir(fd: i32) -> Result<usize, Errno> {
    set_cwd(super::file::get_raw(fd)?.path().clone())
}

/// chroot(2): `path` becomes the process's "/" (the working directory
/// stays where it is). It must be a searchable directory (ENOTDIR,
/// EACCES); only the privileged may (CAP_SYS_CHROOT: EPERM).
pub fn sys_chroot(path: u64) -> Result<usize, Errno> {
    let path = namei::read_path(path)?;
    let dir = namei::lookup(abi::AT_FDCWD, &path, true)?;
    if !dir.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    permission(&dir, MAY_EXEC)?;
    let task = crate::sched::current();
    if !task.cred.lock().capable(abi::capability::CAP_SYS_CHROOT) {
        return Err(Errno::EPERM);
    }
    let old = task.fs.lock().root.replace(dir);
    drop(old);
    Ok(0)
}

/// umask(2): sets the file-mode creation mask, returning the old one.
pub fn sys_umask(mask: u32) -> Result<usize, Errno> {
    let task = crate::sched::current();
    let mut fs = task.fs.lock();
    let old = fs.umask;
    fs.umask = mask & 0o777;
    Ok(old as usize)
}
