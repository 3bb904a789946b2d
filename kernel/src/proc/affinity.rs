//! sched_getaffinity(2) and sched_setaffinity(2), answered for the one CPU
//! this kernel runs on (with the pid table, which names their targets).

use abi::Errno;

use crate::uaccess::write_user;

/// The CPU mask in bytes: one `unsigned long`, as Linux with nr_cpu_ids <= 64.
const CPUMASK_BYTES: usize = 8;

pub fn sys_sched_getaffinity(pid: i32, len: usize, mask: u64) -> Result<usize, Errno> {
    if len < CPUMASK_BYTES || !len.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    if pid < 0 || (pid > 0 && crate::proc::pid::find(pid as u32).is_none()) {
        return Err(Errno::ESRCH);
    }
    write_user(mask, &1u64)?;
    Ok(CPUMASK_BYTES)
}

pub fn sys_sched_setaffinity(pid: i32, len: usize, mask: u64) -> Result<usize, Errno> {
    if pid < 0 || (pid > 0 && crate::proc::pid::find(pid as u32).is_none()) {
        return Err(Errno::ESRCH);
    }
    let mut bytes = [0u8; CPUMASK_BYTES];
    let n = len.min(CPUMASK_BYTES);
    crate::uaccess::copy_from_user(&mut bytes[..n], mask)?;
    // The only CPU is CPU 0: a mask without it names no usable CPU.
    if bytes[0] & 1 == 0 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}
