//! Open files and the per-process descriptor table.
//!
//! An `OpenFile` is Linux's open file description: shared by descriptors
//! made with dup and inherited over fork, it holds the status flags
//! (O_NONBLOCK, O_APPEND...), the file offset and the path (mount and
//! inode) the file was opened from, which keeps the mount busy. The
//! close-on-exec flag belongs to the descriptor, so it lives in the table.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use abi::{Errno, OpenFlags};

use super::d_path::{Link, NamedPath};
use super::inode::Inode;
use super::mount::{pipe_mount, Path};
use crate::sched::wait::WaitQueue;

/// What an open file can do. Defaults are Linux's answers for a file that
/// does not support the operation.
///
/// Stream files (pipes, terminals, most devices) implement `read`/`write`
/// and have no offset. Files with an offset (regular files, directories)
/// say so with `positioned` and implement `read_at`/`write_at`; the open
/// file description keeps the offset and passes it in.
pub trait File: Send + Sync {
    fn read(&self, _buf: &mut [u8], _flags: OpenFlags) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn write(&self, _buf: &[u8], _flags: OpenFlags) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn ioctl(&self, _cmd: u32, _arg: u64) -> Result<usize, Errno> {
        Err(Errno::ENOTTY)
    }

    /// True for files whose reads and writes happen at the file offset.
    fn positioned(&self) -> bool {
        false
    }

    /// True for stream files that never block and fill any buffer (the
    /// memory devices): a large read asks them again rather than
    /// returning a short count.
    fn never_blocks(&self) -> bool {
        self.positioned()
    }

    /// Reads at `pos` (pread64, and read for positioned files).
    fn read_at(&self, _buf: &mut [u8], _pos: u64) -> Result<usize, Errno> {
        Err(Errno::ESPIPE)
    }

    /// Writes at `pos` (or at the end under O_APPEND); returns the count
    /// and the offset just past the bytes written.
    fn write_at(&self, _buf: &[u8], _pos: u64, _flags: OpenFlags) -> Result<(usize, u64), Errno> {
        Err(Errno::ESPIPE)
    }

    /// lseek: the new offset, from the current one `pos`.
    fn seek(&self, _pos: u64, _offset: i64, _whence: i32) -> Result<u64, Errno> {
        Err(Errno::ESPIPE)
    }

    /// getdents64: fills `out` with records from `*pos` on and advances it.
    fn getdents(&self, _out: &mut [u8], _pos: &mut u64) -> Result<usize, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// A process (`tgid`) closed a descriptor of the file, one of maybe
    /// several (Linux's f_op->flush): a message queue forgets the
    /// process's mq_notify registration.
    fn flush(&self, _tgid: u32) {}

    /// fsync/fdatasync: files that cannot be synced say EINVAL, as Linux.
    fn fsync(&self) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }

    /// poll/select: the POLL* events ready now. Files that never block
    /// are always ready (Linux's DEFAULT_POLLMASK).
    fn poll(&self) -> i16 {
        abi::POLLIN | abi::POLLOUT | abi::POLLRDNORM | abi::POLLWRNORM
    }

    /// Whether the file has a poll of its own (Linux's file_can_poll):
    /// epoll refuses the others with EPERM, though poll(2) calls them
    /// always ready.
    fn can_poll(&self) -> bool {
        false
    }

    /// The queues woken whenever the file's readiness changes: epoll
    /// watches them instead of polling the file each time. A pollable
    /// file without them is looked at on every epoll_wait.
    fn wait_queues(&self) -> Vec<&WaitQueue> {
        Vec::new()
    }

    /// When the file turns ready by itself if nothing wakes a queue
    /// before (a timer's expiry, in ns of uptime).
    fn poll_deadline(&self) -> Option<u64> {
        None
    }

    /// A count that grows with every event on the file (data arriving),
    /// for edge-triggered epoll: a new event reports again even if the
    /// file was ready already.
    fn event_count(&self) -> u64 {
        0
    }

    /// The kind an anonymous-inode file shows in /proc (`anon_inode:[eventfd]`).
    fn anon_name(&self) -> Option<&'static str> {
        None
    }

    /// The file's own object, for the calls that take it back by its type
    /// (epoll_ctl's epoll, timerfd_settime's timer, signalfd's mask).
    fn object(&self) -> Option<&dyn Any> {
        None
    }

    /// A socket's protocol object, which the socket calls (net/) take
    /// back by its type; None for every other file (ENOTSOCK).
    fn socket(&self) -> Option<&dyn Any> {
        None
    }
}

pub struct OpenFile {
    file: Box<dyn File>,
    flags: AtomicU32,
    /// The file offset (f_pos). Two threads on different CPUs that read or
    /// write one descriptor at once may both use the same offset: Linux
    /// serialises them with f_pos_lock, which is not done here yet.
    pos: AtomicU64,
    path: Path,
    /// Where the path walk found the file, for its name in /proc.
    link: Option<Link>,
    /// Counted among its mount's writers (a regular file opened for
    /// writing), which a remount read-only waits for.
    writer: bool,
}

/// Status flags F_SETFL may change (Linux's SETFL_MASK, less O_DIRECT,
/// which no file here honours, and O_NOATIME, fixed at open here).
const SETTABLE_FLAGS: u32 = OpenFlags::O_APPEND.bits() | OpenFlags::O_NONBLOCK.bits() | OpenFlags::O_ASYNC.bits();

impl OpenFile {
    /// An open file over an inode no path reaches (a pipe's).
    pub fn with_inode(file: impl File + 'static, flags: OpenFlags, inode: Arc<Inode>) -> Arc<OpenFile> {
        Self::from_box(Box::new(file), flags, Path::new(pipe_mount(), inode))
    }

    /// An open file of `path`. A regular file open for writing counts as
    /// a writer of its mount.
    pub fn from_box(file: Box<dyn File>, flags: OpenFlags, path: Path) -> Arc<OpenFile> {
        Self::from_box_named(file, flags, path, None)
    }

    /// An open file of `path`, found as `link` (d_path.rs).
    pub fn from_box_named(file: Box<dyn File>, flags: OpenFlags, path: Path, link: Option<Link>) -> Arc<OpenFile> {
        let writer = flags.writable() && !flags.contains(OpenFlags::O_PATH) && path.is_regular();
        if writer {
            path.mnt.get_write();
            path.inode.write_access.add_writer();
        }
        path.mnt.touch();
        let (flags, pos) = (AtomicU32::new(flags.bits()), AtomicU64::new(0));
        Arc::new(OpenFile { file, flags, pos, path, link, writer })
    }

    /// A file the kernel made without an open (memfd_create, as Linux's
    /// alloc_file_pseudo): its write access counts neither against its
    /// mount nor against executing it (runc's memfd fexecve).
    pub fn pseudo(file: Box<dyn File>, flags: OpenFlags, path: Path, link: Option<Link>) -> Arc<OpenFile> {
        path.mnt.touch();
        let (flags, pos) = (AtomicU32::new(flags.bits()), AtomicU64::new(0));
        Arc::new(OpenFile { file, flags, pos, path, link, writer: false })
    }

    pub fn flags(&self) -> OpenFlags {
        OpenFlags::from_bits_retain(self.flags.load(Ordering::Relaxed))
    }

    pub fn set_status_flags(&self, flags: u32) {
        let keep = self.flags.load(Ordering::Relaxed) & !SETTABLE_FLAGS;
        self.flags.store(keep | (flags & SETTABLE_FLAGS), Ordering::Relaxed);
    }

    pub fn inode(&self) -> &Arc<Inode> {
        &self.path.inode
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory and name it was opened through, if any.
    pub fn link(&self) -> Option<&Link> {
        self.link.as_ref()
    }

    /// The file and where it was found: what /proc/PID/fd/N leads to.
    pub fn named_path(&self) -> NamedPath {
        NamedPath { path: self.path.clone(), link: self.link.clone() }
    }

    /// The file's name as /proc shows it (d_path.rs).
    pub fn name(&self) -> Vec<u8> {
        if let Some(kind) = self.file.anon_name() {
            return alloc::format!("anon_inode:[{kind}]").into_bytes();
        }
        super::d_path::d_path(&self.path, self.link.as_ref())
    }

    pub fn is_path(&self) -> bool {
        self.flags().contains(OpenFlags::O_PATH)
    }

    pub fn positioned(&self) -> bool {
        self.file.positioned()
    }

    pub fn never_blocks(&self) -> bool {
        self.file.never_blocks()
    }

    pub fn pos(&self) -> u64 {
        self.pos.load(Ordering::Relaxed)
    }

    pub fn set_pos(&self, pos: u64) {
        self.pos.store(pos, Ordering::Relaxed);
    }

    fn check_readable(&self) -> Result<(), Errno> {
        if self.flags().readable() && !self.is_path() {
            Ok(())
        } else {
            Err(Errno::EBADF)
        }
    }

    fn check_writable(&self) -> Result<(), Errno> {
        if self.flags().writable() && !self.is_path() {
            Ok(())
        } else {
            Err(Errno::EBADF)
        }
    }

    /// Reads at the file offset (positioned files) or from the stream,
    /// without advancing the offset: see `advance`.
    pub fn read_at_pos(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        self.read_at_pos_with(buf, OpenFlags::empty())
    }

    /// As `read_at_pos`, with `extra` flags for this read only (preadv2's
    /// RWF_NOWAIT is O_NONBLOCK).
    pub fn read_at_pos_with(&self, buf: &mut [u8], extra: OpenFlags) -> Result<usize, Errno> {
        self.check_readable()?;
        if self.positioned() {
            self.file.read_at(buf, self.pos())
        } else {
            self.file.read(buf, self.flags() | extra)
        }
    }

    /// Moves the offset past `n` bytes read by `read_at_pos`, once they
    /// reached user memory.
    pub fn advance(&self, n: usize) {
        if self.positioned() {
            self.pos.fetch_add(n as u64, Ordering::Relaxed);
        }
    }

    pub fn write(&self, buf: &[u8]) -> Result<usize, Errno> {
        self.write_with(buf, OpenFlags::empty())
    }

    /// As `write`, with `extra` flags for this write only (pwritev2's
    /// RWF_APPEND is O_APPEND, RWF_NOWAIT O_NONBLOCK).
    pub fn write_with(&self, buf: &[u8], extra: OpenFlags) -> Result<usize, Errno> {
        self.check_writable()?;
        if !self.positioned() {
            return self.file.write(buf, self.flags() | extra);
        }
        let (n, end) = self.file.write_at(buf, self.pos(), self.flags() | extra)?;
        self.set_pos(end);
        Ok(n)
    }

    /// pread64: at `pos`, leaving the offset alone.
    pub fn pread(&self, buf: &mut [u8], pos: u64) -> Result<usize, Errno> {
        self.check_readable()?;
        self.file.read_at(buf, pos)
    }

    /// pwrite64: at `pos` (at the end under O_APPEND, as Linux does),
    /// leaving the offset alone.
    pub fn pwrite(&self, buf: &[u8], pos: u64) -> Result<usize, Errno> {
        self.pwrite_with(buf, pos, OpenFlags::empty())
    }

    /// As `pwrite`, with `extra` flags for this write only.
    pub fn pwrite_with(&self, buf: &[u8], pos: u64, extra: OpenFlags) -> Result<usize, Errno> {
        self.check_writable()?;
        self.file.write_at(buf, pos, self.flags() | extra).map(|(n, _)| n)
    }

    pub fn seek(&self, offset: i64, whence: i32) -> Result<u64, Errno> {
        let pos = self.file.seek(self.pos(), offset, whence)?;
        self.set_pos(pos);
        Ok(pos)
    }

    pub fn getdents(&self, out: &mut [u8]) -> Result<usize, Errno> {
        let mut pos = self.pos();
        let n = self.file.getdents(out, &mut pos)?;
        self.set_pos(pos);
        Ok(n)
    }

    pub fn fsync(&self) -> Result<(), Errno> {
        self.file.fsync()
    }

    pub fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        self.file.ioctl(cmd, arg)
    }

    pub fn poll(&self) -> i16 {
        self.file.poll()
    }

    pub fn socket(&self) -> Option<&dyn Any> {
        self.file.socket()
    }

    /// The file's object as type `T`, if it is one.
    pub fn object<T: 'static>(&self) -> Option<&T> {
        self.file.object()?.downcast_ref::<T>()
    }

    pub fn can_poll(&self) -> bool {
        self.file.can_poll()
    }

    pub fn poll_deadline(&self) -> Option<u64> {
        self.file.poll_deadline()
    }

    pub fn wait_queues(&self) -> Vec<&WaitQueue> {
        self.file.wait_queues()
    }

    pub fn event_count(&self) -> u64 {
        self.file.event_count()
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        if !self.is_path() {
            let closed =
                if self.flags().writable() { super::notify::IN_CLOSE_WRITE } else { super::notify::IN_CLOSE_NOWRITE };
            super::notify::notify_file(self, closed);
        }
        super::locks::release_file(self);
        if self.writer {
            self.path.mnt.put_write();
            self.path.inode.write_access.remove_writer();
        }
    }
}

/// Linux's default RLIMIT_NOFILE soft limit.
pub const MAX_FDS: usize = 1024;
/// The most descriptors RLIMIT_NOFILE may allow (Linux's fs.nr_open).
pub const NR_OPEN: usize = 1 << 20;

#[derive(Clone)]
struct FdEntry {
    file: Arc<OpenFile>,
    cloexec: bool,
}

#[derive(Clone)]
pub struct FdTable {
    slots: Vec<Option<FdEntry>>,
    /// RLIMIT_NOFILE's soft limit: descriptors are below it.
    limit: usize,
}

impl Default for FdTable {
    fn default() -> Self {
        Self::new()
    }
}

impl FdTable {
    pub fn new() -> FdTable {
        FdTable { slots: Vec::new(), limit: MAX_FDS }
    }

    /// RLIMIT_NOFILE's soft limit: poll(2) refuses more descriptors.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Applies a new RLIMIT_NOFILE soft limit (open descriptors stay).
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = limit.min(NR_OPEN as u64) as usize;
    }

    fn entry(&self, fd: i32) -> Result<&FdEntry, Errno> {
        usize::try_from(fd).ok().and_then(|i| self.slots.get(i)).and_then(Option::as_ref).ok_or(Errno::EBADF)
    }

    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        self.entry(fd).map(|e| e.file.clone())
    }

    /// Installs `file` at the lowest free descriptor not below `min`.
    pub fn install_from(&mut self, min: usize, file: Arc<OpenFile>, cloexec: bool) -> Result<i32, Errno> {
        if min >= self.limit {
            return Err(Errno::EINVAL);
        }
        let free = (min..self.limit).find(|&i| self.slots.get(i).is_none_or(Option::is_none)).ok_or(Errno::EMFILE)?;
        self.put(free, file, cloexec);
        Ok(free as i32)
    }

    pub fn install(&mut self, file: Arc<OpenFile>, cloexec: bool) -> Result<i32, Errno> {
        self.install_from(0, file, cloexec)
    }

    /// Installs `file` at exactly `fd`, closing what was there (dup2).
    pub fn install_at(&mut self, fd: i32, file: Arc<OpenFile>, cloexec: bool) -> Result<(), Errno> {
        let fd = usize::try_from(fd).ok().filter(|&f| f < self.limit).ok_or(Errno::EBADF)?;
        self.put(fd, file, cloexec);
        Ok(())
    }

    fn put(&mut self, fd: usize, file: Arc<OpenFile>, cloexec: bool) {
        if self.slots.len() <= fd {
            self.slots.resize(fd + 1, None);
        }
        if let Some(old) = self.slots[fd].replace(FdEntry { file, cloexec }) {
            closed(old);
        }
    }

    pub fn close(&mut self, fd: i32) -> Result<(), Errno> {
        let slot = usize::try_from(fd).ok().and_then(|i| self.slots.get_mut(i)).ok_or(Errno::EBADF)?;
        slot.take().map(closed).ok_or(Errno::EBADF)
    }

    pub fn cloexec(&self, fd: i32) -> Result<bool, Errno> {
        self.entry(fd).map(|e| e.cloexec)
    }

    pub fn set_cloexec(&mut self, fd: i32, cloexec: bool) -> Result<(), Errno> {
        let slot = usize::try_from(fd).ok().and_then(|i| self.slots.get_mut(i)).and_then(Option::as_mut);
        slot.map(|e| e.cloexec = cloexec).ok_or(Errno::EBADF)
    }

    /// Closes the descriptors marked close-on-exec (execve).
    pub fn close_on_exec(&mut self) {
        for slot in &mut self.slots {
            if let Some(entry) = slot.take_if(|e| e.cloexec) {
                closed(entry);
            }
        }
    }

    pub fn close_all(&mut self) {
        self.slots.drain(..).flatten().for_each(closed);
    }

    /// The open descriptors, lowest first, with their close-on-exec flag.
    pub fn iter(&self) -> impl Iterator<Item = (i32, &Arc<OpenFile>, bool)> {
        self.slots.iter().enumerate().filter_map(|(fd, s)| s.as_ref().map(|e| (fd as i32, &e.file, e.cloexec)))
    }

    /// Descriptor slots currently allocated in the table (reported as /proc's FDSize).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }
}

/// The calling process closed a descriptor: the file is told, and the
/// process's POSIX locks on it go, whichever descriptor set them (Linux's
/// locks_remove_posix).
fn closed(entry: FdEntry) {
    let tgid = crate::sched::current().tgid;
    entry.file.file.flush(tgid);
    super::locks::release_posix_on_close(entry.file.inode(), tgid);
}

/// The open file behind `fd` of the calling process for I/O and most
/// fd-taking calls: O_PATH descriptors are EBADF there (Linux's fdget).
pub fn get_file(fd: i32) -> Result<Arc<OpenFile>, Errno> {
    let file = crate::sched::current().files.lock().get(fd)?;
    if file.is_path() {
        return Err(Errno::EBADF);
    }
    Ok(file)
}

/// The open file behind `fd`, O_PATH descriptors included (fstat, fchdir,
/// directory descriptors of the *at calls: Linux's fdget_raw).
pub fn get_raw(fd: i32) -> Result<Arc<OpenFile>, Errno> {
    crate::sched::current().files.lock().get(fd)
}

/// Installs a file with an inode of its own that no path reaches (eventfd,
/// timerfd, signalfd, epoll) at the caller's lowest free descriptor.
pub fn install_anon(file: impl File + 'static, flags: OpenFlags, cloexec: bool) -> Result<usize, Errno> {
    let open = OpenFile::with_inode(file, flags, Inode::new_anonymous(0o600));
    crate::sched::current().files.lock().install(open, cloexec).map(|fd| fd as usize)
}
