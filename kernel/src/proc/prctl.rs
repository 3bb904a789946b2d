//! prctl(2) (the process name), capget(2), and the CPU-affinity calls,
//! answered for the one CPU this kernel runs on.

use abi::prctl::{PR_GET_NAME, PR_SET_NAME};
use abi::Errno;

use crate::sched::current;
use crate::sched::task::Comm;
use crate::uaccess::{copy_from_user_partial, copy_to_user, read_user, write_user};

pub fn sys_prctl(option: i32, arg2: u64) -> Result<usize, Errno> {
    match option {
        PR_SET_NAME => {
            let mut name = [0u8; 16];
            let n = copy_from_user_partial(&mut name[..15], arg2)?;
            if n == 0 {
                return Err(Errno::EFAULT);
            }
            let len = name[..n].iter().position(|&b| b == 0).unwrap_or(n);
            current().set_comm(Comm::new(&name[..len]));
            Ok(0)
        }
        PR_GET_NAME => {
            let comm = current().comm();
            let mut name = [0u8; 16];
            name[..comm.as_str().len()].copy_from_slice(comm.as_str().as_bytes());
            copy_to_user(arg2, &name)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

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

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
/// Every capability Linux 6.1 knows (CAP_LAST_CAP = 40).
const ALL_CAPS: u64 = (1 << 41) - 1;

/// capget: root holds every capability, other users none.
pub fn sys_capget(header: u64, data: u64) -> Result<usize, Errno> {
    let [version, pid]: [u32; 2] = read_user(header)?;
    let pid = pid as i32;
    if version != LINUX_CAPABILITY_VERSION_3 && version != 0x1998_0330 && version != 0x2007_1026 {
        write_user(header, &[LINUX_CAPABILITY_VERSION_3, pid as u32])?;
        // A probe (no data pointer) learns the version and succeeds.
        return if data == 0 { Ok(0) } else { Err(Errno::EINVAL) };
    }
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let task = if pid == 0 { current() } else { crate::proc::pid::find(pid as u32).ok_or(Errno::ESRCH)? };
    let caps = if task.cred.lock().is_privileged() { ALL_CAPS } else { 0 };
    if data == 0 {
        return Ok(0);
    }
    let words = if version == 0x1998_0330 { 1 } else { 2 };
    // struct __user_cap_data_struct { effective, permitted, inheritable } per 32 bits.
    let mut out = [0u32; 6];
    for w in 0..words {
        let part = (caps >> (32 * w)) as u32;
        out[w * 3] = part;
        out[w * 3 + 1] = part;
    }
    let bytes: alloc::vec::Vec<u8> = out[..words * 3].iter().flat_map(|v| v.to_le_bytes()).collect();
    copy_to_user(data, &bytes)?;
    Ok(0)
}
