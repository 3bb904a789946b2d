//! Permission checks (Linux's generic_permission) against the caller's
//! filesystem ids. Root's capabilities (CAP_DAC_OVERRIDE, CAP_FOWNER...)
//! go with filesystem uid 0, as Linux drops them when fsuid leaves 0.

use alloc::vec::Vec;

use abi::{Errno, S_ISGID, S_ISUID, S_ISVTX, S_IXGRP, S_IXOTH, S_IXUSR};

use super::inode::{Inner, Inode};
use super::mount::{Path, MNT_NOEXEC};

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

/// The filesystem ids, which every file access uses.
pub fn current_cred() -> Cred {
    let task = crate::sched::current();
    let c = task.cred.lock();
    Cred { uid: c.fsuid, gid: c.fsgid, groups: c.groups.clone() }
}

/// The real ids, which access(2) checks with (unless AT_EACCESS); a real
/// uid of 0 holds root's capabilities there.
pub fn real_cred() -> Cred {
    let task = crate::sched::current();
    let c = task.cred.lock();
    Cred { uid: c.uid, gid: c.gid, groups: c.groups.clone() }
}

/// May the caller access `inode` as `mask` (MAY_* bits)?
pub fn permission(inode: &Inode, mask: u32) -> Result<(), Errno> {
    permission_for(&current_cred(), inode, mask)
}

/// May `cred` access `inode` as `mask`? A read-only filesystem refuses
/// writes to files, directories and symlinks (EROFS, Linux's
/// sb_permission). Then the owner's, group's or others' bits decide,
/// whichever class comes first; root may do anything, except execute a
/// non-directory that has no execute bit at all.
pub fn permission_for(cred: &Cred, inode: &Inode, mask: u32) -> Result<(), Errno> {
    if mask & MAY_WRITE != 0 && inode.sb.is_readonly() && (inode.is_regular() || inode.is_dir() || inode.is_symlink()) {
        return Err(Errno::EROFS);
    }
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

/// May the caller execute the file at `path` (execve)? Only a regular
/// file, not on a `noexec` mount, with execute permission: EACCES.
pub fn may_exec(path: &Path) -> Result<(), Errno> {
    if !path.is_regular() || path.mnt.has(MNT_NOEXEC) {
        return Err(Errno::EACCES);
    }
    permission(path, MAY_EXEC)
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

/// Linux's check_sticky: in a sticky directory, only the entry's owner,
/// the directory's owner or root may remove or rename an entry (EPERM).
fn check_sticky(dir: &Inode, victim: &Inode) -> Result<(), Errno> {
    let cred = current_cred();
    let (dir_mode, dir_uid) = {
        let d = dir.lock();
        (d.mode, d.uid)
    };
    if dir_mode & S_ISVTX == 0 || cred.is_privileged() || dir_uid == cred.uid || victim.lock().uid == cred.uid {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// Linux's may_delete: may `victim` leave `dir` (as a directory when
/// `is_dir`)? Permission first, then the sticky rule, then the type.
pub fn may_delete(dir: &Inode, victim: &Inode, is_dir: bool) -> Result<(), Errno> {
    permission(dir, MAY_WRITE | MAY_EXEC)?;
    check_sticky(dir, victim)?;
    match (is_dir, victim.is_dir()) {
        (true, false) => Err(Errno::ENOTDIR),
        (false, true) => Err(Errno::EISDIR),
        _ => Ok(()),
    }
}

/// Linux's file_remove_privs: a write or truncate by someone without
/// CAP_FSETID clears set-user-ID, and set-group-ID where group-execute
/// makes it one.
pub fn remove_privs(inode: &mut Inner) {
    if inode.mode & (S_ISUID | S_ISGID) == 0 || current_cred().is_privileged() {
        return;
    }
    inode.mode &= !S_ISUID;
    if inode.mode & S_IXGRP != 0 {
        inode.mode &= !S_ISGID;
    }
}
