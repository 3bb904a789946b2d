//! The system-call table: decodes the registers of a SYSCALL into a
//! handler's arguments and encodes its result (-errno on failure). Handlers
//! live with their subsystem. Numbers without a handler return ENOSYS and
//! are logged once each.

use core::sync::atomic::{AtomicU64, Ordering};

use abi::syscall::nr;
use abi::Errno;

use crate::arch::entry::TrapFrame;
use crate::proc::signal::syscalls as sig;
use crate::{fs, mm, proc, time};

/// One bit per syscall number (up to 512) already reported as unimplemented.
static REPORTED: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];

fn report_unimplemented(number: usize) {
    let first_time = match REPORTED.get(number / 64) {
        Some(word) => word.fetch_or(1 << (number % 64), Ordering::Relaxed) & (1 << (number % 64)) == 0,
        None => true,
    };
    if first_time {
        let (pid, comm) = crate::sched::current_pid_comm();
        let name = abi::syscall::name(number).unwrap_or("?");
        crate::pr_warn!("unimplemented syscall {} ({}) by {} {}", name, number, pid, comm.as_str());
    }
}

fn dispatch(number: usize, a: [u64; 6], frame: &mut TrapFrame) -> Result<usize, Errno> {
    let int = |v: u64| v as i32;
    match number {
        nr::READ => fs::read_write::sys_read(int(a[0]), a[1], a[2] as usize),
        nr::WRITE => fs::read_write::sys_write(int(a[0]), a[1], a[2] as usize),
        nr::CLOSE => fs::read_write::sys_close(int(a[0])),
        nr::WRITEV => fs::read_write::sys_writev(int(a[0]), a[1], int(a[2])),
        nr::PIPE => fs::pipe::sys_pipe(a[0]),
        nr::PIPE2 => fs::pipe::sys_pipe2(a[0], a[1] as u32),
        nr::DUP => fs::fcntl::sys_dup(int(a[0])),
        nr::DUP2 => fs::fcntl::sys_dup2(int(a[0]), int(a[1])),
        nr::DUP3 => fs::fcntl::sys_dup3(int(a[0]), int(a[1]), a[2] as u32),
        nr::FCNTL => fs::fcntl::sys_fcntl(int(a[0]), int(a[1]), a[2]),
        nr::RT_SIGPROCMASK => sig::sys_rt_sigprocmask(int(a[0]), a[1], a[2], a[3] as usize),
        nr::RT_SIGACTION => sig::sys_rt_sigaction(int(a[0]), a[1], a[2], a[3] as usize),
        nr::RT_SIGRETURN => proc::signal::frame::sys_rt_sigreturn(frame),
        nr::RT_SIGPENDING => sig::sys_rt_sigpending(a[0], a[1] as usize),
        nr::RT_SIGSUSPEND => sig::sys_rt_sigsuspend(a[0], a[1] as usize),
        nr::RT_SIGTIMEDWAIT => sig::sys_rt_sigtimedwait(a[0], a[1], a[2], a[3] as usize),
        nr::SIGALTSTACK => sig::sys_sigaltstack(a[0], a[1], frame.rsp),
        nr::PAUSE => sig::sys_pause(),
        nr::KILL => sig::sys_kill(int(a[0]), int(a[1])),
        nr::TKILL => sig::sys_tkill(int(a[0]), int(a[1])),
        nr::TGKILL => sig::sys_tgkill(int(a[0]), int(a[1]), int(a[2])),
        nr::NANOSLEEP => crate::sched::sleep::sys_nanosleep(a[0], a[1]),
        nr::CLOCK_NANOSLEEP => crate::sched::sleep::sys_clock_nanosleep(int(a[0]), int(a[1]), a[2], a[3]),
        nr::GETITIMER => proc::itimer::sys_getitimer(int(a[0]), a[1]),
        nr::SETITIMER => proc::itimer::sys_setitimer(int(a[0]), a[1], a[2]),
        nr::ALARM => proc::itimer::sys_alarm(a[0] as u32),
        nr::IOCTL => fs::ioctl::sys_ioctl(int(a[0]), a[1] as u32, a[2]),
        nr::MMAP => fs::mmap::sys_mmap(a[0], a[1], a[2] as u32, a[3] as u32, int(a[4]), a[5]),
        nr::MUNMAP => mm::mmap::sys_munmap(a[0], a[1]),
        nr::BRK => mm::mmap::sys_brk(a[0]),
        nr::MPROTECT => mm::mprotect::sys_mprotect(a[0], a[1], a[2] as u32),
        nr::MSYNC => mm::msync::sys_msync(a[0], a[1], int(a[2])),
        nr::MADVISE => mm::madvise::sys_madvise(a[0], a[1], int(a[2])),
        nr::MINCORE => mm::mincore::sys_mincore(a[0], a[1], a[2]),
        nr::MREMAP => mm::mremap::sys_mremap(a[0], a[1], a[2], a[3] as u32, a[4]),
        nr::GETPID => proc::pid::sys_getpid(),
        nr::GETPPID => proc::pid::sys_getppid(),
        nr::FORK => proc::fork::sys_fork(frame),
        nr::VFORK => proc::fork::sys_vfork(frame),
        nr::CLONE => proc::fork::sys_clone(frame, a[0], a[1], a[2], a[3], a[4]),
        nr::CLONE3 => proc::fork::sys_clone3(frame, a[0], a[1] as usize),
        nr::EXECVE => proc::exec::sys_execve(frame, a[0], a[1], a[2]),
        nr::WAIT4 => proc::wait::sys_wait4(int(a[0]), a[1], a[2] as u32, a[3]),
        nr::SETPGID => proc::pgrp::sys_setpgid(int(a[0]), int(a[1])),
        nr::GETPGID => proc::pgrp::sys_getpgid(int(a[0])),
        nr::GETPGRP => proc::pgrp::sys_getpgrp(),
        nr::SETSID => proc::pgrp::sys_setsid(),
        nr::GETSID => proc::pgrp::sys_getsid(int(a[0])),
        nr::GETTID => proc::pid::sys_gettid(),
        nr::SET_TID_ADDRESS => proc::pid::sys_set_tid_address(a[0]),
        nr::EXIT => proc::exit::sys_exit(int(a[0])),
        nr::EXIT_GROUP => proc::exit::sys_exit_group(int(a[0])),
        nr::GETUID => proc::cred::sys_getuid(),
        nr::GETEUID => proc::cred::sys_geteuid(),
        nr::GETGID => proc::cred::sys_getgid(),
        nr::GETEGID => proc::cred::sys_getegid(),
        nr::SYSLOG => crate::syslog::sys_syslog(int(a[0]), a[1], int(a[2])),
        nr::SETUID => proc::cred::sys_setuid(a[0] as u32),
        nr::SETGID => proc::cred::sys_setgid(a[0] as u32),
        nr::SETREUID => proc::cred::sys_setreuid(a[0] as u32, a[1] as u32),
        nr::SETREGID => proc::cred::sys_setregid(a[0] as u32, a[1] as u32),
        nr::SETRESUID => proc::cred::sys_setresuid(a[0] as u32, a[1] as u32, a[2] as u32),
        nr::SETRESGID => proc::cred::sys_setresgid(a[0] as u32, a[1] as u32, a[2] as u32),
        nr::GETRESUID => proc::cred::sys_getresuid(a[0], a[1], a[2]),
        nr::GETRESGID => proc::cred::sys_getresgid(a[0], a[1], a[2]),
        nr::SETFSUID => proc::cred::sys_setfsuid(a[0] as u32),
        nr::SETFSGID => proc::cred::sys_setfsgid(a[0] as u32),
        nr::GETGROUPS => proc::cred::sys_getgroups(int(a[0]), a[1]),
        nr::SETGROUPS => proc::cred::sys_setgroups(a[0] as usize, a[1]),
        nr::GETRLIMIT => proc::rlimit::sys_getrlimit(a[0] as u32, a[1]),
        nr::SETRLIMIT => proc::rlimit::sys_setrlimit(a[0] as u32, a[1]),
        nr::PRLIMIT64 => proc::rlimit::sys_prlimit64(int(a[0]), a[1] as u32, a[2], a[3]),
        nr::PRCTL => proc::prctl::sys_prctl(int(a[0]), a[1]),
        nr::SCHED_GETAFFINITY => proc::prctl::sys_sched_getaffinity(int(a[0]), a[1] as usize, a[2]),
        nr::SCHED_SETAFFINITY => proc::prctl::sys_sched_setaffinity(int(a[0]), a[1] as usize, a[2]),
        nr::CAPGET => proc::prctl::sys_capget(a[0], a[1]),
        nr::TIMES => proc::times::sys_times(a[0]),
        nr::GETRUSAGE => proc::times::sys_getrusage(int(a[0]), a[1]),
        nr::GETTIMEOFDAY => time::clock::sys_gettimeofday(a[0], a[1]),
        nr::TIME => time::clock::sys_time(a[0]),
        nr::REBOOT => crate::proc::reboot::sys_reboot(int(a[0]) as u32, int(a[1]) as u32, int(a[2]) as u32),
        nr::FUTEX => proc::futex::sys_futex(a[0], int(a[1]), a[2] as u32, a[3], a[4], a[5] as u32),
        nr::SET_ROBUST_LIST => proc::futex::sys_set_robust_list(a[0], a[1] as usize),
        nr::GET_ROBUST_LIST => proc::futex::sys_get_robust_list(int(a[0]), a[1], a[2]),
        nr::SCHED_YIELD => crate::sched::sys_sched_yield(),
        nr::SYSINFO => crate::proc::sysinfo::sys_sysinfo(a[0]),
        nr::WAITID => proc::wait::sys_waitid(int(a[0]), int(a[1]), a[2], int(a[3]), a[4]),
        nr::UNAME => proc::uts::sys_uname(a[0]),
        nr::SETHOSTNAME => proc::uts::sys_sethostname(a[0], a[1] as usize),
        nr::SETDOMAINNAME => proc::uts::sys_setdomainname(a[0], a[1] as usize),
        nr::ARCH_PRCTL => proc::arch_prctl::sys_arch_prctl(int(a[0]), a[1]),
        nr::CLOCK_GETTIME => time::clock::sys_clock_gettime(int(a[0]), a[1]),
        nr::CLOCK_GETRES => time::clock::sys_clock_getres(int(a[0]), a[1]),
        _ => match fs::syscalls::dispatch(number, a) {
            Some(result) => result,
            None => {
                report_unimplemented(number);
                Err(Errno::ENOSYS)
            }
        },
    }
}

/// Entered from the SYSCALL entry path with interrupts enabled.
pub fn handle_syscall(frame: &mut TrapFrame) {
    let number = frame.rax as usize;
    let args = [frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9];
    // Kept for restarting the call after a signal (Linux's orig_ax).
    frame.error_code = frame.rax;
    frame.rax = match dispatch(number, args, frame) {
        Ok(v) => v as u64,
        Err(e) => e.to_syscall_return() as u64,
    };
}
