//! dup(2), dup2(2), dup3(2) and fcntl(2) for descriptors and status flags.

use abi::fcntl::{FD_CLOEXEC, F_ADD_SEALS, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_GET_SEALS, F_SETFD, F_SETFL};
use abi::{Errno, OpenFlags};

use crate::sched::current;

pub fn sys_dup(fd: i32) -> Result<usize, Errno> {
    let task = current();
    let mut table = task.files.lock();
    let file = table.get(fd)?;
    table.install(file, false).map(|fd| fd as usize)
}

pub fn sys_dup3(old: i32, new: i32, flags: u32) -> Result<usize, Errno> {
    if flags & !OpenFlags::O_CLOEXEC.bits() != 0 || old == new {
        return Err(Errno::EINVAL);
    }
    let task = current();
    let mut table = task.files.lock();
    let file = table.get(old)?;
    table.install_at(new, file, flags != 0)?;
    Ok(new as usize)
}

/// dup2: like dup3, but the same descriptor twice is a valid no-op.
pub fn sys_dup2(old: i32, new: i32) -> Result<usize, Errno> {
    if old == new {
        return current().files.lock().get(old).map(|_| new as usize);
    }
    sys_dup3(old, new, 0)
}

pub fn sys_fcntl(fd: i32, cmd: i32, arg: u64) -> Result<usize, Errno> {
    let task = current();
    let mut table = task.files.lock();
    let file = table.get(fd)?;
    // An O_PATH descriptor allows only these (Linux's check_fcntl_cmd).
    if file.is_path() && !matches!(cmd, F_DUPFD | F_DUPFD_CLOEXEC | F_GETFD | F_SETFD | F_GETFL) {
        return Err(Errno::EBADF);
    }
    if super::locks::posix::is_lock_command(cmd) {
        // A lock may wait: not with the descriptor table locked.
        drop(table);
        return super::locks::posix::fcntl_lock(&file, cmd, arg);
    }
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let min = usize::try_from(arg as i32).map_err(|_| Errno::EINVAL)?;
            table.install_from(min, file, cmd == F_DUPFD_CLOEXEC).map(|fd| fd as usize)
        }
        F_GETFD => Ok(if table.cloexec(fd)? { FD_CLOEXEC as usize } else { 0 }),
        F_SETFD => table.set_cloexec(fd, arg as i32 & FD_CLOEXEC != 0).map(|_| 0),
        F_GETFL => Ok(file.flags().bits() as usize),
        F_ADD_SEALS | F_GET_SEALS => {
            drop(table);
            super::memfd::fcntl(&file, cmd, arg)
        }
        F_SETFL => {
            file.set_status_flags(arg as u32);
            Ok(0)
        }
        abi::fcntl::F_GETPIPE_SZ | abi::fcntl::F_SETPIPE_SZ => {
            drop(table);
            file.object::<super::pipe::Pipe>().ok_or(Errno::EBADF)?.fcntl(cmd, arg)
        }
        _ => Err(Errno::EINVAL),
    }
}
