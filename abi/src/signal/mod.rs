//! Signal numbers, `sigaction` flags and `si_code` values for x86_64 Linux,
//! plus the structures the signal system calls exchange with user space.
//!
//! Signal numbers are `i32` (C `int`); flag words use the width of the field
//! they travel in (`sa_flags` is an `unsigned long`, hence `u64`).

mod sigaction;
mod sigevent;
mod siginfo;
mod sigset;

pub use sigaction::{KernelSigaction, StackT};
pub use sigevent::*;
pub use siginfo::{Siginfo, SIGINFO_SIZE};
pub use sigset::SigSet;

pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
pub const SIGQUIT: i32 = 3;
pub const SIGILL: i32 = 4;
pub const SIGTRAP: i32 = 5;
pub const SIGABRT: i32 = 6;
/// Alias of [`SIGABRT`].
pub const SIGIOT: i32 = 6;
pub const SIGBUS: i32 = 7;
pub const SIGFPE: i32 = 8;
pub const SIGKILL: i32 = 9;
pub const SIGUSR1: i32 = 10;
pub const SIGSEGV: i32 = 11;
pub const SIGUSR2: i32 = 12;
pub const SIGPIPE: i32 = 13;
pub const SIGALRM: i32 = 14;
pub const SIGTERM: i32 = 15;
pub const SIGSTKFLT: i32 = 16;
pub const SIGCHLD: i32 = 17;
pub const SIGCONT: i32 = 18;
pub const SIGSTOP: i32 = 19;
pub const SIGTSTP: i32 = 20;
pub const SIGTTIN: i32 = 21;
pub const SIGTTOU: i32 = 22;
pub const SIGURG: i32 = 23;
pub const SIGXCPU: i32 = 24;
pub const SIGXFSZ: i32 = 25;
pub const SIGVTALRM: i32 = 26;
pub const SIGPROF: i32 = 27;
pub const SIGWINCH: i32 = 28;
pub const SIGIO: i32 = 29;
/// Alias of [`SIGIO`].
pub const SIGPOLL: i32 = 29;
pub const SIGPWR: i32 = 30;
pub const SIGSYS: i32 = 31;
/// First real-time signal as the kernel numbers them. C libraries reserve a
/// few for themselves (glibc's `SIGRTMIN()` is 34, musl's 35), but the kernel
/// treats 32..=64 alike.
pub const SIGRTMIN: i32 = 32;
/// Last real-time signal.
pub const SIGRTMAX: i32 = 64;
/// One past the highest signal number: valid signals are `1..NSIG`.
pub const NSIG: i32 = 65;

/// Names of signals 1..=31, indexed by `signal - 1`.
const CLASSIC_NAMES: [&str; 31] = [
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// Names of the real-time signals 32..=64, indexed by `signal - 32`.
const RT_NAMES: [&str; 33] = [
    "SIGRTMIN",
    "SIGRTMIN+1",
    "SIGRTMIN+2",
    "SIGRTMIN+3",
    "SIGRTMIN+4",
    "SIGRTMIN+5",
    "SIGRTMIN+6",
    "SIGRTMIN+7",
    "SIGRTMIN+8",
    "SIGRTMIN+9",
    "SIGRTMIN+10",
    "SIGRTMIN+11",
    "SIGRTMIN+12",
    "SIGRTMIN+13",
    "SIGRTMIN+14",
    "SIGRTMIN+15",
    "SIGRTMIN+16",
    "SIGRTMAX-15",
    "SIGRTMAX-14",
    "SIGRTMAX-13",
    "SIGRTMAX-12",
    "SIGRTMAX-11",
    "SIGRTMAX-10",
    "SIGRTMAX-9",
    "SIGRTMAX-8",
    "SIGRTMAX-7",
    "SIGRTMAX-6",
    "SIGRTMAX-5",
    "SIGRTMAX-4",
    "SIGRTMAX-3",
    "SIGRTMAX-2",
    "SIGRTMAX-1",
    "SIGRTMAX",
];

/// The symbolic name of `sig` (`"SIGSEGV"`); real-time signals are named
/// relative to the kernel's `SIGRTMIN`/`SIGRTMAX`. `None` outside `1..NSIG`.
pub fn signal_name(sig: i32) -> Option<&'static str> {
    match sig {
        1..=31 => Some(CLASSIC_NAMES[(sig - 1) as usize]),
        SIGRTMIN..=SIGRTMAX => Some(RT_NAMES[(sig - SIGRTMIN) as usize]),
        _ => None,
    }
}

/// True for `1..NSIG`.
pub const fn is_valid(sig: i32) -> bool {
    sig >= 1 && sig < NSIG
}

/// What happens to a process when a signal arrives with `SIG_DFL`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DefaultAction {
    /// Terminate the process.
    Terminate,
    /// Terminate and (conceptually) dump core; the wait status gets 0x80.
    CoreDump,
    /// Discard the signal.
    Ignore,
    /// Stop the process.
    Stop,
    /// Resume a stopped process.
    Continue,
}

/// The default disposition of `sig` (real-time signals terminate).
pub const fn default_action(sig: i32) -> DefaultAction {
    match sig {
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ | SIGSYS => {
            DefaultAction::CoreDump
        }
        SIGCHLD | SIGURG | SIGWINCH => DefaultAction::Ignore,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => DefaultAction::Stop,
        SIGCONT => DefaultAction::Continue,
        _ => DefaultAction::Terminate,
    }
}

// `sa_flags` bits (an `unsigned long` in the kernel's `struct sigaction`).
/// Don't send `SIGCHLD` when a child stops or continues.
pub const SA_NOCLDSTOP: u64 = 0x0000_0001;
/// Don't turn terminated children into zombies.
pub const SA_NOCLDWAIT: u64 = 0x0000_0002;
/// Handler takes `(sig, siginfo *, ucontext *)`.
pub const SA_SIGINFO: u64 = 0x0000_0004;
/// Probe bit user space sets to detect which flags the kernel understands;
/// the kernel always clears it.
pub const SA_UNSUPPORTED: u64 = 0x0000_0400;
pub const SA_EXPOSE_TAGBITS: u64 = 0x0000_0800;
/// `sa_restorer` is valid: x86_64 requires it, the kernel has no trampoline.
pub const SA_RESTORER: u64 = 0x0400_0000;
/// Run the handler on the alternate signal stack.
pub const SA_ONSTACK: u64 = 0x0800_0000;
/// Restart interrupted system calls instead of failing with `EINTR`.
pub const SA_RESTART: u64 = 0x1000_0000;
/// Don't block the signal while its handler runs.
pub const SA_NODEFER: u64 = 0x4000_0000;
/// Reset to `SIG_DFL` once the handler is entered.
pub const SA_RESETHAND: u64 = 0x8000_0000;
/// Old name for [`SA_NODEFER`].
pub const SA_NOMASK: u64 = SA_NODEFER;
/// Old name for [`SA_RESETHAND`].
pub const SA_ONESHOT: u64 = SA_RESETHAND;

// `how` argument of `rt_sigprocmask`.
pub const SIG_BLOCK: i32 = 0;
pub const SIG_UNBLOCK: i32 = 1;
pub const SIG_SETMASK: i32 = 2;

// Special handler values (the `handler` field is a user address).
/// Default action.
pub const SIG_DFL: u64 = 0;
/// Ignore the signal.
pub const SIG_IGN: u64 = 1;
/// Error return of the C `signal()` function; never a valid handler.
pub const SIG_ERR: u64 = u64::MAX;

// `si_code` values that say who sent the signal.
/// `kill`, `sigsend` or `raise`.
pub const SI_USER: i32 = 0;
/// Sent by the kernel.
pub const SI_KERNEL: i32 = 0x80;
/// `sigqueue` / `rt_sigqueueinfo`.
pub const SI_QUEUE: i32 = -1;
/// POSIX timer expiry.
pub const SI_TIMER: i32 = -2;
/// POSIX message-queue state change.
pub const SI_MESGQ: i32 = -3;
/// Asynchronous I/O completion.
pub const SI_ASYNCIO: i32 = -4;
/// Queued `SIGIO`.
pub const SI_SIGIO: i32 = -5;
/// `tkill` / `tgkill`.
pub const SI_TKILL: i32 = -6;

// SIGILL codes.
pub const ILL_ILLOPC: i32 = 1;
pub const ILL_ILLOPN: i32 = 2;
pub const ILL_ILLADR: i32 = 3;
pub const ILL_ILLTRP: i32 = 4;
pub const ILL_PRVOPC: i32 = 5;
pub const ILL_PRVREG: i32 = 6;
pub const ILL_COPROC: i32 = 7;
pub const ILL_BADSTK: i32 = 8;

// SIGFPE codes.
pub const FPE_INTDIV: i32 = 1;
pub const FPE_INTOVF: i32 = 2;
pub const FPE_FLTDIV: i32 = 3;
pub const FPE_FLTOVF: i32 = 4;
pub const FPE_FLTUND: i32 = 5;
pub const FPE_FLTRES: i32 = 6;
pub const FPE_FLTINV: i32 = 7;
pub const FPE_FLTSUB: i32 = 8;

// SIGSEGV codes.
/// Address not mapped.
pub const SEGV_MAPERR: i32 = 1;
/// Mapped, but the access is not permitted.
pub const SEGV_ACCERR: i32 = 2;
pub const SEGV_BNDERR: i32 = 3;
pub const SEGV_PKUERR: i32 = 4;

// SIGBUS codes.
pub const BUS_ADRALN: i32 = 1;
pub const BUS_ADRERR: i32 = 2;
pub const BUS_OBJERR: i32 = 3;
pub const BUS_MCEERR_AR: i32 = 4;
pub const BUS_MCEERR_AO: i32 = 5;

// SIGTRAP codes.
pub const TRAP_BRKPT: i32 = 1;
pub const TRAP_TRACE: i32 = 2;
pub const TRAP_BRANCH: i32 = 3;
pub const TRAP_HWBKPT: i32 = 4;

// SIGCHLD codes.
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;
pub const CLD_TRAPPED: i32 = 4;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;

// SIGIO / SIGPOLL codes.
pub const POLL_IN: i32 = 1;
pub const POLL_OUT: i32 = 2;
pub const POLL_MSG: i32 = 3;
pub const POLL_ERR: i32 = 4;
pub const POLL_PRI: i32 = 5;
pub const POLL_HUP: i32 = 6;

// SIGSYS code.
pub const SYS_SECCOMP: i32 = 1;

// `ss_flags` of `sigaltstack`.
/// Reported when the thread is currently running on the alternate stack.
pub const SS_ONSTACK: i32 = 1;
/// The alternate stack is disabled.
pub const SS_DISABLE: i32 = 2;
/// Disarm the alternate stack while a handler runs on it.
pub const SS_AUTODISARM: i32 = 1 << 31;
/// Mask of the mode bits (everything but the flag bits above).
pub const SS_FLAG_BITS: i32 = SS_AUTODISARM;

/// Smallest alternate stack `sigaltstack` accepts.
pub const MINSIGSTKSZ: u64 = 2048;
/// Suggested alternate stack size.
pub const SIGSTKSZ: u64 = 8192;
