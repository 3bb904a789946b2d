//! Every error number against the `libc` crate, plus the encoding helpers.

use abi::Errno;

/// Checks each named constant against libc and that `name()` returns it.
macro_rules! check_primary {
    ($($name:ident),* $(,)?) => {{
        let mut n = 0usize;
        $(
            assert_eq!(Errno::$name.0, libc::$name, stringify!($name));
            assert_eq!(Errno::$name.name(), stringify!($name));
            n += 1;
        )*
        n
    }};
}

#[test]
fn primary_errnos_match_libc() {
    let count = check_primary!(
        EPERM,
        ENOENT,
        ESRCH,
        EINTR,
        EIO,
        ENXIO,
        E2BIG,
        ENOEXEC,
        EBADF,
        ECHILD,
        EAGAIN,
        ENOMEM,
        EACCES,
        EFAULT,
        ENOTBLK,
        EBUSY,
        EEXIST,
        EXDEV,
        ENODEV,
        ENOTDIR,
        EISDIR,
        EINVAL,
        ENFILE,
        EMFILE,
        ENOTTY,
        ETXTBSY,
        EFBIG,
        ENOSPC,
        ESPIPE,
        EROFS,
        EMLINK,
        EPIPE,
        EDOM,
        ERANGE,
        EDEADLK,
        ENAMETOOLONG,
        ENOLCK,
        ENOSYS,
        ENOTEMPTY,
        ELOOP,
        ENOMSG,
        EIDRM,
        ECHRNG,
        EL2NSYNC,
        EL3HLT,
        EL3RST,
        ELNRNG,
        EUNATCH,
        ENOCSI,
        EL2HLT,
        EBADE,
        EBADR,
        EXFULL,
        ENOANO,
        EBADRQC,
        EBADSLT,
        EBFONT,
        ENOSTR,
        ENODATA,
        ETIME,
        ENOSR,
        ENONET,
        ENOPKG,
        EREMOTE,
        ENOLINK,
        EADV,
        ESRMNT,
        ECOMM,
        EPROTO,
        EMULTIHOP,
        EDOTDOT,
        EBADMSG,
        EOVERFLOW,
        ENOTUNIQ,
        EBADFD,
        EREMCHG,
        ELIBACC,
        ELIBBAD,
        ELIBSCN,
        ELIBMAX,
        ELIBEXEC,
        EILSEQ,
        ERESTART,
        ESTRPIPE,
        EUSERS,
        ENOTSOCK,
        EDESTADDRREQ,
        EMSGSIZE,
        EPROTOTYPE,
        ENOPROTOOPT,
        EPROTONOSUPPORT,
        ESOCKTNOSUPPORT,
        EOPNOTSUPP,
        EPFNOSUPPORT,
        EAFNOSUPPORT,
        EADDRINUSE,
        EADDRNOTAVAIL,
        ENETDOWN,
        ENETUNREACH,
        ENETRESET,
        ECONNABORTED,
        ECONNRESET,
        ENOBUFS,
        EISCONN,
        ENOTCONN,
        ESHUTDOWN,
        ETOOMANYREFS,
        ETIMEDOUT,
        ECONNREFUSED,
        EHOSTDOWN,
        EHOSTUNREACH,
        EALREADY,
        EINPROGRESS,
        ESTALE,
        EUCLEAN,
        ENOTNAM,
        ENAVAIL,
        EISNAM,
        EREMOTEIO,
        EDQUOT,
        ENOMEDIUM,
        EMEDIUMTYPE,
        ECANCELED,
        ENOKEY,
        EKEYEXPIRED,
        EKEYREVOKED,
        EKEYREJECTED,
        EOWNERDEAD,
        ENOTRECOVERABLE,
        ERFKILL,
        EHWPOISON,
    );
    assert_eq!(count, 131);
    assert_eq!(Errno::ALL.len(), count);
}

#[test]
fn all_covers_1_to_133_except_unused() {
    let codes: Vec<i32> = Errno::ALL.iter().map(|e| e.code()).collect();
    let expected: Vec<i32> = (1..=133).filter(|c| *c != 41 && *c != 58).collect();
    assert_eq!(codes, expected);
    for e in Errno::ALL {
        assert_ne!(e.name(), "E?", "{}", e.0);
    }
}

#[test]
fn aliases_match_libc() {
    assert_eq!(Errno::EWOULDBLOCK.0, libc::EWOULDBLOCK);
    assert_eq!(Errno::EDEADLOCK.0, libc::EDEADLOCK);
    assert_eq!(Errno::ENOTSUP.0, libc::ENOTSUP);
    assert_eq!(Errno::EWOULDBLOCK, Errno::EAGAIN);
    assert_eq!(Errno::EDEADLOCK, Errno::EDEADLK);
    assert_eq!(Errno::ENOTSUP, Errno::EOPNOTSUPP);
    assert_eq!(Errno::EWOULDBLOCK.name(), "EAGAIN");
}

#[test]
fn restart_codes() {
    assert_eq!(Errno::ERESTARTSYS.0, 512);
    assert_eq!(Errno::ERESTARTNOINTR.0, 513);
    assert_eq!(Errno::ERESTARTNOHAND.0, 514);
    assert_eq!(Errno::ERESTART_RESTARTBLOCK.0, 516);
    assert_eq!(Errno::ERESTARTSYS.name(), "ERESTARTSYS");
    assert_eq!(Errno::ERESTART_RESTARTBLOCK.name(), "ERESTART_RESTARTBLOCK");
    assert!(Errno::ERESTARTNOHAND.is_restart());
    assert!(!Errno(515).is_restart());
    assert!(!Errno::EINTR.is_restart());
}

#[test]
fn names_and_display() {
    assert_eq!(Errno::ENOEXEC.name(), "ENOEXEC");
    assert_eq!(Errno(0).name(), "E?");
    assert_eq!(Errno(41).name(), "E?");
    assert_eq!(Errno(9999).name(), "E?");
    assert_eq!(Errno::ENOENT.to_string(), "ENOENT");
    assert_eq!(Errno(600).to_string(), "E?(600)");
    assert_eq!(Errno::EBADF.code(), 9);
}

#[test]
fn syscall_return_encoding() {
    assert_eq!(Errno::EPERM.to_syscall_return(), usize::MAX);
    assert_eq!(Errno::ENOENT.to_syscall_return(), (-2isize) as usize);
    assert_eq!(Errno::EHWPOISON.to_syscall_return() as isize, -133);
    for e in Errno::ALL {
        assert_eq!(Errno::from_syscall_return(e.to_syscall_return()), Some(*e));
    }
    assert_eq!(Errno::from_syscall_return(0), None);
    assert_eq!(Errno::from_syscall_return(4096), None);
    assert_eq!(Errno::from_syscall_return((-4096isize) as usize), None);
    assert_eq!(Errno::from_syscall_return((-4095isize) as usize), Some(Errno(4095)));
}
