//! System V semaphore sets (Linux's ipc/sem.c): semget, semctl and the
//! sets themselves; semop's operations are in `semop.rs`.
//!
//! Sleepers of semop wait on one queue, woken at every change of any set:
//! each then tries its operations again (simple, and right; sets are few).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use abi::ipc::*;
use abi::Errno;
use spin::Mutex;

use super::util::{current_cred, current_pid, now, Ids, IpcObject, Lookup, Perm, READ, WRITE};
use crate::sched::wait::WaitQueue;
use crate::uaccess::{copy_from_user, copy_to_user, read_user, write_user};

pub(super) static SEM: Mutex<Ids<SemSet>> = Mutex::new(Ids::new(SEMMNI as usize));
/// Where semop waits for a set to change.
pub(super) static SEM_WAIT: WaitQueue = WaitQueue::new();

#[derive(Clone, Copy, Default)]
pub(super) struct Semaphore {
    pub value: i32,
    /// The process that last changed it.
    pub pid: i32,
    /// Tasks sleeping until it grows (semncnt) or reaches zero (semzcnt).
    pub ncnt: u32,
    pub zcnt: u32,
}

pub(super) struct SemSet {
    pub perm: Perm,
    pub sems: Vec<Semaphore>,
    pub otime: i64,
    pub ctime: i64,
    /// SEM_UNDO adjustments by process id, applied when it exits.
    pub undo: BTreeMap<i32, Vec<i32>>,
}

impl IpcObject for SemSet {
    fn perm(&self) -> &Perm {
        &self.perm
    }
}

impl SemSet {
    fn to_abi(&self) -> SemidDs {
        SemidDs {
            sem_perm: self.perm.to_abi(),
            sem_otime: self.otime,
            sem_ctime: self.ctime,
            sem_nsems: self.sems.len() as u64,
            ..SemidDs::default()
        }
    }

    /// SETVAL and SETALL forget the adjustments of the values they set.
    fn forget_undo(&mut self, num: Option<usize>) {
        for adjust in self.undo.values_mut() {
            match num {
                Some(n) => adjust[n] = 0,
                None => adjust.iter_mut().for_each(|a| *a = 0),
            }
        }
    }

    fn semaphore(&self, num: i32) -> Result<&Semaphore, Errno> {
        usize::try_from(num).ok().and_then(|n| self.sems.get(n)).ok_or(Errno::EINVAL)
    }
}

fn total_semaphores(ids: &Ids<SemSet>) -> usize {
    ids.iter().map(|(_, s)| s.sems.len()).sum()
}

pub fn sys_semget(key: i32, nsems: i32, flags: i32) -> Result<usize, Errno> {
    if !(0..=SEMMSL).contains(&nsems) {
        return Err(Errno::EINVAL);
    }
    let cred = current_cred();
    let mut sets = SEM.lock();
    if let Lookup::Found(id, set) = sets.find_key(key, flags)? {
        if nsems as usize > set.sems.len() {
            return Err(Errno::EINVAL);
        }
        set.perm.check(&cred, flags as u32 & 0o777)?;
        return Ok(id as usize);
    }
    if nsems == 0 {
        return Err(Errno::EINVAL);
    }
    if total_semaphores(&sets) + nsems as usize > SEMMNS as usize {
        return Err(Errno::ENOSPC);
    }
    let ctime = now();
    let id = sets.insert(key, flags, &cred, |perm| SemSet {
        perm,
        sems: vec![Semaphore::default(); nsems as usize],
        otime: 0,
        ctime,
        undo: BTreeMap::new(),
    })?;
    Ok(id as usize)
}

pub fn sys_semctl(id: i32, num: i32, cmd: i32, arg: u64) -> Result<usize, Errno> {
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    match cmd {
        IPC_INFO | SEM_INFO => sem_info(cmd, arg),
        SEM_STAT | SEM_STAT_ANY => {
            let (full_id, ds) = {
                let sets = SEM.lock();
                let (full_id, set) = sets.at_index(id as usize).ok_or(Errno::EINVAL)?;
                if cmd == SEM_STAT {
                    set.perm.check(&current_cred(), READ)?;
                }
                (full_id, set.to_abi())
            };
            write_user(arg, &ds)?;
            Ok(full_id as usize)
        }
        IPC_STAT => {
            let ds = with_set(id, READ, |set| Ok(set.to_abi()))?;
            write_user(arg, &ds)?;
            Ok(0)
        }
        GETVAL => with_set(id, READ, |set| Ok(set.semaphore(num)?.value as usize)),
        GETPID => with_set(id, READ, |set| Ok(set.semaphore(num)?.pid as usize)),
        GETNCNT => with_set(id, READ, |set| Ok(set.semaphore(num)?.ncnt as usize)),
        GETZCNT => with_set(id, READ, |set| Ok(set.semaphore(num)?.zcnt as usize)),
        GETALL => {
            let values: Vec<u16> = with_set(id, READ, |set| Ok(set.sems.iter().map(|s| s.value as u16).collect()))?;
            copy_to_user(arg, bytemuck::cast_slice(&values))?;
            Ok(0)
        }
        SETVAL => set_value(id, num, arg as i32),
        SETALL => set_all(id, arg),
        IPC_SET => {
            let new: SemidDs = read_user(arg)?;
            let cred = current_cred();
            let mut sets = SEM.lock();
            let set = sets.get_mut(id)?;
            set.perm.check_owner(&cred)?;
            set.perm.set(&new.sem_perm);
            set.ctime = now();
            Ok(0)
        }
        IPC_RMID => {
            let cred = current_cred();
            {
                let mut sets = SEM.lock();
                sets.get(id)?.perm.check_owner(&cred)?;
                sets.remove(id);
            }
            // Its sleepers find it gone: EIDRM.
            SEM_WAIT.wake_all();
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// Runs `f` on set `id` after checking the caller may `access` it.
fn with_set<T>(id: i32, access: u32, f: impl FnOnce(&SemSet) -> Result<T, Errno>) -> Result<T, Errno> {
    let cred = current_cred();
    let sets = SEM.lock();
    let set = sets.get(id)?;
    set.perm.check(&cred, access)?;
    f(set)
}

fn sem_info(cmd: i32, arg: u64) -> Result<usize, Errno> {
    let mut info = SemInfo {
        semmap: SEMMNS,
        semmni: SEMMNI,
        semmns: SEMMNS,
        semmnu: SEMMNS,
        semmsl: SEMMSL,
        semopm: SEMOPM,
        semume: SEMOPM,
        semusz: SEMUSZ,
        semvmx: SEMVMX,
        semaem: SEMAEM,
    };
    let max = {
        let sets = SEM.lock();
        if cmd == SEM_INFO {
            // Linux reuses two fields for what is in use.
            info.semusz = sets.in_use() as i32;
            info.semaem = total_semaphores(&sets) as i32;
        }
        sets.max_index()
    };
    write_user(arg, &info)?;
    Ok(max)
}

fn set_value(id: i32, num: i32, value: i32) -> Result<usize, Errno> {
    if !(0..=SEMVMX).contains(&value) {
        return Err(Errno::ERANGE);
    }
    let cred = current_cred();
    {
        let mut sets = SEM.lock();
        let set = sets.get_mut(id)?;
        set.semaphore(num)?;
        set.perm.check(&cred, WRITE)?;
        let sem = &mut set.sems[num as usize];
        sem.value = value;
        sem.pid = current_pid();
        set.forget_undo(Some(num as usize));
        set.ctime = now();
    }
    SEM_WAIT.wake_all();
    Ok(0)
}

fn set_all(id: i32, arg: u64) -> Result<usize, Errno> {
    let cred = current_cred();
    let count = with_set(id, WRITE, |set| Ok(set.sems.len()))?;
    let mut values = vec![0u16; count];
    copy_from_user(bytemuck::cast_slice_mut(&mut values), arg)?;
    if values.iter().any(|&v| i32::from(v) > SEMVMX) {
        return Err(Errno::ERANGE);
    }
    {
        let mut sets = SEM.lock();
        let set = sets.get_mut(id).map_err(|_| Errno::EIDRM)?;
        set.perm.check(&cred, WRITE)?;
        let pid = current_pid();
        for (sem, &v) in set.sems.iter_mut().zip(&values) {
            sem.value = i32::from(v);
            sem.pid = pid;
        }
        set.forget_undo(None);
        set.ctime = now();
    }
    SEM_WAIT.wake_all();
    Ok(0)
}

/// One line of /proc/sysvipc/sem per set, in Linux's format.
pub fn proc_lines() -> Vec<String> {
    let sets = SEM.lock();
    sets.iter()
        .map(|(id, s)| {
            let p = &s.perm;
            format!(
                "{:>10} {:>10}  {:>4o} {:>10} {:>5} {:>5} {:>5} {:>5} {:>10} {:>10}\n",
                p.key,
                id,
                p.mode,
                s.sems.len(),
                p.uid,
                p.gid,
                p.cuid,
                p.cgid,
                s.otime,
                s.ctime
            )
        })
        .collect()
}
