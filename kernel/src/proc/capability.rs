//! capget(2): root holds every capability, other users none.

use abi::Errno;

use crate::sched::current;
use crate::uaccess::{copy_to_user, read_user, write_user};

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
