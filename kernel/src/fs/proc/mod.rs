//! procfs, Linux's process information filesystem, mounted with
//! `mount -t proc proc /proc`. Nothing in it is stored: an inode carries
//! a `ProcNode` that says what it shows (an entry of the fixed tree in
//! table.rs, a process or thread directory, one of its entries, a
//! descriptor), and a lookup, a readdir, a read or a readlink makes the
//! answer from the kernel's state at that moment, in Linux's formats.
//!
//! Inodes are made on lookup and kept in a cache of weak references, so a
//! file keeps its identity (inode number, a mount on it, a working
//! directory in it) while anything holds it. A process directory names
//! its process by pid and start time, so that a pid reused by another
//! process does not revive a directory of the old one: its lookups find
//! nothing and its files read ESRCH, as Linux's do.
//!
//! The files: cpuinfo.rs, system.rs (the other global files and
//! /proc/sys), pid_stat.rs (stat, statm, status), pid_files.rs (cmdline,
//! environ, comm, limits, mounts...), maps.rs; file.rs holds the open
//! files. Magic links (exe, cwd, root, fd/N) lead the path walk to the
//! file itself (namei.rs's `follow_magic_link`).
//!
//! Lock order: the inode cache lock is a leaf; task locks (files, fs,
//! credentials, address space, signals) are taken one at a time, never
//! under an inode lock.

mod cpuflags;
mod cpuinfo;
mod file;
mod maps;
mod pid_files;
mod pid_mem;
mod pid_sched;
mod pid_stat;
mod smaps;
mod system;
mod table;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

use abi::{dt_from_mode, Errno, OpenFlags, S_IFDIR, S_IFLNK, S_IFREG};
use spin::Mutex;

use super::d_path::{d_path, NamedPath};
use super::file::File;
use super::fs_type::FileSystemType;
use super::inode::Inode;
use super::mount::Mount;
use super::node_ops::NodeOperations;
use super::super_block::SuperBlock;
use crate::proc::pid;
use crate::sched::current;
use crate::sched::task::{Pid, Task, TaskState};
use table::{DirKind, FileKind, LinkKind, What, FIXED, PID_ENTRIES, ROOT};

/// A process (or thread) as its directory names it: the pid in /proc/PID,
/// the thread in /proc/PID/task/TID (0 in the process's own directory),
/// and the start time of the task they name.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Ids {
    pub pid: Pid,
    pub tid: Pid,
    pub start: u64,
}

/// What a procfs inode shows.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Kind {
    /// An entry of the fixed tree: an index in `table::FIXED`.
    Fixed(usize),
    /// /proc/PID or /proc/PID/task/TID.
    Process(Ids),
    /// An entry of such a directory: an index in `table::PID_ENTRIES`.
    PidEntry(Ids, usize),
    /// /proc/PID/fd/N and /proc/PID/fdinfo/N.
    Fd(Ids, u32),
    FdInfo(Ids, u32),
}

/// A procfs inode's content: what it shows, and its directory and name
/// there (for `..` and getcwd).
pub struct ProcNode {
    pub kind: Kind,
    pub parent: Option<Arc<Inode>>,
    pub name: Vec<u8>,
}

impl ProcNode {
    fn what(&self) -> What {
        match self.kind {
            Kind::Fixed(i) => FIXED[i].what,
            Kind::Process(_) => What::Dir(DirKind::Process),
            Kind::PidEntry(_, e) => PID_ENTRIES[e].what,
            Kind::Fd(..) => What::Link(LinkKind::Fd),
            Kind::FdInfo(..) => What::File(FileKind::FdInfo),
        }
    }

    /// The process directory this node is in, if any.
    fn ids(&self) -> Option<Ids> {
        match self.kind {
            Kind::Fixed(_) => None,
            Kind::Process(ids) | Kind::PidEntry(ids, _) | Kind::Fd(ids, _) | Kind::FdInfo(ids, _) => Some(ids),
        }
    }

    /// The task the node's process directory names: ESRCH once it is gone.
    fn task(&self) -> Result<Arc<Task>, Errno> {
        task_of(self.ids().ok_or(Errno::ESRCH)?)
    }
}

/// The task `ids` names, if it still exists (until it is reaped).
pub fn task_of(ids: Ids) -> Result<Arc<Task>, Errno> {
    let id = if ids.tid != 0 { ids.tid } else { ids.pid };
    pid::find(id).filter(|t| t.start_time == ids.start).ok_or(Errno::ESRCH)
}

pub static PROC: FileSystemType =
    FileSystemType { name: "proc", magic: abi::PROC_SUPER_MAGIC, nodev: true, mount: Some(new_mount) };

/// A new proc instance (Linux gives each mount its own superblock). No
/// mount options are supported (hidepid=, subset= are refused).
fn new_mount(source: Option<Vec<u8>>, sb_flags: u32, mnt_flags: u32, data: Option<&[u8]>) -> Result<Arc<Mount>, Errno> {
    if data.is_some_and(|d| d.split(|&b| b == b',').any(|o| !o.is_empty())) {
        return Err(Errno::EINVAL);
    }
    let source = source.unwrap_or_else(|| b"none".to_vec());
    let sb = SuperBlock::new(&PROC, sb_flags);
    let node = ProcNode { kind: Kind::Fixed(ROOT), parent: None, name: Vec::new() };
    let root = Inode::new_node(&sb, ino(Kind::Fixed(ROOT)), FIXED[ROOT].mode, 0, 0, Arc::new(node));
    sb.set_root(root.clone());
    Ok(Mount::create(sb, root, source, mnt_flags))
}

/// Inode numbers, fixed for what a node shows: the fixed tree's from 1,
/// a process's from its pid and thread, entry and descriptor.
fn ino(kind: Kind) -> u64 {
    let pid_ino =
        |ids: Ids, entry: u64, fd: u64| (u64::from(ids.pid) << 44) | (u64::from(ids.tid) << 28) | (entry << 21) | fd;
    match kind {
        Kind::Fixed(i) => 1 + i as u64,
        Kind::Process(ids) => pid_ino(ids, 0, 0),
        Kind::PidEntry(ids, e) => pid_ino(ids, 1 + e as u64, 0),
        Kind::Fd(ids, fd) => pid_ino(ids, 126, u64::from(fd)),
        Kind::FdInfo(ids, fd) => pid_ino(ids, 127, u64::from(fd)),
    }
}

/// A decimal name as procfs accepts it: digits, no leading zero.
fn parse_number(name: &[u8]) -> Option<u32> {
    if name.is_empty() || name.len() > 9 || (name.len() > 1 && name[0] == b'0') {
        return None;
    }
    core::str::from_utf8(name).ok()?.parse().ok()
}

/// The ids of a process directory for `task`, found by `pid`.
fn ids_for(pid: Pid, tid: Pid, task: &Task) -> Ids {
    Ids { pid, tid, start: task.start_time }
}

/// What entry `name` of directory `kind` shows, if it exists.
fn child_kind(kind: Kind, name: &[u8]) -> Result<Option<Kind>, Errno> {
    match kind {
        Kind::Fixed(i) => {
            let fixed = (1..FIXED.len()).find(|&j| FIXED[j].parent == i && FIXED[j].name.as_bytes() == name);
            if let Some(j) = fixed {
                return Ok(Some(Kind::Fixed(j)));
            }
            if i != ROOT {
                return Ok(None);
            }
            // Any task's id names a directory, threads' too (unlisted).
            let Some(pid) = parse_number(name) else { return Ok(None) };
            Ok(pid::find(pid).map(|t| Kind::Process(ids_for(pid, 0, &t))))
        }
        Kind::Process(ids) => {
            if task_of(ids).is_err() {
                return Ok(None);
            }
            let entry = PID_ENTRIES.iter().position(|e| e.name.as_bytes() == name && !(e.process_only && ids.tid != 0));
            Ok(entry.map(|e| Kind::PidEntry(ids, e)))
        }
        Kind::PidEntry(ids, e) => {
            let Ok(task) = task_of(ids) else { return Ok(None) };
            let Some(n) = parse_number(name) else { return Ok(None) };
            Ok(match PID_ENTRIES[e].what {
                What::Dir(DirKind::Task) => {
                    let thread = pid::find(n).filter(|t| t.tgid == task.tgid && !is_gone(t));
                    thread.map(|t| Kind::Process(ids_for(ids.pid, n, &t)))
                }
                What::Dir(DirKind::Fd) => task.files.lock().get(n as i32).ok().map(|_| Kind::Fd(ids, n)),
                What::Dir(DirKind::FdInfo) => task.files.lock().get(n as i32).ok().map(|_| Kind::FdInfo(ids, n)),
                _ => return Err(Errno::ENOTDIR),
            })
        }
        Kind::Fd(..) | Kind::FdInfo(..) => Err(Errno::ENOTDIR),
    }
}

fn is_gone(task: &Task) -> bool {
    matches!(task.state(), TaskState::Dead | TaskState::Zombie(_))
}

/// Mode, owner and group of the inode for `kind`. A process's files
/// belong to its effective user and group, as Linux's task_dump_owner.
fn attributes(kind: Kind) -> Result<(u32, u32, u32), Errno> {
    let (ids, mode) = match kind {
        Kind::Fixed(i) => return Ok((FIXED[i].mode, 0, 0)),
        Kind::Process(ids) => (ids, S_IFDIR | 0o555),
        Kind::PidEntry(ids, e) => (ids, PID_ENTRIES[e].mode),
        Kind::FdInfo(ids, _) => (ids, S_IFREG | 0o400),
        Kind::Fd(ids, fd) => {
            let flags = task_of(ids)?.files.lock().get(fd as i32)?.flags();
            let read = if flags.readable() { 0o500 } else { 0 };
            let write = if flags.writable() { 0o300 } else { 0 };
            (ids, S_IFLNK | read | write)
        }
    };
    let task = task_of(ids)?;
    let cred = task.cred.lock();
    Ok((mode, cred.euid, cred.egid))
}

/// The inodes made so far, by superblock device and kind; dead entries
/// are dropped when the map has grown.
static CACHE: Mutex<BTreeMap<(u64, Kind), Weak<Inode>>> = Mutex::new(BTreeMap::new());
static CACHE_PRUNE_AT: Mutex<usize> = Mutex::new(256);
/// Inodes of the cache that died since it was last pruned: a dead entry
/// still holds its inode's memory (a weak reference keeps the
/// allocation), so the cache is pruned after every 256 deaths too.
static CACHE_DEATHS: AtomicUsize = AtomicUsize::new(0);

impl Drop for ProcNode {
    fn drop(&mut self) {
        if CACHE_DEATHS.fetch_add(1, Ordering::Relaxed) + 1 < 256 {
            return;
        }
        // Only tried: the inode may die where the cache lock is held.
        if let Some(mut cache) = CACHE.try_lock() {
            cache.retain(|_, w| w.strong_count() > 0);
            CACHE_DEATHS.store(0, Ordering::Relaxed);
        }
    }
}

/// The inode for `kind` in `parent`: the cached one (its owner and mode
/// brought up to date, as Linux's pid_revalidate) or a new one.
fn instantiate(parent: &Arc<Inode>, kind: Kind, name: &[u8]) -> Result<Arc<Inode>, Errno> {
    let (mode, uid, gid) = attributes(kind)?;
    let key = (parent.sb.dev, kind);
    let cached = CACHE.lock().get(&key).and_then(Weak::upgrade);
    if let Some(inode) = cached {
        let mut i = inode.lock();
        (i.mode, i.uid, i.gid) = (mode, uid, gid);
        drop(i);
        return Ok(inode);
    }
    let node = ProcNode { kind, parent: Some(parent.clone()), name: name.to_vec() };
    let inode = Inode::new_node(&parent.sb, ino(kind), mode, uid, gid, Arc::new(node));
    let mut cache = CACHE.lock();
    cache.insert(key, Arc::downgrade(&inode));
    let mut prune_at = CACHE_PRUNE_AT.lock();
    if cache.len() >= *prune_at {
        cache.retain(|_, w| w.strong_count() > 0);
        *prune_at = (cache.len() * 2).max(256);
    }
    Ok(inode)
}

/// Looks `name` up in the procfs directory `dir` (Inode::lookup).
fn lookup(dir: &Arc<Inode>, node: &ProcNode, name: &[u8]) -> Result<Option<Arc<Inode>>, Errno> {
    match child_kind(node.kind, name)? {
        Some(kind) => match instantiate(dir, kind, name) {
            Ok(inode) => Ok(Some(inode)),
            // The process went away between the two steps.
            Err(Errno::ESRCH | Errno::EBADF) => Ok(None),
            Err(e) => Err(e),
        },
        None => Ok(None),
    }
}

/// One directory entry for getdents64: its offset cookie, name, inode
/// number and type.
pub struct DirEntry {
    pub cookie: u64,
    pub name: Vec<u8>,
    pub ino: u64,
    pub d_type: u8,
}

/// Where the processes start among /proc's offsets (after the fixed
/// entries), so that a reader resumes by pid, as Linux's TGID_OFFSET.
const PID_COOKIE_BASE: u64 = 2 + table::FIXED_COUNT as u64;

/// The entries of directory `node` (itself the inode `dir`), `.` and
/// `..` first, in offset order; of the processes in /proc, only up to
/// `room` from offset `from` on (a reader takes them a bufferful at a
/// time, and there may be tens of thousands).
pub fn list(dir: &Arc<Inode>, node: &ProcNode, from: u64, room: usize) -> Result<Vec<DirEntry>, Errno> {
    let parent = dir.parent_dir();
    let mut out = alloc::vec![
        DirEntry { cookie: 0, name: b".".to_vec(), ino: dir.ino, d_type: abi::DT_DIR },
        DirEntry { cookie: 1, name: b"..".to_vec(), ino: parent.ino, d_type: abi::DT_DIR },
    ];
    let mut add = |cookie: u64, name: Vec<u8>, kind: Kind, mode: u32| {
        out.push(DirEntry { cookie, name, ino: ino(kind), d_type: dt_from_mode(mode) });
    };
    match node.kind {
        Kind::Fixed(i) => {
            for (j, f) in FIXED.iter().enumerate().skip(1).filter(|(_, f)| f.parent == i) {
                add(2 + j as u64, f.name.as_bytes().to_vec(), Kind::Fixed(j), f.mode);
            }
            if i == ROOT {
                let first = Pid::try_from(from.saturating_sub(PID_COOKIE_BASE)).unwrap_or(Pid::MAX);
                for t in pid::tasks_from(first, room, |t| t.is_leader()) {
                    let kind = Kind::Process(ids_for(t.pid, 0, &t));
                    add(PID_COOKIE_BASE + u64::from(t.pid), format!("{}", t.pid).into_bytes(), kind, S_IFDIR);
                }
            }
        }
        Kind::Process(ids) => {
            task_of(ids).map_err(|_| Errno::ENOENT)?;
            for (e, entry) in PID_ENTRIES.iter().enumerate().filter(|(_, e)| !(e.process_only && ids.tid != 0)) {
                add(2 + e as u64, entry.name.as_bytes().to_vec(), Kind::PidEntry(ids, e), entry.mode);
            }
        }
        Kind::PidEntry(ids, e) => {
            let task = task_of(ids).map_err(|_| Errno::ENOENT)?;
            match PID_ENTRIES[e].what {
                What::Dir(DirKind::Task) => {
                    let mut threads = task.thread_list();
                    threads.sort_by_key(|t| t.pid);
                    for t in threads {
                        let kind = Kind::Process(ids_for(ids.pid, t.pid, &t));
                        add(2 + u64::from(t.pid), format!("{}", t.pid).into_bytes(), kind, S_IFDIR);
                    }
                }
                What::Dir(kind @ (DirKind::Fd | DirKind::FdInfo)) => {
                    let fds: Vec<i32> = task.files.lock().iter().map(|(fd, _, _)| fd).collect();
                    for fd in fds {
                        let (k, mode) = if kind == DirKind::Fd {
                            (Kind::Fd(ids, fd as u32), S_IFLNK)
                        } else {
                            (Kind::FdInfo(ids, fd as u32), S_IFREG)
                        };
                        add(2 + fd as u64, format!("{fd}").into_bytes(), k, mode);
                    }
                }
                _ => return Err(Errno::ENOTDIR),
            }
        }
        Kind::Fd(..) | Kind::FdInfo(..) => return Err(Errno::ENOTDIR),
    }
    Ok(out)
}

/// Linux's ptrace_may_access(PTRACE_MODE_READ_FSCREDS), which guards what
/// a process's files show of its memory and descriptors: the caller's
/// own process, a process whose user and group ids all match the
/// caller's filesystem ids, or any process for root.
pub fn may_access(task: &Task) -> Result<(), Errno> {
    let me = current();
    if me.tgid == task.tgid {
        return Ok(());
    }
    let mine = me.cred.lock().clone();
    let theirs = task.cred.lock().clone();
    if mine.may_access(&theirs, false) {
        Ok(())
    } else {
        Err(Errno::EACCES)
    }
}

/// Where a magic link (exe, cwd, root, fd/N) leads: the file itself.
/// None for the other symlinks. EACCES without ptrace access; ENOENT when
/// there is nothing (a zombie's executable, a closed descriptor).
fn magic_link(node: &ProcNode) -> Result<Option<NamedPath>, Errno> {
    let What::Link(kind) = node.what() else { return Ok(None) };
    if matches!(kind, LinkKind::SelfLink | LinkKind::ThreadSelf | LinkKind::Mounts) {
        return Ok(None);
    }
    let task = node.task().map_err(|_| Errno::ENOENT)?;
    may_access(&task)?;
    if matches!(task.state(), TaskState::Zombie(_)) {
        return Err(Errno::ENOENT);
    }
    let target = match (kind, node.kind) {
        (LinkKind::Exe, _) => {
            task.mm().and_then(|mm| mm.lock().exec.exe.as_ref()?.downcast_ref::<NamedPath>().cloned())
        }
        (LinkKind::Cwd, _) => Some(NamedPath { path: task.fs.lock().cwd.clone(), link: None }),
        (LinkKind::Root, _) => Some(NamedPath { path: task.fs.lock().root(), link: None }),
        (LinkKind::Fd, Kind::Fd(_, fd)) => task.files.lock().get(fd as i32).ok().map(|f| f.named_path()),
        _ => None,
    };
    target.map(Some).ok_or(Errno::ENOENT)
}

/// A procfs symlink's target as readlink shows it.
fn link_text(node: &ProcNode) -> Result<Vec<u8>, Errno> {
    let What::Link(kind) = node.what() else { return Err(Errno::EINVAL) };
    let me = current();
    Ok(match kind {
        LinkKind::SelfLink => format!("{}", me.tgid).into_bytes(),
        LinkKind::ThreadSelf => format!("{}/task/{}", me.tgid, me.pid).into_bytes(),
        LinkKind::Mounts => b"self/mounts".to_vec(),
        _ => {
            let target = magic_link(node)?.ok_or(Errno::ENOENT)?;
            // A descriptor's file may name itself (anon_inode:[eventfd]).
            match (kind, node.kind) {
                (LinkKind::Fd, Kind::Fd(_, fd)) => match node.task()?.files.lock().get(fd as i32) {
                    Ok(file) => file.name(),
                    Err(_) => d_path(&target.path, target.link.as_ref()),
                },
                _ => d_path(&target.path, target.link.as_ref()),
            }
        }
    })
}

/// Opens a procfs file or directory (open.rs's open_inode).
fn open(inode: &Arc<Inode>, node: &Arc<ProcNode>, _flags: OpenFlags) -> Result<alloc::boxed::Box<dyn File>, Errno> {
    use alloc::boxed::Box;
    match node.what() {
        What::Dir(kind) => {
            if matches!(kind, DirKind::Fd | DirKind::FdInfo) {
                may_access(&*node.task()?)?;
            }
            Ok(Box::new(file::ProcDir::new(inode.clone(), node.clone())))
        }
        What::File(kind) => {
            if matches!(kind, FileKind::Environ | FileKind::Auxv | FileKind::FdInfo) {
                may_access(&*node.task()?)?;
            }
            if matches!(kind, FileKind::Mem | FileKind::Pagemap) {
                return pid_mem::open(&node.task()?, kind);
            }
            Ok(Box::new(file::ProcFile::new(node.clone(), kind)))
        }
        What::Link(_) => Err(Errno::ELOOP),
    }
}

/// The bytes of file `kind` now.
fn generate(node: &ProcNode, kind: FileKind) -> Result<Vec<u8>, Errno> {
    if let Some(bytes) = system::generate(kind) {
        return bytes;
    }
    let task = node.task()?;
    let thread = node.ids().is_some_and(|ids| ids.tid != 0);
    let pid = node.ids().map_or(task.pid, |ids| if ids.tid != 0 { ids.tid } else { ids.pid });
    match kind {
        FileKind::PidStat => Ok(pid_stat::stat(&task, pid, thread)),
        FileKind::Statm => Ok(pid_stat::statm(&task)),
        FileKind::Schedstat => Ok(pid_sched::schedstat(&task)),
        FileKind::Sched => Ok(pid_sched::sched(&task, pid)),
        FileKind::Status => Ok(pid_stat::status(&task, thread)),
        FileKind::Maps => Ok(maps::maps(&task)),
        FileKind::Smaps => Ok(smaps::smaps(&task)),
        FileKind::FdInfo => match node.kind {
            Kind::FdInfo(_, fd) => pid_files::fdinfo(&task, fd),
            _ => Err(Errno::EINVAL),
        },
        _ => pid_files::generate(&task, kind),
    }
}

/// A write to file `kind`.
fn write(node: &ProcNode, kind: FileKind, data: &[u8]) -> Result<usize, Errno> {
    if let Some(result) = system::write(kind, data) {
        return result;
    }
    pid_files::write(&*node.task()?, kind, data)
}

/// The VFS reaches procfs's nodes through these operations.
impl NodeOperations for ProcNode {
    fn lookup(&self, dir: &Arc<Inode>, name: &[u8]) -> Result<Option<Arc<Inode>>, Errno> {
        lookup(dir, self, name)
    }

    fn read_link(&self) -> Result<Vec<u8>, Errno> {
        link_text(self)
    }

    fn magic_link(&self) -> Result<Option<NamedPath>, Errno> {
        magic_link(self)
    }

    fn parent(&self) -> Option<Arc<Inode>> {
        self.parent.clone()
    }

    fn name(&self) -> &[u8] {
        &self.name
    }

    fn open(self: Arc<Self>, inode: &Arc<Inode>, flags: OpenFlags) -> Result<alloc::boxed::Box<dyn File>, Errno> {
        open(inode, &self, flags)
    }

    fn process(&self) -> Option<Arc<Task>> {
        match self.kind {
            Kind::Process(ids) if ids.tid == 0 => task_of(ids).ok(),
            _ => None,
        }
    }
}
