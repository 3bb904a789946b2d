//! Credentials: real, effective, saved and filesystem user and group ids,
//! supplementary groups and capability sets, with Linux's rules for
//! changing them. Root starts with every capability and nobody else with
//! any; capset(2) drops some, and the set follows the ids as Linux's
//! commoncap does (leaving uid 0 drops them, returning to it restores
//! the permitted ones; exec gives root all, others none).

use alloc::vec::Vec;

use abi::Errno;

use crate::sched::current;
use crate::uaccess::{copy_from_user, copy_to_user, write_user};

/// Linux's NGROUPS_MAX.
const NGROUPS_MAX: usize = 65536;

use abi::capability::*;

/// Every capability Linux 6.1 knows (CAP_LAST_CAP = 40).
pub const ALL_CAPS: u64 = (1 << 41) - 1;
/// The capabilities that follow the filesystem uid (Linux's CAP_FS_MASK).
const FS_CAPS: u64 = 1 << CAP_CHOWN
    | 1 << CAP_DAC_OVERRIDE
    | 1 << CAP_DAC_READ_SEARCH
    | 1 << CAP_FOWNER
    | 1 << CAP_FSETID
    | 1 << CAP_LINUX_IMMUTABLE
    | 1 << CAP_MKNOD
    | 1 << CAP_MAC_OVERRIDE;

#[derive(Clone, Debug, Default)]
pub struct Credentials {
    pub uid: u32,
    pub euid: u32,
    pub suid: u32,
    pub fsuid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub fsgid: u32,
    pub groups: Vec<u32>,
    pub cap_effective: u64,
    pub cap_permitted: u64,
    pub cap_inheritable: u64,
}

impl Credentials {
    /// init's: root, with every capability.
    pub fn root() -> Credentials {
        Credentials { cap_effective: ALL_CAPS, cap_permitted: ALL_CAPS, ..Credentials::default() }
    }

    pub fn capable(&self, cap: u32) -> bool {
        self.cap_effective & (1 << cap) != 0
    }

    /// CAP_SYS_ADMIN: what the checks not made capability by capability
    /// ask for.
    pub fn is_privileged(&self) -> bool {
        self.capable(CAP_SYS_ADMIN)
    }

    /// The capability sets after the user ids changed from `old`'s
    /// (Linux's cap_task_fix_setuid).
    fn fix_caps_after_setuid(&mut self, old: &Credentials) {
        let had_root = old.uid == 0 || old.euid == 0 || old.suid == 0;
        if had_root && self.uid != 0 && self.euid != 0 && self.suid != 0 {
            self.cap_permitted = 0;
            self.cap_effective = 0;
        }
        if old.euid == 0 && self.euid != 0 {
            self.cap_effective = 0;
        }
        if old.euid != 0 && self.euid == 0 {
            self.cap_effective = self.cap_permitted;
        }
        if old.fsuid == 0 && self.fsuid != 0 {
            self.cap_effective &= !FS_CAPS;
        }
        if old.fsuid != 0 && self.fsuid == 0 {
            self.cap_effective |= self.cap_permitted & FS_CAPS;
        }
    }

    /// The sets exec leaves (no file capabilities): root's are all,
    /// effective while its effective uid is 0; others' none.
    pub fn exec_caps(&mut self) {
        if self.uid == 0 || self.euid == 0 {
            self.cap_permitted = ALL_CAPS;
            self.cap_effective = if self.euid == 0 { ALL_CAPS } else { 0 };
        } else {
            self.cap_permitted = 0;
            self.cap_effective = 0;
        }
    }

    /// Linux's ptrace_may_access test of credentials: `self` (the caller)
    /// may look into a process with `theirs` when it is root or when all
    /// of their user and group ids equal its own, the real ones
    /// (PTRACE_MODE_REALCREDS) or the filesystem ones (FSCREDS).
    pub fn may_access(&self, theirs: &Credentials, real: bool) -> bool {
        if self.capable(CAP_SYS_PTRACE) {
            return true;
        }
        let (uid, gid) = if real { (self.uid, self.gid) } else { (self.fsuid, self.fsgid) };
        [theirs.uid, theirs.euid, theirs.suid].iter().all(|&u| u == uid)
            && [theirs.gid, theirs.egid, theirs.sgid].iter().all(|&g| g == gid)
    }
}

/// The "-1 leaves it alone" convention of the set*id calls.
fn arg(v: u32) -> Option<u32> {
    (v != u32::MAX).then_some(v)
}

pub fn sys_getuid() -> Result<usize, Errno> {
    Ok(current().cred.lock().uid as usize)
}

pub fn sys_geteuid() -> Result<usize, Errno> {
    Ok(current().cred.lock().euid as usize)
}

pub fn sys_getgid() -> Result<usize, Errno> {
    Ok(current().cred.lock().gid as usize)
}

pub fn sys_getegid() -> Result<usize, Errno> {
    Ok(current().cred.lock().egid as usize)
}

/// Runs a set*id call; when it changed an effective or filesystem id, the
/// parent-death signal is cleared, as Linux's commit_creds does.
fn watching_ids(call: impl FnOnce() -> Result<usize, Errno>) -> Result<usize, Errno> {
    let task = current();
    let ids = |c: &Credentials| (c.euid, c.egid, c.fsuid, c.fsgid);
    let before = ids(&task.cred.lock());
    let result = call();
    if ids(&task.cred.lock()) != before {
        task.pdeath_signal.store(0, core::sync::atomic::Ordering::Relaxed);
    }
    result
}

pub fn sys_setuid(uid: u32) -> Result<usize, Errno> {
    watching_ids(|| setuid(uid))
}

pub fn sys_setgid(gid: u32) -> Result<usize, Errno> {
    watching_ids(|| setgid(gid))
}

pub fn sys_setresuid(ruid: u32, euid: u32, suid: u32) -> Result<usize, Errno> {
    watching_ids(|| setresuid(ruid, euid, suid))
}

pub fn sys_setresgid(rgid: u32, egid: u32, sgid: u32) -> Result<usize, Errno> {
    watching_ids(|| setresgid(rgid, egid, sgid))
}

pub fn sys_setreuid(ruid: u32, euid: u32) -> Result<usize, Errno> {
    watching_ids(|| setreuid(ruid, euid))
}

pub fn sys_setregid(rgid: u32, egid: u32) -> Result<usize, Errno> {
    watching_ids(|| setregid(rgid, egid))
}

pub fn sys_setfsuid(uid: u32) -> Result<usize, Errno> {
    watching_ids(|| setfsuid(uid))
}

pub fn sys_setfsgid(gid: u32) -> Result<usize, Errno> {
    watching_ids(|| setfsgid(gid))
}

fn setuid(uid: u32) -> Result<usize, Errno> {
    let uid = arg(uid).ok_or(Errno::EINVAL)?;
    let task = current();
    let mut c = task.cred.lock();
    let old = c.clone();
    if c.capable(CAP_SETUID) {
        (c.uid, c.euid, c.suid, c.fsuid) = (uid, uid, uid, uid);
    } else if uid == c.uid || uid == c.suid {
        (c.euid, c.fsuid) = (uid, uid);
    } else {
        return Err(Errno::EPERM);
    }
    c.fix_caps_after_setuid(&old);
    Ok(0)
}

fn setgid(gid: u32) -> Result<usize, Errno> {
    let gid = arg(gid).ok_or(Errno::EINVAL)?;
    let task = current();
    let mut c = task.cred.lock();
    if c.capable(CAP_SETGID) {
        (c.gid, c.egid, c.sgid, c.fsgid) = (gid, gid, gid, gid);
    } else if gid == c.gid || gid == c.sgid {
        (c.egid, c.fsgid) = (gid, gid);
    } else {
        return Err(Errno::EPERM);
    }
    Ok(0)
}

fn setresuid(ruid: u32, euid: u32, suid: u32) -> Result<usize, Errno> {
    let task = current();
    let mut c = task.cred.lock();
    let old = c.clone();
    let allowed = |v: Option<u32>| v.is_none_or(|v| v == c.uid || v == c.euid || v == c.suid);
    let permitted = allowed(arg(ruid)) && allowed(arg(euid)) && allowed(arg(suid));
    if !(c.capable(CAP_SETUID) || permitted) {
        return Err(Errno::EPERM);
    }
    if let Some(v) = arg(ruid) {
        c.uid = v;
    }
    if let Some(v) = arg(euid) {
        c.euid = v;
    }
    if let Some(v) = arg(suid) {
        c.suid = v;
    }
    c.fsuid = c.euid;
    c.fix_caps_after_setuid(&old);
    Ok(0)
}

fn setresgid(rgid: u32, egid: u32, sgid: u32) -> Result<usize, Errno> {
    let task = current();
    let mut c = task.cred.lock();
    let allowed = |v: Option<u32>| v.is_none_or(|v| v == c.gid || v == c.egid || v == c.sgid);
    let permitted = allowed(arg(rgid)) && allowed(arg(egid)) && allowed(arg(sgid));
    if !(c.capable(CAP_SETGID) || permitted) {
        return Err(Errno::EPERM);
    }
    if let Some(v) = arg(rgid) {
        c.gid = v;
    }
    if let Some(v) = arg(egid) {
        c.egid = v;
    }
    if let Some(v) = arg(sgid) {
        c.sgid = v;
    }
    c.fsgid = c.egid;
    Ok(0)
}

/// setreuid: the saved uid follows the new effective one when the real id
/// is set or the effective one changes to something but the real id.
fn setreuid(ruid: u32, euid: u32) -> Result<usize, Errno> {
    let task = current();
    let mut c = task.cred.lock();
    let old = c.clone();
    let (r, e) = (arg(ruid), arg(euid));
    if !c.capable(CAP_SETUID) {
        let r_ok = r.is_none_or(|v| v == c.uid || v == c.euid);
        let e_ok = e.is_none_or(|v| v == c.uid || v == c.euid || v == c.suid);
        if !(r_ok && e_ok) {
            return Err(Errno::EPERM);
        }
    }
    let old_uid = c.uid;
    if let Some(v) = r {
        c.uid = v;
    }
    if let Some(v) = e {
        c.euid = v;
    }
    if r.is_some() || e.is_some_and(|v| v != old_uid) {
        c.suid = c.euid;
    }
    c.fsuid = c.euid;
    c.fix_caps_after_setuid(&old);
    Ok(0)
}

fn setregid(rgid: u32, egid: u32) -> Result<usize, Errno> {
    let task = current();
    let mut c = task.cred.lock();
    let (r, e) = (arg(rgid), arg(egid));
    if !c.capable(CAP_SETGID) {
        let r_ok = r.is_none_or(|v| v == c.gid || v == c.egid);
        let e_ok = e.is_none_or(|v| v == c.gid || v == c.egid || v == c.sgid);
        if !(r_ok && e_ok) {
            return Err(Errno::EPERM);
        }
    }
    let old_gid = c.gid;
    if let Some(v) = r {
        c.gid = v;
    }
    if let Some(v) = e {
        c.egid = v;
    }
    if r.is_some() || e.is_some_and(|v| v != old_gid) {
        c.sgid = c.egid;
    }
    c.fsgid = c.egid;
    Ok(0)
}

pub fn sys_getresuid(r: u64, e: u64, s: u64) -> Result<usize, Errno> {
    let c = current().cred.lock().clone();
    write_user(r, &c.uid)?;
    write_user(e, &c.euid)?;
    write_user(s, &c.suid)?;
    Ok(0)
}

pub fn sys_getresgid(r: u64, e: u64, s: u64) -> Result<usize, Errno> {
    let c = current().cred.lock().clone();
    write_user(r, &c.gid)?;
    write_user(e, &c.egid)?;
    write_user(s, &c.sgid)?;
    Ok(0)
}

/// setfsuid/setfsgid return the old value and never fail (Linux).
fn setfsuid(uid: u32) -> Result<usize, Errno> {
    let task = current();
    let mut c = task.cred.lock();
    let before = c.clone();
    let old = c.fsuid;
    if arg(uid).is_some() && (c.capable(CAP_SETUID) || [c.uid, c.euid, c.suid, c.fsuid].contains(&uid)) {
        c.fsuid = uid;
    }
    c.fix_caps_after_setuid(&before);
    Ok(old as usize)
}

fn setfsgid(gid: u32) -> Result<usize, Errno> {
    let task = current();
    let mut c = task.cred.lock();
    let old = c.fsgid;
    if arg(gid).is_some() && (c.capable(CAP_SETGID) || [c.gid, c.egid, c.sgid, c.fsgid].contains(&gid)) {
        c.fsgid = gid;
    }
    Ok(old as usize)
}

pub fn sys_getgroups(size: i32, list: u64) -> Result<usize, Errno> {
    let groups = current().cred.lock().groups.clone();
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    if size == 0 {
        return Ok(groups.len());
    }
    if (size as usize) < groups.len() {
        return Err(Errno::EINVAL);
    }
    let bytes: Vec<u8> = groups.iter().flat_map(|g| g.to_le_bytes()).collect();
    copy_to_user(list, &bytes)?;
    Ok(groups.len())
}

pub fn sys_setgroups(size: usize, list: u64) -> Result<usize, Errno> {
    if size > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    let task = current();
    if !task.cred.lock().capable(CAP_SETGID) {
        return Err(Errno::EPERM);
    }
    let mut bytes = alloc::vec![0u8; size * 4];
    copy_from_user(&mut bytes, list)?;
    let mut groups: Vec<u32> = bytes.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
    groups.sort_unstable();
    task.cred.lock().groups = groups;
    Ok(0)
}
