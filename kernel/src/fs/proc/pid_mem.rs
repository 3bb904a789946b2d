//! /proc/PID/mem and /proc/PID/pagemap: files whose offsets are the
//! process's addresses. Both hold the address space they were opened on,
//! as Linux's do, so they keep reading it after an exec of the process
//! replaced it.

use alloc::boxed::Box;
use alloc::sync::Arc;

use abi::{Errno, OpenFlags};
use spin::Mutex;

use super::super::file::File;
use super::table::FileKind;
use crate::mm::address_space::AddressSpace;
use crate::sched::current;
use crate::sched::task::Task;
use crate::uaccess::USER_LIMIT;

const PAGE: u64 = 4096;
/// Bytes of one pagemap entry.
const ENTRY: u64 = 8;

/// Opens mem or pagemap of `task`: ptrace access to it is needed (EACCES),
/// and it must have an address space.
pub fn open(task: &Arc<Task>, kind: FileKind) -> Result<Box<dyn File>, Errno> {
    super::may_access(task)?;
    let mm = task.mm().ok_or(Errno::ESRCH)?;
    Ok(match kind {
        FileKind::Mem => Box::new(Mem { mm }),
        _ => Box::new(Pagemap { mm, show_frames: current().cred.lock().is_privileged() }),
    })
}

/// lseek on these files: any offset from the start or the current one.
fn seek(pos: u64, offset: i64, whence: i32) -> Result<u64, Errno> {
    match whence {
        abi::fcntl::SEEK_SET => Ok(offset as u64),
        abi::fcntl::SEEK_CUR => Ok(pos.wrapping_add(offset as u64)),
        _ => Err(Errno::EINVAL),
    }
}

struct Mem {
    mm: Arc<Mutex<AddressSpace>>,
}

impl File for Mem {
    fn positioned(&self) -> bool {
        true
    }

    fn never_blocks(&self) -> bool {
        false
    }

    fn read_at(&self, buf: &mut [u8], pos: u64) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.mm.lock().read_remote(pos, buf, true) {
            0 => Err(Errno::EIO),
            n => Ok(n),
        }
    }

    fn write_at(&self, buf: &[u8], pos: u64, _flags: OpenFlags) -> Result<(usize, u64), Errno> {
        if buf.is_empty() {
            return Ok((0, pos));
        }
        match self.mm.lock().write_remote(pos, buf, true) {
            0 => Err(Errno::EIO),
            n => Ok((n, pos + n as u64)),
        }
    }

    fn seek(&self, pos: u64, offset: i64, whence: i32) -> Result<u64, Errno> {
        seek(pos, offset, whence)
    }
}

struct Pagemap {
    mm: Arc<Mutex<AddressSpace>>,
    /// Frame numbers are shown to the privileged only (CAP_SYS_ADMIN at
    /// open), as Linux.
    show_frames: bool,
}

impl File for Pagemap {
    fn positioned(&self) -> bool {
        true
    }

    fn never_blocks(&self) -> bool {
        false
    }

    /// One 64-bit entry per page, at offset page number * 8.
    fn read_at(&self, buf: &mut [u8], pos: u64) -> Result<usize, Errno> {
        if !pos.is_multiple_of(ENTRY) || !(buf.len() as u64).is_multiple_of(ENTRY) {
            return Err(Errno::EINVAL);
        }
        let end = USER_LIMIT / PAGE * ENTRY;
        let n = (buf.len() as u64).min(end.saturating_sub(pos)) as usize;
        let mm = self.mm.lock();
        for (i, chunk) in buf[..n].chunks_exact_mut(ENTRY as usize).enumerate() {
            let va = (pos / ENTRY + i as u64) * PAGE;
            chunk.copy_from_slice(&mm.pagemap_entry(va, self.show_frames).to_le_bytes());
        }
        Ok(n)
    }

    fn seek(&self, pos: u64, offset: i64, whence: i32) -> Result<u64, Errno> {
        seek(pos, offset, whence)
    }
}
