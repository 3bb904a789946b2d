//! sysinfo(2): uptime, memory and process counts.

use abi::{Errno, Sysinfo};

use crate::mm::frame;
use crate::uaccess::write_user;

pub fn sys_sysinfo(info: u64) -> Result<usize, Errno> {
    let procs = crate::proc::pid::tasks_where(|_| true).len();
    let s = Sysinfo {
        uptime: (crate::time::uptime_ns() / crate::time::NSEC_PER_SEC) as i64,
        totalram: (frame::total_count() * 4096) as u64,
        freeram: (frame::free_count() * 4096) as u64,
        procs: procs.min(u16::MAX as usize) as u16,
        // sysinfo's loads use 16 fraction bits; the kernel keeps 11.
        loads: crate::sched::stats::loads().map(|l| l << (16 - crate::sched::stats::FSHIFT)),
        mem_unit: 1,
        ..Sysinfo::default()
    };
    write_user(info, &s)?;
    Ok(0)
}
