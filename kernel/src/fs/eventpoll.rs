//! epoll (Linux's fs/eventpoll.c): an interest list of (file, descriptor)
//! pairs with the events asked for; epoll_wait reports the ready ones.
//!
//! Readiness comes from each file's poll, looked at when epoll_wait runs
//! and again after any wait queue's wake (fs/select.rs's wait). An entry
//! holds its file weakly: it goes when the last reference to the file
//! does, as in Linux, whatever descriptors were closed. Edge-triggered
//! entries report a readiness once, and again after a new event on the
//! file (its event count moved) or when it turns ready anew; one-shot
//! entries report once until EPOLL_CTL_MOD arms them again.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;

use abi::{Errno, OpenFlags, POLLIN, POLLRDNORM};
use spin::Mutex;

use super::file::{get_file, File, OpenFile};
use super::select::{earliest, wait_ready};

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

struct Entry {
    file: Weak<OpenFile>,
    events: u32,
    data: u64,
    /// One-shot and reported: silent until EPOLL_CTL_MOD.
    disarmed: bool,
    /// Edge-triggered state: the readiness and event count last seen.
    last_ready: u32,
    last_count: u64,
}

pub struct EventPoll {
    /// Keyed by the file's address and the descriptor, as Linux's
    /// (file, fd) pairs.
    entries: Mutex<BTreeMap<(usize, i32), Entry>>,
}

fn key(file: &Arc<OpenFile>, fd: i32) -> (usize, i32) {
    (Arc::as_ptr(file) as usize, fd)
}

impl EventPoll {
    /// The ready entries, at most `max`, as (events, data); updates the
    /// edge-triggered and one-shot state of those reported.
    fn collect(&self, max: usize, at: &mut Option<u64>) -> Vec<(u32, u64)> {
        let mut ready = Vec::new();
        let mut entries = self.entries.lock();
        entries.retain(|_, e| e.file.strong_count() > 0);
        for e in entries.values_mut() {
            if ready.len() >= max {
                break;
            }
            let Some(file) = e.file.upgrade() else { continue };
            earliest(at, &file);
            let now = (file.poll() as u16 as u32) & (e.events | EPOLLERR | EPOLLHUP) & !CONTROL_FLAGS;
            if e.disarmed || now == 0 {
                e.last_ready = now;
                continue;
            }
            if e.events & EPOLLET != 0 {
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
            }
            ready.push((now, e.data));
        }
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
}

impl File for EventPoll {
    fn can_poll(&self) -> bool {
        true
    }

    /// Readable while an entry is ready (without changing its state).
    fn poll(&self) -> i16 {
        let entries = self.entries.lock();
        let ready = entries.values().any(|e| {
            !e.disarmed
                && e.file.upgrade().is_some_and(|f| (f.poll() as u16 as u32) & (e.events | EPOLLERR | EPOLLHUP) != 0)
        });
        if ready {
            POLLIN | POLLRDNORM
        } else {
            0
        }
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
    let epoll = EventPoll { entries: Mutex::new(BTreeMap::new()) };
    super::eventfd::install_anon(epoll, OpenFlags::O_RDWR, flags & EPOLL_CLOEXEC != 0)
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
    match (op, wanted) {
        (EPOLL_CTL_ADD, Some((events, data))) => {
            if entries.contains_key(&k) {
                return Err(Errno::EEXIST);
            }
            let file = Arc::downgrade(&file);
            entries.insert(k, Entry { file, events, data, disarmed: false, last_ready: 0, last_count: 0 });
        }
        (EPOLL_CTL_MOD, Some((events, data))) => {
            let e = entries.get_mut(&k).ok_or(Errno::ENOENT)?;
            if e.events & EPOLLEXCLUSIVE != 0 {
                return Err(Errno::EINVAL);
            }
            *e = Entry { file: e.file.clone(), events, data, disarmed: false, last_ready: 0, last_count: 0 };
        }
        (EPOLL_CTL_DEL, _) => {
            entries.remove(&k).ok_or(Errno::ENOENT)?;
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
