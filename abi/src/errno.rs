//! Error numbers as the x86_64 Linux kernel reports them.
//!
//! A failing system call returns `-errno` in `rax`; [`Errno::to_syscall_return`]
//! produces exactly that bit pattern so the dispatcher can hand it back as-is.

use core::fmt;

/// A Linux error number (the positive value; user space sees it negated).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(transparent)]
pub struct Errno(pub i32);

/// Declares the primary (non-alias) error numbers together with the name
/// lookup, so the two can never drift apart.
macro_rules! errnos {
    ($($name:ident = $val:literal;)*) => {
        impl Errno {
            $(
                #[doc = concat!("`", stringify!($name), "` (", stringify!($val), ").")]
                pub const $name: Errno = Errno($val);
            )*

            /// Every primary error number, in ascending order (aliases and
            /// the kernel-internal restart codes excluded).
            pub const ALL: &'static [Errno] = &[$(Errno::$name),*];

            fn primary_name(code: i32) -> Option<&'static str> {
                match code {
                    $($val => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        }
    };
}

errnos! {
    EPERM = 1;
    ENOENT = 2;
    ESRCH = 3;
    EINTR = 4;
    EIO = 5;
    ENXIO = 6;
    E2BIG = 7;
    ENOEXEC = 8;
    EBADF = 9;
    ECHILD = 10;
    EAGAIN = 11;
    ENOMEM = 12;
    EACCES = 13;
    EFAULT = 14;
    ENOTBLK = 15;
    EBUSY = 16;
    EEXIST = 17;
    EXDEV = 18;
    ENODEV = 19;
    ENOTDIR = 20;
    EISDIR = 21;
    EINVAL = 22;
    ENFILE = 23;
    EMFILE = 24;
    ENOTTY = 25;
    ETXTBSY = 26;
    EFBIG = 27;
    ENOSPC = 28;
    ESPIPE = 29;
    EROFS = 30;
    EMLINK = 31;
    EPIPE = 32;
    EDOM = 33;
    ERANGE = 34;
    EDEADLK = 35;
    ENAMETOOLONG = 36;
    ENOLCK = 37;
    ENOSYS = 38;
    ENOTEMPTY = 39;
    ELOOP = 40;
    ENOMSG = 42;
    EIDRM = 43;
    ECHRNG = 44;
    EL2NSYNC = 45;
    EL3HLT = 46;
    EL3RST = 47;
    ELNRNG = 48;
    EUNATCH = 49;
    ENOCSI = 50;
    EL2HLT = 51;
    EBADE = 52;
    EBADR = 53;
    EXFULL = 54;
    ENOANO = 55;
    EBADRQC = 56;
    EBADSLT = 57;
    EBFONT = 59;
    ENOSTR = 60;
    ENODATA = 61;
    ETIME = 62;
    ENOSR = 63;
    ENONET = 64;
    ENOPKG = 65;
    EREMOTE = 66;
    ENOLINK = 67;
    EADV = 68;
    ESRMNT = 69;
    ECOMM = 70;
    EPROTO = 71;
    EMULTIHOP = 72;
    EDOTDOT = 73;
    EBADMSG = 74;
    EOVERFLOW = 75;
    ENOTUNIQ = 76;
    EBADFD = 77;
    EREMCHG = 78;
    ELIBACC = 79;
    ELIBBAD = 80;
    ELIBSCN = 81;
    ELIBMAX = 82;
    ELIBEXEC = 83;
    EILSEQ = 84;
    ERESTART = 85;
    ESTRPIPE = 86;
    EUSERS = 87;
    ENOTSOCK = 88;
    EDESTADDRREQ = 89;
    EMSGSIZE = 90;
    EPROTOTYPE = 91;
    ENOPROTOOPT = 92;
    EPROTONOSUPPORT = 93;
    ESOCKTNOSUPPORT = 94;
    EOPNOTSUPP = 95;
    EPFNOSUPPORT = 96;
    EAFNOSUPPORT = 97;
    EADDRINUSE = 98;
    EADDRNOTAVAIL = 99;
    ENETDOWN = 100;
    ENETUNREACH = 101;
    ENETRESET = 102;
    ECONNABORTED = 103;
    ECONNRESET = 104;
    ENOBUFS = 105;
    EISCONN = 106;
    ENOTCONN = 107;
    ESHUTDOWN = 108;
    ETOOMANYREFS = 109;
    ETIMEDOUT = 110;
    ECONNREFUSED = 111;
    EHOSTDOWN = 112;
    EHOSTUNREACH = 113;
    EALREADY = 114;
    EINPROGRESS = 115;
    ESTALE = 116;
    EUCLEAN = 117;
    ENOTNAM = 118;
    ENAVAIL = 119;
    EISNAM = 120;
    EREMOTEIO = 121;
    EDQUOT = 122;
    ENOMEDIUM = 123;
    EMEDIUMTYPE = 124;
    ECANCELED = 125;
    ENOKEY = 126;
    EKEYEXPIRED = 127;
    EKEYREVOKED = 128;
    EKEYREJECTED = 129;
    EOWNERDEAD = 130;
    ENOTRECOVERABLE = 131;
    ERFKILL = 132;
    EHWPOISON = 133;
}

impl Errno {
    /// Same value as [`Errno::EAGAIN`].
    pub const EWOULDBLOCK: Errno = Errno::EAGAIN;
    /// Same value as [`Errno::EDEADLK`] on x86.
    pub const EDEADLOCK: Errno = Errno::EDEADLK;
    /// Same value as [`Errno::EOPNOTSUPP`] on Linux.
    pub const ENOTSUP: Errno = Errno::EOPNOTSUPP;

    /// Kernel-internal: restart the call after the signal handler if the
    /// handler has `SA_RESTART`, else fail with `EINTR`.
    /// Never reaches user space; the signal-delivery path rewrites it.
    pub const ERESTARTSYS: Errno = Errno(512);
    /// Kernel-internal: always restart the call, whatever the handler flags.
    /// Never reaches user space.
    pub const ERESTARTNOINTR: Errno = Errno(513);
    /// Kernel-internal: restart only if no handler ran (signal ignored or
    /// default action was to continue), else `EINTR`. Never reaches user space.
    pub const ERESTARTNOHAND: Errno = Errno(514);
    /// Kernel-internal: restart through `restart_syscall` (the task's restart
    /// block), used by sleeps with relative timeouts. Never reaches user space.
    pub const ERESTART_RESTARTBLOCK: Errno = Errno(516);

    /// Largest value the `-errno` return convention covers: any return in
    /// `-4095..=-1` is an error.
    pub const MAX_ERRNO: i32 = 4095;

    /// The positive error number.
    pub const fn code(self) -> i32 {
        self.0
    }

    /// The symbolic name (`"ENOEXEC"`), or `"E?"` if the number is unknown.
    /// Aliases report their primary name (`EWOULDBLOCK` prints as `EAGAIN`).
    pub fn name(self) -> &'static str {
        if let Some(name) = Self::primary_name(self.0) {
            return name;
        }
        match self.0 {
            512 => "ERESTARTSYS",
            513 => "ERESTARTNOINTR",
            514 => "ERESTARTNOHAND",
            516 => "ERESTART_RESTARTBLOCK",
            _ => "E?",
        }
    }

    /// The value a system call returns in `rax` for this error: `-errno`
    /// reinterpreted as an unsigned machine word.
    pub const fn to_syscall_return(self) -> usize {
        (-(self.0 as isize)) as usize
    }

    /// Decodes a raw system-call return value: `Some(errno)` when it lies in
    /// the error range `-4095..=-1`, `None` for a successful result.
    pub const fn from_syscall_return(ret: usize) -> Option<Errno> {
        let signed = ret as isize;
        if signed < 0 && signed >= -(Self::MAX_ERRNO as isize) {
            Some(Errno(-signed as i32))
        } else {
            None
        }
    }

    /// True for the kernel-internal restart codes (512..=516), which must be
    /// translated before returning to user space.
    pub const fn is_restart(self) -> bool {
        matches!(self.0, 512..=514 | 516)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name();
        if name == "E?" {
            write!(f, "E?({})", self.0)
        } else {
            f.write_str(name)
        }
    }
}
