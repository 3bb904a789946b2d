//! `ioctl` request numbers for terminals and generic file descriptors.
//!
//! Requests are `usize` like the raw system-call arguments; the kernel only
//! looks at the low 32 bits (`cmd` is an `unsigned int`), so a dispatcher
//! should compare `arg as u32 as usize`.

pub const TCGETS: usize = 0x5401;
pub const TCSETS: usize = 0x5402;
/// Set after output drains.
pub const TCSETSW: usize = 0x5403;
/// Set after output drains, discarding pending input.
pub const TCSETSF: usize = 0x5404;
pub const TCGETA: usize = 0x5405;
pub const TCSETA: usize = 0x5406;
pub const TCSETAW: usize = 0x5407;
pub const TCSETAF: usize = 0x5408;
/// `tcdrain` (argument non-zero) / `tcsendbreak` (argument 0).
pub const TCSBRK: usize = 0x5409;
pub const TCXONC: usize = 0x540A;
pub const TCFLSH: usize = 0x540B;
pub const TIOCEXCL: usize = 0x540C;
pub const TIOCNXCL: usize = 0x540D;
/// Make the terminal the caller's controlling terminal.
pub const TIOCSCTTY: usize = 0x540E;
/// Foreground process group.
pub const TIOCGPGRP: usize = 0x540F;
pub const TIOCSPGRP: usize = 0x5410;
pub const TIOCOUTQ: usize = 0x5411;
/// Push a byte into the input queue.
pub const TIOCSTI: usize = 0x5412;
pub const TIOCGWINSZ: usize = 0x5413;
pub const TIOCSWINSZ: usize = 0x5414;
pub const TIOCMGET: usize = 0x5415;
pub const TIOCMBIS: usize = 0x5416;
pub const TIOCMBIC: usize = 0x5417;
pub const TIOCMSET: usize = 0x5418;
pub const TIOCGSOFTCAR: usize = 0x5419;
pub const TIOCSSOFTCAR: usize = 0x541A;
/// Bytes available to read (also `TIOCINQ`).
pub const FIONREAD: usize = 0x541B;
pub const TIOCINQ: usize = FIONREAD;
pub const TIOCLINUX: usize = 0x541C;
pub const TIOCCONS: usize = 0x541D;
pub const TIOCGSERIAL: usize = 0x541E;
pub const TIOCSSERIAL: usize = 0x541F;
pub const TIOCPKT: usize = 0x5420;
/// Set/clear `O_NONBLOCK` from an `int` argument.
pub const FIONBIO: usize = 0x5421;
/// Give up the controlling terminal.
pub const TIOCNOTTY: usize = 0x5422;
pub const TIOCSETD: usize = 0x5423;
pub const TIOCGETD: usize = 0x5424;
pub const TCSBRKP: usize = 0x5425;
pub const TIOCSBRK: usize = 0x5427;
pub const TIOCCBRK: usize = 0x5428;
/// Session id of the terminal.
pub const TIOCGSID: usize = 0x5429;
pub const TCGETS2: usize = 0x802C_542A;
pub const TCSETS2: usize = 0x402C_542B;
pub const TCSETSW2: usize = 0x402C_542C;
pub const TCSETSF2: usize = 0x402C_542D;
pub const TIOCGRS485: usize = 0x542E;
pub const TIOCSRS485: usize = 0x542F;
/// Pseudo-terminal number of a pty master.
pub const TIOCGPTN: usize = 0x8004_5430;
/// Lock/unlock a pty slave.
pub const TIOCSPTLCK: usize = 0x4004_5431;
pub const TIOCGDEV: usize = 0x8004_5432;
pub const TCGETX: usize = 0x5432;
pub const TCSETX: usize = 0x5433;
pub const TCSETXF: usize = 0x5434;
pub const TCSETXW: usize = 0x5435;
pub const TIOCSIG: usize = 0x4004_5436;
pub const TIOCVHANGUP: usize = 0x5437;
pub const TIOCGPKT: usize = 0x8004_5438;
pub const TIOCGPTLCK: usize = 0x8004_5439;
pub const TIOCGEXCL: usize = 0x8004_5440;
/// Open the slave of a pty master, returning a new fd.
pub const TIOCGPTPEER: usize = 0x5441;
/// Clear close-on-exec.
pub const FIONCLEX: usize = 0x5450;
/// Set close-on-exec.
pub const FIOCLEX: usize = 0x5451;
pub const FIOASYNC: usize = 0x5452;
pub const TIOCSERCONFIG: usize = 0x5453;
pub const TIOCSERGWILD: usize = 0x5454;
pub const TIOCSERSWILD: usize = 0x5455;
pub const TIOCGLCKTRMIOS: usize = 0x5456;
pub const TIOCSLCKTRMIOS: usize = 0x5457;
pub const TIOCSERGSTRUCT: usize = 0x5458;
pub const TIOCSERGETLSR: usize = 0x5459;
pub const TIOCSERGETMULTI: usize = 0x545A;
pub const TIOCSERSETMULTI: usize = 0x545B;
pub const TIOCMIWAIT: usize = 0x545C;
pub const TIOCGICOUNT: usize = 0x545D;
/// Size of a file or directory (`loff_t`).
pub const FIOQSIZE: usize = 0x5460;

// Inode flags, as chattr(1) and lsattr(1) use them (linux/fs.h): the
// argument points to an `int` of FS_*_FL bits.
/// `_IOR('f', 1, long)`.
pub const FS_IOC_GETFLAGS: usize = 0x8008_6601;
/// `_IOW('f', 2, long)`.
pub const FS_IOC_SETFLAGS: usize = 0x4008_6602;
/// Compress the file (`chattr +c`).
pub const FS_COMPR_FL: u32 = 0x0000_0004;
/// Not to be dumped (`chattr +d`).
pub const FS_NODUMP_FL: u32 = 0x0000_0040;
/// Do not compress (`chattr +m`).
pub const FS_NOCOMP_FL: u32 = 0x0000_0400;

// setxattr(2) flags.
/// Fail with EEXIST if the attribute exists.
pub const XATTR_CREATE: i32 = 1;
/// Fail with ENODATA unless the attribute exists.
pub const XATTR_REPLACE: i32 = 2;

// Block devices (`linux/fs.h`).
pub const BLKROGET: usize = 0x125e;
/// The size in 512-byte sectors, as an unsigned long.
pub const BLKGETSIZE: usize = 0x1260;
pub const BLKFLSBUF: usize = 0x1261;
/// The logical block size, as an int.
pub const BLKSSZGET: usize = 0x1268;
pub const BLKBSZGET: usize = 0x8008_1270;
/// The size in bytes, as a u64.
pub const BLKGETSIZE64: usize = 0x8008_1272;
pub const BLKPBSZGET: usize = 0x127b;
