//! personality(2): a thread's execution-domain flags. The value is kept,
//! inherited by fork and clone and reported in /proc/PID/personality; the
//! flags with an effect here are Linux's ones for x86-64 programs:
//! STICKY_TIMEOUTS (select, pselect and ppoll leave their timeout alone),
//! UNAME26 (uname reports a 2.6 release) and READ_IMPLIES_EXEC (readable
//! mappings are executable), which exec of a 64-bit program clears.

use core::sync::atomic::Ordering;

use abi::Errno;

use abi::personality::READ_IMPLIES_EXEC;

use crate::sched::current;

/// Only asks: the persona is left as it is.
const QUERY: u32 = 0xffff_ffff;

pub fn sys_personality(persona: u32) -> Result<usize, Errno> {
    let task = current();
    let old = task.personality.load(Ordering::Relaxed);
    if persona != QUERY {
        task.personality.store(persona, Ordering::Relaxed);
    }
    Ok(old as usize)
}

/// What exec keeps of the persona: all but READ_IMPLIES_EXEC, which a
/// 64-bit program does not ask for (Linux's set_personality_64bit).
pub fn on_exec(persona: u32) -> u32 {
    persona & !READ_IMPLIES_EXEC
}
