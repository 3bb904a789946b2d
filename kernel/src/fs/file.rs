//! Open files and the per-process descriptor table.
//!
//! An `OpenFile` is Linux's open file description: shared by descriptors
//! made with dup and inherited over fork, it holds the status flags
//! (O_NONBLOCK, O_APPEND...). The close-on-exec flag belongs to the
//! descriptor, so it lives in the table.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use abi::{Errno, OpenFlags};

/// What an open file can do. Defaults are Linux's answers for a file that
/// does not support the operation.
pub trait File: Send + Sync {
    fn read(&self, _buf: &mut [u8], _flags: OpenFlags) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn write(&self, _buf: &[u8], _flags: OpenFlags) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn ioctl(&self, _cmd: u32, _arg: u64) -> Result<usize, Errno> {
        Err(Errno::ENOTTY)
    }
}

pub struct OpenFile {
    file: Box<dyn File>,
    flags: AtomicU32,
}

/// Status flags F_SETFL may change (Linux's SETFL_MASK, less O_DIRECT and
/// O_NOATIME which no file here honours).
const SETTABLE_FLAGS: u32 = OpenFlags::O_APPEND.bits() | OpenFlags::O_NONBLOCK.bits() | OpenFlags::O_ASYNC.bits();

impl OpenFile {
    pub fn new(file: impl File + 'static, flags: OpenFlags) -> Arc<OpenFile> {
        Arc::new(OpenFile { file: Box::new(file), flags: AtomicU32::new(flags.bits()) })
    }

    pub fn flags(&self) -> OpenFlags {
        OpenFlags::from_bits_retain(self.flags.load(Ordering::Relaxed))
    }

    pub fn set_status_flags(&self, flags: u32) {
        let keep = self.flags.load(Ordering::Relaxed) & !SETTABLE_FLAGS;
        self.flags.store(keep | (flags & SETTABLE_FLAGS), Ordering::Relaxed);
    }

    pub fn read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        self.file.read(buf, self.flags())
    }

    pub fn write(&self, buf: &[u8]) -> Result<usize, Errno> {
        self.file.write(buf, self.flags())
    }

    pub fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        self.file.ioctl(cmd, arg)
    }
}

/// Linux's default RLIMIT_NOFILE soft limit.
pub const MAX_FDS: usize = 1024;
/// The most descriptors RLIMIT_NOFILE may allow (Linux's fs.nr_open).
pub const NR_OPEN: usize = 1 << 20;

#[derive(Clone)]
struct FdEntry {
    file: Arc<OpenFile>,
    cloexec: bool,
}

#[derive(Clone)]
pub struct FdTable {
    slots: Vec<Option<FdEntry>>,
    /// RLIMIT_NOFILE's soft limit: descriptors are below it.
    limit: usize,
}

impl Default for FdTable {
    fn default() -> Self {
        Self::new()
    }
}

impl FdTable {
    pub fn new() -> FdTable {
        FdTable { slots: Vec::new(), limit: MAX_FDS }
    }

    /// Applies a new RLIMIT_NOFILE soft limit (open descriptors stay).
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = limit.min(NR_OPEN as u64) as usize;
    }

    fn entry(&self, fd: i32) -> Result<&FdEntry, Errno> {
        usize::try_from(fd).ok().and_then(|i| self.slots.get(i)).and_then(Option::as_ref).ok_or(Errno::EBADF)
    }

    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        self.entry(fd).map(|e| e.file.clone())
    }

    /// Installs `file` at the lowest free descriptor not below `min`.
    pub fn install_from(&mut self, min: usize, file: Arc<OpenFile>, cloexec: bool) -> Result<i32, Errno> {
        if min >= self.limit {
            return Err(Errno::EINVAL);
        }
        let free = (min..self.limit).find(|&i| self.slots.get(i).is_none_or(Option::is_none)).ok_or(Errno::EMFILE)?;
        self.put(free, file, cloexec);
        Ok(free as i32)
    }

    pub fn install(&mut self, file: Arc<OpenFile>, cloexec: bool) -> Result<i32, Errno> {
        self.install_from(0, file, cloexec)
    }

    /// Installs `file` at exactly `fd`, closing what was there (dup2).
    pub fn install_at(&mut self, fd: i32, file: Arc<OpenFile>, cloexec: bool) -> Result<(), Errno> {
        let fd = usize::try_from(fd).ok().filter(|&f| f < self.limit).ok_or(Errno::EBADF)?;
        self.put(fd, file, cloexec);
        Ok(())
    }

    fn put(&mut self, fd: usize, file: Arc<OpenFile>, cloexec: bool) {
        if self.slots.len() <= fd {
            self.slots.resize(fd + 1, None);
        }
        self.slots[fd] = Some(FdEntry { file, cloexec });
    }

    pub fn close(&mut self, fd: i32) -> Result<(), Errno> {
        let slot = usize::try_from(fd).ok().and_then(|i| self.slots.get_mut(i)).ok_or(Errno::EBADF)?;
        slot.take().map(|_| ()).ok_or(Errno::EBADF)
    }

    pub fn cloexec(&self, fd: i32) -> Result<bool, Errno> {
        self.entry(fd).map(|e| e.cloexec)
    }

    pub fn set_cloexec(&mut self, fd: i32, cloexec: bool) -> Result<(), Errno> {
        let slot = usize::try_from(fd).ok().and_then(|i| self.slots.get_mut(i)).and_then(Option::as_mut);
        slot.map(|e| e.cloexec = cloexec).ok_or(Errno::EBADF)
    }

    /// Closes the descriptors marked close-on-exec (execve).
    pub fn close_on_exec(&mut self) {
        for slot in &mut self.slots {
            if slot.as_ref().is_some_and(|e| e.cloexec) {
                *slot = None;
            }
        }
    }

    pub fn close_all(&mut self) {
        self.slots.clear();
    }
}
