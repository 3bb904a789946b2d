//! The path walk (Linux's namei): from the root, the working directory or
//! a directory descriptor, through `.`, `..`, symlinks and mountpoints, to
//! a `Path` (a mount and an inode), or to the directory and last component
//! that a create or remove acts on. A walk enters whatever is mounted on
//! each name it looks up, and `..` at a mount's root climbs to the
//! mountpoint first (mount.rs).

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{AtFlags, Errno, AT_FDCWD};

use super::context::process_root;
use super::d_path::{Link, NamedPath};
use super::inode::Inode;
use super::mount::{follow_dotdot, follow_mounts, Path, MNT_NOSYMFOLLOW};
use super::perm::{permission, MAY_EXEC};
use crate::sched::current;
use crate::uaccess::read_user_cstr;

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
    pub dir: Path,
    pub name: Vec<u8>,
    pub kind: LastKind,
    /// The path ends in `/`: the last component must be a directory.
    pub trailing_slash: bool,
}

impl Parent {
    /// The last component's inode, if it exists (no symlink followed).
    pub fn existing(&self) -> Result<Option<Arc<Inode>>, Errno> {
        check_name(&self.name)?;
        self.dir.lookup(&self.name)
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
pub fn cwd() -> Path {
    current().fs.lock().cwd.clone()
}

/// The path an open descriptor refers to (AT_FDCWD: the working
/// directory). O_PATH descriptors count, as for Linux's fdget_raw.
pub fn fd_path(fd: i32) -> Result<Path, Errno> {
    if fd == AT_FDCWD {
        return Ok(cwd());
    }
    Ok(current().files.lock().get(fd)?.path().clone())
}

/// Where a path is walked from: the root for absolute paths (dirfd is then
/// not even looked at), else the working directory or dirfd's directory.
fn start(dirfd: i32, path: &[u8]) -> Result<Path, Errno> {
    if path.starts_with(b"/") {
        return Ok(process_root());
    }
    let dir = fd_path(dirfd)?;
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

/// Follows the symlink at `link`: its target, or ELOOP past the limit
/// or on a `nosymfollow` mount.
pub fn follow_link(link: &Path, links_left: &mut u32) -> Result<Vec<u8>, Errno> {
    if *links_left == 0 || link.mnt.has(MNT_NOSYMFOLLOW) {
        return Err(Errno::ELOOP);
    }
    *links_left -= 1;
    let target = link.symlink_target().unwrap_or_default();
    link.lock().accessed(link.mnt.atime(false));
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    Ok(target)
}

/// Follows a procfs magic link (/proc/PID/exe, cwd, root, fd/N): it
/// leads to the file itself, not to a path (Linux's nd_jump_link), and
/// counts against the symlink limit. None for other symlinks.
pub fn follow_magic_link(link: &Path, links_left: &mut u32) -> Result<Option<NamedPath>, Errno> {
    let Some(node) = link.node_ops() else { return Ok(None) };
    let Some(target) = node.magic_link()? else { return Ok(None) };
    if *links_left == 0 || link.mnt.has(MNT_NOSYMFOLLOW) {
        return Err(Errno::ELOOP);
    }
    *links_left -= 1;
    Ok(Some(target))
}

/// Walks `names` from `dir`. A symlink met on the way has its target's
/// components put in front of what is left (from the root when absolute),
/// so nested symlinks need no recursion; the last name's symlink is
/// followed only when `follow_last` is set. Also returns where the last
/// name was found (d_path.rs), unless the path ended in `.` or `..`.
fn walk_names(
    mut dir: Path,
    mut names: VecDeque<Vec<u8>>,
    follow_last: bool,
    links_left: &mut u32,
) -> Result<NamedPath, Errno> {
    let mut link = None;
    let root = process_root();
    while let Some(name) = names.pop_front() {
        if !dir.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        permission(&dir, MAY_EXEC)?;
        let next = match name.as_slice() {
            b"." => continue,
            b".." => follow_dotdot(&dir, &root),
            _ => {
                check_name(&name)?;
                let inode = dir.lookup(&name)?.ok_or(Errno::ENOENT)?;
                follow_mounts(dir.child(inode))
            }
        };
        if next.is_symlink() && (follow_last || !names.is_empty()) {
            if let Some(target) = follow_magic_link(&next, links_left)? {
                dir = target.path;
                link = target.link;
                continue;
            }
            let target = follow_link(&next, links_left)?;
            if target.starts_with(b"/") {
                dir = root.clone();
            }
            for part in components(&target).into_iter().rev() {
                names.push_front(part);
            }
            continue;
        }
        let parent = core::mem::replace(&mut dir, next);
        link = (name != b"..").then_some(Link { dir: parent, name });
    }
    Ok(NamedPath { path: dir, link })
}

/// Walks all but the last component of `path` from `start`.
pub fn walk_parent(start: Path, path: &[u8], links_left: &mut u32) -> Result<Parent, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let start = if path.starts_with(b"/") { process_root() } else { start };
    let mut names: VecDeque<Vec<u8>> =
        path.split(|&b| b == b'/').filter(|p| !p.is_empty()).map(<[u8]>::to_vec).collect();
    let Some(last) = names.pop_back() else {
        return Ok(Parent { dir: start, name: Vec::new(), kind: LastKind::Root, trailing_slash: false });
    };
    let dir = walk_names(start, names, true, links_left)?.path;
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

/// Walks `path` from `start`, also telling where the last name was found
/// (d_path.rs). A trailing slash follows a last symlink whatever `follow`
/// says and requires a directory.
pub fn walk_named(start: Path, path: &[u8], follow: bool, links_left: &mut u32) -> Result<NamedPath, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let start = if path.starts_with(b"/") { process_root() } else { start };
    walk_names(start, components(path), follow, links_left)
}

/// Resolves `path` relative to `dirfd`.
pub fn lookup(dirfd: i32, path: &[u8], follow: bool) -> Result<Path, Errno> {
    lookup_named(dirfd, path, follow).map(|p| p.path)
}

/// `lookup`, also telling where the last name was found (open, execve).
pub fn lookup_named(dirfd: i32, path: &[u8], follow: bool) -> Result<NamedPath, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let mut links_left = MAX_SYMLINKS;
    walk_named(start(dirfd, path)?, path, follow, &mut links_left)
}

/// Resolves `path` relative to `dirfd` for the *at calls' flags:
/// AT_SYMLINK_NOFOLLOW, and AT_EMPTY_PATH (an empty path is dirfd itself).
pub fn lookup_at(dirfd: i32, path: &[u8], flags: AtFlags) -> Result<Path, Errno> {
    if path.is_empty() && flags.contains(AtFlags::AT_EMPTY_PATH) {
        return fd_path(dirfd);
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

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    fn parts(path: &[u8]) -> Vec<Vec<u8>> {
        components(path).into_iter().collect()
    }

    #[test]
    fn components_drop_empty_names() {
        assert_eq!(parts(b"//usr///bin/sh"), [b"usr".to_vec(), b"bin".to_vec(), b"sh".to_vec()]);
        assert!(parts(b"/").is_empty());
    }

    #[test]
    fn a_trailing_slash_asks_for_a_directory() {
        assert_eq!(parts(b"tmp/dir/"), [b"tmp".to_vec(), b"dir".to_vec(), b".".to_vec()]);
    }

    #[test]
    fn check_name_refuses_long_names() {
        assert!(check_name(&[b'a'; 255]).is_ok());
        assert_eq!(check_name(&[b'a'; 256]), Err(Errno::ENAMETOOLONG));
    }
}
