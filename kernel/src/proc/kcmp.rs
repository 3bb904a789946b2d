//! kcmp(2): whether two processes share a kernel resource: an open file
//! behind two descriptors, the address space, the descriptor table, the
//! filesystem context, the signal handlers, the I/O context or the System
//! V semaphore undo list. Equal is 0; otherwise 1 or 2 order the two by
//! the resources' addresses scrambled with a boot-time key (Linux's
//! kptr_obfuscate), so that the order is consistent without showing
//! kernel addresses.

use alloc::sync::Arc;

use abi::Errno;
use spin::Once;

use crate::sched::current;
use crate::sched::task::Task;

const KCMP_FILE: i32 = 0;
const KCMP_VM: i32 = 1;
const KCMP_FILES: i32 = 2;
const KCMP_FS: i32 = 3;
const KCMP_SIGHAND: i32 = 4;
const KCMP_IO: i32 = 5;
const KCMP_SYSVSEM: i32 = 6;

/// The boot-time key the addresses are scrambled with.
static COOKIE: Once<usize> = Once::new();

fn scrambled(addr: usize) -> usize {
    let key = *COOKIE.call_once(|| crate::random::next_u64() as usize | 1);
    (addr ^ key).wrapping_mul(key)
}

fn task(pid: i32) -> Result<Arc<Task>, Errno> {
    u32::try_from(pid).ok().filter(|&p| p > 0).and_then(crate::proc::pid::find).ok_or(Errno::ESRCH)
}

/// The address standing for `task`'s resource of `kind` (one descriptor's
/// open file for KCMP_FILE).
fn resource(task: &Task, kind: i32, fd: u64) -> Result<usize, Errno> {
    Ok(match kind {
        KCMP_FILE => {
            let fd = i32::try_from(fd).map_err(|_| Errno::EBADF)?;
            let file = task.files.lock().get(fd).map_err(|_| Errno::EBADF)?;
            Arc::as_ptr(&file) as usize
        }
        KCMP_VM => task.mm().map_or(0, |mm| Arc::as_ptr(&mm) as usize),
        // A process's threads share these, and only they do here: the
        // process stands for each.
        KCMP_FILES | KCMP_FS | KCMP_SIGHAND | KCMP_IO | KCMP_SYSVSEM => &task.files as *const _ as usize,
        _ => return Err(Errno::EINVAL),
    })
}

pub fn sys_kcmp(pid1: i32, pid2: i32, kind: i32, idx1: u64, idx2: u64) -> Result<usize, Errno> {
    let (a, b) = (task(pid1)?, task(pid2)?);
    let me = current();
    let cred = me.cred.lock().clone();
    if !cred.may_access(&a.cred.lock(), true) || !cred.may_access(&b.cred.lock(), true) {
        return Err(Errno::EPERM);
    }
    let (x, y) = (resource(&a, kind, idx1)?, resource(&b, kind, idx2)?);
    let (x, y) = (scrambled(x), scrambled(y));
    Ok(match x.cmp(&y) {
        core::cmp::Ordering::Equal => 0,
        core::cmp::Ordering::Less => 1,
        core::cmp::Ordering::Greater => 2,
    })
}
