//! The other files of a process directory: cmdline and environ (read from
//! the process's memory), auxv, comm, limits, mounts and mountinfo,
//! oom_score and oom_score_adj, timerslack_ns, fdinfo/N; and the writable
//! ones (comm, oom_score_adj, timerslack_ns).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use core::sync::atomic::Ordering;

use abi::{Errno, RLIM_INFINITY};

use super::super::mountinfo::mounts;
use super::table::FileKind;
use crate::sched::current;
use crate::sched::task::{Comm, Task};

/// The most of cmdline or environ a read returns (Linux reads what the
/// area holds; this bounds a snapshot).
const MAX_AREA: u64 = 256 * 1024;

/// Reads [start, end) of the process's memory; what is not there (no
/// address space, pages gone) reads as nothing.
fn read_area(task: &Task, start: u64, end: u64) -> Vec<u8> {
    let Some(mm) = task.mm() else { return Vec::new() };
    let mm = mm.lock();
    let len = end.saturating_sub(start).min(MAX_AREA) as usize;
    let mut buf = alloc::vec![0u8; len];
    let n = mm.read_bytes(start, &mut buf);
    buf.truncate(n);
    buf
}

/// /proc/PID/cmdline: the argument strings, each NUL-terminated. A
/// program that wrote over the end of its arguments (setproctitle) shows
/// up to the first NUL of what it wrote, into the environment if it went
/// there, as Linux's get_mm_cmdline.
fn cmdline(task: &Task) -> Vec<u8> {
    let Some(mm) = task.mm() else { return Vec::new() };
    let info = mm.lock().exec.clone();
    let args = read_area(task, info.arg_start, info.arg_end);
    if args.last().is_none_or(|&b| b == 0) {
        return args;
    }
    let mut all = read_area(task, info.arg_start, info.env_end);
    if let Some(nul) = all.iter().position(|&b| b == 0) {
        all.truncate(nul + 1);
    }
    all
}

fn environ(task: &Task) -> Vec<u8> {
    let Some(mm) = task.mm() else { return Vec::new() };
    let info = mm.lock().exec.clone();
    read_area(task, info.env_start, info.env_end)
}

/// /proc/PID/auxv: the auxiliary vector as the program got it, AT_NULL
/// pair included, in machine words.
fn auxv(task: &Task) -> Vec<u8> {
    let Some(mm) = task.mm() else { return Vec::new() };
    let pairs = mm.lock().exec.auxv.clone();
    pairs.iter().chain(&[(0, 0)]).flat_map(|&(k, v)| k.to_le_bytes().into_iter().chain(v.to_le_bytes())).collect()
}

/// Linux's names and units of the resource limits, in number order.
const LIMITS: [(&str, &str); 16] = [
    ("Max cpu time", "seconds"),
    ("Max file size", "bytes"),
    ("Max data size", "bytes"),
    ("Max stack size", "bytes"),
    ("Max core file size", "bytes"),
    ("Max resident set", "bytes"),
    ("Max processes", "processes"),
    ("Max open files", "files"),
    ("Max locked memory", "bytes"),
    ("Max address space", "bytes"),
    ("Max file locks", "locks"),
    ("Max pending signals", "signals"),
    ("Max msgqueue size", "bytes"),
    ("Max nice priority", ""),
    ("Max realtime priority", ""),
    ("Max realtime timeout", "us"),
];

fn limits(task: &Task) -> Vec<u8> {
    let limits = task.rlimits.lock().clone();
    let mut s = format!("{:<25} {:<20} {:<20} {:<10}\n", "Limit", "Soft Limit", "Hard Limit", "Units");
    let show = |v: u64| if v == RLIM_INFINITY { String::from("unlimited") } else { format!("{v}") };
    for (i, (name, unit)) in LIMITS.iter().enumerate() {
        let l = limits.get(i as u32);
        let _ = write!(s, "{name:<25} {:<20} {:<20} ", show(l.rlim_cur), show(l.rlim_max));
        if !unit.is_empty() {
            let _ = write!(s, "{unit:<10}");
        }
        s.push('\n');
    }
    s.into_bytes()
}

/// /proc/PID/oom_score: Linux's oom_badness scaled to 0..2000: resident
/// and page-table pages as a share of RAM, plus oom_score_adj. init is
/// never chosen (0).
fn oom_score(task: &Task) -> u64 {
    if task.tgid == 1 {
        return 0;
    }
    let total = crate::mm::frame::total_count() as i64;
    let adj = i64::from(task.oom_score_adj.load(Ordering::Relaxed));
    let pages = task.mm().map_or(0, |mm| {
        let u = super::maps::usage(&mm.lock());
        (u.rss() + u.page_tables) / 4096
    }) as i64;
    let points = pages + adj * total / 1000;
    if total == 0 || points <= 0 {
        return 0;
    }
    (points * 1000 / total).clamp(0, 2000) as u64
}

pub fn generate(task: &Task, kind: FileKind) -> Result<Vec<u8>, Errno> {
    Ok(match kind {
        FileKind::PidCmdline => cmdline(task),
        FileKind::Environ => environ(task),
        FileKind::Auxv => auxv(task),
        FileKind::Comm => format!("{}\n", task.comm().as_str()).into_bytes(),
        FileKind::Limits => limits(task),
        FileKind::Mounts => mounts().iter().flat_map(|m| m.mounts_line()).collect(),
        FileKind::Mountinfo => mounts().iter().flat_map(|m| m.mountinfo_line()).collect(),
        FileKind::OomScore => format!("{}\n", oom_score(task)).into_bytes(),
        FileKind::OomScoreAdj => format!("{}\n", task.oom_score_adj.load(Ordering::Relaxed)).into_bytes(),
        FileKind::Personality => {
            super::may_access(task)?;
            format!("{:08x}\n", task.personality.load(Ordering::Relaxed)).into_bytes()
        }
        FileKind::TimerSlack => {
            may_change_timer_slack(task)?;
            format!("{}\n", task.timer_slack_ns.load(Ordering::Relaxed)).into_bytes()
        }
        _ => return Err(Errno::EINVAL),
    })
}

/// /proc/PID/fdinfo/N: offset, flags (close-on-exec included), mount id
/// and inode number.
pub fn fdinfo(task: &Task, fd: u32) -> Result<Vec<u8>, Errno> {
    let files = task.files.lock();
    let file = files.get(fd as i32).map_err(|_| Errno::ENOENT)?;
    let cloexec = files.cloexec(fd as i32).unwrap_or(false);
    drop(files);
    let mut flags = file.flags().bits();
    if cloexec {
        flags |= abi::OpenFlags::O_CLOEXEC.bits();
    }
    let path = file.path();
    let mut info =
        format!("pos:\t{}\nflags:\t0{:o}\nmnt_id:\t{}\nino:\t{}\n", file.pos(), flags, path.mnt.id, path.ino);
    // A pidfd's process: its pid, or -1 once reaped (Linux's fdinfo).
    if let Some(pidfd) = file.object::<crate::proc::pidfd::PidFd>() {
        let pid = pidfd.process().map_or(-1, |t| t.pid as i64);
        info.push_str(&format!("Pid:\t{pid}\nNSpid:\t{pid}\n"));
    }
    Ok(info.into_bytes())
}

/// A decimal written to a /proc file, with spaces and a newline around
/// it allowed (kstrtoint after strstrip).
pub fn parse_int(data: &[u8]) -> Result<i64, Errno> {
    let text = core::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
    text.trim().parse().map_err(|_| Errno::EINVAL)
}

pub fn write(task: &Task, kind: FileKind, data: &[u8]) -> Result<usize, Errno> {
    match kind {
        // Only a thread of the same process may rename (Linux's
        // comm_write); the bytes are kept as written, newline and all,
        // up to 15.
        FileKind::Comm => {
            if task.tgid != current().tgid {
                return Err(Errno::EINVAL);
            }
            task.set_comm(Comm::new(&data[..data.len().min(15)]));
            Ok(data.len())
        }
        // -1000..1000; below the floor only with CAP_SYS_RESOURCE (root),
        // whose setting becomes the floor (Linux's __set_oom_adj).
        FileKind::OomScoreAdj => {
            let value = parse_int(data)?;
            if !(-1000..=1000).contains(&value) {
                return Err(Errno::EINVAL);
            }
            let value = value as i32;
            let privileged = current().cred.lock().capable(abi::capability::CAP_SYS_RESOURCE);
            if value < task.oom_score_adj_min.load(Ordering::Relaxed) && !privileged {
                return Err(Errno::EACCES);
            }
            task.oom_score_adj.store(value, Ordering::Relaxed);
            if privileged {
                task.oom_score_adj_min.store(value, Ordering::Relaxed);
            }
            Ok(data.len())
        }
        // A thread's own, or any with CAP_SYS_NICE (root); 0 resets it.
        FileKind::TimerSlack => {
            may_change_timer_slack(task)?;
            let ns = u64::try_from(parse_int(data)?).map_err(|_| Errno::EINVAL)?;
            crate::proc::prctl::set_timer_slack(task, ns);
            Ok(data.len())
        }
        _ => Err(Errno::EINVAL),
    }
}

/// /proc/PID/timerslack_ns of another process needs privilege (Linux's
/// CAP_SYS_NICE check); one's own is free.
fn may_change_timer_slack(task: &Task) -> Result<(), Errno> {
    let me = current();
    if task.tgid == me.tgid || me.cred.lock().capable(abi::capability::CAP_SYS_NICE) {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}
