//! A task: the unit the scheduler runs (a thread). The scheduler knows its
//! CPU state (kernel stack and registers, FPU, FS/GS bases, the page table
//! it runs on), its run state and its CPU accounting. What a task is to
//! the layers above (a process's thread, with signals and files) is their
//! business: they attach it as the task's `owner`, which the scheduler
//! never looks into.

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::any::Any;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use machine::arch::entry::{TaskContext, TrapFrame};
use machine::arch::fpu::FpuState;
use machine::mm::kstack::KernelStack;
use machine::mm::TableRoot;
use machine::sync::IrqSafeMutex;
use spin::Mutex;

use super::policy::Policy;

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
    /// Waiting on a wait queue; a signal ends the wait.
    Sleeping,
    /// Waiting where signals do not end the wait (Linux's
    /// TASK_UNINTERRUPTIBLE, "D"): it counts in the load average.
    DiskSleep,
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

/// What sched_setscheduler and setpriority set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchedParams {
    pub policy: Policy,
    /// -20..19 (the fair classes' weight).
    pub nice: i32,
    /// 1..99 for SCHED_FIFO and SCHED_RR, else 0.
    pub rt_priority: u32,
    /// SCHED_RESET_ON_FORK: children start with the default policy.
    pub reset_on_fork: bool,
}

impl Default for SchedParams {
    fn default() -> Self {
        SchedParams { policy: Policy::Normal, nice: 0, rt_priority: 0, reset_on_fork: false }
    }
}

/// What /proc shows of a task's scheduling state (times in ns of uptime
/// or of CPU time).
pub struct SchedInfo {
    /// When it last went on the CPU.
    pub exec_start: u64,
    pub vruntime: u64,
    /// CPU time, up to now if it is running.
    pub exec_runtime: u64,
    /// Time spent runnable, waiting for the CPU.
    pub run_delay: u64,
    /// Times it went on the CPU.
    pub pcount: u64,
    /// Its fair-class weight (nice 0: 1024).
    pub weight: u64,
}

/// A task's scheduling state.
#[derive(Default)]
pub(super) struct SchedEntity {
    pub(super) params: SchedParams,
    /// CPU time scaled by weight (fair classes), in ns.
    pub(super) vruntime: u64,
    /// CPU time in the current slice (fair) or RR quantum, in ns.
    pub(super) ran: u64,
    /// Goes behind its equals when queued next (sched_yield, RR quantum
    /// spent) rather than before them (preempted).
    pub(super) requeue_last: bool,
    /// A real-time priority lent by a waiter on a priority-inheritance
    /// futex the task holds (0: none).
    pub(super) boost: u32,
    /// /proc/PID/schedstat's figures: CPU time and time spent waiting on
    /// the run queue (ns), and times run.
    pub(super) exec_runtime: u64,
    pub(super) run_delay: u64,
    pub(super) pcount: u64,
    /// Uptime (ns) when the task last joined the run queue, and when it
    /// last went on the CPU.
    pub(super) queued_at: u64,
    pub(super) exec_start: u64,
}

impl SchedEntity {
    /// The task goes on the CPU at `now` after waiting since it was queued.
    pub(super) fn switched_in(&mut self, now: u64) {
        self.run_delay += now.saturating_sub(self.queued_at);
        self.pcount += 1;
        self.exec_start = now;
    }

    /// The task leaves the CPU at `now`.
    pub(super) fn switched_out(&mut self, now: u64) {
        self.exec_runtime += now.saturating_sub(self.exec_start);
    }

    /// The real-time priority the task runs at, if any: its own, or a
    /// lent one if higher (it then runs as SCHED_FIFO).
    pub(super) fn rt_priority(&self) -> Option<u32> {
        let own = self.params.policy.is_realtime().then_some(self.params.rt_priority);
        match (own, self.boost) {
            (own, 0) => own,
            (Some(own), boost) => Some(own.max(boost)),
            (None, boost) => Some(boost),
        }
    }
}

/// A task's run state and where it is (see `Task::run`).
pub(super) struct RunState {
    pub(super) state: TaskState,
    pub(super) on_rq: bool,
}

impl RunState {
    /// Changes the state, keeping the count of uninterruptible sleepers.
    pub(super) fn set(&mut self, s: TaskState) {
        let old = core::mem::replace(&mut self.state, s);
        super::stats::state_changed(old, s);
    }
}

pub struct Task {
    /// The thread id (the process id for the leader).
    pub pid: Pid,
    comm: Mutex<Comm>,
    /// The kernel stack and saved registers (the boot stack for the boot
    /// CPU's idle task).
    pub(super) context: Arc<TaskContext>,
    pub(super) fpu: Mutex<Box<FpuState>>,
    pub(super) fs_base: AtomicU64,
    pub(super) gs_base: AtomicU64,
    /// RDTSC in user mode faults (SIGSEGV): PR_SET_TSC's PR_TSC_SIGSEGV,
    /// and seccomp's strict mode. Kept across fork and exec.
    tsc_disabled: AtomicBool,
    /// The user page table the task runs on (none: whichever is loaded).
    page_table: Mutex<Option<Arc<TableRoot>>>,
    /// Its run state, and whether it is on a CPU or a run queue (set
    /// while running or queued; a task woken while still on its CPU
    /// stays there). Taken before a run queue's lock where both are held.
    pub(super) run: IrqSafeMutex<RunState>,
    pub(super) is_idle: AtomicBool,
    /// The CPU it runs on, or whose run queue holds it, or ran on last.
    pub(super) cpu: AtomicUsize,
    /// The CPUs it may run on (sched_setaffinity), bit per CPU.
    pub(super) affinity: AtomicU64,
    /// Taken by the timer interrupt too: interrupts are masked while held.
    pub(super) entity: IrqSafeMutex<SchedEntity>,
    /// When the task was created, in ns of uptime (/proc's starttime).
    pub start_time: u64,
    /// Voluntary and involuntary context switches.
    pub nvcsw: AtomicU64,
    pub nivcsw: AtomicU64,
    /// This thread's own CPU ticks, user and system (the process's sum
    /// is kept by its owner): /proc/PID/task/TID/stat.
    pub utime: AtomicU64,
    pub stime: AtomicU64,
    /// What the layers above attach to the task.
    owner: Box<dyn Any + Send + Sync>,
}

impl Task {
    fn with_context(pid: Pid, comm: Comm, context: Arc<TaskContext>, owner: Box<dyn Any + Send + Sync>) -> Task {
        Task {
            pid,
            comm: Mutex::new(comm),
            context,
            fpu: Mutex::new(FpuState::initial()),
            fs_base: AtomicU64::new(0),
            gs_base: AtomicU64::new(0),
            tsc_disabled: AtomicBool::new(false),
            page_table: Mutex::new(None),
            run: IrqSafeMutex::new(RunState { state: TaskState::Runnable, on_rq: false }),
            is_idle: AtomicBool::new(false),
            cpu: AtomicUsize::new(0),
            affinity: AtomicU64::new(u64::MAX),
            entity: IrqSafeMutex::new(SchedEntity::default()),
            start_time: crate::time::uptime_ns(),
            nvcsw: AtomicU64::new(0),
            nivcsw: AtomicU64::new(0),
            utime: AtomicU64::new(0),
            stime: AtomicU64::new(0),
            owner,
        }
    }

    /// The calling CPU's idle task: the code the CPU started with, on the
    /// stack it started on (Linux's swapper/N, pid 0).
    pub fn new_idle(owner: Box<dyn Any + Send + Sync>) -> Task {
        let cpu = crate::arch::percpu::cpu_index();
        let mut name = alloc::format!("swapper/{cpu}").into_bytes();
        name.truncate(15);
        let t = Task::with_context(0, Comm::new(&name), TaskContext::boot(), owner);
        t.is_idle.store(true, Ordering::Relaxed);
        t.cpu.store(cpu, Ordering::Relaxed);
        t.affinity.store(1 << cpu, Ordering::Relaxed);
        t
    }

    /// A task that will start in user mode at the state in `frame`.
    pub fn new_user(pid: Pid, comm: Comm, frame: &TrapFrame, owner: Box<dyn Any + Send + Sync>) -> Option<Task> {
        let context = TaskContext::new_user(KernelStack::new()?, frame);
        Some(Task::with_context(pid, comm, context, owner))
    }

    /// A kernel thread: it runs `entry` in kernel mode, on the kernel half
    /// of whichever page table is loaded, and never enters user mode.
    pub fn new_kernel(pid: Pid, comm: Comm, entry: fn() -> !, owner: Box<dyn Any + Send + Sync>) -> Option<Task> {
        let context = TaskContext::new_kernel(KernelStack::new()?, entry);
        Some(Task::with_context(pid, comm, context, owner))
    }

    /// What the layers above attached, if it is a `T`.
    #[inline]
    pub fn owner<T: 'static>(&self) -> Option<&T> {
        self.owner.downcast_ref()
    }

    pub fn is_idle(&self) -> bool {
        self.is_idle.load(Ordering::Relaxed)
    }

    /// The same CPUs as `parent` (fork).
    pub fn inherit_affinity(&self, parent: &Task) {
        self.affinity.store(parent.affinity(), Ordering::Relaxed);
        self.cpu.store(parent.cpu(), Ordering::Relaxed);
    }

    /// Sets the page table the task runs on from its next switch-in.
    pub fn set_page_table(&self, table: Option<Arc<TableRoot>>) {
        *self.page_table.lock() = table;
    }

    /// Loads the task's page table. A task without one (idle, a kernel
    /// thread) runs on whichever is loaded, as Linux's lazy TLB mode: it
    /// touches only the kernel half, which every table shares, and going
    /// back to the task that ran before needs no reload and no TLB refill
    /// (a freed table moves the CPU to the kernel's own first).
    pub(super) fn activate_page_table(&self) {
        if let Some(table) = &*self.page_table.lock() {
            table.activate();
        }
    }

    pub fn set_comm(&self, comm: Comm) {
        *self.comm.lock() = comm;
    }

    pub fn comm(&self) -> Comm {
        *self.comm.lock()
    }

    pub fn tsc_disabled(&self) -> bool {
        self.tsc_disabled.load(Ordering::Relaxed)
    }

    /// Lets the task read the TSC or not; for the running task, at once.
    pub fn set_tsc_disabled(&self, disabled: bool) {
        self.tsc_disabled.store(disabled, Ordering::Relaxed);
        if core::ptr::eq(self, &*super::current()) {
            crate::arch::set_user_tsc_allowed(!disabled);
        }
    }

    /// Copies the running task's FPU registers and FS/GS bases (fork).
    pub fn inherit_cpu_state_from_current(&self) {
        crate::arch::fpu::save(&mut self.fpu.lock());
        self.fs_base.store(crate::arch::user_fs_base(), Ordering::Relaxed);
        self.gs_base.store(crate::arch::user_gs_base(), Ordering::Relaxed);
        self.tsc_disabled.store(super::current().tsc_disabled(), Ordering::Relaxed);
    }

    pub fn state(&self) -> TaskState {
        self.run.lock().state
    }

    pub fn set_state(&self, s: TaskState) {
        self.run.lock().set(s);
    }

    /// A leader that ends before the rest of its process: Dead, unless the
    /// last thread (on another CPU, between the leader's count of live
    /// threads and now) already made it the process's zombie.
    pub fn set_dead_unless_zombie(&self) {
        let mut run = self.run.lock();
        if !matches!(run.state, TaskState::Zombie(_)) {
            run.set(TaskState::Dead);
        }
    }

    /// The CPUs the task may run on.
    pub fn affinity(&self) -> u64 {
        self.affinity.load(Ordering::Relaxed)
    }

    /// The CPU the task runs on or last ran on.
    pub fn cpu(&self) -> usize {
        self.cpu.load(Ordering::Relaxed)
    }

    /// Whether the task waits on a wait queue (either kind of sleep).
    pub fn is_sleeping(&self) -> bool {
        matches!(self.state(), TaskState::Sleeping | TaskState::DiskSleep)
    }

    /// The scheduler's view of the task now, as /proc/PID/sched and
    /// schedstat show it.
    pub fn sched_info(&self) -> SchedInfo {
        let running = super::is_running(self);
        let e = self.entity.lock();
        let now = crate::time::uptime_ns();
        let current_run = if running { now.saturating_sub(e.exec_start) } else { 0 };
        let fair_policy = if e.params.policy.is_realtime() { Policy::Normal } else { e.params.policy };
        SchedInfo {
            exec_start: e.exec_start,
            vruntime: e.vruntime,
            exec_runtime: e.exec_runtime + current_run,
            run_delay: e.run_delay,
            pcount: e.pcount,
            weight: super::policy::weight(fair_policy, e.params.nice),
        }
    }

    /// The task's policy, priority and nice.
    pub fn sched_params(&self) -> SchedParams {
        self.entity.lock().params
    }

    /// The real-time priority the task runs at, a lent one included.
    pub fn effective_rt_priority(&self) -> Option<u32> {
        self.entity.lock().rt_priority()
    }

    pub fn set_fs_base(&self, v: u64) {
        self.fs_base.store(v, Ordering::Relaxed);
    }
}
