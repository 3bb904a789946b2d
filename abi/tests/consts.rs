//! Plain constants against the `libc` crate: auxv keys, ioctl requests,
//! prctl/arch_prctl codes, clocks, terminal flags, resource limits, poll
//! events and filesystem numbers.

mod common;

#[test]
fn auxv() {
    same_consts!(
        abi::auxv,
        u64,
        [
            AT_NULL,
            AT_IGNORE,
            AT_EXECFD,
            AT_PHDR,
            AT_PHENT,
            AT_PHNUM,
            AT_PAGESZ,
            AT_BASE,
            AT_FLAGS,
            AT_ENTRY,
            AT_NOTELF,
            AT_UID,
            AT_EUID,
            AT_GID,
            AT_EGID,
            AT_PLATFORM,
            AT_HWCAP,
            AT_CLKTCK,
            AT_SECURE,
            AT_BASE_PLATFORM,
            AT_RANDOM,
            AT_HWCAP2,
            AT_EXECFN,
            AT_SYSINFO_EHDR,
            AT_MINSIGSTKSZ,
        ]
    );
    use abi::auxv::*;
    assert_eq!([AT_RSEQ_FEATURE_SIZE, AT_RSEQ_ALIGN, AT_HWCAP3, AT_HWCAP4], [27, 28, 29, 30]);
}

#[test]
fn ioctl() {
    same_consts!(
        abi::ioctl,
        usize,
        [
            TCGETS,
            TCSETS,
            TCSETSW,
            TCSETSF,
            TCGETA,
            TCSETA,
            TCSETAW,
            TCSETAF,
            TCSBRK,
            TCXONC,
            TCFLSH,
            TIOCEXCL,
            TIOCNXCL,
            TIOCSCTTY,
            TIOCGPGRP,
            TIOCSPGRP,
            TIOCOUTQ,
            TIOCSTI,
            TIOCGWINSZ,
            TIOCSWINSZ,
            TIOCMGET,
            TIOCMBIS,
            TIOCMBIC,
            TIOCMSET,
            TIOCGSOFTCAR,
            TIOCSSOFTCAR,
            FIONREAD,
            TIOCINQ,
            TIOCLINUX,
            TIOCCONS,
            TIOCGSERIAL,
            TIOCSSERIAL,
            TIOCPKT,
            FIONBIO,
            TIOCNOTTY,
            TIOCSETD,
            TIOCGETD,
            TCSBRKP,
            TIOCSBRK,
            TIOCCBRK,
            TIOCGSID,
            TCGETS2,
            TCSETS2,
            TCSETSW2,
            TCSETSF2,
            TIOCGRS485,
            TIOCSRS485,
            TIOCGPTN,
            TIOCSPTLCK,
            TIOCGDEV,
            TCGETX,
            TCSETX,
            TCSETXF,
            TCSETXW,
            TIOCSIG,
            TIOCVHANGUP,
            TIOCGPKT,
            TIOCGPTLCK,
            TIOCGEXCL,
            TIOCGPTPEER,
            FIONCLEX,
            FIOCLEX,
            FIOASYNC,
            TIOCSERCONFIG,
            TIOCSERGWILD,
            TIOCSERSWILD,
            TIOCGLCKTRMIOS,
            TIOCSLCKTRMIOS,
            TIOCSERGSTRUCT,
            TIOCSERGETLSR,
            TIOCSERGETMULTI,
            TIOCSERSETMULTI,
            TIOCMIWAIT,
            TIOCGICOUNT,
            FIOQSIZE,
            FS_IOC_GETFLAGS,
            FS_IOC_SETFLAGS,
        ]
    );
    same_consts!(abi::ioctl, i32, [XATTR_CREATE, XATTR_REPLACE]);
    assert_eq!(abi::ioctl::TCGETS, 0x5401);
    assert_eq!(abi::ioctl::TIOCGWINSZ, 0x5413);
}

#[test]
fn prctl() {
    same_consts!(
        abi::prctl,
        i32,
        [
            PR_SET_PDEATHSIG,
            PR_GET_PDEATHSIG,
            PR_GET_DUMPABLE,
            PR_SET_DUMPABLE,
            PR_GET_KEEPCAPS,
            PR_SET_KEEPCAPS,
            PR_GET_TIMING,
            PR_SET_TIMING,
            PR_SET_NAME,
            PR_GET_NAME,
            PR_GET_ENDIAN,
            PR_SET_ENDIAN,
            PR_GET_SECCOMP,
            PR_SET_SECCOMP,
            PR_CAPBSET_READ,
            PR_CAPBSET_DROP,
            PR_GET_TSC,
            PR_SET_TSC,
            PR_GET_SECUREBITS,
            PR_SET_SECUREBITS,
            PR_SET_TIMERSLACK,
            PR_GET_TIMERSLACK,
            PR_MCE_KILL,
            PR_MCE_KILL_GET,
            PR_SET_MM,
            PR_SET_CHILD_SUBREAPER,
            PR_GET_CHILD_SUBREAPER,
            PR_SET_NO_NEW_PRIVS,
            PR_GET_NO_NEW_PRIVS,
            PR_GET_TID_ADDRESS,
            PR_SET_THP_DISABLE,
            PR_GET_THP_DISABLE,
            PR_SET_FP_MODE,
            PR_GET_FP_MODE,
            PR_CAP_AMBIENT,
            PR_SET_VMA,
            PR_SET_VMA_ANON_NAME,
        ]
    );
    assert_eq!(abi::prctl::PR_SET_NAME, 15);
    assert_eq!(abi::prctl::TASK_COMM_LEN, 16);
}

#[test]
fn arch_prctl() {
    use abi::prctl::*;
    assert_eq!(ARCH_SET_GS, 0x1001);
    assert_eq!(ARCH_SET_FS, 0x1002);
    assert_eq!(ARCH_GET_FS, 0x1003);
    assert_eq!(ARCH_GET_GS, 0x1004);
    assert_eq!(ARCH_GET_CPUID, 0x1011);
    assert_eq!(ARCH_SET_CPUID, 0x1012);
}

#[test]
fn clocks_and_timers() {
    same_consts!(
        abi::time,
        i32,
        [
            CLOCK_REALTIME,
            CLOCK_MONOTONIC,
            CLOCK_PROCESS_CPUTIME_ID,
            CLOCK_THREAD_CPUTIME_ID,
            CLOCK_MONOTONIC_RAW,
            CLOCK_REALTIME_COARSE,
            CLOCK_MONOTONIC_COARSE,
            CLOCK_BOOTTIME,
            CLOCK_REALTIME_ALARM,
            CLOCK_BOOTTIME_ALARM,
            CLOCK_TAI,
            TIMER_ABSTIME,
            TFD_TIMER_ABSTIME,
            TFD_TIMER_CANCEL_ON_SET,
            ITIMER_REAL,
            ITIMER_VIRTUAL,
            ITIMER_PROF,
        ]
    );
    assert_eq!(abi::UTIME_NOW, libc::UTIME_NOW);
    assert_eq!(abi::UTIME_OMIT, libc::UTIME_OMIT);
    assert_eq!(abi::USER_HZ, 100);
    assert_eq!(abi::PAGE_SIZE, 4096);
}

#[test]
fn timespec_helpers() {
    use abi::Timespec;
    let t = Timespec::from_nanos(3_000_000_007);
    assert_eq!((t.tv_sec, t.tv_nsec), (3, 7));
    assert_eq!(t.to_nanos(), Some(3_000_000_007));
    let bad = Timespec { tv_sec: 0, tv_nsec: 1_000_000_000 };
    assert!(!bad.is_valid() && bad.to_nanos().is_none());
    assert!(!Timespec { tv_sec: -1, tv_nsec: 0 }.is_valid());
    assert!(Timespec::ZERO.is_valid());
    let tv = abi::Timeval::from_nanos(1_500_000_999);
    assert_eq!((tv.tv_sec, tv.tv_usec), (1, 500_000));
    assert!(tv.is_valid());
}

#[test]
fn termios_flags() {
    same_consts!(
        abi::types,
        u32,
        [
            IGNBRK, BRKINT, IGNPAR, PARMRK, INPCK, ISTRIP, INLCR, IGNCR, ICRNL, IUCLC, IXON, IXANY, IXOFF, IMAXBEL,
            IUTF8, OPOST, OLCUC, ONLCR, OCRNL, ONOCR, ONLRET, OFILL, OFDEL, NLDLY, CRDLY, TABDLY, XTABS, BSDLY, VTDLY,
            FFDLY, CBAUD, B0, B50, B75, B110, B134, B150, B200, B300, B600, B1200, B1800, B2400, B4800, B9600, B19200,
            B38400, CSIZE, CS5, CS6, CS7, CS8, CSTOPB, CREAD, PARENB, PARODD, HUPCL, CLOCAL, CBAUDEX, BOTHER, B57600,
            B115200, B230400, B460800, B500000, B576000, B921600, B1000000, B1152000, B1500000, B2000000, B2500000,
            B3000000, B3500000, B4000000, CMSPAR, CRTSCTS, ISIG, ICANON, XCASE, ECHO, ECHOE, ECHOK, ECHONL, NOFLSH,
            TOSTOP, ECHOCTL, ECHOPRT, ECHOKE, FLUSHO, PENDIN, IEXTEN, EXTPROC,
        ]
    );
    same_consts!(
        abi::types,
        usize,
        [
            VINTR, VQUIT, VERASE, VKILL, VEOF, VTIME, VMIN, VSWTC, VSTART, VSTOP, VSUSP, VEOL, VREPRINT, VDISCARD,
            VWERASE, VLNEXT, VEOL2,
        ]
    );
    same_consts!(
        abi::types,
        i32,
        [TCIFLUSH, TCOFLUSH, TCIOFLUSH, TCOOFF, TCOON, TCIOFF, TCION, TCSANOW, TCSADRAIN, TCSAFLUSH]
    );
    // The C library's NCCS is 32; the kernel's structure has 19.
    assert_eq!(abi::NCCS, 19);
    assert_eq!(abi::NCCS, field_size!(libc::termios2, c_cc));
    let t = abi::Termios::sane();
    assert_eq!(t.c_cc[abi::VINTR], 3);
    assert_eq!(t.c_cc[abi::VMIN], 1);
    assert_ne!(t.c_lflag & abi::ICANON, 0);
    assert_eq!(t.c_cflag & abi::CBAUD, abi::B38400);
}

#[test]
fn resource_limits() {
    same_consts!(
        abi::types,
        u32,
        [
            RLIMIT_CPU,
            RLIMIT_FSIZE,
            RLIMIT_DATA,
            RLIMIT_STACK,
            RLIMIT_CORE,
            RLIMIT_RSS,
            RLIMIT_NPROC,
            RLIMIT_NOFILE,
            RLIMIT_MEMLOCK,
            RLIMIT_AS,
            RLIMIT_LOCKS,
            RLIMIT_SIGPENDING,
            RLIMIT_MSGQUEUE,
            RLIMIT_NICE,
            RLIMIT_RTPRIO,
            RLIMIT_RTTIME,
        ]
    );
    // libc deprecates its copy as unstable across versions; pin ours.
    assert_eq!(abi::RLIM_NLIMITS, abi::RLIMIT_RTTIME + 1);
    assert_eq!(abi::RLIM_INFINITY, libc::RLIM_INFINITY);
    assert_eq!(abi::Rlimit::UNLIMITED.rlim_max, libc::RLIM_INFINITY);
    same_consts!(abi::types, i32, [RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD]);
}

#[test]
fn poll_and_io() {
    same_consts!(
        abi::types,
        i16,
        [
            POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND,
            POLLRDHUP,
        ]
    );
    assert_eq!(abi::POLLMSG, 0x400);
    assert_eq!(abi::POLLREMOVE, 0x1000);
    same_consts!(abi::types, usize, [UIO_MAXIOV]);
}

#[test]
fn filesystem_numbers() {
    same_consts!(abi::types, i64, [TMPFS_MAGIC, PROC_SUPER_MAGIC, SYSFS_MAGIC, DEVPTS_SUPER_MAGIC, EXT4_SUPER_MAGIC,]);
    assert_eq!(abi::RAMFS_MAGIC, 0x8584_58f6);
    assert_eq!(abi::PIPEFS_MAGIC, 0x5049_5045);
    same_consts!(
        abi::types,
        i64,
        [
            ST_RDONLY,
            ST_NOSUID,
            ST_NODEV,
            ST_NOEXEC,
            ST_SYNCHRONOUS,
            ST_MANDLOCK,
            ST_NOATIME,
            ST_NODIRATIME,
            ST_RELATIME,
        ]
    );
    assert_eq!(abi::ST_VALID, 0x20);
    same_consts!(
        abi::types,
        u32,
        [
            STATX_TYPE,
            STATX_MODE,
            STATX_NLINK,
            STATX_UID,
            STATX_GID,
            STATX_ATIME,
            STATX_MTIME,
            STATX_CTIME,
            STATX_INO,
            STATX_SIZE,
            STATX_BLOCKS,
            STATX_BASIC_STATS,
            STATX_BTIME,
            STATX_MNT_ID,
            STATX_DIOALIGN,
        ]
    );
    assert_eq!(abi::SI_LOAD_SHIFT, 16);
}

#[test]
fn sockets() {
    same_consts!(
        abi::socket,
        i32,
        [
            AF_UNSPEC,
            AF_UNIX,
            SOCK_STREAM,
            SOCK_DGRAM,
            SOCK_RAW,
            SOCK_RDM,
            SOCK_SEQPACKET,
            SOCK_NONBLOCK,
            SOCK_CLOEXEC,
            SHUT_RD,
            SHUT_WR,
            SHUT_RDWR,
            SOL_SOCKET,
            SO_DEBUG,
            SO_REUSEADDR,
            SO_TYPE,
            SO_ERROR,
            SO_DONTROUTE,
            SO_BROADCAST,
            SO_SNDBUF,
            SO_RCVBUF,
            SO_KEEPALIVE,
            SO_LINGER,
            SO_PASSCRED,
            SO_PEERCRED,
            SO_RCVLOWAT,
            SO_SNDLOWAT,
            SO_ACCEPTCONN,
            SO_SNDBUFFORCE,
            SO_RCVBUFFORCE,
            SO_PROTOCOL,
            SO_DOMAIN,
            SCM_RIGHTS,
            SCM_CREDENTIALS,
        ]
    );
    same_consts!(
        abi::socket,
        i32 => u32,
        [
            MSG_OOB, MSG_PEEK, MSG_DONTROUTE, MSG_CTRUNC, MSG_TRUNC, MSG_DONTWAIT, MSG_EOR, MSG_WAITALL,
            MSG_NOSIGNAL, MSG_MORE, MSG_WAITFORONE, MSG_CMSG_CLOEXEC,
        ]
    );
    assert_eq!(abi::socket::SO_RCVTIMEO_OLD, 20);
    assert_eq!(abi::socket::SO_SNDTIMEO_OLD, 21);
    assert_eq!(abi::socket::SIOCINQ, libc::FIONREAD as u32);
    assert_eq!(abi::socket::SIOCOUTQ, libc::TIOCOUTQ as u32);
}

#[test]
fn sysv_ipc() {
    same_consts!(
        abi::ipc,
        i32,
        [
            IPC_CREAT,
            IPC_EXCL,
            IPC_NOWAIT,
            IPC_RMID,
            IPC_SET,
            IPC_INFO,
            SHM_RDONLY,
            SHM_RND,
            SHM_REMAP,
            SHM_EXEC,
            SHM_LOCK,
            SHM_UNLOCK,
            SHM_HUGETLB,
            SHM_NORESERVE,
            GETPID,
            GETVAL,
            GETALL,
            GETNCNT,
            GETZCNT,
            SETVAL,
            SETALL,
            SEM_STAT,
            SEM_INFO,
            MSG_STAT,
            MSG_INFO,
            MSG_NOERROR,
            MSG_EXCEPT,
            MSG_COPY,
        ]
    );
    assert_eq!(abi::ipc::IPC_PRIVATE, libc::IPC_PRIVATE);
    assert_eq!(abi::ipc::IPC_STAT, 2);
    assert_eq!(i32::from(abi::ipc::SEM_UNDO), libc::SEM_UNDO);
}

/// The shmctl commands libc does not name, from linux/shm.h.
#[test]
fn sysv_shm_commands() {
    assert_eq!((abi::ipc::SHM_STAT, abi::ipc::SHM_INFO, abi::ipc::SHM_STAT_ANY), (13, 14, 15));
}
