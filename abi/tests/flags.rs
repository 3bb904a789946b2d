//! Flag words against the `libc` crate: every bitflags flag and every
//! related constant.

mod common;

use abi::{AtFlags, CloneFlags, MapFlags, MremapFlags, OpenFlags, ProtFlags, WaitFlags};

/// Asserts `Type::NAME.bits() == libc::NAME as <bits type>` for each name.
macro_rules! same_flags {
    ($t:ident, $via:ty => $bits:ty, [$($name:ident),* $(,)?]) => {{
        $(
            assert_eq!($t::$name.bits(), libc::$name as $via as $bits, stringify!($name));
        )*
    }};
}

#[test]
fn open_flags() {
    same_flags!(
        OpenFlags,
        u32 => u32,
        [
            O_WRONLY, O_RDWR, O_ACCMODE, O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK,
            O_DSYNC, O_ASYNC, O_DIRECT, O_DIRECTORY, O_NOFOLLOW, O_NOATIME, O_CLOEXEC, O_SYNC,
            O_PATH, O_TMPFILE, O_NDELAY,
        ]
    );
    same_consts!(abi::open, u32, [O_RDONLY, O_WRONLY, O_RDWR, O_ACCMODE]);
    assert_eq!(OpenFlags::FASYNC, OpenFlags::O_ASYNC);
    assert_eq!(OpenFlags::O_RDONLY.bits(), 0);
    // glibc defines O_LARGEFILE as 0 on x86_64; the kernel (and musl) use
    // this bit.
    assert_eq!(OpenFlags::O_LARGEFILE.bits(), 0o100000);
    assert!(OpenFlags::O_SYNC.contains(OpenFlags::O_DSYNC));
    assert!(OpenFlags::O_TMPFILE.contains(OpenFlags::O_DIRECTORY));

    let f = OpenFlags::from_bits_truncate(libc::O_RDWR as u32 | libc::O_CREAT as u32);
    assert_eq!(f.access_mode(), abi::open::O_RDWR);
    assert!(f.readable() && f.writable());
    let f = OpenFlags::from_bits_truncate(0);
    assert!(f.readable() && !f.writable());
    let f = OpenFlags::from_bits_truncate(1);
    assert!(!f.readable() && f.writable());
}

#[test]
fn map_prot_mremap_flags() {
    same_flags!(
        MapFlags,
        u32 => u32,
        [
            MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_TYPE, MAP_FIXED, MAP_ANONYMOUS,
            MAP_ANON, MAP_32BIT, MAP_GROWSDOWN, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_LOCKED,
            MAP_NORESERVE, MAP_POPULATE, MAP_NONBLOCK, MAP_STACK, MAP_HUGETLB, MAP_SYNC,
            MAP_FIXED_NOREPLACE,
        ]
    );
    assert_eq!(MapFlags::MAP_UNINITIALIZED.bits(), 0x400_0000);
    assert_eq!(abi::mman::MAP_FAILED, libc::MAP_FAILED as u64);
    assert_eq!((MapFlags::MAP_SHARED_VALIDATE | MapFlags::MAP_FIXED).map_type(), 3);
    assert_eq!(MapFlags::MAP_PRIVATE.map_type(), 2);

    same_flags!(
        ProtFlags,
        u32 => u32,
        [PROT_READ, PROT_WRITE, PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP]
    );
    assert_eq!(ProtFlags::PROT_SEM.bits(), 8);
    assert_eq!(ProtFlags::PROT_NONE.bits(), libc::PROT_NONE as u32);
    assert_eq!(abi::mman::PROT_NONE, libc::PROT_NONE as u32);

    same_flags!(MremapFlags, u32 => u32, [MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP]);
}

#[test]
fn madvise_msync_mlock() {
    same_consts!(
        abi::mman,
        i32,
        [
            MADV_NORMAL,
            MADV_RANDOM,
            MADV_SEQUENTIAL,
            MADV_WILLNEED,
            MADV_DONTNEED,
            MADV_FREE,
            MADV_REMOVE,
            MADV_DONTFORK,
            MADV_DOFORK,
            MADV_MERGEABLE,
            MADV_UNMERGEABLE,
            MADV_HUGEPAGE,
            MADV_NOHUGEPAGE,
            MADV_DONTDUMP,
            MADV_DODUMP,
            MADV_WIPEONFORK,
            MADV_KEEPONFORK,
            MADV_COLD,
            MADV_PAGEOUT,
            MADV_POPULATE_READ,
            MADV_POPULATE_WRITE,
            MADV_DONTNEED_LOCKED,
            MADV_COLLAPSE,
            MADV_HWPOISON,
            MADV_SOFT_OFFLINE,
            MS_ASYNC,
            MS_INVALIDATE,
            MS_SYNC,
            MCL_CURRENT,
            MCL_FUTURE,
            MCL_ONFAULT,
        ]
    );
}

#[test]
fn clone_flags() {
    // libc's CLONE_* are C ints; compare 32-bit patterns.
    same_flags!(
        CloneFlags,
        u32 => u64,
        [
            CLONE_NEWTIME, CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND, CLONE_PIDFD,
            CLONE_PTRACE, CLONE_VFORK, CLONE_PARENT, CLONE_THREAD, CLONE_NEWNS, CLONE_SYSVSEM,
            CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_DETACHED,
            CLONE_UNTRACED, CLONE_CHILD_SETTID, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
            CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_IO,
        ]
    );
    // libc truncates the 64-bit clone3-only flags, so check fixed values.
    assert_eq!(CloneFlags::CLONE_CLEAR_SIGHAND.bits(), 0x1_0000_0000);
    assert_eq!(CloneFlags::CLONE_INTO_CGROUP.bits(), 0x2_0000_0000);
    assert_eq!(CloneFlags::CSIGNAL.bits(), 0xff);

    let raw = (libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD) as u64;
    let f = CloneFlags::from_bits_truncate(raw);
    assert_eq!(f.bits(), raw, "exit signal survives truncation");
    assert_eq!(f.exit_signal(), libc::SIGCHLD);
    assert_eq!(f.without_signal(), CloneFlags::CLONE_VM | CloneFlags::CLONE_VFORK);
    same_consts!(abi::sched, i32, [SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_RESET_ON_FORK]);
    assert_eq!(abi::sched::SCHED_DEADLINE, 6);
}

#[test]
fn wait_flags() {
    same_flags!(
        WaitFlags,
        u32 => u32,
        [WNOHANG, WUNTRACED, WSTOPPED, WEXITED, WCONTINUED, WNOWAIT, __WNOTHREAD, __WALL, __WCLONE]
    );
    assert_eq!(abi::wait::P_ALL, libc::P_ALL as i32);
    assert_eq!(abi::wait::P_PID, libc::P_PID as i32);
    assert_eq!(abi::wait::P_PGID, libc::P_PGID as i32);
    assert_eq!(abi::wait::P_PIDFD, libc::P_PIDFD as i32);
}

#[test]
fn wait_status_encoding() {
    use abi::wait::*;
    let s = status_exited(3);
    assert!(libc::WIFEXITED(s) && libc::WEXITSTATUS(s) == 3);
    let s = status_exited(0x1ff);
    assert_eq!(libc::WEXITSTATUS(s), 0xff);
    let s = status_signaled(libc::SIGSEGV, true);
    assert!(libc::WIFSIGNALED(s) && libc::WTERMSIG(s) == libc::SIGSEGV && libc::WCOREDUMP(s));
    let s = status_signaled(libc::SIGKILL, false);
    assert!(libc::WIFSIGNALED(s) && !libc::WCOREDUMP(s));
    let s = status_stopped(libc::SIGTSTP);
    assert!(libc::WIFSTOPPED(s) && libc::WSTOPSIG(s) == libc::SIGTSTP);
    assert!(libc::WIFCONTINUED(STATUS_CONTINUED));
}

#[test]
fn at_flags() {
    same_flags!(
        AtFlags,
        u32 => u32,
        [
            AT_SYMLINK_NOFOLLOW, AT_EACCESS, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_NO_AUTOMOUNT,
            AT_EMPTY_PATH, AT_STATX_FORCE_SYNC, AT_STATX_DONT_SYNC, AT_STATX_SYNC_TYPE,
            AT_STATX_SYNC_AS_STAT, AT_RECURSIVE,
        ]
    );
    assert_eq!(abi::AT_FDCWD, libc::AT_FDCWD);
}

#[test]
fn file_modes() {
    same_consts!(
        abi::types,
        u32,
        [
            S_IFMT, S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK, S_IFDIR, S_IFCHR, S_IFIFO, S_ISUID, S_ISGID, S_ISVTX, S_IRWXU,
            S_IRUSR, S_IWUSR, S_IXUSR, S_IRWXG, S_IRGRP, S_IWGRP, S_IXGRP, S_IRWXO, S_IROTH, S_IWOTH, S_IXOTH,
        ]
    );
    assert!(abi::s_isdir(abi::S_IFDIR | 0o755));
    assert!(abi::s_isreg(abi::S_IFREG | 0o644) && !abi::s_isreg(abi::S_IFLNK));
    assert!(abi::s_islnk(abi::S_IFLNK | 0o777));
    for (maj, min) in [(0, 0), (1, 3), (136, 0), (4095, 255), (0x1234, 0xabcde), (u32::MAX, u32::MAX)] {
        let dev = abi::makedev(maj, min);
        assert_eq!(dev, libc::makedev(maj, min), "makedev({maj}, {min})");
        assert_eq!(abi::major(dev), libc::major(dev));
        assert_eq!(abi::minor(dev), libc::minor(dev));
        assert_eq!((abi::major(dev), abi::minor(dev)), (maj, min));
    }
}

#[test]
fn futex_ops() {
    same_consts!(
        abi::futex,
        i32,
        [
            FUTEX_WAIT,
            FUTEX_WAKE,
            FUTEX_FD,
            FUTEX_REQUEUE,
            FUTEX_CMP_REQUEUE,
            FUTEX_WAKE_OP,
            FUTEX_LOCK_PI,
            FUTEX_UNLOCK_PI,
            FUTEX_TRYLOCK_PI,
            FUTEX_WAIT_BITSET,
            FUTEX_WAKE_BITSET,
            FUTEX_WAIT_REQUEUE_PI,
            FUTEX_CMP_REQUEUE_PI,
            FUTEX_LOCK_PI2,
            FUTEX_PRIVATE_FLAG,
            FUTEX_CLOCK_REALTIME,
        ]
    );
    same_consts!(abi::futex, u32, [FUTEX_BITSET_MATCH_ANY, FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK]);
    use abi::futex::*;
    // The kernel's mask clears only the two modifier bits (the libc crate
    // defines a different value).
    assert_eq!(FUTEX_CMD_MASK, !(128 | 256));
    assert_eq!(FUTEX_WAIT_PRIVATE & FUTEX_CMD_MASK, FUTEX_WAIT);
    assert_eq!((FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME) & FUTEX_CMD_MASK, FUTEX_WAIT_BITSET);
    assert_eq!(FUTEX_WAKE_PRIVATE, 129);
    assert_eq!(FUTEX2_SIZE_U32, 2);
    assert_eq!(FUTEX2_PRIVATE, 128);
}

#[test]
fn fcntl_and_friends() {
    same_consts!(
        abi::fcntl,
        i32,
        [
            F_DUPFD,
            F_GETFD,
            F_SETFD,
            F_GETFL,
            F_SETFL,
            F_GETLK,
            F_SETLK,
            F_SETLKW,
            F_SETOWN,
            F_GETOWN,
            F_OFD_GETLK,
            F_OFD_SETLK,
            F_OFD_SETLKW,
            F_SETLEASE,
            F_GETLEASE,
            F_NOTIFY,
            F_DUPFD_CLOEXEC,
            F_SETPIPE_SZ,
            F_GETPIPE_SZ,
            F_ADD_SEALS,
            F_GET_SEALS,
            FD_CLOEXEC,
            F_SEAL_SEAL,
            F_SEAL_SHRINK,
            F_SEAL_GROW,
            F_SEAL_WRITE,
            F_SEAL_FUTURE_WRITE,
            F_SEAL_EXEC,
            SEEK_SET,
            SEEK_CUR,
            SEEK_END,
            SEEK_DATA,
            SEEK_HOLE,
            F_OK,
            X_OK,
            W_OK,
            R_OK,
            LOCK_SH,
            LOCK_EX,
            LOCK_NB,
            LOCK_UN,
        ]
    );
    use abi::fcntl::*;
    assert_eq!([F_SETSIG, F_GETSIG, F_SETOWN_EX, F_GETOWN_EX, F_GETOWNER_UIDS], [10, 11, 15, 16, 17]);
    assert_eq!(LOCK_MAND, 32); // not in the libc crate
    same_consts!(abi::fcntl, i16, [F_RDLCK, F_WRLCK, F_UNLCK]);
    same_consts!(abi::fcntl, u32, [MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_HUGETLB, MFD_HUGE_SHIFT, MFD_HUGE_MASK]);
    assert_eq!(
        OpenFlags::SETFL_MASK.bits(),
        (libc::O_APPEND | libc::O_ASYNC | libc::O_NONBLOCK | libc::O_DIRECT | libc::O_NOATIME) as u32
    );
}
