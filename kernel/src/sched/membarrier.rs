//! membarrier(2): a memory barrier on other CPUs, so that a program can
//! keep one side of its synchronisation free of fences. The expedited
//! commands interrupt the CPUs concerned (a function-call IPI, which is a
//! full barrier and a serialising instruction there) and wait for each.
//! There is no rseq, so its commands are refused as on a Linux built
//! without CONFIG_RSEQ.

use abi::sched::*;
use abi::Errno;

use super::current;
use machine::arch::percpu::online_mask;

/// What QUERY reports.
const SUPPORTED: i32 = MEMBARRIER_CMD_GLOBAL
    | MEMBARRIER_CMD_GLOBAL_EXPEDITED
    | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED
    | MEMBARRIER_CMD_PRIVATE_EXPEDITED
    | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED
    | MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE
    | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE;

pub fn sys_membarrier(cmd: i32, flags: u32, _cpu_id: i32) -> Result<usize, Errno> {
    let flags_allowed = if cmd == MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ { MEMBARRIER_CMD_FLAG_CPU } else { 0 };
    if flags & !flags_allowed != 0 {
        return Err(Errno::EINVAL);
    }
    match cmd {
        MEMBARRIER_CMD_QUERY => return Ok(SUPPORTED as usize),
        // Every CPU, for the global commands: those running a registered
        // process (GLOBAL_EXPEDITED) or any thread at all (GLOBAL) are
        // among them.
        MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED => machine::arch::ipi::sync_cpus(online_mask()),
        MEMBARRIER_CMD_PRIVATE_EXPEDITED => private_expedited(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)?,
        MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE => {
            private_expedited(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE)?
        }
        MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED
        | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED
        | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE => register(cmd)?,
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

/// Records that the calling process may use the commands `register`
/// stands for.
fn register(register: i32) -> Result<(), Errno> {
    let mm = current().mm().ok_or(Errno::EINVAL)?;
    mm.lock().membarrier_registered |= register as u32;
    Ok(())
}

/// A barrier on every CPU that runs the calling process's address space,
/// which must have registered (`register`), else EPERM.
fn private_expedited(register: i32) -> Result<(), Errno> {
    let mm = current().mm().ok_or(Errno::EINVAL)?;
    let cpus = {
        let space = mm.lock();
        if space.membarrier_registered & register as u32 == 0 {
            return Err(Errno::EPERM);
        }
        space.page_table().loaded_on()
    };
    machine::arch::ipi::sync_cpus(cpus);
    Ok(())
}
