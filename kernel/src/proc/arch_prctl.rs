//! arch_prctl(2): the FS and GS base registers of the calling thread.

use abi::prctl::{ARCH_GET_FS, ARCH_GET_GS, ARCH_SET_FS, ARCH_SET_GS};
use abi::Errno;

use crate::arch;
use crate::sched::current;
use crate::uaccess::{write_user, USER_LIMIT};

pub fn sys_arch_prctl(code: i32, addr: u64) -> Result<usize, Errno> {
    match code {
        ARCH_SET_FS | ARCH_SET_GS if addr >= USER_LIMIT => Err(Errno::EPERM),
        ARCH_SET_FS => {
            current().set_fs_base(addr);
            arch::set_user_fs_base(addr);
            Ok(0)
        }
        ARCH_SET_GS => {
            arch::set_user_gs_base(addr);
            Ok(0)
        }
        ARCH_GET_FS => write_user(addr, &arch::user_fs_base()).map(|_| 0),
        ARCH_GET_GS => write_user(addr, &arch::user_gs_base()).map(|_| 0),
        // CPUID always works here: no CPUID faulting (no "cpuid_fault" in
        // /proc/cpuinfo), so it cannot be turned off, as on such CPUs.
        abi::prctl::ARCH_GET_CPUID => Ok(1),
        abi::prctl::ARCH_SET_CPUID => Err(Errno::ENODEV),
        _ => Err(Errno::EINVAL),
    }
}
