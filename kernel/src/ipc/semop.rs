//! semop and semtimedop: a list of operations on one set, applied all
//! together or not at all, sleeping until they can be; and SEM_UNDO's
//! adjustments, applied when the process exits.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::Cell;

use abi::ipc::{Sembuf, IPC_NOWAIT, SEMAEM, SEMOPM, SEMVMX, SEM_UNDO};
use abi::{Errno, Timespec};

use super::sem::{SemSet, SEM, SEM_WAIT};
use super::util::{current_cred, current_pid, now, READ, WRITE};
use crate::sched::task::Task;
use crate::sched::timer::wait_with_deadline;
use crate::uaccess::{copy_from_user, read_user};

/// Why the operations could not all be done now.
enum Refusal {
    /// Operation `index` must wait (or fail with EAGAIN under IPC_NOWAIT).
    WouldBlock(usize),
    Error(Errno),
}

/// The semaphore a sleeper waits on, counted in semncnt or semzcnt.
#[derive(Clone, Copy)]
struct Blocked {
    num: usize,
    for_zero: bool,
}

impl SemSet {
    /// Applies every operation, or none: each sees the values the ones
    /// before it left (Linux's perform_atomic_semop).
    fn apply(&mut self, ops: &[Sembuf], pid: i32) -> Result<(), Refusal> {
        let mut values: Vec<i32> = self.sems.iter().map(|s| s.value).collect();
        let mut adjust = self.undo.get(&pid).cloned().unwrap_or_else(|| vec![0; values.len()]);
        let mut undoing = false;
        for (index, op) in ops.iter().enumerate() {
            let num = usize::from(op.sem_num);
            let value = values[num];
            let delta = i32::from(op.sem_op);
            if delta == 0 && value != 0 {
                return Err(Refusal::WouldBlock(index));
            }
            let result = value + delta;
            if result < 0 {
                return Err(Refusal::WouldBlock(index));
            }
            if result > SEMVMX {
                return Err(Refusal::Error(Errno::ERANGE));
            }
            if op.sem_flg & SEM_UNDO != 0 {
                let undo = adjust[num] - delta;
                if !(-SEMAEM - 1..=SEMAEM).contains(&undo) {
                    return Err(Refusal::Error(Errno::ERANGE));
                }
                adjust[num] = undo;
                undoing = true;
            }
            values[num] = result;
        }
        for (sem, value) in self.sems.iter_mut().zip(values) {
            sem.value = value;
        }
        for op in ops {
            self.sems[usize::from(op.sem_num)].pid = pid;
        }
        if undoing {
            self.undo.insert(pid, adjust);
        }
        self.otime = now();
        Ok(())
    }

    fn count_sleeper(&mut self, blocked: Blocked, add: bool) {
        let sem = &mut self.sems[blocked.num];
        let count = if blocked.for_zero { &mut sem.zcnt } else { &mut sem.ncnt };
        *count = if add { *count + 1 } else { count.saturating_sub(1) };
    }
}

pub fn sys_semop(id: i32, sops: u64, nsops: usize) -> Result<usize, Errno> {
    sys_semtimedop(id, sops, nsops, 0)
}

pub fn sys_semtimedop(id: i32, sops: u64, nsops: usize, timeout: u64) -> Result<usize, Errno> {
    if nsops < 1 || id < 0 {
        return Err(Errno::EINVAL);
    }
    if nsops > SEMOPM as usize {
        return Err(Errno::E2BIG);
    }
    let mut ops = vec![Sembuf::default(); nsops];
    copy_from_user(bytemuck::cast_slice_mut(&mut ops), sops)?;
    let deadline = match timeout {
        0 => None,
        at => Some(crate::time::uptime_ns().saturating_add(timeout_ns(&read_user::<Timespec>(at)?)?)),
    };
    let highest = ops.iter().map(|op| usize::from(op.sem_num)).max().unwrap_or(0);
    let alters = ops.iter().any(|op| op.sem_op != 0);
    {
        let sets = SEM.lock();
        let set = sets.get(id)?;
        if highest >= set.sems.len() {
            return Err(Errno::EFBIG);
        }
        set.perm.check(&current_cred(), if alters { WRITE } else { READ })?;
    }
    let pid = current_pid();
    let blocked: Cell<Option<Blocked>> = Cell::new(None);
    let outcome = wait_with_deadline(&SEM_WAIT, deadline, || {
        let mut sets = SEM.lock();
        let Ok(set) = sets.get_mut(id) else {
            blocked.set(None);
            return Some(Err(Errno::EIDRM));
        };
        if let Some(b) = blocked.take() {
            set.count_sleeper(b, false);
        }
        match set.apply(&ops, pid) {
            Ok(()) => Some(Ok(())),
            Err(Refusal::Error(e)) => Some(Err(e)),
            Err(Refusal::WouldBlock(i)) if ops[i].sem_flg & IPC_NOWAIT as i16 != 0 => Some(Err(Errno::EAGAIN)),
            Err(Refusal::WouldBlock(i)) => {
                let b = Blocked { num: usize::from(ops[i].sem_num), for_zero: ops[i].sem_op == 0 };
                set.count_sleeper(b, true);
                blocked.set(Some(b));
                None
            }
        }
    });
    if let Some(b) = blocked.take() {
        if let Ok(set) = SEM.lock().get_mut(id) {
            set.count_sleeper(b, false);
        }
    }
    match outcome {
        Ok(Some(Ok(()))) => {
            if alters {
                SEM_WAIT.wake_all();
            }
            Ok(0)
        }
        Ok(Some(Err(e))) => Err(e),
        Ok(None) => Err(Errno::EAGAIN),
        // semop is never restarted, whatever SA_RESTART says.
        Err(_) => Err(Errno::EINTR),
    }
}

fn timeout_ns(ts: &Timespec) -> Result<u64, Errno> {
    const NS: i64 = 1_000_000_000;
    if ts.tv_sec < 0 || !(0..NS).contains(&ts.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    Ok((ts.tv_sec as u64).saturating_mul(NS as u64).saturating_add(ts.tv_nsec as u64))
}

/// The exit hook: a process's SEM_UNDO adjustments are added back, each
/// value kept within 0..=SEMVMX (Linux's exit_sem).
pub fn exit_sem(task: &Arc<Task>) {
    let pid = task.tgid as i32;
    let mut changed = false;
    {
        let mut sets = SEM.lock();
        for set in sets.iter_mut() {
            let Some(adjust) = set.undo.remove(&pid) else { continue };
            for (sem, a) in set.sems.iter_mut().zip(adjust) {
                if a != 0 {
                    sem.value = (sem.value + a).clamp(0, SEMVMX);
                    sem.pid = pid;
                    changed = true;
                }
            }
        }
    }
    if changed {
        SEM_WAIT.wake_all();
    }
}
