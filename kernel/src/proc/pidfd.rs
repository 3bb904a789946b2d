//! Process descriptors: pidfd_open(2), pidfd_send_signal(2),
//! pidfd_getfd(2), CLONE_PIDFD and waitid's P_PIDFD. A pidfd names one
//! process for as long as it is open, even after its pid is reused: it
//! holds the process's leader, and polls readable once the process has
//! exited.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::any::Any;

use abi::{Errno, OpenFlags, POLLIN, POLLRDNORM};

use crate::fs::file::{get_file, install_anon, File};
use crate::sched::current;
use crate::sched::task::{Task, TaskState};
use crate::sched::wait::WaitQueue;

pub struct PidFd {
    leader: Arc<Task>,
}

impl PidFd {
    /// The process, while it has not been reaped (its pid may since name
    /// another).
    pub fn process(&self) -> Option<Arc<Task>> {
        super::pid::find(self.leader.pid).filter(|t| Arc::ptr_eq(t, &self.leader))
    }

    pub fn pid(&self) -> u32 {
        self.leader.pid
    }

    fn exited(&self) -> bool {
        self.process().is_none_or(|t| matches!(t.state(), TaskState::Zombie(_) | TaskState::Dead))
    }
}

impl File for PidFd {
    fn object(&self) -> Option<&dyn Any> {
        Some(self)
    }

    fn read(&self, _buf: &mut [u8], _flags: OpenFlags) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn can_poll(&self) -> bool {
        true
    }

    fn poll(&self) -> i16 {
        if self.exited() {
            POLLIN | POLLRDNORM
        } else {
            0
        }
    }

    fn wait_queues(&self) -> Vec<&WaitQueue> {
        vec![&self.leader.exit_wait]
    }
}

/// A new pidfd for the process of `leader`, always close-on-exec.
pub fn install(leader: Arc<Task>, nonblock: bool) -> Result<usize, Errno> {
    let flags = if nonblock { OpenFlags::O_RDWR | OpenFlags::O_NONBLOCK } else { OpenFlags::O_RDWR };
    install_anon(PidFd { leader }, flags, true)
}

/// The pidfd behind descriptor `fd` (EBADF when it is not one).
pub fn get(fd: i32) -> Result<Arc<crate::fs::file::OpenFile>, Errno> {
    let file = get_file(fd)?;
    if file.object::<PidFd>().is_none() {
        return Err(Errno::EBADF);
    }
    Ok(file)
}

pub fn sys_pidfd_open(pid: i32, flags: u32) -> Result<usize, Errno> {
    if flags & !OpenFlags::O_NONBLOCK.bits() != 0 || pid <= 0 {
        return Err(Errno::EINVAL);
    }
    let task = super::pid::find(pid as u32).ok_or(Errno::ESRCH)?;
    // A thread other than the leader has no pidfd of its own (before
    // Linux 6.9's PIDFD_THREAD).
    if task.pid != task.tgid {
        return Err(Errno::EINVAL);
    }
    install(task, flags != 0)
}

pub fn sys_pidfd_send_signal(pidfd: i32, sig: i32, info: u64, flags: u32) -> Result<usize, Errno> {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    // A pidfd, or a /proc/PID directory's descriptor (Linux takes both).
    let file = get_file(pidfd)?;
    let target = match file.object::<PidFd>() {
        Some(pidfd) => pidfd.process().ok_or(Errno::ESRCH)?,
        None => file.inode().node_ops().and_then(|n| n.process()).ok_or(Errno::EBADF)?,
    };
    super::signal::syscalls::signal_process(&target, sig, info)
}

pub fn sys_pidfd_getfd(pidfd: i32, target_fd: i32, flags: u32) -> Result<usize, Errno> {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let file = get(pidfd)?;
    let target = file.object::<PidFd>().and_then(PidFd::process).ok_or(Errno::ESRCH)?;
    if matches!(target.state(), TaskState::Zombie(_) | TaskState::Dead) {
        return Err(Errno::ESRCH);
    }
    // Copied out first: the target may be the caller, whose lock this is.
    let mine = current().cred.lock().clone();
    let allowed = mine.may_access(&target.cred.lock(), true);
    if !allowed {
        return Err(Errno::EPERM);
    }
    let taken = target.files.lock().get(target_fd).map_err(|_| Errno::EBADF)?;
    current().files.lock().install(taken, true).map(|fd| fd as usize)
}
