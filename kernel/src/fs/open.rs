//! open(2), openat(2), creat(2): from a path to an open file description.

use alloc::sync::Arc;

use abi::{Errno, OpenFlags, S_IFREG};

use super::chardev;
use super::create::may_create;
use super::d_path::{Link, NamedPath};
use super::file::{File, OpenFile};
use super::mount::{follow_dotdot, follow_mounts, Path, MNT_NODEV};
use super::namei::{self, LastKind};
use super::perm::{owner_or_privileged, permission, MAY_EXEC, MAY_READ, MAY_WRITE};
use super::ramfs;
use super::readdir::DirFile;
use super::regular::RegularFile;
use crate::sched::current;

/// An O_PATH descriptor: it names a file but reads and writes nothing.
struct PathFile;

impl File for PathFile {}

/// Flags an O_PATH open keeps; Linux ignores the others.
const PATH_FLAGS: OpenFlags =
    OpenFlags::O_PATH.union(OpenFlags::O_DIRECTORY).union(OpenFlags::O_NOFOLLOW).union(OpenFlags::O_CLOEXEC);
/// Flags that act at open time only and are not kept in the description.
const OPEN_ONLY: OpenFlags = OpenFlags::O_CREAT
    .union(OpenFlags::O_EXCL)
    .union(OpenFlags::O_NOCTTY)
    .union(OpenFlags::O_TRUNC)
    .union(OpenFlags::O_CLOEXEC);
/// The bit that makes O_TMPFILE (which also has O_DIRECTORY's).
const TMPFILE_BIT: u32 = 0o20000000;

/// O_CREAT's lookup: finds the last component or creates it as a regular
/// file, in one step under the namespace lock. An existing symlink is
/// followed to its target, which is created if missing, as Linux does; a
/// procfs magic link leads to its file. Returns the path (and where it
/// was found) and whether it was created.
fn open_create(dirfd: i32, path: &[u8], flags: OpenFlags, mode: u32) -> Result<(NamedPath, bool), Errno> {
    let mut links_left = namei::MAX_SYMLINKS;
    let mut p = namei::lookup_parent(dirfd, path)?;
    let unnamed = |path| Ok((NamedPath { path, link: None }, false));
    loop {
        match p.kind {
            LastKind::Normal => {}
            LastKind::Dot | LastKind::Root => return unnamed(p.dir),
            LastKind::DotDot => return unnamed(follow_dotdot(&p.dir, &super::context::process_root())),
        }
        if p.trailing_slash {
            return Err(Errno::EISDIR);
        }
        let ns = ramfs::namespace_lock();
        match p.existing()? {
            Some(_) if flags.contains(OpenFlags::O_EXCL) => return Err(Errno::EEXIST),
            Some(inode) if inode.is_symlink() => {
                drop(ns);
                if flags.contains(OpenFlags::O_NOFOLLOW) {
                    return Err(Errno::ELOOP);
                }
                let link = p.dir.child(inode);
                if let Some(target) = namei::follow_magic_link(&link, &mut links_left)? {
                    return Ok((target, false));
                }
                let target = namei::follow_link(&link, &mut links_left)?;
                p = namei::walk_parent(p.dir, &target, &mut links_left)?;
            }
            Some(inode) => {
                drop(ns);
                let path = follow_mounts(p.dir.child(inode));
                return Ok((NamedPath { path, link: Some(Link { dir: p.dir, name: p.name }) }, false));
            }
            None => {
                // A read-only mount refuses only what would be created.
                p.dir.mnt.want_write()?;
                let mode = S_IFREG | (mode & 0o7777 & !current().fs.lock().umask);
                may_create(&p.dir, &p.name)?;
                let inode = ramfs::new_child(&p.dir, mode, 0)?;
                ramfs::add_entry(&p.dir, &p.name, &inode)?;
                let path = p.dir.child(inode);
                return Ok((NamedPath { path, link: Some(Link { dir: p.dir, name: p.name }) }, true));
            }
        }
    }
}

/// The file object for an inode being opened.
fn open_inode(inode: &Path, flags: OpenFlags, created: bool) -> Result<alloc::boxed::Box<dyn File>, Errno> {
    use alloc::boxed::Box;
    if flags.contains(OpenFlags::O_PATH) {
        return Ok(Box::new(PathFile));
    }
    if let Some(node) = inode.node_ops() {
        return node.open(inode, flags);
    }
    if inode.is_regular() {
        if flags.writable() {
            inode.write_access.check_writable()?;
        }
        if flags.contains(OpenFlags::O_TRUNC) && !created {
            let mut i = inode.lock();
            let data = i.file_mut()?;
            if let Some(seals) = data.seals() {
                seals.check_resize(data.size(), 0)?;
            }
            data.truncate(0);
            i.modified();
            super::perm::remove_privs(&mut i);
        }
        let noatime = flags.contains(OpenFlags::O_NOATIME);
        return Ok(Box::new(RegularFile::new(inode.inode.clone(), Some(inode.mnt.clone()), noatime)));
    }
    if inode.is_dir() {
        return Ok(Box::new(DirFile::new(inode.inode.clone(), inode.mnt.clone())));
    }
    if inode.kind() == abi::S_IFCHR {
        let rdev = inode.lock().rdev;
        return chardev::open(rdev, flags);
    }
    if inode.kind() == abi::S_IFBLK {
        let rdev = inode.lock().rdev;
        return super::blockdev::open(rdev, flags);
    }
    if inode.is_fifo() {
        return super::fifo::open(inode, flags);
    }
    // Block devices have no driver yet; sockets cannot be opened.
    Err(Errno::ENXIO)
}

/// O_TMPFILE: a regular file with no name in directory `path`'s
/// filesystem (tmpfs and the root's RAM filesystem keep such files;
/// others are EOPNOTSUPP), which linkat may name later unless O_EXCL.
/// It must be opened for writing (EINVAL) without O_CREAT.
fn open_tmpfile(dirfd: i32, path: &[u8], flags: OpenFlags, mode: u32) -> Result<Arc<OpenFile>, Errno> {
    if !flags.contains(OpenFlags::O_DIRECTORY) || flags.contains(OpenFlags::O_CREAT) || !flags.writable() {
        return Err(Errno::EINVAL);
    }
    let dir = namei::lookup(dirfd, path, !flags.contains(OpenFlags::O_NOFOLLOW))?;
    if !dir.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    permission(&dir, MAY_WRITE | MAY_EXEC)?;
    dir.mnt.want_write()?;
    if !dir.inode.sb.is(&super::tmpfs::TMPFS) && !dir.inode.sb.is(&super::tmpfs::ROOTFS) {
        return Err(Errno::EOPNOTSUPP);
    }
    let mode = S_IFREG | (mode & 0o7777 & !current().fs.lock().umask);
    let inode = ramfs::new_child(&dir, mode, 0)?;
    inode.linkable.store(!flags.contains(OpenFlags::O_EXCL), core::sync::atomic::Ordering::Relaxed);
    let path = dir.child(inode);
    let kept = (flags - OPEN_ONLY) | OpenFlags::O_LARGEFILE;
    let file = open_inode(&path, kept, true)?;
    Ok(OpenFile::from_box_named(file, kept, path, None))
}

pub fn do_open(dirfd: i32, path: &[u8], flags: u32, mode: u32) -> Result<Arc<OpenFile>, Errno> {
    if flags & TMPFILE_BIT != 0 {
        return open_tmpfile(dirfd, path, OpenFlags::from_bits_truncate(flags), mode);
    }
    let mut flags = OpenFlags::from_bits_truncate(flags);
    if flags.contains(OpenFlags::O_CREAT | OpenFlags::O_DIRECTORY) {
        return Err(Errno::EINVAL);
    }
    if flags.contains(OpenFlags::O_PATH) {
        flags &= PATH_FLAGS;
    }
    let (named, created) = if flags.contains(OpenFlags::O_CREAT) {
        let (named, created) = open_create(dirfd, path, flags, mode)?;
        if named.path.is_dir() {
            return Err(Errno::EISDIR);
        }
        (named, created)
    } else {
        (namei::lookup_named(dirfd, path, !flags.contains(OpenFlags::O_NOFOLLOW))?, false)
    };
    let NamedPath { path: inode, link } = named;
    // Only O_PATH may open a symlink itself (O_NOFOLLOW got us here).
    if inode.is_symlink() && !flags.contains(OpenFlags::O_PATH) {
        return Err(Errno::ELOOP);
    }
    if flags.contains(OpenFlags::O_DIRECTORY) && !inode.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if !flags.contains(OpenFlags::O_PATH) {
        // Access mode 3 asks for both (ioctl-only opens); O_TRUNC writes.
        let mut want = match flags.access_mode() {
            abi::open::O_RDONLY => MAY_READ,
            abi::open::O_WRONLY => MAY_WRITE,
            _ => MAY_READ | MAY_WRITE,
        };
        if flags.contains(OpenFlags::O_TRUNC) {
            want |= MAY_WRITE;
        }
        if inode.is_dir() && want & MAY_WRITE != 0 {
            return Err(Errno::EISDIR);
        }
        // Linux's do_open and may_open: truncating needs a writable mount
        // first; device nodes on a `nodev` mount do not open.
        if inode.is_regular() && flags.contains(OpenFlags::O_TRUNC) && !created {
            inode.mnt.want_write()?;
        }
        let device = matches!(inode.kind(), abi::S_IFCHR | abi::S_IFBLK);
        if device && inode.mnt.has(MNT_NODEV) {
            return Err(Errno::EACCES);
        }
        if !created {
            permission(&inode, want & !MAY_EXEC)?;
        }
        // Writing needs a writable mount, except to devices and FIFOs.
        if want & MAY_WRITE != 0 && (inode.is_regular() || inode.is_dir() || inode.is_symlink()) {
            inode.mnt.want_write()?;
        }
        // Not updating atime hides reads: only for the owner (Linux).
        if flags.contains(OpenFlags::O_NOATIME) {
            owner_or_privileged(&inode)?;
        }
    }
    let file = open_inode(&inode, flags, created)?;
    let mut kept = flags - OPEN_ONLY;
    if !flags.contains(OpenFlags::O_PATH) {
        kept |= OpenFlags::O_LARGEFILE; // always on for 64-bit, as F_GETFL shows
    }
    let open = OpenFile::from_box_named(file, kept, inode, link);
    if !flags.contains(OpenFlags::O_PATH) {
        super::notify::notify_file(&open, super::notify::IN_OPEN);
    }
    Ok(open)
}

pub fn sys_openat(dirfd: i32, path: u64, flags: u32, mode: u32) -> Result<usize, Errno> {
    let path = namei::read_path(path)?;
    let file = do_open(dirfd, &path, flags, mode)?;
    let cloexec = flags & OpenFlags::O_CLOEXEC.bits() != 0;
    current().files.lock().install(file, cloexec).map(|fd| fd as usize)
}

pub fn sys_open(path: u64, flags: u32, mode: u32) -> Result<usize, Errno> {
    sys_openat(abi::AT_FDCWD, path, flags, mode)
}

pub fn sys_creat(path: u64, mode: u32) -> Result<usize, Errno> {
    let flags = OpenFlags::O_CREAT | OpenFlags::O_WRONLY | OpenFlags::O_TRUNC;
    sys_openat(abi::AT_FDCWD, path, flags.bits(), mode)
}

pub fn sys_close(fd: i32) -> Result<usize, Errno> {
    crate::sched::current().files.lock().close(fd).map(|_| 0)
}

const CLOSE_RANGE_UNSHARE: u32 = 2;
const CLOSE_RANGE_CLOEXEC: u32 = 4;

/// close_range(2): closes (or, with CLOSE_RANGE_CLOEXEC, marks
/// close-on-exec) every open descriptor from `first` to `last`.
/// CLOSE_RANGE_UNSHARE asks for a table of the caller's own: the table is
/// the whole process's here, which is the caller's own unless it has other
/// threads, and those cannot be given one (EINVAL).
pub fn sys_close_range(first: u32, last: u32, flags: u32) -> Result<usize, Errno> {
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(Errno::EINVAL);
    }
    let task = crate::sched::current();
    if flags & CLOSE_RANGE_UNSHARE != 0 && task.threads.lock().iter().filter(|t| t.strong_count() > 0).count() > 1 {
        return Err(Errno::EINVAL);
    }
    let mut files = task.files.lock();
    let in_range: alloc::vec::Vec<i32> =
        files.iter().map(|(fd, _, _)| fd).filter(|&fd| (first..=last).contains(&(fd as u32))).collect();
    for fd in in_range {
        if flags & CLOSE_RANGE_CLOEXEC != 0 {
            files.set_cloexec(fd, true)?;
        } else {
            files.close(fd)?;
        }
    }
    Ok(0)
}
