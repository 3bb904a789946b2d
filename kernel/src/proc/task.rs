//! Processes and their threads: what the threads of a process share
//! (`Process`), and what each thread has of its own beyond what the
//! scheduler keeps (`Thread`: its address space, signal mask and queue,
//! futex words). A thread is attached to its scheduler task as the task's
//! owner; `Task` derefs to its `Thread`, which derefs to its `Process`, so
//! `task.files`, `task.signal_mask`, `task.comm()` all read naturally.

use alloc::boxed::Box;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use abi::StackT;
use spin::Mutex;

use super::cred::Credentials;
use super::rlimit::Rlimits;
use super::signal::{SigQueue, SignalState};
use super::times::CpuTimes;
use crate::arch::entry::TrapFrame;
use crate::fs::context::FsContext;
use crate::fs::file::FdTable;
use crate::mm::address_space::AddressSpace;
use crate::sched::task::{Comm, ExitStatus, Pid, Task, TaskState};
use crate::sched::wait::WaitQueue;

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
    /// Woken when the process has exited (its pidfds poll readable).
    pub exit_wait: WaitQueue,
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
    /// ITIMER_VIRTUAL and ITIMER_PROF (not inherited by fork).
    pub cpu_itimers: super::cpu_itimer::CpuItimers,
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
    /// A kernel thread's process: signals sent to it are ignored.
    /// The process has run execve since its fork (Linux's PF_FORKNOEXEC
    /// cleared): its parent may no longer move it to another group.
    pub did_exec: AtomicBool,
    pub kernel_thread: AtomicBool,
    /// /proc/PID/oom_score_adj, and the lowest value it may be set to
    /// without CAP_SYS_RESOURCE (both inherited over fork).
    pub oom_score_adj: AtomicI32,
    pub oom_score_adj_min: AtomicI32,
    /// PR_SET_CHILD_SUBREAPER: orphaned descendants are reparented here
    /// rather than to init. Not inherited over fork; kept across exec.
    pub child_subreaper: AtomicBool,
}

impl Process {
    pub(super) fn new(tgid: Pid, files: FdTable) -> Arc<Process> {
        Arc::new(Process {
            tgid,
            parent: Mutex::new(Weak::new()),
            children: Mutex::new(Vec::new()),
            child_exit: WaitQueue::new(),
            exit_wait: WaitQueue::new(),
            autoreap: AtomicBool::new(false),
            pgid: AtomicU32::new(0),
            sid: AtomicU32::new(0),
            files: Mutex::new(files),
            fs: Mutex::new(FsContext::new()),
            signals: Mutex::new(SignalState::new()),
            cred: Mutex::new(Credentials::root()),
            times: CpuTimes::default(),
            cpu_itimers: Default::default(),
            rlimits: Mutex::new(Rlimits::default()),
            real_timer: Mutex::new((0, 0)),
            threads: Mutex::new(Vec::new()),
            live_threads: AtomicUsize::new(1),
            group_exit: Mutex::new(None),
            exec_in_progress: AtomicBool::new(false),
            did_exec: AtomicBool::new(false),
            kernel_thread: AtomicBool::new(false),
            oom_score_adj: AtomicI32::new(0),
            oom_score_adj_min: AtomicI32::new(0),
            child_subreaper: AtomicBool::new(false),
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

/// init's timer slack, which every thread inherits unless changed (50 us,
/// as Linux's).
pub const DEFAULT_TIMER_SLACK_NS: u64 = 50_000;

/// A thread's own process state.
pub struct Thread {
    process: Arc<Process>,
    mm: Mutex<Option<Arc<Mutex<AddressSpace>>>>,
    pub clear_child_tid: AtomicU64,
    /// The user's robust futex list head (set_robust_list).
    pub robust_list: AtomicU64,
    /// Set when a vfork child releases the parent's memory (exec or exit).
    pub vfork_done: AtomicBool,
    /// The signal this thread gets when its parent exits (PR_SET_PDEATHSIG;
    /// 0 for none): not inherited, cleared when its ids change.
    pub pdeath_signal: AtomicI32,
    /// Timer slack (PR_SET_TIMERSLACK, /proc/PID/timerslack_ns), in ns:
    /// how late a timer may fire. Kept and reported; timers here fire
    /// without added delay, which every slack allows. The default is what
    /// a 0 resets it to: the creator's slack when the thread was made.
    pub timer_slack_ns: AtomicU64,
    pub default_timer_slack_ns: AtomicU64,
    /// personality(2)'s flags (personality.rs).
    pub personality: AtomicU32,
    /// ioprio_set(2)'s class and level (ioprio.rs).
    pub ioprio: AtomicU32,
    /// Seccomp's strict mode: any system call but read, write, exit and
    /// rt_sigreturn kills the thread. Kept across fork and exec.
    pub seccomp_strict: AtomicBool,
    pub vfork_wait: WaitQueue,
    /// Blocked signals (bit n-1 for signal n).
    pub signal_mask: AtomicU64,
    /// Signals sent to this thread only (tgkill, faults).
    pub thread_signals: Mutex<SigQueue>,
    /// The signal count (signal::queued_epoch) and the mask at which this
    /// thread last found no signal to deliver (u64::MAX: not yet).
    pub quiet_epoch: AtomicU64,
    pub quiet_mask: AtomicU64,
    pub altstack: Mutex<StackT>,
    /// The mask to restore after rt_sigsuspend's (or pselect's) temporary one.
    pub saved_mask: Mutex<Option<u64>>,
}

impl Thread {
    fn new(process: Arc<Process>) -> Thread {
        Thread {
            process,
            mm: Mutex::new(None),
            clear_child_tid: AtomicU64::new(0),
            robust_list: AtomicU64::new(0),
            vfork_done: AtomicBool::new(false),
            pdeath_signal: AtomicI32::new(0),
            timer_slack_ns: AtomicU64::new(DEFAULT_TIMER_SLACK_NS),
            default_timer_slack_ns: AtomicU64::new(DEFAULT_TIMER_SLACK_NS),
            personality: AtomicU32::new(0),
            ioprio: AtomicU32::new(0),
            seccomp_strict: AtomicBool::new(false),
            vfork_wait: WaitQueue::new(),
            signal_mask: AtomicU64::new(0),
            thread_signals: Mutex::new(SigQueue::default()),
            quiet_epoch: AtomicU64::new(u64::MAX),
            quiet_mask: AtomicU64::new(0),
            altstack: Mutex::new(StackT { ss_sp: 0, ss_flags: abi::signal::SS_DISABLE, _pad: 0, ss_size: 0 }),
            saved_mask: Mutex::new(None),
        }
    }
}

impl core::ops::Deref for Thread {
    type Target = Process;

    #[inline]
    fn deref(&self) -> &Process {
        &self.process
    }
}

impl core::ops::Deref for Task {
    type Target = Thread;

    #[inline]
    fn deref(&self) -> &Thread {
        self.owner::<Thread>().expect("every task is a thread of a process")
    }
}

/// The idle task of the boot CPU: pid 0's only thread, with no files.
pub fn new_idle_task() -> Task {
    Task::new_idle(Box::new(Thread::new(Process::new(0, FdTable::new()))))
}

/// A kernel thread and its process (no files, no address space).
pub fn new_kernel_task(pid: Pid, comm: Comm, entry: fn() -> !) -> Option<Task> {
    let process = Process::new(pid, FdTable::new());
    process.kernel_thread.store(true, Ordering::Relaxed);
    Task::new_kernel(pid, comm, entry, Box::new(Thread::new(process)))
}

impl Task {
    /// The first thread of a new process, which will start in user mode at
    /// the state in `frame`.
    pub fn new_process(
        pid: Pid,
        comm: Comm,
        mm: Arc<Mutex<AddressSpace>>,
        files: FdTable,
        frame: &TrapFrame,
    ) -> Option<Task> {
        Self::new_in(pid, Process::new(pid, files), comm, mm, frame)
    }

    /// Another thread of `of`'s process.
    pub fn new_thread(tid: Pid, of: &Task, mm: Arc<Mutex<AddressSpace>>, frame: &TrapFrame) -> Option<Task> {
        let t = Self::new_in(tid, of.process.clone(), of.comm(), mm, frame)?;
        t.process.live_threads.fetch_add(1, Ordering::Relaxed);
        Some(t)
    }

    fn new_in(
        pid: Pid,
        process: Arc<Process>,
        comm: Comm,
        mm: Arc<Mutex<AddressSpace>>,
        frame: &TrapFrame,
    ) -> Option<Task> {
        let t = Task::new_user(pid, comm, frame, Box::new(Thread::new(process)))?;
        t.set_mm(mm);
        Some(t)
    }

    /// Adds the task to its process's thread list (once it is in an Arc).
    pub fn join_thread_list(self: &Arc<Self>) {
        self.process.threads.lock().push(Arc::downgrade(self));
    }

    pub fn is_leader(&self) -> bool {
        self.pid == self.process.tgid
    }

    /// Gives the task an address space (exec, fork); returns the old one.
    /// The task runs on its page table from its next switch-in.
    pub fn set_mm(&self, mm: Arc<Mutex<AddressSpace>>) -> Option<Arc<Mutex<AddressSpace>>> {
        self.set_page_table(Some(mm.lock().page_table()));
        self.mm.lock().replace(mm)
    }

    pub fn signal_blocked(&self, signal: i32) -> bool {
        (1..=64).contains(&signal) && self.signal_mask.load(Ordering::Relaxed) & (1 << (signal - 1)) != 0
    }

    pub fn mm(&self) -> Option<Arc<Mutex<AddressSpace>>> {
        self.mm.lock().clone()
    }

    /// Detaches the address space (exit); the task runs on the kernel's
    /// tables from then on. The caller switches the CPU away first.
    pub fn take_mm(&self) -> Option<Arc<Mutex<AddressSpace>>> {
        self.set_page_table(None);
        self.mm.lock().take()
    }
}
