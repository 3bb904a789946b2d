//! /proc/PID/stat, statm and status (and the same in task/TID), field for
//! field as Linux's fs/proc/array.c prints them. In a process's own
//! directory the figures are the whole process's (CPU time, threads,
//! pending signals); in task/TID they are the thread's.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write as _;
use core::sync::atomic::Ordering;

use abi::signal::SIGCHLD;

use super::maps::{usage, MemUsage};
use super::may_access;
use crate::proc::signal::sig_bit;
use crate::sched::task::{Pid, Task, TaskState};
use crate::time::{HZ, NSEC_PER_SEC};

/// Ticks (HZ) to clock ticks (USER_HZ), as /proc reports CPU time.
pub fn clock_t(ticks: u64) -> u64 {
    ticks * abi::USER_HZ / HZ
}

/// Nanoseconds of uptime to clock ticks.
pub fn ns_to_clock_t(ns: u64) -> u64 {
    ns / (NSEC_PER_SEC / abi::USER_HZ)
}

/// The state letter and name (Linux's task_state_array). A leader that
/// has exited while other threads run shows as a zombie, as in Linux.
fn state(task: &Task) -> (char, &'static str) {
    match task.state() {
        TaskState::Runnable => ('R', "running"),
        TaskState::Sleeping => ('S', "sleeping"),
        TaskState::DiskSleep => ('D', "disk sleep"),
        TaskState::Stopped => ('T', "stopped"),
        TaskState::Zombie(_) => ('Z', "zombie"),
        TaskState::Dead if task.is_leader() => ('Z', "zombie"),
        TaskState::Dead => ('X', "dead"),
    }
}

/// Signals ignored and caught (handled) by the process.
fn ignored_and_caught(task: &Task) -> (u64, u64) {
    let signals = task.signals.lock();
    let (mut ignored, mut caught) = (0, 0);
    for sig in 1..=64 {
        let a = signals.action(sig);
        if a.is_ignored() {
            ignored |= sig_bit(sig);
        } else if !a.is_default() {
            caught |= sig_bit(sig);
        }
    }
    (ignored, caught)
}

/// User and system CPU ticks: the whole process's, or one thread's.
fn cpu_ticks(task: &Task, thread: bool) -> (u64, u64) {
    if thread {
        (task.utime.load(Ordering::Relaxed), task.stime.load(Ordering::Relaxed))
    } else {
        (task.times.user.load(Ordering::Relaxed), task.times.system.load(Ordering::Relaxed))
    }
}

fn memory(task: &Task) -> Option<MemUsage> {
    task.mm().map(|mm| usage(&mm.lock()))
}

/// /proc/PID/stat: 52 fields on one line (proc(5)). The addresses and the
/// exit code are shown only to those allowed to trace the process.
pub fn stat(task: &Arc<Task>, pid: Pid, thread: bool) -> Vec<u8> {
    let permitted = may_access(task).is_ok();
    let (letter, _) = state(task);
    let (utime, stime) = cpu_ticks(task, thread);
    let t = &task.times;
    let (ignored, caught) = ignored_and_caught(task);
    let pending = task.thread_signals.lock().pending;
    let sched = task.sched_params();
    let priority = super::pid_sched::prio(&sched) - 100;
    let blocked = task.signal_mask.load(Ordering::Relaxed);
    let rss_limit = task.rlimits.lock().get(abi::RLIMIT_RSS).rlim_cur;
    let mm = task.mm();
    let (size, rss) = memory(task).map_or((0, 0), |u| (u.size, u.rss() / 4096));
    let info = mm.as_ref().filter(|_| permitted).map(|mm| {
        let m = mm.lock();
        (m.exec.clone(), m.brk_start)
    });
    let (exec, start_brk) = info.unwrap_or_default();
    let sleeping = permitted && task.is_sleeping();
    let exit_signal = if task.is_leader() { SIGCHLD } else { -1 };
    let exit_code = match task.state() {
        TaskState::Zombie(s) if permitted => s.wait_status(),
        _ => 0,
    };
    // The old signal fields carry only the first 31 signals.
    let old = |mask: u64| mask & 0x7fff_ffff;
    let mut s = format!(
        "{} ({}) {} {} {} {} 0 -1 0 0 0 0 0 ",
        pid,
        task.comm().as_str(),
        letter,
        task.ppid(),
        task.pgid(),
        task.sid()
    );
    let _ = write!(
        s,
        "{} {} {} {} {} {} {} 0 {} {} {} {} ",
        clock_t(utime),
        clock_t(stime),
        clock_t(t.children_user.load(Ordering::Relaxed)),
        clock_t(t.children_system.load(Ordering::Relaxed)),
        priority,
        sched.nice,
        task.thread_list().len().max(1),
        ns_to_clock_t(task.start_time),
        size,
        rss,
        rss_limit,
    );
    let _ = write!(
        s,
        "{} {} {} 0 0 {} {} {} {} {} 0 0 {} 0 {} {} 0 0 0 ",
        exec.start_code,
        exec.end_code,
        exec.start_stack,
        old(pending),
        old(blocked),
        old(ignored),
        old(caught),
        u8::from(sleeping),
        exit_signal,
        sched.rt_priority,
        sched.policy as i32,
    );
    let _ = writeln!(
        s,
        "{} {} {} {} {} {} {} {}",
        exec.start_data,
        exec.end_data,
        start_brk,
        exec.arg_start,
        exec.arg_end,
        exec.env_start,
        exec.env_end,
        exit_code
    );
    s.into_bytes()
}

/// /proc/PID/statm: size, resident, shared, text, lib, data, dirty (pages).
pub fn statm(task: &Task) -> Vec<u8> {
    let u = memory(task).unwrap_or_default();
    let p = |b: u64| b / 4096;
    format!("{} {} {} {} 0 {} 0\n", p(u.size), p(u.rss()), p(u.rss_file + u.rss_shmem), p(u.exe), p(u.data + u.stack))
        .into_bytes()
}

fn kb_line(s: &mut String, name: &str, bytes: u64) {
    let _ = writeln!(s, "{name}:\t{:8} kB", bytes / 1024);
}

/// The name as status shows it: `\` and newline escaped.
fn escaped_comm(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// /proc/PID/status: Linux's lines in Linux's order and spacing.
pub fn status(task: &Arc<Task>, thread: bool) -> Vec<u8> {
    let (_, state_name) = state(task);
    let (letter, _) = state(task);
    let cred = task.cred.lock().clone();
    let umask = task.fs.lock().umask;
    let fd_slots = task.files.lock().capacity();
    let mut s = String::new();
    let _ = writeln!(s, "Name:\t{}", escaped_comm(task.comm().as_str()));
    let _ = writeln!(s, "Umask:\t{umask:04o}");
    let _ = writeln!(s, "State:\t{letter} ({state_name})");
    let tid = task.pid;
    let _ = writeln!(s, "Tgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\nTracerPid:\t0", task.tgid, tid, task.ppid());
    let _ = writeln!(s, "Uid:\t{}\t{}\t{}\t{}", cred.uid, cred.euid, cred.suid, cred.fsuid);
    let _ = writeln!(s, "Gid:\t{}\t{}\t{}\t{}", cred.gid, cred.egid, cred.sgid, cred.fsgid);
    // The table's size: 64 slots, then powers of two as it grows.
    let _ = writeln!(s, "FDSize:\t{}", fd_slots.next_power_of_two().max(64));
    s.push_str("Groups:\t");
    for (i, g) in cred.groups.iter().enumerate() {
        let _ = write!(s, "{}{g}", if i > 0 { " " } else { "" });
    }
    s.push_str(" \n");
    let _ = writeln!(s, "NStgid:\t{}\nNSpid:\t{}\nNSpgid:\t{}\nNSsid:\t{}", task.tgid, tid, task.pgid(), task.sid());
    if let Some(u) = memory(task) {
        kb_line(&mut s, "VmPeak", u.peak);
        kb_line(&mut s, "VmSize", u.size);
        kb_line(&mut s, "VmLck", u.locked);
        kb_line(&mut s, "VmPin", 0);
        // The peak resident set is not tracked between reads: the
        // current one stands for it.
        kb_line(&mut s, "VmHWM", u.rss());
        kb_line(&mut s, "VmRSS", u.rss());
        kb_line(&mut s, "RssAnon", u.rss_anon);
        kb_line(&mut s, "RssFile", u.rss_file);
        kb_line(&mut s, "RssShmem", u.rss_shmem);
        kb_line(&mut s, "VmData", u.data);
        kb_line(&mut s, "VmStk", u.stack);
        kb_line(&mut s, "VmExe", u.exe);
        kb_line(&mut s, "VmLib", u.lib);
        kb_line(&mut s, "VmPTE", u.page_tables);
        kb_line(&mut s, "VmSwap", 0);
        kb_line(&mut s, "HugetlbPages", 0);
        s.push_str("CoreDumping:\t0\nTHP_enabled:\t0\n");
    }
    let threads = task.thread_list().len().max(1);
    let shared = task.signals.lock().shared.pending;
    let own = task.thread_signals.lock().pending;
    let queued = (shared.count_ones() + own.count_ones()) as u64;
    let sig_limit = task.rlimits.lock().get(abi::RLIMIT_SIGPENDING).rlim_cur;
    let (ignored, caught) = ignored_and_caught(task);
    let blocked = task.signal_mask.load(Ordering::Relaxed);
    let _ = writeln!(s, "Threads:\t{threads}\nSigQ:\t{queued}/{sig_limit}");
    let _ = writeln!(s, "SigPnd:\t{own:016x}\nShdPnd:\t{shared:016x}\nSigBlk:\t{blocked:016x}");
    let _ = writeln!(s, "SigIgn:\t{ignored:016x}\nSigCgt:\t{caught:016x}");
    // The bounding set holds every capability Linux 6.1 has (41).
    const ALL_CAPS: u64 = (1 << 41) - 1;
    let (inheritable, permitted, effective) = (cred.cap_inheritable, cred.cap_permitted, cred.cap_effective);
    let _ = writeln!(s, "CapInh:\t{inheritable:016x}\nCapPrm:\t{permitted:016x}\nCapEff:\t{effective:016x}");
    let _ = writeln!(s, "CapBnd:\t{ALL_CAPS:016x}\nCapAmb:\t{:016x}", 0);
    s.push_str("NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n");
    // No speculation controls are offered (PR_GET_SPECULATION_CTRL).
    s.push_str("Speculation_Store_Bypass:\tunknown\nSpeculationIndirectBranch:\tunsupported\n");
    s.push_str("Cpus_allowed:\t1\nCpus_allowed_list:\t0\nMems_allowed:\t1\nMems_allowed_list:\t0\n");
    let _ = writeln!(s, "voluntary_ctxt_switches:\t{}", switches(task, thread, true));
    let _ = writeln!(s, "nonvoluntary_ctxt_switches:\t{}", switches(task, thread, false));
    s.into_bytes()
}

/// Context switches of the thread, or of all the process's threads.
fn switches(task: &Task, thread: bool, voluntary: bool) -> u64 {
    let count = |t: &Task| if voluntary { t.nvcsw.load(Ordering::Relaxed) } else { t.nivcsw.load(Ordering::Relaxed) };
    if thread {
        return count(task);
    }
    let threads = task.threads.lock().iter().filter_map(alloc::sync::Weak::upgrade).collect::<Vec<_>>();
    threads.iter().map(|t| count(t)).sum()
}
