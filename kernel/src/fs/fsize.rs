//! RLIMIT_FSIZE, as Linux keeps it for regular files: a write that starts
//! at or past the limit fails with EFBIG and raises SIGXFSZ, one that
//! crosses it is cut short at the limit; growing a file past it
//! (truncate, ftruncate, fallocate) is EFBIG with SIGXFSZ too.

use abi::{Errno, RLIMIT_FSIZE, RLIM_INFINITY};

use crate::sched::current;

/// Sends SIGXFSZ to the caller: the signal layer registers it at boot.
static SIGXFSZ: spin::Once<fn()> = spin::Once::new();

pub fn set_sigxfsz_sender(send: fn()) {
    SIGXFSZ.call_once(|| send);
}

fn limit() -> u64 {
    current().rlimits.lock().get(RLIMIT_FSIZE).rlim_cur
}

fn too_big() -> Errno {
    if let Some(send) = SIGXFSZ.get() {
        send();
    }
    Errno::EFBIG
}

/// How much of a `len`-byte write at `pos` the limit allows.
pub fn write_len(pos: u64, len: usize) -> Result<usize, Errno> {
    let limit = limit();
    if limit == RLIM_INFINITY {
        return Ok(len);
    }
    if pos >= limit {
        return Err(too_big());
    }
    Ok(len.min((limit - pos).min(usize::MAX as u64) as usize))
}

/// Whether a file may grow from `old` to `new` bytes.
pub fn check_growth(old: u64, new: u64) -> Result<(), Errno> {
    let limit = limit();
    if new > old && limit != RLIM_INFINITY && new > limit {
        return Err(too_big());
    }
    Ok(())
}
