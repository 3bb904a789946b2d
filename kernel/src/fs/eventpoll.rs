//! epoll (Linux's fs/eventpoll.c): an interest list of (file, descriptor)
//! pairs with the events asked for; epoll_wait reports the ready ones.
//!
//! Each entry watches its file's wait queues: a wake puts the entry on
//! the ready list, and epoll_wait polls only the entries there (and the
//! few files without queues, a terminal or a timer, every time), so a
//! wait costs what is ready, not what is registered. A level-triggered
//! entry found ready stays on the list; an edge-triggered one comes back
//! with the next wake of its file; a one-shot one waits for
//! EPOLL_CTL_MOD. An entry holds its file weakly: it goes when the last
//! reference to the file does, as in Linux, whatever descriptors were
//! closed.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;

use abi::{Errno, OpenFlags, POLLIN, POLLRDNORM};
use spin::Mutex;

use super::file::{get_file, File, OpenFile};
use super::select::{earliest, wait_ready};
use crate::sched::wait::{WaitQueue, Watcher};
use machine::sync::IrqSafeMutex;

pub const EPOLLERR: u32 = 0x008;
pub const EPOLLHUP: u32 = 0x010;
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
pub const EPOLLWAKEUP: u32 = 1 << 29;
pub const EPOLLONESHOT: u32 = 1 << 30;
pub const EPOLLET: u32 = 1 << 31;
const EPOLL_CTL_ADD: i32 = 1;
const EPOLL_CTL_DEL: i32 = 2;
const EPOLL_CTL_MOD: i32 = 3;
pub const EPOLL_CLOEXEC: u32 = OpenFlags::O_CLOEXEC.bits();
/// How deep epolls may watch epolls (Linux's EP_MAX_NESTS).
const MAX_NESTS: usize = 4;
/// `struct epoll_event` is packed on x86_64: events, then data.
const EVENT_SIZE: usize = 12;
/// The most events one epoll_wait returns (INT_MAX / sizeof(epoll_event)).
const MAX_EVENTS: usize = i32::MAX as usize / EVENT_SIZE;
/// What EPOLLEXCLUSIVE may come with: in, out, error, hang-up and how to
/// report (Linux's EPOLLEXCLUSIVE_OK_BITS).
const EXCLUSIVE_OK: u32 =
    0x001 | 0x004 | 0x040 | 0x080 | 0x100 | 0x200 | 0x008 | 0x010 | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;
/// Flags that are not events: they say how to report.
const CONTROL_FLAGS: u32 = EPOLLET | EPOLLONESHOT | EPOLLWAKEUP | EPOLLEXCLUSIVE;

type Key = (usize, i32);

struct Entry {
    file: Weak<OpenFile>,
    events: u32,
    data: u64,
    /// One-shot and reported: silent until EPOLL_CTL_MOD.
    disarmed: bool,
    /// The file has no wait queues to watch: looked at every time.
    unwatched: bool,
    /// Edge-triggered state of unwatched files: the readiness and event
    /// count last seen.
    last_ready: u32,
    last_count: u64,
    /// Keeps the entry's watch on the file's queues alive.
    _watch: Option<Arc<EntryWatch>>,
}

/// The entries worth a look: woken since, or ready when last looked at
/// (level-triggered). Shared with the watches on the files' queues.
struct ReadyList {
    keys: IrqSafeMutex<Vec<Key>>,
    /// Woken when a key is added: a nested epoll's watchers and pollers.
    wait: WaitQueue,
}

impl ReadyList {
    fn push(&self, key: Key) {
        self.keys.lock().push(key);
        self.wait.wake_all();
    }
}

/// An entry's watch on its file's wait queues.
struct EntryWatch {
    list: Weak<ReadyList>,
    key: Key,
}

impl Watcher for EntryWatch {
    fn woken(&self) {
        if let Some(list) = self.list.upgrade() {
            list.push(self.key);
        }
    }
}

pub struct EventPoll {
    /// Keyed by the file's address and the descriptor, as Linux's
    /// (file, fd) pairs.
    entries: Mutex<BTreeMap<Key, Entry>>,
    ready: Arc<ReadyList>,
    /// The entries whose files have no queues to watch (a leaf lock,
    /// taken under `entries`).
    unwatched: Mutex<BTreeSet<Key>>,
}

fn key(file: &Arc<OpenFile>, fd: i32) -> Key {
    (Arc::as_ptr(file) as usize, fd)
}

/// The events of `e`'s file that it asks for (errors and hang-ups always).
fn events_of(e: &Entry, file: &OpenFile) -> u32 {
    (file.poll() as u16 as u32) & (e.events | EPOLLERR | EPOLLHUP) & !CONTROL_FLAGS
}

impl EventPoll {
    fn new() -> EventPoll {
        let ready = Arc::new(ReadyList { keys: IrqSafeMutex::new(Vec::new()), wait: WaitQueue::new() });
        EventPoll { entries: Mutex::new(BTreeMap::new()), ready, unwatched: Mutex::new(BTreeSet::new()) }
    }

    /// The keys to look at now: those woken or ready before, then the
    /// unwatched ones; each once.
    fn candidates(&self) -> Vec<Key> {
        let mut keys = core::mem::take(&mut *self.ready.keys.lock());
        keys.extend(self.unwatched.lock().iter().copied());
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Forgets the entry at `k`.
    fn remove(&self, entries: &mut BTreeMap<Key, Entry>, k: &Key) -> Option<Entry> {
        self.unwatched.lock().remove(k);
        entries.remove(k)
    }

    /// The ready entries, at most `max`, as (events, data); updates the
    /// edge-triggered and one-shot state of those reported. Level-triggered
    /// entries found ready stay candidates for the next look.
    fn collect(&self, max: usize, at: &mut Option<u64>) -> Vec<(u32, u64)> {
        let mut ready = Vec::new();
        let mut entries = self.entries.lock();
        let mut again = Vec::new();
        let keys = self.candidates();
        for (i, k) in keys.iter().enumerate() {
            if ready.len() >= max {
                again.extend_from_slice(&keys[i..]);
                break;
            }
            let Some(e) = entries.get_mut(k) else { continue };
            let Some(file) = e.file.upgrade() else {
                self.remove(&mut entries, k);
                continue;
            };
            earliest(at, &file);
            let now = events_of(e, &file);
            if e.disarmed || now == 0 {
                e.last_ready = now;
                continue;
            }
            if e.events & EPOLLET != 0 && e.unwatched {
                let count = file.event_count();
                let fresh = now & !e.last_ready != 0 || count != e.last_count;
                e.last_ready = now;
                e.last_count = count;
                if !fresh {
                    continue;
                }
            }
            if e.events & EPOLLONESHOT != 0 {
                e.disarmed = true;
            } else if e.events & EPOLLET == 0 && !e.unwatched {
                again.push(*k);
            }
            ready.push((now, e.data));
        }
        drop(entries);
        self.ready.keys.lock().extend(again);
        ready
    }

    /// Whether watching `target` from this epoll would make a loop or
    /// nest too deep.
    fn would_loop(&self, target: &EventPoll, depth: usize) -> bool {
        if core::ptr::eq(self, target) || depth >= MAX_NESTS {
            return true;
        }
        let inner: Vec<Arc<OpenFile>> = target.entries.lock().values().filter_map(|e| e.file.upgrade()).collect();
        inner.iter().filter_map(|f| f.object::<EventPoll>()).any(|ep| self.would_loop(ep, depth + 1))
    }

    /// Adds (or replaces) the entry for `file` at `fd` and looks at it
    /// at the next wait.
    fn insert(&self, entries: &mut BTreeMap<Key, Entry>, file: &Arc<OpenFile>, fd: i32, events: u32, data: u64) {
        let k = key(file, fd);
        let queues = file.wait_queues();
        let watch = (!queues.is_empty()).then(|| Arc::new(EntryWatch { list: Arc::downgrade(&self.ready), key: k }));
        if let Some(w) = &watch {
            let weak: Weak<dyn Watcher> = Arc::downgrade(w) as Weak<dyn Watcher>;
            for q in queues {
                q.watch(weak.clone());
            }
        }
        let entry = Entry {
            file: Arc::downgrade(file),
            events,
            data,
            disarmed: false,
            unwatched: watch.is_none(),
            last_ready: 0,
            last_count: 0,
            _watch: watch,
        };
        if entry.unwatched {
            self.unwatched.lock().insert(k);
        } else {
            self.unwatched.lock().remove(&k);
        }
        entries.insert(k, entry);
        self.ready.push(k);
    }
}

impl File for EventPoll {
    fn can_poll(&self) -> bool {
        true
    }

    /// Readable while an entry is ready (without changing its state).
    fn poll(&self) -> i16 {
        let entries = self.entries.lock();
        let keys = self.candidates();
        let ready = keys.iter().any(|k| {
            entries.get(k).is_some_and(|e| !e.disarmed && e.file.upgrade().is_some_and(|f| events_of(e, &f) != 0))
        });
        // Looking changed nothing: the candidates stay.
        self.ready.keys.lock().extend(keys.iter().filter(|k| entries.get(k).is_some_and(|e| !e.unwatched)));
        if ready {
            POLLIN | POLLRDNORM
        } else {
            0
        }
    }

    fn wait_queues(&self) -> Vec<&WaitQueue> {
        alloc::vec![&self.ready.wait]
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("eventpoll")
    }

    fn object(&self) -> Option<&dyn Any> {
        Some(self)
    }
}

pub fn sys_epoll_create1(flags: u32) -> Result<usize, Errno> {
    if flags & !EPOLL_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    let epoll = EventPoll::new();
    super::file::install_anon(epoll, OpenFlags::O_RDWR, flags & EPOLL_CLOEXEC != 0)
}

pub fn sys_epoll_create(size: i32) -> Result<usize, Errno> {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    sys_epoll_create1(0)
}

fn read_event(addr: u64) -> Result<(u32, u64), Errno> {
    let mut raw = [0u8; EVENT_SIZE];
    crate::uaccess::copy_from_user(&mut raw, addr)?;
    let events = u32::from_ne_bytes([raw[0], raw[1], raw[2], raw[3]]);
    let mut data = [0u8; 8];
    data.copy_from_slice(&raw[4..]);
    Ok((events, u64::from_ne_bytes(data)))
}

pub fn sys_epoll_ctl(epfd: i32, op: i32, fd: i32, event: u64) -> Result<usize, Errno> {
    let wanted = if op == EPOLL_CTL_DEL { None } else { Some(read_event(event)?) };
    let ep_file = get_file(epfd)?;
    let file = get_file(fd)?;
    if !file.can_poll() {
        return Err(Errno::EPERM);
    }
    let ep = ep_file.object::<EventPoll>().ok_or(Errno::EINVAL)?;
    if epfd == fd {
        return Err(Errno::EINVAL);
    }
    if let Some((events, _)) = wanted {
        let exclusive_misuse =
            events & !EXCLUSIVE_OK != 0 || op == EPOLL_CTL_MOD || file.object::<EventPoll>().is_some();
        if events & EPOLLEXCLUSIVE != 0 && exclusive_misuse {
            return Err(Errno::EINVAL);
        }
    }
    if let (EPOLL_CTL_ADD, Some(inner)) = (op, file.object::<EventPoll>()) {
        if ep.would_loop(inner, 0) {
            return Err(Errno::ELOOP);
        }
    }
    let mut entries = ep.entries.lock();
    let k = key(&file, fd);
    // An entry whose file has gone is no entry (its address may be reused).
    if entries.get(&k).is_some_and(|e| e.file.strong_count() == 0) {
        ep.remove(&mut entries, &k);
    }
    match (op, wanted) {
        (EPOLL_CTL_ADD, Some((events, data))) => {
            if entries.contains_key(&k) {
                return Err(Errno::EEXIST);
            }
            ep.insert(&mut entries, &file, fd, events, data);
        }
        (EPOLL_CTL_MOD, Some((events, data))) => {
            let e = entries.get(&k).ok_or(Errno::ENOENT)?;
            if e.events & EPOLLEXCLUSIVE != 0 {
                return Err(Errno::EINVAL);
            }
            ep.insert(&mut entries, &file, fd, events, data);
        }
        (EPOLL_CTL_DEL, _) => {
            ep.remove(&mut entries, &k).ok_or(Errno::ENOENT)?;
        }
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

/// epoll_wait's work: up to `max` events into `events` by `deadline`.
fn do_wait(epfd: i32, events: u64, max: i32, deadline: Option<u64>) -> Result<usize, Errno> {
    let max = usize::try_from(max).ok().filter(|&m| m > 0 && m <= MAX_EVENTS).ok_or(Errno::EINVAL)?;
    crate::uaccess::check_user_range(events, max * EVENT_SIZE)?;
    let ep_file = get_file(epfd)?;
    let ep = ep_file.object::<EventPoll>().ok_or(Errno::EINVAL)?;
    let mut ready = Vec::new();
    // A signal ends epoll_wait with EINTR, never a restart (Linux's ep_poll).
    let waited = wait_ready(deadline, |at| {
        ready = ep.collect(max, at);
        Ok(ready.len())
    });
    waited.map_err(|e| if e == Errno::ERESTARTNOHAND { Errno::EINTR } else { e })?;
    let mut out = Vec::with_capacity(ready.len() * EVENT_SIZE);
    for (ev, data) in &ready {
        out.extend_from_slice(&ev.to_ne_bytes());
        out.extend_from_slice(&data.to_ne_bytes());
    }
    crate::uaccess::copy_to_user(events, &out)?;
    Ok(ready.len())
}

/// A timeout in ms as a deadline: negative waits for ever.
fn ms_deadline(timeout: i32) -> Option<u64> {
    u64::try_from(timeout).ok().map(|ms| crate::time::uptime_ns().saturating_add(ms * 1_000_000))
}

pub fn sys_epoll_wait(epfd: i32, events: u64, max: i32, timeout: i32) -> Result<usize, Errno> {
    do_wait(epfd, events, max, ms_deadline(timeout))
}

/// epoll_pwait and epoll_pwait2: the wait under a signal mask, with a
/// timeout in ms or (pwait2) a timespec.
pub fn sys_epoll_pwait(
    epfd: i32,
    events: u64,
    max: i32,
    timeout: i32,
    sigmask: u64,
    size: usize,
) -> Result<usize, Errno> {
    super::select::with_sigmask(sigmask, size, || do_wait(epfd, events, max, ms_deadline(timeout)))
}

pub fn sys_epoll_pwait2(
    epfd: i32,
    events: u64,
    max: i32,
    timeout: u64,
    sigmask: u64,
    size: usize,
) -> Result<usize, Errno> {
    let deadline = if timeout == 0 {
        None
    } else {
        let ts: abi::Timespec = crate::uaccess::read_user(timeout)?;
        let ns = ts.to_nanos().ok_or(Errno::EINVAL)?;
        Some(crate::time::uptime_ns().saturating_add(ns))
    };
    super::select::with_sigmask(sigmask, size, || do_wait(epfd, events, max, deadline))
}
