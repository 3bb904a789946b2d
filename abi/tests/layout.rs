//! Sizes and field offsets of every structure against the `libc` crate
//! (glibc's x86_64 definitions, which match the kernel's for these), or
//! against fixed numbers where the C library's structure differs.

mod common;

use core::mem::{align_of, offset_of, size_of};

use abi::*;

#[test]
fn timespec_timeval() {
    same_layout!(Timespec, libc::timespec, [tv_sec, tv_nsec]);
    same_layout!(Timeval, libc::timeval, [tv_sec, tv_usec]);
    assert_eq!(size_of::<Timespec>(), 16);
    assert_eq!(size_of::<Timeval>(), 16);
}

#[test]
fn timezone() {
    // libc models `struct timezone` as an opaque type, so check fixed numbers.
    assert_eq!(size_of::<Timezone>(), 8);
    fixed_fields!(Timezone, [(tz_minuteswest, 0, 4), (tz_dsttime, 4, 4)]);
}

#[test]
fn tms_and_timers() {
    same_layout!(Tms, libc::tms, [tms_utime, tms_stime, tms_cutime, tms_cstime]);
    same_layout!(ItimerVal, libc::itimerval, [it_interval, it_value]);
    same_layout!(ItimerSpec, libc::itimerspec, [it_interval, it_value]);
}

#[test]
fn stat() {
    assert_eq!(size_of::<Stat>(), 144);
    same_layout!(
        Stat,
        libc::stat,
        [
            st_dev,
            st_ino,
            st_nlink,
            st_mode,
            st_uid,
            st_gid,
            st_rdev,
            st_size,
            st_blksize,
            st_blocks,
            st_atime,
            st_atime_nsec,
            st_mtime,
            st_mtime_nsec,
            st_ctime,
            st_ctime_nsec,
        ]
    );
    // libc keeps the padding fields private; pin them down directly.
    fixed_fields!(Stat, [(__pad0, 36, 4), (__unused, 120, 24)]);
}

#[test]
fn statfs() {
    assert_eq!(size_of::<Statfs>(), 120);
    same_layout!(
        Statfs,
        libc::statfs,
        [f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid, f_namelen, f_frsize]
    );
    // glibc folds `f_flags` into its private spare array.
    fixed_fields!(Statfs, [(f_flags, 80, 8), (f_spare, 88, 32)]);
    same_layout!(Statfs, libc::statfs64, [f_type, f_bsize, f_blocks, f_frsize]);
}

#[test]
fn statx() {
    assert_eq!(size_of::<Statx>(), 256);
    same_layout!(StatxTimestamp, libc::statx_timestamp, [tv_sec, tv_nsec]);
    fixed_fields!(StatxTimestamp, [(__reserved, 12, 4)]);
    same_layout!(
        Statx,
        libc::statx,
        [
            stx_mask,
            stx_blksize,
            stx_attributes,
            stx_nlink,
            stx_uid,
            stx_gid,
            stx_mode,
            stx_ino,
            stx_size,
            stx_blocks,
            stx_attributes_mask,
            stx_atime,
            stx_btime,
            stx_ctime,
            stx_mtime,
            stx_rdev_major,
            stx_rdev_minor,
            stx_dev_major,
            stx_dev_minor,
            stx_mnt_id,
            stx_dio_mem_align,
            stx_dio_offset_align,
            stx_subvol,
            stx_atomic_write_unit_min,
            stx_atomic_write_unit_max,
            stx_atomic_write_segments_max,
            stx_dio_read_offset_align,
            stx_atomic_write_unit_max_opt,
        ]
    );
    fixed_fields!(Statx, [(__spare0, 30, 2), (__spare2, 188, 4), (__spare3, 192, 64)]);
}

#[test]
fn utsname() {
    assert_eq!(size_of::<Utsname>(), 390);
    same_layout!(Utsname, libc::utsname, [sysname, nodename, release, version, machine, domainname]);
    let u = Utsname::new("Linux", "host", "6.1.0", "#1", "x86_64", &"d".repeat(100));
    assert_eq!(&u.sysname[..6], b"Linux\0");
    assert_eq!(u.domainname[63], b'd');
    assert_eq!(u.domainname[64], 0, "always NUL-terminated");
    assert_eq!(Utsname::default().machine, [0u8; 65]);
}

#[test]
fn mq_attr() {
    same_layout!(MqAttr, libc::mq_attr, [mq_flags, mq_maxmsg, mq_msgsize, mq_curmsgs]);
    assert_eq!(size_of::<MqAttr>(), 64);
    assert_eq!(MQ_PRIO_MAX, 32768);
}

#[test]
fn iovec_pollfd() {
    same_layout!(Iovec, libc::iovec, [iov_base, iov_len]);
    same_layout!(PollFd, libc::pollfd, [fd, events, revents]);
}

#[test]
fn rlimit_rusage() {
    same_layout!(Rlimit, libc::rlimit, [rlim_cur, rlim_max]);
    same_layout!(Rlimit, libc::rlimit64, [rlim_cur, rlim_max]);
    assert_eq!(size_of::<Rusage>(), 144);
    same_layout!(
        Rusage,
        libc::rusage,
        [
            ru_utime,
            ru_stime,
            ru_maxrss,
            ru_ixrss,
            ru_idrss,
            ru_isrss,
            ru_minflt,
            ru_majflt,
            ru_nswap,
            ru_inblock,
            ru_oublock,
            ru_msgsnd,
            ru_msgrcv,
            ru_nsignals,
            ru_nvcsw,
            ru_nivcsw,
        ]
    );
}

#[test]
fn sysinfo() {
    assert_eq!(size_of::<Sysinfo>(), 112);
    same_layout!(
        Sysinfo,
        libc::sysinfo,
        [
            uptime, loads, totalram, freeram, sharedram, bufferram, totalswap, freeswap, procs, pad, totalhigh,
            freehigh, mem_unit,
        ]
    );
    fixed_fields!(Sysinfo, [(_pad1, 84, 4), (_pad2, 108, 4)]);
}

#[test]
fn termios() {
    // The kernel's termios is the prefix of termios2 up to the speeds.
    assert_eq!(size_of::<Termios>(), 36);
    assert_eq!(size_of::<Termios>(), offset_of!(libc::termios2, c_ispeed));
    assert_eq!(align_of::<Termios>(), align_of::<libc::termios2>());
    same_fields!(Termios, libc::termios2, [c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc]);
    same_layout!(Termios2, libc::termios2, [c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc, c_ispeed, c_ospeed]);
    same_layout!(Winsize, libc::winsize, [ws_row, ws_col, ws_xpixel, ws_ypixel]);
}

#[test]
fn flock() {
    assert_eq!(size_of::<Flock>(), 32);
    same_layout!(Flock, libc::flock, [l_type, l_whence, l_start, l_len, l_pid]);
    fixed_fields!(Flock, [(_pad0, 4, 4), (_pad1, 28, 4)]);
}

#[test]
fn clone_args() {
    assert_eq!(size_of::<CloneArgs>(), abi::sched::CLONE_ARGS_SIZE_VER2);
    assert_eq!(offset_of!(CloneArgs, set_tid), abi::sched::CLONE_ARGS_SIZE_VER0);
    assert_eq!(offset_of!(CloneArgs, cgroup), abi::sched::CLONE_ARGS_SIZE_VER1);
    fixed_fields!(
        CloneArgs,
        [
            (flags, 0, 8),
            (pidfd, 8, 8),
            (child_tid, 16, 8),
            (parent_tid, 24, 8),
            (exit_signal, 32, 8),
            (stack, 40, 8),
            (stack_size, 48, 8),
            (tls, 56, 8),
            (set_tid, 64, 8),
            (set_tid_size, 72, 8),
            (cgroup, 80, 8),
        ]
    );
}

/// Every structure is plain bytes and zero by default.
#[test]
fn pod_and_default() {
    fn check<T: bytemuck::Pod + Default>() {
        let zero = T::default();
        assert!(bytemuck::bytes_of(&zero).iter().all(|b| *b == 0));
    }
    check::<Timespec>();
    check::<Timeval>();
    check::<Timezone>();
    check::<Tms>();
    check::<ItimerVal>();
    check::<ItimerSpec>();
    check::<Stat>();
    check::<Statfs>();
    check::<Statx>();
    check::<Utsname>();
    check::<Iovec>();
    check::<PollFd>();
    check::<Rlimit>();
    check::<Rusage>();
    check::<Sysinfo>();
    check::<Termios>();
    check::<Termios2>();
    check::<Winsize>();
    check::<Flock>();
    check::<CloneArgs>();
    check::<KernelSigaction>();
    check::<StackT>();
    check::<Siginfo>();
    check::<SigSet>();
    check::<abi::ipc::IpcPerm>();
    check::<abi::ipc::ShmidDs>();
    check::<abi::ipc::SemidDs>();
    check::<abi::ipc::MsqidDs>();
}

#[test]
fn sysv_ipc() {
    use abi::ipc::*;
    same_fields!(IpcPerm, libc::ipc_perm, [uid, gid, cuid, cgid]);
    assert_eq!(size_of::<IpcPerm>(), size_of::<libc::ipc_perm>());
    assert_eq!(offset_of!(IpcPerm, key), offset_of!(libc::ipc_perm, __key));
    assert_eq!(offset_of!(IpcPerm, mode), offset_of!(libc::ipc_perm, mode));
    assert_eq!(offset_of!(IpcPerm, seq), offset_of!(libc::ipc_perm, __seq));
    same_layout!(
        ShmidDs,
        libc::shmid_ds,
        [shm_perm, shm_segsz, shm_atime, shm_dtime, shm_ctime, shm_cpid, shm_lpid, shm_nattch]
    );
    same_layout!(
        MsqidDs,
        libc::msqid_ds,
        [msg_perm, msg_stime, msg_rtime, msg_ctime, msg_qnum, msg_qbytes, msg_lspid, msg_lrpid]
    );
    assert_eq!(offset_of!(MsqidDs, msg_cbytes), offset_of!(libc::msqid_ds, __msg_cbytes));
    same_layout!(SemidDs, libc::semid_ds, [sem_perm, sem_otime, sem_ctime, sem_nsems]);
    same_layout!(Sembuf, libc::sembuf, [sem_num, sem_op, sem_flg]);
    same_layout!(
        SemInfo,
        libc::seminfo,
        [semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem]
    );
    same_layout!(MsgInfo, libc::msginfo, [msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql, msgseg]);
    // shminfo and shm_info: the kernel's numbers (libc lacks them).
    assert_eq!(size_of::<ShmInfo64>(), 72);
    assert_eq!(size_of::<ShmInfo>(), 48);
    assert_eq!(offset_of!(ShmInfo, shm_tot), 8);
}

#[test]
fn socket_structures() {
    use abi::socket::*;
    same_layout!(SockaddrUn, libc::sockaddr_un, [sun_family, sun_path]);
    same_layout!(
        Msghdr,
        libc::msghdr,
        [msg_name, msg_namelen, msg_iov, msg_iovlen, msg_control, msg_controllen, msg_flags]
    );
    same_layout!(Mmsghdr, libc::mmsghdr, [msg_hdr, msg_len]);
    same_layout!(Cmsghdr, libc::cmsghdr, [cmsg_len, cmsg_level, cmsg_type]);
    same_layout!(Ucred, libc::ucred, [pid, uid, gid]);
    // glibc's CMSG_LEN and CMSG_SPACE for 0, 4, 8, 12 and 16 bytes of data.
    let lens: Vec<usize> = [0, 4, 8, 12, 16].iter().map(|&n| cmsg_len(n)).collect();
    let spaces: Vec<usize> = [0, 4, 8, 12, 16].iter().map(|&n| cmsg_space(n)).collect();
    assert_eq!(lens, [16, 20, 24, 28, 32]);
    assert_eq!(spaces, [16, 24, 24, 32, 32]);
}
