//! sched_getaffinity(2) and sched_setaffinity(2): the CPUs a thread may
//! run on, as a mask of one `unsigned long` (Linux's with nr_cpu_ids <=
//! 64), and getcpu(2).

use alloc::sync::Arc;

use abi::Errno;
use machine::arch::percpu::{cpu_index, online_mask};

use crate::sched::task::Task;
use crate::uaccess::write_user;

/// The CPU mask in bytes: what the calls copy.
const CPUMASK_BYTES: usize = 8;

/// The thread `pid` names: the caller for 0.
fn target(pid: i32) -> Result<Arc<Task>, Errno> {
    match pid {
        ..0 => Err(Errno::ESRCH),
        0 => Ok(crate::sched::current()),
        _ => crate::proc::pid::find(pid as u32).ok_or(Errno::ESRCH),
    }
}

pub fn sys_sched_getaffinity(pid: i32, len: usize, mask: u64) -> Result<usize, Errno> {
    if len < CPUMASK_BYTES || !len.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    let task = target(pid)?;
    write_user(mask, &(task.affinity() & online_mask()))?;
    Ok(CPUMASK_BYTES)
}

pub fn sys_sched_setaffinity(pid: i32, len: usize, mask: u64) -> Result<usize, Errno> {
    let mut bytes = [0u8; CPUMASK_BYTES];
    let n = len.min(CPUMASK_BYTES);
    crate::uaccess::copy_from_user(&mut bytes[..n], mask)?;
    let task = target(pid)?;
    if !super::priority::may_change(&task) {
        return Err(Errno::EPERM);
    }
    // CPUs beyond the first 64 do not exist here.
    let wanted = u64::from_le_bytes(bytes) & online_mask();
    if wanted == 0 {
        return Err(Errno::EINVAL);
    }
    crate::sched::set_affinity(&task, wanted);
    Ok(0)
}

/// getcpu(2): the CPU the caller runs on, and its NUMA node (one node).
pub fn sys_getcpu(cpu: u64, node: u64) -> Result<usize, Errno> {
    if cpu != 0 {
        write_user(cpu, &(cpu_index() as u32))?;
    }
    if node != 0 {
        write_user(node, &0u32)?;
    }
    Ok(0)
}
