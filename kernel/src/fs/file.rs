//! Open files and the per-process descriptor table.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::Errno;

/// What an open file can do. Defaults are Linux's answers for a file that
/// does not support the operation.
pub trait File: Send + Sync {
    fn read(&self, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn write(&self, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn ioctl(&self, _cmd: u32, _arg: u64) -> Result<usize, Errno> {
        Err(Errno::ENOTTY)
    }
}

/// Linux's default RLIMIT_NOFILE soft limit.
pub const MAX_FDS: usize = 1024;

pub struct FdTable {
    slots: Vec<Option<Arc<dyn File>>>,
}

impl FdTable {
    pub fn new() -> FdTable {
        FdTable { slots: Vec::new() }
    }

    pub fn get(&self, fd: i32) -> Result<Arc<dyn File>, Errno> {
        usize::try_from(fd).ok().and_then(|i| self.slots.get(i)).and_then(Clone::clone).ok_or(Errno::EBADF)
    }

    /// Installs `file` at the lowest free descriptor.
    pub fn install(&mut self, file: Arc<dyn File>) -> Result<i32, Errno> {
        let fd = match self.slots.iter().position(Option::is_none) {
            Some(i) => i,
            None if self.slots.len() < MAX_FDS => {
                self.slots.push(None);
                self.slots.len() - 1
            }
            None => return Err(Errno::EMFILE),
        };
        self.slots[fd] = Some(file);
        Ok(fd as i32)
    }

    pub fn close(&mut self, fd: i32) -> Result<(), Errno> {
        let slot = usize::try_from(fd).ok().and_then(|i| self.slots.get_mut(i)).ok_or(Errno::EBADF)?;
        slot.take().map(|_| ()).ok_or(Errno::EBADF)
    }

    pub fn close_all(&mut self) {
        self.slots.clear();
    }
}

impl Default for FdTable {
    fn default() -> Self {
        Self::new()
    }
}
