//! A task: the unit the scheduler runs. Today every task is a
//! single-threaded process, so it also carries the process's resources
//! (address space, files); threads will share those through Arcs.

use alloc::boxed::Box;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use spin::Mutex;

use super::wait::WaitQueue;
use crate::arch::fpu::FpuState;
use crate::fs::context::FsContext;
use crate::fs::file::FdTable;
use crate::mm::address_space::AddressSpace;
use crate::proc::cred::Credentials;
use crate::proc::rlimit::Rlimits;
use crate::proc::signal::{SigQueue, SignalState};
use crate::proc::times::CpuTimes;
use abi::StackT;
use machine::arch::entry::TaskContext;
use machine::mm::kstack::KernelStack;

pub type Pid = u32;

/// How a task ended: Linux's wait status encoding is derived from this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(u8),
    Signaled(i32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    Runnable,
    /// Waiting on a wait queue.
    Sleeping,
    /// Stopped by a signal until SIGCONT (or SIGKILL).
    Stopped,
    Zombie(ExitStatus),
    /// A thread that exited while others of its process run on.
    Dead,
}

impl ExitStatus {
    /// The status word wait4(2) reports: code << 8, or the signal number.
    pub fn wait_status(self) -> i32 {
        match self {
            ExitStatus::Exited(code) => i32::from(code) << 8,
            ExitStatus::Signaled(sig) => sig & 0x7f,
        }
    }
}

/// A task's command name: 15 bytes and a NUL, as Linux's TASK_COMM_LEN.
#[derive(Clone, Copy)]
pub struct Comm([u8; 16]);

impl Comm {
    pub fn new(name: &[u8]) -> Comm {
        let mut c = [0u8; 16];
        let n = name.len().min(15);
        c[..n].copy_from_slice(&name[..n]);
        Comm(c)
    }

    pub fn as_str(&self) -> &str {
        let n = self.0.iter().position(|&b| b == 0).unwrap_or(16);
        core::str::from_utf8(&self.0[..n]).unwrap_or("?")
    }
}

/// What the threads of one process share (Linux's signal_struct,
/// files_struct, fs_struct and credentials, together). A `Task` derefs to
/// its process, so `task.children`, `task.files`... reach the shared state.
pub struct Process {
    /// The process id: the leader thread's tid.
    pub tgid: Pid,
    /// The parent process's leader (init's after the real parent exits).
    pub parent: Mutex<Weak<Task>>,
    /// Child processes (their leader tasks), alive or zombie, until reaped.
    pub children: Mutex<Vec<Arc<Task>>>,
    /// Woken when a child exits, stops or continues.
    pub child_exit: WaitQueue,
    /// Set at exit when the parent does not wait for children (SIGCHLD
    /// ignored or SA_NOCLDWAIT): the zombie is reaped without a report.
    pub autoreap: AtomicBool,
    pgid: AtomicU32,
    sid: AtomicU32,
    pub files: Mutex<FdTable>,
    /// Working directory and umask.
    pub fs: Mutex<FsContext>,
    /// Dispositions and process-wide pending signals.
    pub signals: Mutex<SignalState>,
    pub cred: Mutex<Credentials>,
    pub times: CpuTimes,
    pub rlimits: Mutex<Rlimits>,
    /// ITIMER_REAL: (next expiry in ns of uptime, interval in ns); 0 = off.
    pub real_timer: Mutex<(u64, u64)>,
    /// Every thread of the process, the leader first.
    pub threads: Mutex<Vec<Weak<Task>>>,
    /// Threads not yet exited; the last one's exit ends the process.
    pub live_threads: AtomicUsize,
    /// How the whole process ends, once exit_group or a fatal signal said.
    pub group_exit: Mutex<Option<ExitStatus>>,
    /// Set while execve ends the other threads: their deaths are their own,
    /// not the process's.
    pub exec_in_progress: AtomicBool,
    /// /proc/PID/oom_score_adj, and the lowest value it may be set to
    /// without CAP_SYS_RESOURCE (both inherited over fork).
    pub oom_score_adj: AtomicI32,
    pub oom_score_adj_min: AtomicI32,
}

impl Process {
    fn new(tgid: Pid, files: FdTable) -> Arc<Process> {
        Arc::new(Process {
            tgid,
            parent: Mutex::new(Weak::new()),
            children: Mutex::new(Vec::new()),
            child_exit: WaitQueue::new(),
            autoreap: AtomicBool::new(false),
            pgid: AtomicU32::new(0),
            sid: AtomicU32::new(0),
            files: Mutex::new(files),
            fs: Mutex::new(FsContext::new()),
            signals: Mutex::new(SignalState::new()),
            cred: Mutex::new(Credentials::root()),
            times: CpuTimes::default(),
            rlimits: Mutex::new(Rlimits::default()),
            real_timer: Mutex::new((0, 0)),
            threads: Mutex::new(Vec::new()),
            live_threads: AtomicUsize::new(1),
            group_exit: Mutex::new(None),
            exec_in_progress: AtomicBool::new(false),
            oom_score_adj: AtomicI32::new(0),
            oom_score_adj_min: AtomicI32::new(0),
        })
    }

    pub fn pgid(&self) -> Pid {
        self.pgid.load(Ordering::Relaxed)
    }

    pub fn set_pgid(&self, pgid: Pid) {
        self.pgid.store(pgid, Ordering::Relaxed);
    }

    pub fn sid(&self) -> Pid {
        self.sid.load(Ordering::Relaxed)
    }

    pub fn set_sid(&self, sid: Pid) {
        self.sid.store(sid, Ordering::Relaxed);
    }

    pub fn ppid(&self) -> Pid {
        self.parent.lock().upgrade().map_or(0, |p| p.tgid)
    }

    /// The live threads of the process.
    pub fn thread_list(&self) -> Vec<Arc<Task>> {
        let threads = self.threads.lock().iter().filter_map(Weak::upgrade).collect::<Vec<_>>();
        threads.into_iter().filter(|t| !matches!(t.state(), TaskState::Dead | TaskState::Zombie(_))).collect()
    }

    /// The leader task (it stays, as a zombie, until the process is reaped).
    pub fn leader(&self) -> Option<Arc<Task>> {
        self.threads.lock().first().and_then(Weak::upgrade)
    }
}

pub struct Task {
    /// The thread id (the process id for the leader).
    pub pid: Pid,
    process: Arc<Process>,
    comm: Mutex<Comm>,
    /// The kernel stack and saved registers (the boot stack for the boot
    /// CPU's idle task).
    pub(super) context: Arc<TaskContext>,
    pub(super) fpu: Mutex<Box<FpuState>>,
    pub(super) fs_base: AtomicU64,
    pub(super) gs_base: AtomicU64,
    mm: Mutex<Option<Arc<Mutex<AddressSpace>>>>,
    pub clear_child_tid: AtomicU64,
    /// The user's robust futex list head (set_robust_list).
    pub robust_list: AtomicU64,
    state: Mutex<TaskState>,
    pub(super) is_idle: AtomicBool,
    /// Set when a vfork child releases the parent's memory (exec or exit).
    pub vfork_done: AtomicBool,
    pub vfork_wait: WaitQueue,
    /// Blocked signals (bit n-1 for signal n).
    pub signal_mask: AtomicU64,
    /// Signals sent to this thread only (tgkill, faults).
    pub thread_signals: Mutex<SigQueue>,
    pub altstack: Mutex<StackT>,
    /// The mask to restore after rt_sigsuspend's (or pselect's) temporary one.
    pub saved_mask: Mutex<Option<u64>>,
    /// When the task was created, in ns of uptime (/proc's starttime).
    pub start_time: u64,
    /// Voluntary and involuntary context switches.
    pub nvcsw: AtomicU64,
    pub nivcsw: AtomicU64,
    /// This thread's own CPU ticks, user and system (the process's sum
    /// is in `times`): /proc/PID/task/TID/stat.
    pub utime: AtomicU64,
    pub stime: AtomicU64,
}

impl core::ops::Deref for Task {
    type Target = Process;

    fn deref(&self) -> &Process {
        &self.process
    }
}

impl Task {
    fn with_process(pid: Pid, process: Arc<Process>, comm: Comm, context: Arc<TaskContext>) -> Task {
        Task {
            pid,
            process,
            comm: Mutex::new(comm),
            context,
            fpu: Mutex::new(FpuState::initial()),
            fs_base: AtomicU64::new(0),
            gs_base: AtomicU64::new(0),
            mm: Mutex::new(None),
            clear_child_tid: AtomicU64::new(0),
            robust_list: AtomicU64::new(0),
            state: Mutex::new(TaskState::Runnable),
            is_idle: AtomicBool::new(false),
            vfork_done: AtomicBool::new(false),
            vfork_wait: WaitQueue::new(),
            signal_mask: AtomicU64::new(0),
            thread_signals: Mutex::new(SigQueue::default()),
            altstack: Mutex::new(StackT { ss_sp: 0, ss_flags: abi::signal::SS_DISABLE, _pad: 0, ss_size: 0 }),
            saved_mask: Mutex::new(None),
            start_time: crate::time::uptime_ns(),
            nvcsw: AtomicU64::new(0),
            nivcsw: AtomicU64::new(0),
            utime: AtomicU64::new(0),
            stime: AtomicU64::new(0),
        }
    }

    pub fn new_idle() -> Task {
        let t = Task::with_process(0, Process::new(0, FdTable::new()), Comm::new(b"swapper/0"), TaskContext::boot());
        t.is_idle.store(true, Ordering::Relaxed);
        t
    }

    /// The first thread of a new process, which will start in user mode at
    /// the state in `frame`.
    pub fn new_user(
        pid: Pid,
        comm: Comm,
        mm: Arc<Mutex<AddressSpace>>,
        files: FdTable,
        frame: &crate::arch::entry::TrapFrame,
    ) -> Option<Task> {
        Self::new_in(pid, Process::new(pid, files), comm, mm, frame)
    }

    /// Another thread of `of`'s process.
    pub fn new_thread(
        tid: Pid,
        of: &Task,
        mm: Arc<Mutex<AddressSpace>>,
        frame: &crate::arch::entry::TrapFrame,
    ) -> Option<Task> {
        let t = Self::new_in(tid, of.process.clone(), of.comm(), mm, frame)?;
        t.process.live_threads.fetch_add(1, Ordering::Relaxed);
        Some(t)
    }

    fn new_in(
        pid: Pid,
        process: Arc<Process>,
        comm: Comm,
        mm: Arc<Mutex<AddressSpace>>,
        frame: &crate::arch::entry::TrapFrame,
    ) -> Option<Task> {
        let context = TaskContext::new_user(KernelStack::new()?, frame);
        let t = Task::with_process(pid, process, comm, context);
        *t.mm.lock() = Some(mm);
        Some(t)
    }

    /// Adds the task to its process's thread list (once it is in an Arc).
    pub fn join_thread_list(self: &Arc<Self>) {
        self.process.threads.lock().push(Arc::downgrade(self));
    }

    pub fn is_leader(&self) -> bool {
        self.pid == self.process.tgid
    }

    pub fn set_mm(&self, mm: Arc<Mutex<AddressSpace>>) -> Option<Arc<Mutex<AddressSpace>>> {
        self.mm.lock().replace(mm)
    }

    pub fn set_comm(&self, comm: Comm) {
        *self.comm.lock() = comm;
    }

    pub fn signal_blocked(&self, signal: i32) -> bool {
        (1..=64).contains(&signal) && self.signal_mask.load(Ordering::Relaxed) & (1 << (signal - 1)) != 0
    }

    /// Copies the running task's FPU registers and FS/GS bases (fork).
    pub fn inherit_cpu_state_from_current(&self) {
        crate::arch::fpu::save(&mut self.fpu.lock());
        self.fs_base.store(crate::arch::user_fs_base(), Ordering::Relaxed);
        self.gs_base.store(crate::arch::user_gs_base(), Ordering::Relaxed);
    }

    pub fn comm(&self) -> Comm {
        *self.comm.lock()
    }

    pub fn mm(&self) -> Option<Arc<Mutex<AddressSpace>>> {
        self.mm.lock().clone()
    }

    /// Detaches the address space (exit). The caller switches CR3 away first.
    pub fn take_mm(&self) -> Option<Arc<Mutex<AddressSpace>>> {
        self.mm.lock().take()
    }

    pub fn state(&self) -> TaskState {
        *self.state.lock()
    }

    pub fn set_state(&self, s: TaskState) {
        *self.state.lock() = s;
    }

    pub fn is_runnable(&self) -> bool {
        self.state() == TaskState::Runnable
    }

    pub fn set_fs_base(&self, v: u64) {
        self.fs_base.store(v, Ordering::Relaxed);
    }
}
