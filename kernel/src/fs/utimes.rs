//! Setting file times: utimensat(2) (futimens is utimensat on a
//! descriptor with a NULL path), and the older utimes(2), futimesat(2) and
//! utime(2).

use abi::{AtFlags, Errno, Timespec, Timeval, UTIME_NOW, UTIME_OMIT};
use bytemuck::{Pod, Zeroable};

use super::file::get_file;
use super::inode::{now, Inode};
use super::mount::Path;
use super::namei;
use super::perm::{owner_or_privileged, permission, MAY_WRITE};
use crate::uaccess::read_user;

/// Sets atime and mtime (None: leave alone); ctime becomes now. Setting
/// both to now needs only write access; anything else needs the owner.
fn set_times(path: &Path, times: Option<[Timespec; 2]>) -> Result<usize, Errno> {
    let valid =
        |t: &Timespec| t.tv_nsec == UTIME_NOW || t.tv_nsec == UTIME_OMIT || (0..1_000_000_000).contains(&t.tv_nsec);
    if let Some(t) = &times {
        if !t.iter().all(valid) {
            return Err(Errno::EINVAL);
        }
    }
    path.mnt.want_write()?;
    let inode: &Inode = path;
    let all_now = times.is_none_or(|t| t.iter().all(|t| t.tv_nsec == UTIME_NOW));
    if !all_now {
        owner_or_privileged(inode)?;
    } else if owner_or_privileged(inode).is_err() {
        permission(inode, MAY_WRITE)?;
    }
    let t = now();
    let pick = |want: Option<Timespec>, old: Timespec| match want {
        Some(Timespec { tv_nsec: UTIME_OMIT, .. }) => old,
        Some(Timespec { tv_nsec: UTIME_NOW, .. }) | None => t,
        Some(given) => given,
    };
    let mut i = inode.lock();
    i.atime = pick(times.map(|x| x[0]), i.atime);
    i.mtime = pick(times.map(|x| x[1]), i.mtime);
    i.ctime = t;
    drop(i);
    super::notify::notify(inode, None, super::notify::IN_ATTRIB);
    Ok(0)
}

pub fn sys_utimensat(dirfd: i32, path: u64, times: u64, flags: u32) -> Result<usize, Errno> {
    let times: Option<[Timespec; 2]> = if times == 0 { None } else { Some(read_user(times)?) };
    // Nothing to do, so not even the path is looked at (Linux).
    if times.is_some_and(|t| t.iter().all(|t| t.tv_nsec == UTIME_OMIT)) {
        return Ok(0);
    }
    if path == 0 && dirfd != abi::AT_FDCWD {
        // futimens: the descriptor itself, which takes no flags.
        if flags != 0 {
            return Err(Errno::EINVAL);
        }
        return set_times(get_file(dirfd)?.path(), times);
    }
    let allowed = AtFlags::AT_SYMLINK_NOFOLLOW | AtFlags::AT_EMPTY_PATH;
    let flags = AtFlags::from_bits(flags).filter(|f| allowed.contains(*f)).ok_or(Errno::EINVAL)?;
    let path = namei::read_path(path)?;
    set_times(&namei::lookup_at(dirfd, &path, flags)?, times)
}

fn from_timeval(tv: Timeval) -> Result<Timespec, Errno> {
    if !(0..1_000_000).contains(&tv.tv_usec) {
        return Err(Errno::EINVAL);
    }
    Ok(Timespec { tv_sec: tv.tv_sec, tv_nsec: tv.tv_usec * 1000 })
}

pub fn sys_futimesat(dirfd: i32, path: u64, times: u64) -> Result<usize, Errno> {
    let times = if times == 0 {
        None
    } else {
        let tv: [Timeval; 2] = read_user(times)?;
        Some([from_timeval(tv[0])?, from_timeval(tv[1])?])
    };
    let path = namei::read_path(path)?;
    set_times(&namei::lookup(dirfd, &path, true)?, times)
}

pub fn sys_utimes(path: u64, times: u64) -> Result<usize, Errno> {
    sys_futimesat(abi::AT_FDCWD, path, times)
}

/// struct utimbuf of utime(2).
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C)]
struct Utimbuf {
    actime: i64,
    modtime: i64,
}

pub fn sys_utime(path: u64, times: u64) -> Result<usize, Errno> {
    let times = if times == 0 {
        None
    } else {
        let u: Utimbuf = read_user(times)?;
        Some([Timespec { tv_sec: u.actime, tv_nsec: 0 }, Timespec { tv_sec: u.modtime, tv_nsec: 0 }])
    };
    let path = namei::read_path(path)?;
    set_times(&namei::lookup(abi::AT_FDCWD, &path, true)?, times)
}
