//! Permission checks (Linux's generic_permission) against the caller's
//! filesystem ids. Root's capabilities (CAP_DAC_OVERRIDE, CAP_FOWNER...)
//! go with filesystem uid 0, as Linux drops them when fsuid leaves 0.

use alloc::vec::Vec;

use abi::{Errno, S_IXGRP, S_IXOTH, S_IXUSR};

use super::inode::Inode;

pub const MAY_EXEC: u32 = 1;
pub const MAY_WRITE: u32 = 2;
pub const MAY_READ: u32 = 4;

/// The ids that file access is checked against.
#[derive(Clone)]
pub struct Cred {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
}

impl Cred {
    /// Root's CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_CHOWN and CAP_MKNOD.
    pub fn is_privileged(&self) -> bool {
        self.uid == 0
    }

    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }
}

pub fn current_cred() -> Cred {
    let task = crate::sched::current();
    let c = task.cred.lock();
    Cred { uid: c.fsuid, gid: c.fsgid, groups: c.groups.clone() }
}

/// May the caller access `inode` as `mask` (MAY_* bits)? Root may do
/// anything, except execute a non-directory that has no execute bit at all.
pub fn permission(inode: &Inode, mask: u32) -> Result<(), Errno> {
    let cred = current_cred();
    let (mode, uid, gid) = {
        let i = inode.lock();
        (i.mode, i.uid, i.gid)
    };
    if cred.is_privileged() {
        let exec_denied = mask & MAY_EXEC != 0 && !inode.is_dir() && mode & (S_IXUSR | S_IXGRP | S_IXOTH) == 0;
        return if exec_denied { Err(Errno::EACCES) } else { Ok(()) };
    }
    let granted = if cred.uid == uid {
        (mode >> 6) & 7
    } else if cred.in_group(gid) {
        (mode >> 3) & 7
    } else {
        mode & 7
    };
    if mask & !granted == 0 {
        Ok(())
    } else {
        Err(Errno::EACCES)
    }
}

/// May the caller change `inode`'s mode or times to arbitrary values
/// (owner or CAP_FOWNER)?
pub fn owner_or_privileged(inode: &Inode) -> Result<(), Errno> {
    let cred = current_cred();
    if cred.is_privileged() || inode.lock().uid == cred.uid {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}
