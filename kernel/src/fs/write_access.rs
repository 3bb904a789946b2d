//! Linux's i_writecount: a regular file is either open for writing or
//! running as a program, not both. Opening a running executable for
//! writing, truncating it or making it anew over its name is ETXTBSY, and
//! so is executing a file that is open for writing. The writers are the
//! open file descriptions with write access; a denial is held by every
//! address space that runs the file (fork shares it, exit and the next
//! exec let it go).
//!
//! Two counters, not Linux's one signed count: an open and an exec that
//! race may both succeed, where Linux would refuse one; neither can leave
//! a count wrong.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering};

use abi::Errno;

use super::inode::Inode;

#[derive(Default)]
pub struct WriteAccess {
    writers: AtomicU32,
    denials: AtomicU32,
}

impl WriteAccess {
    /// ETXTBSY while the file runs as a program.
    pub fn check_writable(&self) -> Result<(), Errno> {
        if self.denials.load(Ordering::Acquire) > 0 {
            return Err(Errno::ETXTBSY);
        }
        Ok(())
    }

    /// An open file description with write access begins.
    pub fn add_writer(&self) {
        self.writers.fetch_add(1, Ordering::AcqRel);
    }

    /// It ends.
    pub fn remove_writer(&self) {
        self.writers.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Held while a program runs from the file: writes are refused.
pub struct DenyWrite(Arc<Inode>);

impl DenyWrite {
    /// ETXTBSY when the file is open for writing.
    pub fn new(inode: &Arc<Inode>) -> Result<DenyWrite, Errno> {
        let access = &inode.write_access;
        if access.writers.load(Ordering::Acquire) > 0 {
            return Err(Errno::ETXTBSY);
        }
        access.denials.fetch_add(1, Ordering::AcqRel);
        Ok(DenyWrite(inode.clone()))
    }
}

impl Drop for DenyWrite {
    fn drop(&mut self) {
        self.0.write_access.denials.fetch_sub(1, Ordering::AcqRel);
    }
}
