//! The path walk (Linux's namei): from the root, the working directory or
//! a directory descriptor, through `.`, `..` and symlinks, to an inode, or
//! to the directory and last component that a create or remove acts on.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{AtFlags, Errno, AT_FDCWD};

use super::inode::Inode;
use super::perm::{permission, MAY_EXEC};
use super::ramfs;
use crate::mm::uaccess::read_user_cstr;
use crate::sched::current;

/// Linux's PATH_MAX, counting the terminating NUL.
pub const PATH_MAX: usize = 4096;
/// Linux's NAME_MAX: the longest path component.
pub const NAME_MAX: usize = 255;
/// Linux's MAXSYMLINKS: symlinks followed in one walk.
pub const MAX_SYMLINKS: u32 = 40;

/// Reads a path argument: ENAMETOOLONG from PATH_MAX bytes on.
pub fn read_path(addr: u64) -> Result<Vec<u8>, Errno> {
    read_user_cstr(addr, PATH_MAX - 1, Errno::ENAMETOOLONG)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LastKind {
    Normal,
    /// The path ends in `.`.
    Dot,
    /// The path ends in `..`.
    DotDot,
    /// The path is `/` (or only slashes).
    Root,
}

/// Where a path ends: the directory holding the last component, which is
/// not looked up (the caller creates, removes or looks it up).
pub struct Parent {
    pub dir: Arc<Inode>,
    pub name: Vec<u8>,
    pub kind: LastKind,
    /// The path ends in `/`: the last component must be a directory.
    pub trailing_slash: bool,
}

impl Parent {
    /// The last component's inode, if it exists (no symlink followed).
    pub fn existing(&self) -> Result<Option<Arc<Inode>>, Errno> {
        check_name(&self.name)?;
        Ok(self.dir.lock().dir()?.get(&self.name))
    }
}

pub fn check_name(name: &[u8]) -> Result<(), Errno> {
    if name.len() > NAME_MAX {
        Err(Errno::ENAMETOOLONG)
    } else {
        Ok(())
    }
}

/// The working directory of the calling process.
pub fn cwd() -> Arc<Inode> {
    current().fs.lock().cwd.clone()
}

/// The inode an open descriptor refers to (AT_FDCWD: the working
/// directory). O_PATH descriptors count, as for Linux's fdget_raw.
pub fn fd_inode(fd: i32) -> Result<Arc<Inode>, Errno> {
    if fd == AT_FDCWD {
        return Ok(cwd());
    }
    Ok(current().files.lock().get(fd)?.inode().clone())
}

/// Where a path is walked from: the root for absolute paths (dirfd is then
/// not even looked at), else the working directory or dirfd's directory.
fn start(dirfd: i32, path: &[u8]) -> Result<Arc<Inode>, Errno> {
    if path.starts_with(b"/") {
        return Ok(ramfs::root());
    }
    let dir = fd_inode(dirfd)?;
    if !dir.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    Ok(dir)
}

/// The components of a path, without empty ones; a trailing slash adds
/// a "." so that the last name must be a directory (and a symlink there
/// is followed), as Linux's trailing-slash rule says.
fn components(path: &[u8]) -> VecDeque<Vec<u8>> {
    let mut parts: VecDeque<Vec<u8>> =
        path.split(|&b| b == b'/').filter(|p| !p.is_empty()).map(<[u8]>::to_vec).collect();
    if path.ends_with(b"/") && !parts.is_empty() {
        parts.push_back(b".".to_vec());
    }
    parts
}

/// Walks `names` from `dir`. A symlink met on the way has its target's
/// components put in front of what is left (from the root when absolute),
/// so nested symlinks need no recursion; the last name's symlink is
/// followed only when `follow_last` is set.
fn walk_names(
    mut dir: Arc<Inode>,
    mut names: VecDeque<Vec<u8>>,
    follow_last: bool,
    links_left: &mut u32,
) -> Result<Arc<Inode>, Errno> {
    while let Some(name) = names.pop_front() {
        if !dir.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        permission(&dir, MAY_EXEC)?;
        let next = match name.as_slice() {
            b"." => dir.clone(),
            b".." => ramfs::parent_of(&dir),
            _ => {
                check_name(&name)?;
                dir.lock().dir()?.get(&name).ok_or(Errno::ENOENT)?
            }
        };
        if next.is_symlink() && (follow_last || !names.is_empty()) {
            if *links_left == 0 {
                return Err(Errno::ELOOP);
            }
            *links_left -= 1;
            let target = next.symlink_target().unwrap_or_default();
            next.lock().accessed();
            if target.is_empty() {
                return Err(Errno::ENOENT);
            }
            if target.starts_with(b"/") {
                dir = ramfs::root();
            }
            for part in components(&target).into_iter().rev() {
                names.push_front(part);
            }
            continue;
        }
        dir = next;
    }
    Ok(dir)
}

/// Walks all but the last component of `path` from `start`.
pub fn walk_parent(start: Arc<Inode>, path: &[u8], links_left: &mut u32) -> Result<Parent, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let start = if path.starts_with(b"/") { ramfs::root() } else { start };
    let mut names: VecDeque<Vec<u8>> =
        path.split(|&b| b == b'/').filter(|p| !p.is_empty()).map(<[u8]>::to_vec).collect();
    let Some(last) = names.pop_back() else {
        return Ok(Parent { dir: start, name: Vec::new(), kind: LastKind::Root, trailing_slash: false });
    };
    let dir = walk_names(start, names, true, links_left)?;
    if !dir.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    permission(&dir, MAY_EXEC)?;
    let kind = match last.as_slice() {
        b"." => LastKind::Dot,
        b".." => LastKind::DotDot,
        _ => LastKind::Normal,
    };
    Ok(Parent { dir, name: last, kind, trailing_slash: path.ends_with(b"/") })
}

/// Walks `path` from `start` to an inode. A trailing slash follows a last
/// symlink whatever `follow` says and requires a directory.
pub fn walk(start: Arc<Inode>, path: &[u8], follow: bool, links_left: &mut u32) -> Result<Arc<Inode>, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let start = if path.starts_with(b"/") { ramfs::root() } else { start };
    walk_names(start, components(path), follow, links_left)
}

/// Resolves `path` relative to `dirfd`.
pub fn lookup(dirfd: i32, path: &[u8], follow: bool) -> Result<Arc<Inode>, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let mut links_left = MAX_SYMLINKS;
    walk(start(dirfd, path)?, path, follow, &mut links_left)
}

/// Resolves `path` relative to `dirfd` for the *at calls' flags:
/// AT_SYMLINK_NOFOLLOW, and AT_EMPTY_PATH (an empty path is dirfd itself).
pub fn lookup_at(dirfd: i32, path: &[u8], flags: AtFlags) -> Result<Arc<Inode>, Errno> {
    if path.is_empty() && flags.contains(AtFlags::AT_EMPTY_PATH) {
        return fd_inode(dirfd);
    }
    lookup(dirfd, path, !flags.contains(AtFlags::AT_SYMLINK_NOFOLLOW))
}

/// Walks to the directory holding the last component of `path`.
pub fn lookup_parent(dirfd: i32, path: &[u8]) -> Result<Parent, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let mut links_left = MAX_SYMLINKS;
    walk_parent(start(dirfd, path)?, path, &mut links_left)
}
