//! seccomp(2) and prctl(PR_SET_SECCOMP) in strict mode, the original
//! seccomp: after it, the thread may only read, write, exit and return
//! from signal handlers; any other system call kills it with SIGKILL.
//! Like Linux, strict mode also takes the TSC away (RDTSC faults).
//! Filter mode (BPF programs) is not built: EINVAL, as on a Linux built
//! without CONFIG_SECCOMP_FILTER.

use core::sync::atomic::{AtomicBool, Ordering};

use abi::syscall::nr;
use abi::Errno;

use crate::sched::current;

const SECCOMP_MODE_DISABLED: usize = 0;
const SECCOMP_MODE_STRICT: u64 = 1;
/// seccomp(2)'s operation for strict mode.
const SECCOMP_SET_MODE_STRICT: u32 = 0;

/// Set once any thread enters strict mode: until then the check before
/// every system call costs one load, not a look-up of the current task.
static ANY_STRICT: AtomicBool = AtomicBool::new(false);

/// prctl(PR_GET_SECCOMP): 0 outside strict mode (inside it, the call
/// itself is not allowed and kills the thread).
pub fn get_mode() -> Result<usize, Errno> {
    Ok(SECCOMP_MODE_DISABLED)
}

/// prctl(PR_SET_SECCOMP, mode).
pub fn set_mode(mode: u64) -> Result<usize, Errno> {
    if mode != SECCOMP_MODE_STRICT {
        return Err(Errno::EINVAL);
    }
    let me = current();
    ANY_STRICT.store(true, Ordering::Relaxed);
    me.seccomp_strict.store(true, Ordering::Relaxed);
    // As Linux: no reading the TSC either (a timing channel).
    me.set_tsc_disabled(true);
    Ok(0)
}

/// seccomp(2): SECCOMP_SET_MODE_STRICT with no flags and no argument.
pub fn sys_seccomp(op: u32, flags: u32, args: u64) -> Result<usize, Errno> {
    if op != SECCOMP_SET_MODE_STRICT || flags != 0 || args != 0 {
        return Err(Errno::EINVAL);
    }
    set_mode(SECCOMP_MODE_STRICT)
}

/// Whether the calling thread may make system call `number` (checked
/// before every call).
pub fn allowed(number: usize) -> bool {
    !ANY_STRICT.load(Ordering::Relaxed)
        || !current().seccomp_strict.load(Ordering::Relaxed)
        || [nr::READ, nr::WRITE, nr::EXIT, nr::RT_SIGRETURN].contains(&number)
}
