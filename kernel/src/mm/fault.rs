//! Page faults on user addresses: demand-zero pages inside VMAs; anything
//! else is a signal for the process (SIGSEGV with SEGV_MAPERR when no area
//! covers the address, SEGV_ACCERR when the area forbids the access).

use abi::signal::{BUS_ADRERR, SEGV_ACCERR, SEGV_MAPERR, SIGBUS, SIGKILL, SIGSEGV};
use abi::ProtFlags;

use crate::uaccess::USER_LIMIT;

#[derive(Clone, Copy, Debug)]
pub struct Access {
    pub present: bool,
    pub write: bool,
    pub exec: bool,
}

impl Access {
    /// Decodes the page-fault error code pushed by the CPU.
    pub fn from_error_code(code: u64) -> Access {
        Access { present: code & 1 != 0, write: code & 2 != 0, exec: code & 16 != 0 }
    }
}

/// The signal a failed fault becomes: (signal, si_code).
pub type FaultSignal = (i32, i32);

pub fn handle_user_fault(addr: u64, access: Access) -> Result<(), FaultSignal> {
    if addr >= USER_LIMIT {
        return Err((SIGSEGV, SEGV_MAPERR));
    }
    let task = crate::sched::current();
    let mm = task.mm().ok_or((SIGSEGV, SEGV_MAPERR))?;
    let mut mm = mm.lock();
    let vma = match mm.find_vma(addr) {
        Some(v) => *v,
        None => {
            // Only a fault outside every area may grow the stack.
            let stack_limit = task.rlimits.lock().get(abi::RLIMIT_STACK).rlim_cur;
            mm.grow_stack(addr, stack_limit).ok_or((SIGSEGV, SEGV_MAPERR))?
        }
    };
    drop(task);
    let allowed = if access.write {
        vma.prot.contains(ProtFlags::PROT_WRITE)
    } else if access.exec {
        vma.prot.contains(ProtFlags::PROT_EXEC)
    } else {
        !vma.prot.is_empty()
    };
    if !allowed {
        return Err((SIGSEGV, SEGV_ACCERR));
    }
    let oom = |_| {
        crate::pr_err!("Out of memory: cannot fault in a page at {addr:#x}; killing the process");
        (SIGKILL, 0)
    };
    if !access.present && mm.is_mapped(addr) {
        // Another thread of the process faulted on the same page at the
        // same time and mapped it while this one waited for the lock: its
        // page (and what it wrote there since) stands. A write may still
        // need its copy-on-write step; otherwise the access is retried.
        if access.write && !mm.is_mapped_writable(addr) {
            return mm.write_fault_on_present(addr, &vma).map_err(oom);
        }
        return Ok(());
    }
    if access.present {
        // Only a write can fault on a present page the area allows:
        // copy-on-write.
        if !access.write {
            return Err((SIGSEGV, SEGV_ACCERR));
        }
        return mm.write_fault_on_present(addr, &vma).map_err(oom);
    }
    if vma.file.is_some() {
        return mm.fault_file_page(addr, &vma, access.write).map_err(|e| match e {
            super::address_space::FileFault::BeyondEnd => (SIGBUS, BUS_ADRERR),
            super::address_space::FileFault::OutOfMemory => {
                crate::pr_err!("Out of memory: cannot map a file page at {addr:#x}; killing the process");
                (SIGKILL, 0)
            }
        });
    }
    mm.populate_page(addr, &vma).map_err(|_| {
        crate::pr_err!("Out of memory: cannot fault in a page at {addr:#x}; killing the process");
        (SIGKILL, 0)
    })
}
