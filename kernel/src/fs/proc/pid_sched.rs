//! /proc/PID/sched and schedstat (and the same in task/TID): the
//! scheduler's figures for one thread, in Linux's formats. A process's
//! directory shows its main thread's, as Linux's does.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write as _;
use core::sync::atomic::Ordering;

use crate::sched::task::{Pid, SchedParams, Task};

/// Linux's kernel priority: 100 + 20 + nice for the fair classes, 99 minus
/// the real-time priority for the real-time ones.
pub fn prio(params: &SchedParams) -> i32 {
    if params.policy.is_realtime() {
        99 - params.rt_priority as i32
    } else {
        120 + params.nice
    }
}

/// /proc/PID/schedstat: CPU time and run-queue wait (ns), and times run.
pub fn schedstat(task: &Task) -> Vec<u8> {
    let info = task.sched_info();
    format!("{} {} {}\n", info.exec_runtime, info.run_delay, info.pcount).into_bytes()
}

/// A time in ns as Linux's sched file prints it: ms with six decimals.
fn ms_line(s: &mut String, name: &str, ns: u64) {
    let _ = writeln!(s, "{name:<45}:{:>14}.{:06}", ns / 1_000_000, ns % 1_000_000);
}

fn count_line(s: &mut String, name: &str, value: i64) {
    let _ = writeln!(s, "{name:<45}:{value:>21}");
}

/// /proc/PID/sched: the thread's times, switches, weight, policy and
/// priority. Per-entity load tracking and NUMA figures are not kept, so
/// their lines are absent, as is the migration count, not kept either.
pub fn sched(task: &Arc<Task>, pid: Pid) -> Vec<u8> {
    let info = task.sched_info();
    let params = task.sched_params();
    let threads = task.thread_list().len().max(1);
    let (voluntary, involuntary) = (task.nvcsw.load(Ordering::Relaxed), task.nivcsw.load(Ordering::Relaxed));
    let mut s = format!("{} ({pid}, #threads: {threads})\n{}\n", task.comm().as_str(), "-".repeat(67));
    ms_line(&mut s, "se.exec_start", info.exec_start);
    ms_line(&mut s, "se.vruntime", info.vruntime);
    ms_line(&mut s, "se.sum_exec_runtime", info.exec_runtime);
    count_line(&mut s, "se.nr_migrations", 0);
    count_line(&mut s, "nr_switches", (voluntary + involuntary) as i64);
    count_line(&mut s, "nr_voluntary_switches", voluntary as i64);
    count_line(&mut s, "nr_involuntary_switches", involuntary as i64);
    // Linux shows the weight at its 64-bit fixed-point resolution.
    count_line(&mut s, "se.load.weight", (info.weight << 10) as i64);
    count_line(&mut s, "policy", params.policy as i64);
    count_line(&mut s, "prio", prio(&params) as i64);
    s.into_bytes()
}
