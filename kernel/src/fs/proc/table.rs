//! What procfs holds: the fixed tree (/proc's own files, /proc/sys) and
//! the entries of every process directory, with Linux's names, modes and
//! order. Each file names the generator of its bytes (`FileKind`), each
//! symlink the maker of its target (`LinkKind`).

use abi::{S_IFDIR, S_IFLNK, S_IFREG};

use crate::mqueue::limits::Tunable;

/// A file whose bytes are made when it is read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FileKind {
    Cpuinfo,
    Meminfo,
    Vmstat,
    Stat,
    Uptime,
    Loadavg,
    Interrupts,
    Version,
    Filesystems,
    Cmdline,
    SysrqTrigger,
    Hostname,
    Domainname,
    Ostype,
    Osrelease,
    KernelVersion,
    PidMax,
    Tainted,
    MinFreeKbytes,
    DropCaches,
    EntropyAvail,
    Poolsize,
    BootId,
    Uuid,
    ThreadsMax,
    Printk,
    PipeUserPagesSoft,
    PipeUserPagesHard,
    NsLastPid,
    InotifyMaxUserInstances,
    InotifyMaxUserWatches,
    InotifyMaxQueuedEvents,
    OvercommitMemory,
    PipeMaxSize,
    OvercommitRatio,
    NetUnix,
    NetDev,
    NetRoute,
    NetIfInet6,
    NetTcp,
    NetUdp,
    NetTcp6,
    NetUdp6,
    Locks,
    Shmmax,
    Shmall,
    Shmmni,
    Sem,
    Msgmax,
    Msgmnb,
    Msgmni,
    SysvipcShm,
    SysvipcSem,
    SysvipcMsg,
    /// /proc/sys/fs/mqueue's limits.
    Mqueue(Tunable),
    // Per process (or thread).
    PidStat,
    Statm,
    Schedstat,
    Sched,
    Status,
    PidCmdline,
    Comm,
    Environ,
    Auxv,
    Maps,
    Smaps,
    Mem,
    Pagemap,
    Personality,
    Limits,
    Mounts,
    Mountinfo,
    OomScore,
    OomScoreAdj,
    TimerSlack,
    FdInfo,
}

/// A symlink whose target is made when it is read or followed. The
/// magic ones (exe, cwd, root, fd/N) lead to the file itself.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LinkKind {
    /// /proc/self: the caller's process directory.
    SelfLink,
    /// /proc/thread-self: the caller's thread directory.
    ThreadSelf,
    /// /proc/mounts: "self/mounts".
    Mounts,
    Exe,
    Cwd,
    Root,
    Fd,
}

/// The directories whose entries are made from the system's state.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DirKind {
    /// A directory of the fixed tree (/proc itself lists processes too).
    Fixed,
    /// /proc/PID and /proc/PID/task/TID.
    Process,
    /// /proc/PID/task: the process's threads.
    Task,
    /// /proc/PID/fd and /proc/PID/fdinfo: its open descriptors.
    Fd,
    FdInfo,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum What {
    Dir(DirKind),
    File(FileKind),
    Link(LinkKind),
}

/// An entry of the fixed tree: its directory (an index in `FIXED`), name,
/// type and permission bits.
pub struct Fixed {
    pub parent: usize,
    pub name: &'static str,
    pub mode: u32,
    pub what: What,
}

/// /proc itself.
pub const ROOT: usize = 0;
const SYS: usize = 14;
const SYS_KERNEL: usize = 15;
const SYS_VM: usize = 23;
const NET: usize = 27;
const SYSVIPC: usize = 37;
const SYS_FS: usize = 41;
const SYS_FS_MQUEUE: usize = 42;
const SYS_KERNEL_RANDOM: usize = 58;
const SYS_FS_INOTIFY: usize = 68;

const fn dir(parent: usize, name: &'static str) -> Fixed {
    Fixed { parent, name, mode: S_IFDIR | 0o555, what: What::Dir(DirKind::Fixed) }
}

const fn file(parent: usize, name: &'static str, perm: u32, kind: FileKind) -> Fixed {
    Fixed { parent, name, mode: S_IFREG | perm, what: What::File(kind) }
}

const fn link(parent: usize, name: &'static str, kind: LinkKind) -> Fixed {
    Fixed { parent, name, mode: S_IFLNK | 0o777, what: What::Link(kind) }
}

pub const FIXED_COUNT: usize = 72;

/// The fixed tree, each directory before its entries, in readdir order.
/// The directory constants above are indices in it: new entries go at
/// the end.
pub static FIXED: [Fixed; FIXED_COUNT] = [
    dir(ROOT, ""),
    file(ROOT, "cpuinfo", 0o444, FileKind::Cpuinfo),
    file(ROOT, "meminfo", 0o444, FileKind::Meminfo),
    file(ROOT, "stat", 0o444, FileKind::Stat),
    file(ROOT, "uptime", 0o444, FileKind::Uptime),
    file(ROOT, "loadavg", 0o444, FileKind::Loadavg),
    file(ROOT, "interrupts", 0o444, FileKind::Interrupts),
    file(ROOT, "version", 0o444, FileKind::Version),
    file(ROOT, "filesystems", 0o444, FileKind::Filesystems),
    file(ROOT, "cmdline", 0o444, FileKind::Cmdline),
    link(ROOT, "mounts", LinkKind::Mounts),
    file(ROOT, "sysrq-trigger", 0o200, FileKind::SysrqTrigger),
    link(ROOT, "self", LinkKind::SelfLink),
    link(ROOT, "thread-self", LinkKind::ThreadSelf),
    dir(ROOT, "sys"),
    dir(SYS, "kernel"),
    file(SYS_KERNEL, "hostname", 0o644, FileKind::Hostname),
    file(SYS_KERNEL, "domainname", 0o644, FileKind::Domainname),
    file(SYS_KERNEL, "ostype", 0o444, FileKind::Ostype),
    file(SYS_KERNEL, "osrelease", 0o444, FileKind::Osrelease),
    file(SYS_KERNEL, "version", 0o444, FileKind::KernelVersion),
    file(SYS_KERNEL, "pid_max", 0o644, FileKind::PidMax),
    file(SYS_KERNEL, "tainted", 0o644, FileKind::Tainted),
    dir(SYS, "vm"),
    file(SYS_VM, "min_free_kbytes", 0o644, FileKind::MinFreeKbytes),
    file(SYS_VM, "overcommit_memory", 0o644, FileKind::OvercommitMemory),
    file(SYS_VM, "overcommit_ratio", 0o644, FileKind::OvercommitRatio),
    dir(ROOT, "net"),
    file(NET, "unix", 0o444, FileKind::NetUnix),
    file(ROOT, "locks", 0o444, FileKind::Locks),
    file(SYS_KERNEL, "shmmax", 0o644, FileKind::Shmmax),
    file(SYS_KERNEL, "shmall", 0o644, FileKind::Shmall),
    file(SYS_KERNEL, "shmmni", 0o644, FileKind::Shmmni),
    file(SYS_KERNEL, "sem", 0o644, FileKind::Sem),
    file(SYS_KERNEL, "msgmax", 0o644, FileKind::Msgmax),
    file(SYS_KERNEL, "msgmnb", 0o644, FileKind::Msgmnb),
    file(SYS_KERNEL, "msgmni", 0o644, FileKind::Msgmni),
    dir(ROOT, "sysvipc"),
    file(SYSVIPC, "shm", 0o444, FileKind::SysvipcShm),
    file(SYSVIPC, "sem", 0o444, FileKind::SysvipcSem),
    file(SYSVIPC, "msg", 0o444, FileKind::SysvipcMsg),
    dir(SYS, "fs"),
    dir(SYS_FS, "mqueue"),
    file(SYS_FS_MQUEUE, "queues_max", 0o644, FileKind::Mqueue(Tunable::QueuesMax)),
    file(SYS_FS_MQUEUE, "msg_max", 0o644, FileKind::Mqueue(Tunable::MsgMax)),
    file(SYS_FS_MQUEUE, "msgsize_max", 0o644, FileKind::Mqueue(Tunable::MsgsizeMax)),
    file(SYS_FS_MQUEUE, "msg_default", 0o644, FileKind::Mqueue(Tunable::MsgDefault)),
    file(SYS_FS_MQUEUE, "msgsize_default", 0o644, FileKind::Mqueue(Tunable::MsgsizeDefault)),
    file(NET, "dev", 0o444, FileKind::NetDev),
    file(NET, "route", 0o444, FileKind::NetRoute),
    file(NET, "if_inet6", 0o444, FileKind::NetIfInet6),
    file(NET, "tcp", 0o444, FileKind::NetTcp),
    file(NET, "udp", 0o444, FileKind::NetUdp),
    file(NET, "tcp6", 0o444, FileKind::NetTcp6),
    file(NET, "udp6", 0o444, FileKind::NetUdp6),
    file(SYS_FS, "pipe-max-size", 0o644, FileKind::PipeMaxSize),
    file(ROOT, "vmstat", 0o444, FileKind::Vmstat),
    file(SYS_VM, "drop_caches", 0o200, FileKind::DropCaches),
    dir(SYS_KERNEL, "random"),
    file(SYS_KERNEL_RANDOM, "entropy_avail", 0o444, FileKind::EntropyAvail),
    file(SYS_KERNEL_RANDOM, "poolsize", 0o444, FileKind::Poolsize),
    file(SYS_KERNEL_RANDOM, "boot_id", 0o444, FileKind::BootId),
    file(SYS_KERNEL_RANDOM, "uuid", 0o444, FileKind::Uuid),
    file(SYS_KERNEL, "threads-max", 0o644, FileKind::ThreadsMax),
    file(SYS_KERNEL, "printk", 0o644, FileKind::Printk),
    file(SYS_FS, "pipe-user-pages-soft", 0o644, FileKind::PipeUserPagesSoft),
    file(SYS_FS, "pipe-user-pages-hard", 0o644, FileKind::PipeUserPagesHard),
    file(SYS_KERNEL, "ns_last_pid", 0o666, FileKind::NsLastPid),
    dir(SYS_FS, "inotify"),
    file(SYS_FS_INOTIFY, "max_user_instances", 0o644, FileKind::InotifyMaxUserInstances),
    file(SYS_FS_INOTIFY, "max_user_watches", 0o644, FileKind::InotifyMaxUserWatches),
    file(SYS_FS_INOTIFY, "max_queued_events", 0o644, FileKind::InotifyMaxQueuedEvents),
];

/// An entry of a process (or thread) directory.
pub struct PidEntry {
    pub name: &'static str,
    pub mode: u32,
    pub what: What,
    /// Only in /proc/PID, not in /proc/PID/task/TID.
    pub process_only: bool,
}

const fn pid_dir(name: &'static str, perm: u32, kind: DirKind, process_only: bool) -> PidEntry {
    PidEntry { name, mode: S_IFDIR | perm, what: What::Dir(kind), process_only }
}

const fn pid_file(name: &'static str, perm: u32, kind: FileKind) -> PidEntry {
    PidEntry { name, mode: S_IFREG | perm, what: What::File(kind), process_only: false }
}

const fn pid_link(name: &'static str, kind: LinkKind) -> PidEntry {
    PidEntry { name, mode: S_IFLNK | 0o777, what: What::Link(kind), process_only: false }
}

/// A process directory's entries, in Linux's order (tgid_base_stuff).
pub static PID_ENTRIES: [PidEntry; 26] = [
    pid_dir("task", 0o555, DirKind::Task, true),
    pid_dir("fd", 0o500, DirKind::Fd, false),
    pid_dir("fdinfo", 0o555, DirKind::FdInfo, false),
    pid_file("environ", 0o400, FileKind::Environ),
    pid_file("auxv", 0o400, FileKind::Auxv),
    pid_file("status", 0o444, FileKind::Status),
    pid_file("limits", 0o444, FileKind::Limits),
    pid_file("sched", 0o444, FileKind::Sched),
    pid_file("comm", 0o644, FileKind::Comm),
    pid_file("cmdline", 0o444, FileKind::PidCmdline),
    pid_file("stat", 0o444, FileKind::PidStat),
    pid_file("statm", 0o444, FileKind::Statm),
    pid_file("maps", 0o444, FileKind::Maps),
    pid_file("smaps", 0o444, FileKind::Smaps),
    pid_file("mem", 0o600, FileKind::Mem),
    pid_file("pagemap", 0o400, FileKind::Pagemap),
    pid_file("personality", 0o400, FileKind::Personality),
    pid_link("cwd", LinkKind::Cwd),
    pid_link("root", LinkKind::Root),
    pid_link("exe", LinkKind::Exe),
    pid_file("mounts", 0o444, FileKind::Mounts),
    pid_file("mountinfo", 0o444, FileKind::Mountinfo),
    pid_file("schedstat", 0o444, FileKind::Schedstat),
    pid_file("oom_score", 0o444, FileKind::OomScore),
    pid_file("oom_score_adj", 0o644, FileKind::OomScoreAdj),
    pid_file("timerslack_ns", 0o666, FileKind::TimerSlack),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_indices_name_their_directories() {
        for (index, name) in [
            (ROOT, ""),
            (SYS, "sys"),
            (SYS_KERNEL, "kernel"),
            (SYS_VM, "vm"),
            (NET, "net"),
            (SYSVIPC, "sysvipc"),
            (SYS_FS, "fs"),
            (SYS_FS_MQUEUE, "mqueue"),
            (SYS_KERNEL_RANDOM, "random"),
            (SYS_FS_INOTIFY, "inotify"),
        ] {
            assert_eq!(FIXED[index].name, name);
            assert!(matches!(FIXED[index].what, What::Dir(_)), "{name} is a directory");
        }
    }

    #[test]
    fn every_entry_has_a_directory_before_it_as_parent() {
        for (i, f) in FIXED.iter().enumerate().skip(1) {
            assert!(f.parent < i && matches!(FIXED[f.parent].what, What::Dir(_)), "{}", f.name);
        }
    }
}
