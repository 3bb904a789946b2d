//! Character devices by number (Linux's chrdev table): opening a device
//! inode, wherever it is, picks the driver from its rdev. The memory
//! devices (null, zero, full, random, urandom) live here; the terminals
//! are the tty layer's.

use alloc::boxed::Box;

use abi::{major, minor, Errno, OpenFlags};

use super::file::File;

/// Linux's memory devices, major 1.
enum Mem {
    /// Reads end at once; writes vanish.
    Null,
    /// Reads zeroes; writes vanish.
    Zero,
    /// Reads zeroes; writes fail with ENOSPC (even empty ones).
    Full,
    /// random and urandom: reads random bytes (never blocking, as Linux
    /// since 5.6 once the pool is ready); writes are accepted.
    Random,
}

impl File for Mem {
    fn read(&self, buf: &mut [u8], _flags: OpenFlags) -> Result<usize, Errno> {
        match self {
            Mem::Null => return Ok(0),
            Mem::Zero | Mem::Full => buf.fill(0),
            Mem::Random => crate::random::fill(buf),
        }
        Ok(buf.len())
    }

    fn write(&self, buf: &[u8], _flags: OpenFlags) -> Result<usize, Errno> {
        match self {
            Mem::Full => Err(Errno::ENOSPC),
            Mem::Random => {
                crate::random::mix(buf);
                Ok(buf.len())
            }
            _ => Ok(buf.len()),
        }
    }

    fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        match self {
            Mem::Random => random_ioctl(cmd, arg),
            _ => Err(Errno::ENOTTY),
        }
    }

    fn never_blocks(&self) -> bool {
        true
    }

    /// pread/pwrite work and ignore the position, as on Linux.
    fn read_at(&self, buf: &mut [u8], _pos: u64) -> Result<usize, Errno> {
        self.read(buf, OpenFlags::empty())
    }

    fn write_at(&self, buf: &[u8], pos: u64, flags: OpenFlags) -> Result<(usize, u64), Errno> {
        self.write(buf, flags).map(|n| (n, pos))
    }

    /// lseek succeeds and the offset stays 0 (Linux's null_lseek and
    /// friends).
    fn seek(&self, _pos: u64, _offset: i64, _whence: i32) -> Result<u64, Errno> {
        Ok(0)
    }
}

/// random(4)'s ioctls. The pool is full from boot, so the entropy count
/// is always 256 (Linux 6.1); adding to it, zapping and clearing it, and
/// reseeding take privilege and change nothing more (as there); bytes
/// given with RNDADDENTROPY are mixed in.
fn random_ioctl(cmd: u32, arg: u64) -> Result<usize, Errno> {
    const RNDGETENTCNT: u32 = 0x8004_5200;
    const RNDADDTOENTCNT: u32 = 0x4004_5201;
    const RNDADDENTROPY: u32 = 0x4008_5203;
    const RNDZAPENTCNT: u32 = 0x5204;
    const RNDCLEARPOOL: u32 = 0x5206;
    const RNDRESEEDCRNG: u32 = 0x5207;
    if cmd == RNDGETENTCNT {
        return crate::uaccess::write_user(arg, &256i32).map(|_| 0);
    }
    if !matches!(cmd, RNDADDTOENTCNT | RNDADDENTROPY | RNDZAPENTCNT | RNDCLEARPOOL | RNDRESEEDCRNG) {
        return Err(Errno::ENOTTY);
    }
    if !crate::sched::current().cred.lock().is_privileged() {
        return Err(Errno::EPERM);
    }
    match cmd {
        RNDADDTOENTCNT => crate::uaccess::read_user::<i32>(arg).map(|_| 0),
        RNDADDENTROPY => {
            let [_count, size]: [i32; 2] = crate::uaccess::read_user(arg)?;
            let size = usize::try_from(size).map_err(|_| Errno::EINVAL)?;
            let mut bytes = alloc::vec![0u8; size.min(1 << 20)];
            crate::uaccess::copy_from_user(&mut bytes, arg + 8)?;
            crate::random::mix(&bytes);
            Ok(0)
        }
        _ => Ok(0),
    }
}

pub const MEM_MAJOR: u32 = 1;
/// Linux's terminal majors: ttyS*, and /dev/tty and /dev/console.
pub const TTY_MAJOR: u32 = 4;
pub const TTYAUX_MAJOR: u32 = 5;
/// Linux's miscellaneous character devices, one driver per minor.
pub const MISC_MAJOR: u32 = 10;

/// Opens a character device of a registered major: (major, minor, flags).
pub type OpenFn = fn(u32, u32, OpenFlags) -> Result<Box<dyn File>, Errno>;

/// Drivers of character devices by major, registered at boot (the tty
/// layer's terminals); the memory devices are this module's own.
static DRIVERS: spin::Mutex<alloc::vec::Vec<(u32, OpenFn)>> = spin::Mutex::new(alloc::vec::Vec::new());

pub fn register_driver(major: u32, open: OpenFn) {
    DRIVERS.lock().push((major, open));
}

/// Drivers of miscellaneous devices (major 10) by minor.
static MISC: spin::Mutex<alloc::vec::Vec<(u32, OpenFn)>> = spin::Mutex::new(alloc::vec::Vec::new());

pub fn register_misc(minor: u32, open: OpenFn) {
    MISC.lock().push((minor, open));
}

/// The driver for character device `rdev`; ENXIO when there is none, as
/// Linux answers for a device number without a driver.
pub fn open(rdev: u64, flags: OpenFlags) -> Result<Box<dyn File>, Errno> {
    let file: Box<dyn File> = match (major(rdev), minor(rdev)) {
        (MEM_MAJOR, 3) => Box::new(Mem::Null),
        (MEM_MAJOR, 5) => Box::new(Mem::Zero),
        (MEM_MAJOR, 7) => Box::new(Mem::Full),
        (MEM_MAJOR, 8 | 9) => Box::new(Mem::Random),
        (MISC_MAJOR, minor) => {
            let driver = MISC.lock().iter().find(|(m, _)| *m == minor).map(|&(_, open)| open);
            return driver.ok_or(Errno::ENXIO)?(MISC_MAJOR, minor, flags);
        }
        (major, minor) => {
            let driver = DRIVERS.lock().iter().find(|(m, _)| *m == major).map(|&(_, open)| open);
            return driver.ok_or(Errno::ENXIO)?(major, minor, flags);
        }
    };
    Ok(file)
}
