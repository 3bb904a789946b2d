//! capget(2) and capset(2): a thread's effective, permitted and
//! inheritable capability sets (cred.rs keeps them), in the three layouts
//! of struct __user_cap_data_struct: version 1 (32 capabilities) and
//! versions 2 and 3 (64, two structures).

use alloc::vec::Vec;

use abi::capability::CAP_SETPCAP;
use abi::Errno;

use super::cred::ALL_CAPS;
use crate::sched::current;
use crate::uaccess::{copy_from_user, copy_to_user, read_user, write_user};

const LINUX_CAPABILITY_VERSION_1: u32 = 0x1998_0330;
const LINUX_CAPABILITY_VERSION_2: u32 = 0x2007_1026;
const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// The header's version and pid; an unknown version is EINVAL, after the
/// preferred one is written back (a probe with no data pointer then
/// gets 0 words). Returns the number of 32-bit words per set.
fn header(addr: u64, data: u64) -> Result<(usize, i32), Errno> {
    let [version, pid]: [u32; 2] = read_user(addr)?;
    let words = match version {
        LINUX_CAPABILITY_VERSION_1 => 1,
        LINUX_CAPABILITY_VERSION_2 | LINUX_CAPABILITY_VERSION_3 => 2,
        _ => {
            write_user(addr, &LINUX_CAPABILITY_VERSION_3)?;
            return if data == 0 { Ok((0, 0)) } else { Err(Errno::EINVAL) };
        }
    };
    Ok((words, pid as i32))
}

pub fn sys_capget(hdr: u64, data: u64) -> Result<usize, Errno> {
    let (words, pid) = header(hdr, data)?;
    if words == 0 {
        return Ok(0);
    }
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let task = if pid == 0 { current() } else { crate::proc::pid::find(pid as u32).ok_or(Errno::ESRCH)? };
    let c = task.cred.lock().clone();
    if data == 0 {
        return Ok(0);
    }
    // Per 32 bits: { effective, permitted, inheritable }.
    let mut out = Vec::new();
    for w in 0..words {
        for set in [c.cap_effective, c.cap_permitted, c.cap_inheritable] {
            out.extend_from_slice(&((set >> (32 * w)) as u32).to_le_bytes());
        }
    }
    copy_to_user(data, &out)?;
    Ok(0)
}

/// capset(2): the caller's own sets only (EPERM for another thread); the
/// permitted set may only shrink, the effective one stays within it, and
/// the inheritable one within the old inheritable and permitted sets
/// (and the bounding set, which holds everything), unless CAP_SETPCAP.
pub fn sys_capset(hdr: u64, data: u64) -> Result<usize, Errno> {
    let (words, pid) = header(hdr, data)?;
    if words == 0 {
        return Err(Errno::EINVAL);
    }
    let me = current();
    if pid != 0 && pid as u32 != me.pid {
        return Err(Errno::EPERM);
    }
    let mut raw = alloc::vec![0u8; words * 12];
    copy_from_user(&mut raw, data)?;
    let word = |i: usize| u64::from(u32::from_le_bytes([raw[i * 4], raw[i * 4 + 1], raw[i * 4 + 2], raw[i * 4 + 3]]));
    let (mut effective, mut permitted, mut inheritable) = (0, 0, 0);
    for w in 0..words {
        effective |= word(w * 3) << (32 * w);
        permitted |= word(w * 3 + 1) << (32 * w);
        inheritable |= word(w * 3 + 2) << (32 * w);
    }
    let (effective, permitted, inheritable) = (effective & ALL_CAPS, permitted & ALL_CAPS, inheritable & ALL_CAPS);
    let mut c = me.cred.lock();
    let allowed_inheritable = c.cap_inheritable | c.cap_permitted;
    if !c.capable(CAP_SETPCAP) && inheritable & !allowed_inheritable != 0 {
        return Err(Errno::EPERM);
    }
    if permitted & !c.cap_permitted != 0 || effective & !permitted != 0 {
        return Err(Errno::EPERM);
    }
    c.cap_effective = effective;
    c.cap_permitted = permitted;
    c.cap_inheritable = inheritable;
    Ok(0)
}
