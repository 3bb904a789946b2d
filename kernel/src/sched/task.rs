//! A task: the unit the scheduler runs. Today every task is a
//! single-threaded process, so it also carries the process's resources
//! (address space, files); threads will share those through Arcs.

use alloc::boxed::Box;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use spin::Mutex;

use super::wait::WaitQueue;
use crate::arch::fpu::FpuState;
use crate::fs::context::FsContext;
use crate::fs::file::FdTable;
use crate::mm::address_space::AddressSpace;
use crate::mm::kstack::KernelStack;
use crate::proc::cred::Credentials;
use crate::proc::rlimit::Rlimits;
use crate::proc::signal::SignalState;
use crate::proc::times::CpuTimes;

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

pub struct Task {
    pub pid: Pid,
    comm: Mutex<Comm>,
    /// None for the boot CPU's idle task, which runs on the boot stack.
    kstack: Option<KernelStack>,
    /// The kernel stack pointer saved while the task is switched out.
    pub(super) saved_rsp: AtomicU64,
    pub(super) fpu: Mutex<Box<FpuState>>,
    pub(super) fs_base: AtomicU64,
    pub(super) gs_base: AtomicU64,
    mm: Mutex<Option<Arc<Mutex<AddressSpace>>>>,
    pub files: Mutex<FdTable>,
    pub clear_child_tid: AtomicU64,
    /// The user's robust futex list head (set_robust_list).
    pub robust_list: AtomicU64,
    state: Mutex<TaskState>,
    pub(super) is_idle: AtomicBool,
    /// The parent (init after the real parent exits).
    pub parent: Mutex<Weak<Task>>,
    /// Children, alive or zombie, until reaped by wait.
    pub children: Mutex<Vec<Arc<Task>>>,
    /// Woken when a child exits.
    pub child_exit: WaitQueue,
    /// Set when a vfork child releases the parent's memory (exec or exit).
    pub vfork_done: AtomicBool,
    /// Set at exit when the parent does not wait for children (SIGCHLD
    /// ignored or SA_NOCLDWAIT): the zombie is reaped without a report.
    pub autoreap: AtomicBool,
    pub vfork_wait: WaitQueue,
    pgid: AtomicU32,
    sid: AtomicU32,
    /// Blocked signals (bit n-1 for signal n).
    pub signal_mask: AtomicU64,
    /// Working directory and umask.
    pub fs: Mutex<FsContext>,
    pub signals: Mutex<SignalState>,
    pub cred: Mutex<Credentials>,
    pub times: CpuTimes,
    pub rlimits: Mutex<Rlimits>,
    /// ITIMER_REAL: (next expiry in ns of uptime, interval in ns); 0 = off.
    pub real_timer: Mutex<(u64, u64)>,
}

impl Task {
    pub fn new_idle() -> Task {
        Task {
            pid: 0,
            comm: Mutex::new(Comm::new(b"swapper/0")),
            kstack: None,
            saved_rsp: AtomicU64::new(0),
            fpu: Mutex::new(FpuState::initial()),
            fs_base: AtomicU64::new(0),
            gs_base: AtomicU64::new(0),
            mm: Mutex::new(None),
            files: Mutex::new(FdTable::new()),
            clear_child_tid: AtomicU64::new(0),
            robust_list: AtomicU64::new(0),
            state: Mutex::new(TaskState::Runnable),
            is_idle: AtomicBool::new(true),
            parent: Mutex::new(Weak::new()),
            children: Mutex::new(Vec::new()),
            child_exit: WaitQueue::new(),
            vfork_done: AtomicBool::new(false),
            autoreap: AtomicBool::new(false),
            vfork_wait: WaitQueue::new(),
            pgid: AtomicU32::new(0),
            sid: AtomicU32::new(0),
            signal_mask: AtomicU64::new(0),
            fs: Mutex::new(FsContext::new()),
            signals: Mutex::new(SignalState::new()),
            cred: Mutex::new(Credentials::root()),
            times: CpuTimes::default(),
            rlimits: Mutex::new(Rlimits::default()),
            real_timer: Mutex::new((0, 0)),
        }
    }

    /// A user task that will start in user mode at the state in `frame`.
    pub fn new_user(
        pid: Pid,
        comm: Comm,
        mm: Arc<Mutex<AddressSpace>>,
        files: FdTable,
        frame: &crate::arch::entry::TrapFrame,
    ) -> Option<Task> {
        let kstack = KernelStack::new()?;
        let rsp = crate::arch::entry::prepare_new_task_stack(kstack.top(), frame);
        Some(Task {
            pid,
            comm: Mutex::new(comm),
            kstack: Some(kstack),
            saved_rsp: AtomicU64::new(rsp),
            fpu: Mutex::new(FpuState::initial()),
            fs_base: AtomicU64::new(0),
            gs_base: AtomicU64::new(0),
            mm: Mutex::new(Some(mm)),
            files: Mutex::new(files),
            clear_child_tid: AtomicU64::new(0),
            robust_list: AtomicU64::new(0),
            state: Mutex::new(TaskState::Runnable),
            is_idle: AtomicBool::new(false),
            parent: Mutex::new(Weak::new()),
            children: Mutex::new(Vec::new()),
            child_exit: WaitQueue::new(),
            vfork_done: AtomicBool::new(false),
            autoreap: AtomicBool::new(false),
            vfork_wait: WaitQueue::new(),
            pgid: AtomicU32::new(0),
            sid: AtomicU32::new(0),
            signal_mask: AtomicU64::new(0),
            fs: Mutex::new(FsContext::new()),
            signals: Mutex::new(SignalState::new()),
            cred: Mutex::new(Credentials::root()),
            times: CpuTimes::default(),
            rlimits: Mutex::new(Rlimits::default()),
            real_timer: Mutex::new((0, 0)),
        })
    }

    pub fn set_mm(&self, mm: Arc<Mutex<AddressSpace>>) -> Option<Arc<Mutex<AddressSpace>>> {
        self.mm.lock().replace(mm)
    }

    pub fn set_comm(&self, comm: Comm) {
        *self.comm.lock() = comm;
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

    pub fn signal_blocked(&self, signal: i32) -> bool {
        (1..=64).contains(&signal) && self.signal_mask.load(Ordering::Relaxed) & (1 << (signal - 1)) != 0
    }

    pub fn ppid(&self) -> Pid {
        self.parent.lock().upgrade().map_or(0, |p| p.pid)
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

    pub fn kernel_stack_top(&self) -> Option<u64> {
        self.kstack.as_ref().map(KernelStack::top)
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
