//! The names /proc shows for open files, mapped files, executables and
//! working directories (Linux's d_path). A directory knows its parent and
//! its name there, so its path is found by climbing; other files do not
//! (hard links), so whoever opens one keeps where the walk found it: the
//! directory and the name, a `Link` (the part of Linux's dentry that
//! naming needs).

use alloc::format;
use alloc::vec::Vec;

use super::context::path_name;
use super::mount::{pipe_mount, Path};

/// Where a path walk found a file: the directory it was looked up in and
/// the name it had there.
#[derive(Clone)]
pub struct Link {
    pub dir: Path,
    pub name: Vec<u8>,
}

/// A file and, when known, where it was found.
#[derive(Clone)]
pub struct NamedPath {
    pub path: Path,
    pub link: Option<Link>,
}

/// The path of `path` from the root, as /proc's links and maps show it:
/// a pipe as `pipe:[ino]`, a socket as `socket:[ino]`; a removed file with " (deleted)" after the
/// name it had; a file with no known name as its inode number.
pub fn d_path(path: &Path, link: Option<&Link>) -> Vec<u8> {
    if alloc::sync::Arc::ptr_eq(&path.mnt, &pipe_mount()) {
        let kind = if path.kind() == abi::S_IFSOCK { "socket" } else { "pipe" };
        return format!("{kind}:[{}]", path.ino).into_bytes();
    }
    if path.is_dir() || path.is_mount_root() {
        return match path_name(path) {
            Ok(name) => name,
            Err(_) => b"/ (deleted)".to_vec(),
        };
    }
    let Some(link) = link else {
        return format!("anon_inode:[{}]", path.ino).into_bytes();
    };
    // A file of an internal mount (a memfd) is named from that mount's
    // root, which no path reaches: "/memfd:NAME".
    let mut name = if link.dir.mnt.is_internal() { b"/".to_vec() } else { path_name(&link.dir).unwrap_or_default() };
    if name != b"/" {
        name.push(b'/');
    }
    name.extend_from_slice(&link.name);
    if path.lock().nlink == 0 {
        name.extend_from_slice(b" (deleted)");
    }
    name
}
