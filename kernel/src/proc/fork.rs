//! fork(2), vfork(2) and clone(2) for new processes. The child gets a copy
//! of the address space (or shares it with CLONE_VM), the descriptor table's
//! open files, the FPU state and the FS/GS bases, and returns 0 from the
//! same system call.

use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use abi::{CloneFlags, Errno};
use spin::Mutex;

use super::pid;
use crate::arch::entry::TrapFrame;
use crate::sched::task::Task;
use crate::sched::{self, current};
use crate::uaccess::write_user;

/// The clone flags this kernel implements.
fn supported() -> CloneFlags {
    CloneFlags::CSIGNAL
        | CloneFlags::CLONE_VM
        | CloneFlags::CLONE_VFORK
        | CloneFlags::CLONE_SETTLS
        | CloneFlags::CLONE_PARENT_SETTID
        | CloneFlags::CLONE_CHILD_SETTID
        | CloneFlags::CLONE_CHILD_CLEARTID
        | CloneFlags::CLONE_DETACHED
        | CloneFlags::CLONE_THREAD
        | CloneFlags::CLONE_SIGHAND
        | CloneFlags::CLONE_FILES
        | CloneFlags::CLONE_FS
        | CloneFlags::CLONE_SYSVSEM
        | CloneFlags::CLONE_PIDFD
        | CloneFlags::CLONE_PARENT
}

fn is_thread_flags(flags: CloneFlags) -> bool {
    flags.contains(CloneFlags::CLONE_THREAD)
}

/// A thread shares everything a process holds.
fn thread_flags() -> CloneFlags {
    CloneFlags::CLONE_THREAD | CloneFlags::CLONE_SIGHAND | CloneFlags::CLONE_FILES | CloneFlags::CLONE_FS
}

pub struct CloneRequest {
    pub flags: CloneFlags,
    pub stack: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
    pub tls: u64,
    /// Where CLONE_PIDFD stores the child's pidfd (clone's parent_tid).
    pub pidfd: u64,
}

pub fn sys_fork(frame: &TrapFrame) -> Result<usize, Errno> {
    let flags = CloneFlags::from_bits_retain(abi::signal::SIGCHLD as u64);
    do_clone(frame, &CloneRequest { flags, stack: 0, parent_tid: 0, child_tid: 0, tls: 0, pidfd: 0 })
}

pub fn sys_vfork(frame: &TrapFrame) -> Result<usize, Errno> {
    let flags =
        CloneFlags::CLONE_VM | CloneFlags::CLONE_VFORK | CloneFlags::from_bits_retain(abi::signal::SIGCHLD as u64);
    do_clone(frame, &CloneRequest { flags, stack: 0, parent_tid: 0, child_tid: 0, tls: 0, pidfd: 0 })
}

pub fn sys_clone(
    frame: &TrapFrame,
    flags: u64,
    stack: u64,
    parent_tid: u64,
    child_tid: u64,
    tls: u64,
) -> Result<usize, Errno> {
    let flags = CloneFlags::from_bits_retain(flags);
    // clone's pidfd goes where CLONE_PARENT_SETTID's tid would.
    if flags.contains(CloneFlags::CLONE_PIDFD | CloneFlags::CLONE_PARENT_SETTID) {
        return Err(Errno::EINVAL);
    }
    do_clone(frame, &CloneRequest { flags, stack, parent_tid, child_tid, tls, pidfd: parent_tid })
}

/// clone3(2): the same as clone, with its arguments in a structure (whose
/// first 64 bytes, version 0, are required; later fields must be zero).
pub fn sys_clone3(frame: &TrapFrame, args: u64, size: usize) -> Result<usize, Errno> {
    const VER0: usize = abi::sched::CLONE_ARGS_SIZE_VER0;
    if !(VER0..=4096).contains(&size) {
        return Err(Errno::EINVAL);
    }
    let mut bytes = [0u8; core::mem::size_of::<abi::CloneArgs>()];
    let n = size.min(bytes.len());
    crate::uaccess::copy_from_user(&mut bytes[..n], args)?;
    // A larger structure than this kernel knows must have zeroes past it.
    if size > bytes.len() {
        let mut rest = alloc::vec![0u8; size - bytes.len()];
        crate::uaccess::copy_from_user(&mut rest, args + bytes.len() as u64)?;
        if rest.iter().any(|&b| b != 0) {
            return Err(Errno::E2BIG);
        }
    }
    let a: abi::CloneArgs = bytemuck::pod_read_unaligned(&bytes);
    if a.flags & 0xff != 0 || a.exit_signal > 64 || a.set_tid != 0 || a.set_tid_size != 0 {
        // The exit signal goes in its own field; chosen tids are not supported.
        return Err(Errno::EINVAL);
    }
    if (a.stack == 0) != (a.stack_size == 0) {
        return Err(Errno::EINVAL);
    }
    let flags = CloneFlags::from_bits_retain(a.flags | a.exit_signal);
    let stack = if a.stack != 0 { a.stack + a.stack_size } else { 0 };
    let req =
        CloneRequest { flags, stack, parent_tid: a.parent_tid, child_tid: a.child_tid, tls: a.tls, pidfd: a.pidfd };
    do_clone(frame, &req)
}

pub fn do_clone(frame: &TrapFrame, req: &CloneRequest) -> Result<usize, Errno> {
    let flags = req.flags;
    if !flags.difference(supported()).is_empty() {
        // Namespaces, ptrace and pidfds are not here.
        return Err(Errno::EINVAL);
    }
    // Linux's rules: a thread shares the signal handlers, which need a
    // shared address space.
    if (flags.contains(CloneFlags::CLONE_THREAD) && !flags.contains(CloneFlags::CLONE_SIGHAND))
        || (flags.contains(CloneFlags::CLONE_SIGHAND) && !flags.contains(CloneFlags::CLONE_VM))
    {
        return Err(Errno::EINVAL);
    }
    // A pidfd names a process: not a thread, nor a child that never
    // reports its exit.
    if flags.contains(CloneFlags::CLONE_PIDFD)
        && flags.intersects(CloneFlags::CLONE_THREAD | CloneFlags::CLONE_DETACHED)
    {
        return Err(Errno::EINVAL);
    }
    if flags.contains(CloneFlags::CLONE_PIDFD) {
        // The pidfd's place must be writable before the child exists.
        write_user(req.pidfd, &-1i32)?;
    }
    // Sharing descriptors, handlers or the working directory between
    // separate processes is not supported: only whole threads share them.
    if flags.intersects(thread_flags()) && !flags.contains(thread_flags()) {
        return Err(Errno::EINVAL);
    }
    let parent = current();
    if !super::rlimit::may_fork(&parent) {
        return Err(Errno::EAGAIN);
    }
    // CLONE_PARENT: the caller's parent is the child's too; init has none
    // to give.
    let adoptive = if flags.contains(CloneFlags::CLONE_PARENT) && !is_thread_flags(flags) {
        Some(parent.parent.lock().upgrade().ok_or(Errno::EINVAL)?)
    } else {
        None
    };
    let parent_mm = parent.mm().ok_or(Errno::EINVAL)?;
    let mm = if req.flags.contains(CloneFlags::CLONE_VM) {
        parent_mm
    } else {
        Arc::new(Mutex::new(parent_mm.lock().duplicate()?))
    };
    let mut child_frame = *frame;
    child_frame.rax = 0;
    if req.stack != 0 {
        child_frame.rsp = req.stack;
    }
    let pid = pid::alloc_pid()?;
    crate::sched::stats::forked();
    let is_thread = flags.contains(CloneFlags::CLONE_THREAD);
    let child = if is_thread {
        Task::new_thread(pid, &parent, mm.clone(), &child_frame)
    } else {
        let files = parent.files.lock().clone();
        Task::new_process(pid, parent.comm(), mm.clone(), files, &child_frame)
    };
    let Some(child) = child else {
        pid::release(pid);
        return Err(Errno::ENOMEM);
    };
    child.inherit_cpu_state_from_current();
    crate::sched::inherit(&child, &parent);
    child.inherit_affinity(&parent);
    if !is_thread {
        child.set_pgid(parent.pgid());
        child.set_sid(parent.sid());
        *child.fs.lock() = parent.fs.lock().clone();
        *child.signals.lock() = parent.signals.lock().fork_copy();
        *child.cred.lock() = parent.cred.lock().clone();
        *child.rlimits.lock() = parent.rlimits.lock().clone();
        for (c, p) in
            [(&child.oom_score_adj, &parent.oom_score_adj), (&child.oom_score_adj_min, &parent.oom_score_adj_min)]
        {
            c.store(p.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }
    child.signal_mask.store(parent.signal_mask.load(Ordering::Relaxed), Ordering::Relaxed);
    child.seccomp_strict.store(parent.seccomp_strict.load(Ordering::Relaxed), Ordering::Relaxed);
    let slack = parent.timer_slack_ns.load(Ordering::Relaxed);
    child.timer_slack_ns.store(slack, Ordering::Relaxed);
    child.default_timer_slack_ns.store(slack, Ordering::Relaxed);
    child.personality.store(parent.personality.load(Ordering::Relaxed), Ordering::Relaxed);
    child.ioprio.store(parent.ioprio.load(Ordering::Relaxed), Ordering::Relaxed);
    if req.flags.contains(CloneFlags::CLONE_SETTLS) {
        child.set_fs_base(req.tls);
    }
    if req.flags.contains(CloneFlags::CLONE_CHILD_CLEARTID) {
        child.clear_child_tid.store(req.child_tid, Ordering::Relaxed);
    }
    if req.flags.contains(CloneFlags::CLONE_CHILD_SETTID) {
        mm.lock().write_bytes(req.child_tid, &pid.to_le_bytes())?;
    }
    if req.flags.contains(CloneFlags::CLONE_PARENT_SETTID) {
        write_user(req.parent_tid, &pid)?;
    }
    let child = Arc::new(child);
    if req.flags.contains(CloneFlags::CLONE_PIDFD) {
        let fd = super::pidfd::install(child.clone(), false).and_then(|fd| {
            write_user(req.pidfd, &(fd as i32))?;
            Ok(fd)
        });
        if let Err(e) = fd {
            pid::release(pid);
            return Err(e);
        }
    }
    child.join_thread_list();
    if !is_thread {
        // The parent is the calling process, whichever thread forked (or
        // its own parent, with CLONE_PARENT).
        let parent_leader = adoptive.unwrap_or_else(|| parent.leader().unwrap_or_else(|| parent.clone()));
        *child.parent.lock() = Arc::downgrade(&parent_leader);
        parent_leader.children.lock().push(child.clone());
    }
    pid::register(&child);
    sched::add_task(child.clone());
    if req.flags.contains(CloneFlags::CLONE_VFORK) {
        // The parent's memory is the child's until it execs or exits.
        child.vfork_wait.wait_until(|| child.vfork_done.load(Ordering::Acquire).then_some(()));
    }
    Ok(pid as usize)
}
