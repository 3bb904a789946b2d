//! Pipes: a bounded byte queue between a read end and a write end. Reads
//! block while the pipe is empty and a writer remains (EOF after the last
//! writer closes); writes block while it is full and fail with EPIPE once
//! no reader remains. The capacity is 64 KiB and changes with
//! F_SETPIPE_SZ: a power of two of pages, up to /proc/sys/fs/pipe-max-size
//! without CAP_SYS_RESOURCE, within the pages each user may hold
//! (pipe_user.rs).

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicUsize, Ordering};

use abi::{Errno, OpenFlags, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};
use spin::Mutex;

use super::file::{File, OpenFile};
use super::inode::Inode;
use super::pipe_user::Account;
use crate::sched::current;
use crate::sched::wait::WaitQueue;
use crate::uaccess::write_user;

/// Linux's default pipe capacity (16 pages).
const PIPE_CAPACITY: usize = 65536;
/// Writes up to PIPE_BUF bytes are atomic.
const PIPE_BUF: usize = 4096;
const PAGE: usize = 4096;

/// /proc/sys/fs/pipe-max-size: the most F_SETPIPE_SZ gives without
/// CAP_SYS_RESOURCE (Linux's default, 1 MiB).
static PIPE_MAX_SIZE: AtomicUsize = AtomicUsize::new(1 << 20);

pub fn max_size() -> usize {
    PIPE_MAX_SIZE.load(Ordering::Relaxed)
}

/// Sets pipe-max-size, rounded as a pipe size is; EINVAL past 2^31.
pub fn set_max_size(size: u64) -> Result<(), Errno> {
    PIPE_MAX_SIZE.store(round_size(size).ok_or(Errno::EINVAL)?, Ordering::Relaxed);
    Ok(())
}

/// Linux's round_pipe_size: at least a page, a power of two; None past 2^31.
fn round_size(size: u64) -> Option<usize> {
    if size > 1 << 31 {
        return None;
    }
    Some((size as usize).max(PAGE).next_power_of_two())
}

pub(super) struct State {
    data: VecDeque<u8>,
    /// Bytes the pipe holds at most (F_SETPIPE_SZ).
    capacity: usize,
    pub(super) readers: usize,
    pub(super) writers: usize,
    /// Ends ever opened: a FIFO open waiting for its partner wakes when
    /// one came, even if it has gone again (Linux's r_counter/w_counter).
    pub(super) reader_opens: u64,
    pub(super) writer_opens: u64,
    /// Writes so far (the read end's edge-triggered epoll events) and
    /// reads so far (the write end's): a read does not re-arm the reader,
    /// nor a write the writer, as Linux's separate wait queues.
    writes: u64,
    reads: u64,
    /// The pages charged to the creator (pipe_user.rs).
    account: Account,
}

pub(super) struct Pipe {
    pub(super) state: Mutex<State>,
    /// Woken when data or a writer arrives, or the last writer leaves.
    pub(super) readable: WaitQueue,
    /// Woken when room or a reader arrives, or the last reader leaves.
    pub(super) writable: WaitQueue,
}

impl Pipe {
    /// A new pipe, charged to the caller: 64 KiB, or pipe-max-size if
    /// smaller for the unprivileged, or two pages past their soft limit;
    /// ENFILE past their hard limit.
    pub(super) fn new() -> Result<Arc<Pipe>, Errno> {
        let privileged = current().cred.lock().capable(abi::capability::CAP_SYS_RESOURCE);
        let wanted = if privileged { PIPE_CAPACITY } else { PIPE_CAPACITY.min(max_size()) };
        let (account, pages) = Account::open((wanted / PAGE) as u64)?;
        let state = State {
            data: VecDeque::new(),
            capacity: pages as usize * PAGE,
            readers: 0,
            writers: 0,
            reader_opens: 0,
            writer_opens: 0,
            writes: 0,
            reads: 0,
            account,
        };
        Ok(Arc::new(Pipe { state: Mutex::new(state), readable: WaitQueue::new(), writable: WaitQueue::new() }))
    }
}

pub struct ReadEnd(Arc<Pipe>);
pub struct WriteEnd(Arc<Pipe>);

impl ReadEnd {
    pub(super) fn attach(pipe: &Arc<Pipe>) -> ReadEnd {
        Self::attach_seeing(pipe, |_| ()).0
    }

    /// Attaches, and returns what `look` sees of the state in the same
    /// step (a FIFO open: is there a writer now?).
    pub(super) fn attach_seeing<R>(pipe: &Arc<Pipe>, look: impl FnOnce(&State) -> R) -> (ReadEnd, R) {
        let mut s = pipe.state.lock();
        s.readers += 1;
        s.reader_opens += 1;
        let seen = look(&s);
        drop(s);
        pipe.writable.wake_all();
        (ReadEnd(pipe.clone()), seen)
    }
}

impl WriteEnd {
    pub(super) fn attach(pipe: &Arc<Pipe>) -> WriteEnd {
        Self::attach_seeing(pipe, |_| ()).0
    }

    /// As `ReadEnd::attach_seeing`.
    pub(super) fn attach_seeing<R>(pipe: &Arc<Pipe>, look: impl FnOnce(&State) -> R) -> (WriteEnd, R) {
        let mut s = pipe.state.lock();
        s.writers += 1;
        s.writer_opens += 1;
        let seen = look(&s);
        drop(s);
        pipe.readable.wake_all();
        (WriteEnd(pipe.clone()), seen)
    }
}

impl Pipe {
    /// FIONREAD, on either end: the bytes the pipe holds.
    fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        if cmd as usize == abi::ioctl::FIONREAD {
            let n = self.state.lock().data.len() as i32;
            return write_user(arg, &n).map(|_| 0);
        }
        Err(Errno::ENOTTY)
    }

    /// F_GETPIPE_SZ and F_SETPIPE_SZ.
    pub fn fcntl(&self, cmd: i32, arg: u64) -> Result<usize, Errno> {
        let mut s = self.state.lock();
        if cmd == abi::fcntl::F_GETPIPE_SZ {
            return Ok(s.capacity);
        }
        let size = round_size(arg).ok_or(Errno::EINVAL)?;
        let privileged = current().cred.lock().capable(abi::capability::CAP_SYS_RESOURCE);
        if size > s.capacity && size > max_size() && !privileged {
            return Err(Errno::EPERM);
        }
        if size < s.data.len() {
            return Err(Errno::EBUSY);
        }
        s.account.resize((size / PAGE) as u64)?;
        s.capacity = size;
        drop(s);
        self.writable.wake_all();
        Ok(size)
    }
}

impl Pipe {
    /// Waits until the pipe holds data, then runs `take` on its state;
    /// None when it is empty with no writer left (end of file). EAGAIN
    /// when it would wait and `nonblock`; a signal ends the wait
    /// (ERESTARTSYS restarts the call or fails it with EINTR, as the
    /// signal's disposition says).
    pub(super) fn with_data<R>(
        &self,
        nonblock: bool,
        mut take: impl FnMut(&mut State) -> R,
    ) -> Result<Option<R>, Errno> {
        let taken = self.readable.wait_interruptible(|| {
            let mut s = self.state.lock();
            if !s.data.is_empty() {
                s.reads += 1;
                Some(Ok(Some(take(&mut s))))
            } else if s.writers == 0 {
                Some(Ok(None))
            } else if nonblock {
                Some(Err(Errno::EAGAIN))
            } else {
                None
            }
        })??;
        if taken.is_some() {
            self.writable.wake_all();
        }
        Ok(taken)
    }

    /// Waits for room for `len` bytes (all of them when they make an
    /// atomic write, PIPE_BUF or less; any room otherwise), then runs
    /// `put` on the state and the room; returns what `put` returns.
    /// EPIPE, with SIGPIPE, once no reader is left.
    pub(super) fn with_room(
        &self,
        nonblock: bool,
        len: usize,
        mut put: impl FnMut(&mut State, usize) -> usize,
    ) -> Result<usize, Errno> {
        let step = self.writable.wait_interruptible(|| {
            let mut s = self.state.lock();
            if s.readers == 0 {
                return Some(Err(Errno::EPIPE));
            }
            let room = s.capacity.saturating_sub(s.data.len());
            let needed = if len <= PIPE_BUF.min(s.capacity) { len } else { 1 };
            if room >= needed {
                s.writes += 1;
                return Some(Ok(put(&mut s, room)));
            }
            if nonblock {
                return Some(Err(Errno::EAGAIN));
            }
            None
        });
        match step.and_then(|r| r) {
            Ok(n) => {
                self.readable.wake_all();
                Ok(n)
            }
            Err(e) => {
                if e == Errno::EPIPE {
                    send_sigpipe();
                }
                Err(e)
            }
        }
    }
}

/// What splice(2), tee(2) and vmsplice(2) do with a pipe's bytes.
impl Pipe {
    /// Takes up to `max` bytes, waiting for some; empty at end of file.
    pub fn take(&self, max: usize, nonblock: bool) -> Result<Vec<u8>, Errno> {
        let taken = self.with_data(nonblock, |s| {
            let n = max.min(s.data.len());
            s.data.drain(..n).collect()
        })?;
        Ok(taken.unwrap_or_default())
    }

    /// Copies up to `max` bytes without taking them, waiting for some;
    /// empty at end of file.
    pub fn peek(&self, max: usize, nonblock: bool) -> Result<Vec<u8>, Errno> {
        let seen = self.with_data(nonblock, |s| s.data.range(..max.min(s.data.len())).copied().collect())?;
        Ok(seen.unwrap_or_default())
    }

    /// Puts bytes taken by `take` back in front, when their destination
    /// took fewer: none is lost.
    pub fn put_back(&self, data: &[u8]) {
        let mut s = self.state.lock();
        for &b in data.iter().rev() {
            s.data.push_front(b);
        }
        drop(s);
        self.readable.wake_all();
    }

    /// Waits for room; returns how many bytes fit now.
    pub fn wait_room(&self, nonblock: bool) -> Result<usize, Errno> {
        self.with_room(nonblock, usize::MAX, |_, room| room)
    }

    /// Appends bytes already taken from elsewhere, even past the capacity
    /// (only when another writer filled the room `wait_room` found): they
    /// cannot be given back.
    pub fn append(&self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let mut s = self.state.lock();
        s.data.extend(data);
        s.writes += 1;
        drop(s);
        self.readable.wake_all();
    }
}

impl File for ReadEnd {
    fn object(&self) -> Option<&dyn Any> {
        Some(self.0.as_ref())
    }

    fn read(&self, buf: &mut [u8], flags: OpenFlags) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        let taken = self.0.with_data(flags.contains(OpenFlags::O_NONBLOCK), |s| {
            let n = buf.len().min(s.data.len());
            // The queue's two halves, copied whole, then dropped.
            let (front, back) = s.data.as_slices();
            let first = n.min(front.len());
            buf[..first].copy_from_slice(&front[..first]);
            buf[first..n].copy_from_slice(&back[..n - first]);
            s.data.drain(..n);
            n
        })?;
        Ok(taken.unwrap_or(0))
    }

    fn write(&self, _buf: &[u8], _flags: OpenFlags) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }

    /// Readable with data; POLLHUP once no writer is left.
    fn can_poll(&self) -> bool {
        true
    }

    fn event_count(&self) -> u64 {
        self.0.state.lock().writes
    }

    /// Only the queue that data and departing writers wake: a read wakes
    /// the writers' queue, which must not re-arm an edge-triggered reader
    /// (Linux's wakeups carry EPOLLOUT there, which a reader filters out).
    fn wait_queues(&self) -> alloc::vec::Vec<&WaitQueue> {
        alloc::vec![&self.0.readable]
    }

    fn poll(&self) -> i16 {
        let s = self.0.state.lock();
        let mut events = 0;
        if !s.data.is_empty() {
            events |= POLLIN | POLLRDNORM;
        }
        if s.writers == 0 {
            events |= POLLHUP;
        }
        events
    }

    fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        self.0.ioctl(cmd, arg)
    }
}

impl File for WriteEnd {
    fn object(&self) -> Option<&dyn Any> {
        Some(self.0.as_ref())
    }

    fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        self.0.ioctl(cmd, arg)
    }

    fn read(&self, _buf: &mut [u8], _flags: OpenFlags) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }

    /// Writable while an atomic write fits; POLLERR once no reader is left.
    fn can_poll(&self) -> bool {
        true
    }

    fn event_count(&self) -> u64 {
        self.0.state.lock().reads
    }

    /// Only the queue that room and departing readers wake (see ReadEnd's).
    fn wait_queues(&self) -> alloc::vec::Vec<&WaitQueue> {
        alloc::vec![&self.0.writable]
    }

    fn poll(&self) -> i16 {
        let s = self.0.state.lock();
        let mut events = 0;
        if s.capacity.saturating_sub(s.data.len()) >= PIPE_BUF.min(s.capacity) {
            events |= POLLOUT | POLLWRNORM;
        }
        if s.readers == 0 {
            events |= POLLERR;
        }
        events
    }

    fn write(&self, buf: &[u8], flags: OpenFlags) -> Result<usize, Errno> {
        let pipe = &self.0;
        let nonblock = flags.contains(OpenFlags::O_NONBLOCK);
        let mut done = 0;
        while done < buf.len() {
            let left = buf.len() - done;
            // Small writes go in whole or wait; large ones in pieces.
            let step = pipe.with_room(nonblock, left, |s, room| {
                let n = room.min(left);
                s.data.extend(&buf[done..done + n]);
                n
            });
            match step {
                Ok(n) => done += n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(done)
    }
}

impl Drop for ReadEnd {
    fn drop(&mut self) {
        self.0.state.lock().readers -= 1;
        self.0.writable.wake_all();
    }
}

impl Drop for WriteEnd {
    fn drop(&mut self) {
        self.0.state.lock().writers -= 1;
        self.0.readable.wake_all();
    }
}

pub fn sys_pipe2(fds: u64, flags: u32) -> Result<usize, Errno> {
    let allowed = OpenFlags::O_CLOEXEC | OpenFlags::O_NONBLOCK | OpenFlags::O_DIRECT;
    let flags = OpenFlags::from_bits(flags).filter(|f| allowed.contains(*f)).ok_or(Errno::EINVAL)?;
    let pipe = Pipe::new()?;
    let status = flags & OpenFlags::O_NONBLOCK;
    // Both ends share one inode, as Linux's pipefs gives them.
    let inode = Inode::new_anonymous(abi::S_IFIFO | 0o600);
    // Opening /proc/PID/fd/N of either end attaches to this pipe.
    super::fifo::register(&inode, &pipe);
    let read_end = OpenFile::with_inode(ReadEnd::attach(&pipe), status, inode.clone());
    let write_end = OpenFile::with_inode(WriteEnd::attach(&pipe), status | OpenFlags::O_WRONLY, inode);
    let cloexec = flags.contains(OpenFlags::O_CLOEXEC);
    let task = current();
    let mut table = task.files.lock();
    let r = table.install(read_end, cloexec)?;
    let w = match table.install(write_end, cloexec) {
        Ok(w) => w,
        Err(e) => {
            let _ = table.close(r);
            return Err(e);
        }
    };
    drop(table);
    if let Err(e) = write_user(fds, &[r, w]) {
        let mut table = task.files.lock();
        let _ = table.close(r);
        let _ = table.close(w);
        return Err(e);
    }
    Ok(0)
}

pub fn sys_pipe(fds: u64) -> Result<usize, Errno> {
    sys_pipe2(fds, 0)
}

/// How a writer to a pipe without readers gets its SIGPIPE: the signal
/// layer registers it at boot.
static SIGPIPE: spin::Once<fn()> = spin::Once::new();

pub fn set_sigpipe_sender(send: fn()) {
    SIGPIPE.call_once(|| send);
}

fn send_sigpipe() {
    if let Some(send) = SIGPIPE.get() {
        send();
    }
}
