//! prctl(2): the process name, the parent-death signal, seccomp's strict
//! mode, whether the thread may read the TSC, its timer slack, and
//! whether the process reaps its orphaned descendants.

use core::sync::atomic::Ordering;

use abi::prctl::{
    PR_GET_CHILD_SUBREAPER, PR_GET_NAME, PR_GET_PDEATHSIG, PR_GET_SECCOMP, PR_GET_TIMERSLACK, PR_GET_TSC,
    PR_SET_CHILD_SUBREAPER, PR_SET_NAME, PR_SET_PDEATHSIG, PR_SET_SECCOMP, PR_SET_TIMERSLACK, PR_SET_TSC,
    PR_TSC_ENABLE, PR_TSC_SIGSEGV,
};
use abi::Errno;

use crate::sched::current;
use crate::sched::task::Comm;
use crate::uaccess::{copy_from_user_partial, copy_to_user, write_user};

/// Sets a thread's timer slack; 0 (or a negative long) gives back its
/// default, as Linux's PR_SET_TIMERSLACK and timerslack_ns do.
pub fn set_timer_slack(task: &crate::sched::task::Task, ns: u64) {
    let value = if ns as i64 <= 0 { task.default_timer_slack_ns.load(Ordering::Relaxed) } else { ns };
    task.timer_slack_ns.store(value, Ordering::Relaxed);
}

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
        PR_SET_PDEATHSIG if arg2 >= abi::signal::NSIG as u64 => Err(Errno::EINVAL),
        PR_SET_PDEATHSIG => {
            current().pdeath_signal.store(arg2 as i32, Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_TSC => {
            let mode = if current().tsc_disabled() { PR_TSC_SIGSEGV } else { PR_TSC_ENABLE };
            write_user(arg2, &mode).map(|_| 0)
        }
        PR_SET_TSC if arg2 == PR_TSC_ENABLE as u64 || arg2 == PR_TSC_SIGSEGV as u64 => {
            current().set_tsc_disabled(arg2 == PR_TSC_SIGSEGV as u64);
            Ok(0)
        }
        PR_SET_TSC => Err(Errno::EINVAL),
        PR_GET_SECCOMP => super::seccomp::get_mode(),
        PR_SET_CHILD_SUBREAPER => {
            current().child_subreaper.store(arg2 != 0, Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_CHILD_SUBREAPER => {
            write_user(arg2, &i32::from(current().child_subreaper.load(Ordering::Relaxed))).map(|_| 0)
        }
        PR_SET_TIMERSLACK => {
            set_timer_slack(&current(), arg2);
            Ok(0)
        }
        PR_GET_TIMERSLACK => Ok(current().timer_slack_ns.load(Ordering::Relaxed) as usize),
        PR_SET_SECCOMP => super::seccomp::set_mode(arg2),
        PR_GET_PDEATHSIG => write_user(arg2, &current().pdeath_signal.load(Ordering::Relaxed)).map(|_| 0),
        _ => Err(Errno::EINVAL),
    }
}
