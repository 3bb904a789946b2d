//! Signal numbers, flags, codes and structures against the `libc` crate.

mod common;

use core::mem::{size_of, transmute};

use abi::signal::*;

#[test]
fn signal_numbers_match_libc() {
    same_consts!(
        abi::signal,
        i32,
        [
            SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGIOT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1, SIGSEGV,
            SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT, SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU,
            SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPOLL, SIGPWR, SIGSYS,
        ]
    );
    // The kernel's range; the C library reserves the first few for itself.
    assert_eq!(SIGRTMIN, 32);
    assert_eq!(SIGRTMAX, libc::SIGRTMAX());
    assert!(libc::SIGRTMIN() >= SIGRTMIN);
    assert_eq!(NSIG, 65);
}

#[test]
fn names() {
    assert_eq!(signal_name(SIGSEGV), Some("SIGSEGV"));
    assert_eq!(signal_name(1), Some("SIGHUP"));
    assert_eq!(signal_name(31), Some("SIGSYS"));
    assert_eq!(signal_name(32), Some("SIGRTMIN"));
    assert_eq!(signal_name(33), Some("SIGRTMIN+1"));
    assert_eq!(signal_name(63), Some("SIGRTMAX-1"));
    assert_eq!(signal_name(64), Some("SIGRTMAX"));
    assert_eq!(signal_name(0), None);
    assert_eq!(signal_name(65), None);
    assert_eq!(signal_name(-1), None);
    // Every real-time name is consistent with its number.
    for sig in 33..64 {
        let name = signal_name(sig).unwrap();
        let n: i32 = if let Some(k) = name.strip_prefix("SIGRTMIN+") {
            SIGRTMIN + k.parse::<i32>().unwrap()
        } else {
            SIGRTMAX - name.strip_prefix("SIGRTMAX-").unwrap().parse::<i32>().unwrap()
        };
        assert_eq!(n, sig);
    }
    assert!(is_valid(64) && !is_valid(0) && !is_valid(65));
}

#[test]
fn default_actions() {
    assert_eq!(default_action(SIGSEGV), DefaultAction::CoreDump);
    assert_eq!(default_action(SIGCHLD), DefaultAction::Ignore);
    assert_eq!(default_action(SIGTSTP), DefaultAction::Stop);
    assert_eq!(default_action(SIGCONT), DefaultAction::Continue);
    assert_eq!(default_action(SIGTERM), DefaultAction::Terminate);
    assert_eq!(default_action(SIGRTMIN + 3), DefaultAction::Terminate);
}

#[test]
fn sa_flags_match_libc() {
    // libc's sa_flags are C ints; compare the bit patterns.
    same_consts!(
        abi::signal,
        u32 => u64,
        [SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO, SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND]
    );
    assert_eq!(SA_RESTORER, 0x0400_0000);
    assert_eq!(SA_UNSUPPORTED, 0x400);
    assert_eq!(SA_EXPOSE_TAGBITS, 0x800);
    assert_eq!(SIG_DFL, libc::SIG_DFL as u64);
    assert_eq!(SIG_IGN, libc::SIG_IGN as u64);
    assert_eq!(SIG_ERR, libc::SIG_ERR as u64);
    same_consts!(abi::signal, i32, [SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK]);
}

#[test]
fn si_codes_match_libc() {
    same_consts!(
        abi::signal,
        i32,
        [
            SI_USER,
            SI_KERNEL,
            SI_QUEUE,
            SI_TIMER,
            SI_MESGQ,
            SI_ASYNCIO,
            SI_SIGIO,
            SI_TKILL,
            BUS_ADRALN,
            BUS_ADRERR,
            BUS_OBJERR,
            BUS_MCEERR_AR,
            BUS_MCEERR_AO,
            TRAP_BRKPT,
            TRAP_TRACE,
            TRAP_BRANCH,
            TRAP_HWBKPT,
            CLD_EXITED,
            CLD_KILLED,
            CLD_DUMPED,
            CLD_TRAPPED,
            CLD_STOPPED,
            CLD_CONTINUED,
        ]
    );
}

/// Codes the `libc` crate does not define for linux-gnu.
#[test]
fn si_codes_fixed() {
    let ill = [ILL_ILLOPC, ILL_ILLOPN, ILL_ILLADR, ILL_ILLTRP, ILL_PRVOPC, ILL_PRVREG, ILL_COPROC, ILL_BADSTK];
    let fpe = [FPE_INTDIV, FPE_INTOVF, FPE_FLTDIV, FPE_FLTOVF, FPE_FLTUND, FPE_FLTRES, FPE_FLTINV, FPE_FLTSUB];
    let segv = [SEGV_MAPERR, SEGV_ACCERR, SEGV_BNDERR, SEGV_PKUERR];
    let poll = [POLL_IN, POLL_OUT, POLL_MSG, POLL_ERR, POLL_PRI, POLL_HUP];
    for codes in [&ill[..], &fpe[..], &segv[..], &poll[..]] {
        let expected: Vec<i32> = (1..=codes.len() as i32).collect();
        assert_eq!(codes, &expected[..]);
    }
    assert_eq!(SYS_SECCOMP, 1);
}

#[test]
fn altstack_consts_match_libc() {
    same_consts!(abi::signal, i32, [SS_ONSTACK, SS_DISABLE]);
    assert_eq!(SS_AUTODISARM as u32, 0x8000_0000);
    same_consts!(abi::signal, u64, [MINSIGSTKSZ, SIGSTKSZ]);
}

#[test]
fn kernel_sigaction_layout() {
    // The kernel's own struct, not glibc's `struct sigaction`.
    assert_eq!(size_of::<KernelSigaction>(), 32);
    fixed_fields!(KernelSigaction, [(handler, 0, 8), (flags, 8, 8), (restorer, 16, 8), (mask, 24, 8)]);
    // The handler is a pointer-sized value, the flags an `unsigned long`.
    assert_eq!(field_size!(KernelSigaction, handler), size_of::<libc::sighandler_t>());
    assert_eq!(field_size!(KernelSigaction, flags), size_of::<libc::c_ulong>());
    let act = KernelSigaction {
        handler: 0x401000,
        flags: SA_SIGINFO | SA_RESTORER,
        restorer: 0x402000,
        mask: SigSet::single(SIGUSR1).0,
    };
    assert!(act.wants_siginfo() && !act.is_default() && !act.is_ignored());
    assert!(act.sigset().contains(SIGUSR1));
    assert!(KernelSigaction::DEFAULT.is_default());
}

#[test]
fn stack_t_layout() {
    same_layout!(StackT, libc::stack_t, [ss_sp, ss_flags, ss_size]);
    fixed_fields!(StackT, [(_pad, 12, 4)]);
    let st = StackT { ss_sp: 0x1000, ss_size: 0x2000, ..StackT::default() };
    assert_eq!(st.top(), 0x3000);
    assert!(st.contains(0x3000) && st.contains(0x1001));
    assert!(!st.contains(0x1000) && !st.contains(0x3001));
}

#[test]
fn sigset() {
    assert_eq!(size_of::<SigSet>(), 8);
    assert_eq!(SigSet::bit(1), 1);
    assert_eq!(SigSet::bit(64), 1 << 63);
    assert_eq!(SigSet::bit(0), 0);
    assert_eq!(SigSet::bit(65), 0);
    let mut set = SigSet::EMPTY;
    assert!(set.is_empty());
    set.add(SIGINT);
    set.add(SIGKILL);
    set.add(SIGRTMAX);
    assert!(set.contains(SIGINT) && set.contains(SIGRTMAX) && !set.contains(SIGHUP));
    assert_eq!(set.first(), Some(SIGINT));
    assert_eq!(set.iter().collect::<Vec<_>>(), vec![SIGINT, SIGKILL, SIGRTMAX]);
    assert_eq!(set.without_unblockable().iter().collect::<Vec<_>>(), vec![SIGINT, SIGRTMAX]);
    set.remove(SIGINT);
    assert_eq!(set.first(), Some(SIGKILL));
    assert_eq!(SigSet::FULL.iter().count(), 64);
    assert!(SigSet::UNBLOCKABLE.contains(SIGSTOP));
    let a = SigSet::single(1).union(SigSet::single(2));
    assert_eq!(a.intersection(SigSet::single(2)), SigSet::single(2));
    assert_eq!(a.difference(SigSet::single(2)), SigSet::single(1));
}

/// Reinterprets our siginfo as glibc's so its accessors can check offsets.
fn as_libc(info: Siginfo) -> libc::siginfo_t {
    // SAFETY: both are 128-byte plain-data structures.
    unsafe { transmute::<Siginfo, libc::siginfo_t>(info) }
}

#[test]
fn siginfo_layout() {
    assert_eq!(size_of::<Siginfo>(), SIGINFO_SIZE);
    same_layout!(Siginfo, libc::siginfo_t, [si_signo, si_errno, si_code]);
    fixed_fields!(Siginfo, [(_pad, 12, 4), (fields, 16, 112)]);
}

#[test]
fn siginfo_fault() {
    let info = Siginfo::fault(SIGSEGV, SEGV_MAPERR, 0xdead_beef_0000);
    assert_eq!(info.si_addr(), 0xdead_beef_0000);
    let theirs = as_libc(info);
    assert_eq!(theirs.si_signo, SIGSEGV);
    assert_eq!(theirs.si_code, SEGV_MAPERR);
    assert_eq!(theirs.si_errno, 0);
    assert_eq!(unsafe { theirs.si_addr() } as u64, 0xdead_beef_0000);
}

#[test]
fn siginfo_kill_and_queue() {
    let info = Siginfo::kill(SIGTERM, SI_USER, 1234, 1000);
    let theirs = as_libc(info);
    assert_eq!(unsafe { theirs.si_pid() }, 1234);
    assert_eq!(unsafe { theirs.si_uid() }, 1000);
    assert_eq!((info.si_pid(), info.si_uid()), (1234, 1000));

    let info = Siginfo::queue(SIGRTMIN, 7, 8, 0x1122_3344_5566_7788);
    let theirs = as_libc(info);
    assert_eq!(theirs.si_code, SI_QUEUE);
    assert_eq!(unsafe { theirs.si_pid() }, 7);
    assert_eq!(unsafe { theirs.si_value() }.sival_ptr as u64, 0x1122_3344_5566_7788);
    assert_eq!(info.si_value(), 0x1122_3344_5566_7788);
}

#[test]
fn siginfo_child() {
    let info = Siginfo::child(CLD_EXITED, 42, 1000, 3, 11, 22);
    assert_eq!(info.si_signo, SIGCHLD);
    let theirs = as_libc(info);
    assert_eq!(theirs.si_code, CLD_EXITED);
    unsafe {
        assert_eq!(theirs.si_pid(), 42);
        assert_eq!(theirs.si_uid(), 1000);
        assert_eq!(theirs.si_status(), 3);
        assert_eq!(theirs.si_utime(), 11);
        assert_eq!(theirs.si_stime(), 22);
    }
    assert_eq!((info.si_status(), info.si_utime(), info.si_stime()), (3, 11, 22));
}

#[test]
fn siginfo_timer_and_poll() {
    let info = Siginfo::timer(SIGALRM, 5, 2, 99);
    assert_eq!(info.si_code, SI_TIMER);
    assert_eq!((info.si_timerid(), info.si_overrun(), info.si_value()), (5, 2, 99));
    let theirs = as_libc(info);
    assert_eq!(unsafe { theirs.si_value() }.sival_ptr as u64, 99);

    let mut info = Siginfo::new(SIGIO, POLL_IN);
    info.set_i64(16, 0x41);
    info.set_i32(24, 9);
    assert_eq!((info.si_band(), info.si_fd()), (0x41, 9));
    assert_eq!(Siginfo::user(SIGINT).si_code, SI_USER);
    assert_eq!(Siginfo::default(), Siginfo::new(0, 0));
}
