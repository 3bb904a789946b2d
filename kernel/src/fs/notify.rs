//! inotify(7): watches on inodes and the events the VFS reports to them
//! (Linux's fsnotify with its inotify backend): inotify_init1(2),
//! inotify_add_watch(2), inotify_rm_watch(2), and reading events from the
//! descriptor.
//!
//! An event about a file goes to the watches on the file itself, and,
//! with the file's name, to those on the directory it was reached
//! through. Each inotify descriptor queues its events (merging one equal
//! to the last), up to the max_queued_events set when it was made, then
//! one IN_Q_OVERFLOW. With no
//! watch anywhere, a hook costs one atomic load.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::{Arc, Weak};
use alloc::vec;
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use abi::{Errno, OpenFlags, POLLIN, POLLRDNORM};
use spin::Mutex;

use super::file::{install_anon, File, OpenFile};
use super::inode::Inode;
use crate::sched::current;
use crate::sched::wait::WaitQueue;

pub const IN_ACCESS: u32 = 0x1;
pub const IN_MODIFY: u32 = 0x2;
pub const IN_ATTRIB: u32 = 0x4;
pub const IN_CLOSE_WRITE: u32 = 0x8;
pub const IN_CLOSE_NOWRITE: u32 = 0x10;
pub const IN_OPEN: u32 = 0x20;
pub const IN_MOVED_FROM: u32 = 0x40;
pub const IN_MOVED_TO: u32 = 0x80;
pub const IN_CREATE: u32 = 0x100;
pub const IN_DELETE: u32 = 0x200;
pub const IN_DELETE_SELF: u32 = 0x400;
pub const IN_MOVE_SELF: u32 = 0x800;
const IN_ALL_EVENTS: u32 = 0xfff;
const IN_Q_OVERFLOW: u32 = 0x4000;
const IN_IGNORED: u32 = 0x8000;
const IN_ONLYDIR: u32 = 0x0100_0000;
const IN_DONT_FOLLOW: u32 = 0x0200_0000;
const IN_EXCL_UNLINK: u32 = 0x0400_0000;
const IN_MASK_CREATE: u32 = 0x1000_0000;
const IN_MASK_ADD: u32 = 0x2000_0000;
const IN_ISDIR: u32 = 0x4000_0000;
const IN_ONESHOT: u32 = 0x8000_0000;
/// The bits inotify_add_watch takes.
const VALID_MASK: u32 =
    IN_ALL_EVENTS | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ONESHOT;
/// sizeof(struct inotify_event), which names are padded to a multiple of.
const EVENT_SIZE: usize = 16;

/// /proc/sys/fs/inotify's limits, Linux's defaults.
pub static MAX_USER_INSTANCES: AtomicUsize = AtomicUsize::new(128);
pub static MAX_USER_WATCHES: AtomicUsize = AtomicUsize::new(8192);
pub static MAX_QUEUED_EVENTS: AtomicUsize = AtomicUsize::new(16384);

/// Watches anywhere: the hooks' one check.
static WATCH_COUNT: AtomicUsize = AtomicUsize::new(0);
/// The watches on each inode (by its address; a watch holds the inode).
static WATCHES: Mutex<BTreeMap<usize, Vec<Watch>>> = Mutex::new(BTreeMap::new());
/// Instances and watches per real user id.
static PER_USER: Mutex<BTreeMap<u32, (usize, usize)>> = Mutex::new(BTreeMap::new());
static NEXT_COOKIE: AtomicU32 = AtomicU32::new(1);

struct Watch {
    group: Weak<Group>,
    wd: i32,
    mask: u32,
    /// Keeps the inode, so that its address names it while watched.
    _pin: Arc<Inode>,
}

struct Event {
    wd: i32,
    mask: u32,
    cookie: u32,
    name: Vec<u8>,
}

impl Event {
    fn size(&self) -> usize {
        EVENT_SIZE + padded(&self.name)
    }
}

/// A name's length with its NUL and the padding to EVENT_SIZE (0 for none).
fn padded(name: &[u8]) -> usize {
    if name.is_empty() {
        0
    } else {
        (name.len() + 1).next_multiple_of(EVENT_SIZE)
    }
}

#[derive(Default)]
struct Queue {
    events: VecDeque<Event>,
    overflowed: bool,
    /// The wd of each inode this instance watches, by inode address.
    wds: BTreeMap<usize, i32>,
    next_wd: i32,
}

/// One inotify instance.
pub struct Group {
    queue: Mutex<Queue>,
    readable: WaitQueue,
    uid: u32,
    /// max_queued_events when the instance was made (Linux's).
    max_events: usize,
}

impl Group {
    fn push(&self, wd: i32, mask: u32, cookie: u32, name: &[u8]) {
        let mut q = self.queue.lock();
        if q.overflowed {
            return;
        }
        if let Some(last) = q.events.back() {
            if last.wd == wd && last.mask == mask && last.cookie == cookie && last.name == name {
                return;
            }
        }
        if q.events.len() >= self.max_events {
            q.overflowed = true;
            q.events.push_back(Event { wd: -1, mask: IN_Q_OVERFLOW, cookie: 0, name: Vec::new() });
        } else {
            q.events.push_back(Event { wd, mask, cookie, name: name.to_vec() });
        }
        drop(q);
        self.readable.wake_all();
    }
}

fn key(inode: &Inode) -> usize {
    inode as *const Inode as usize
}

fn user_counts(uid: u32, change: impl FnOnce(&mut (usize, usize))) {
    let mut users = PER_USER.lock();
    let counts = users.entry(uid).or_default();
    change(counts);
    if *counts == (0, 0) {
        users.remove(&uid);
    }
}

/// Delivers `mask` (with `cookie` and the child's `name`, empty for the
/// inode itself) to the watches on `inode` that ask for it; one-shot
/// watches go after their event.
fn deliver(inode: &Inode, mask: u32, cookie: u32, name: &[u8]) {
    let event = mask & IN_ALL_EVENTS;
    let mut hits = Vec::new();
    let mut spent = Vec::new();
    {
        let mut watches = WATCHES.lock();
        let Some(list) = watches.get_mut(&key(inode)) else { return };
        for w in list.iter().filter(|w| w.mask & event != 0) {
            hits.push((w.group.clone(), w.wd));
            if w.mask & IN_ONESHOT != 0 {
                spent.push((w.group.clone(), w.wd));
            }
        }
    }
    for (group, wd) in hits {
        if let Some(g) = group.upgrade() {
            g.push(wd, mask, cookie, name);
        }
    }
    for (group, wd) in spent {
        if let Some(g) = group.upgrade() {
            // Gone already if removed meanwhile: nothing more to do.
            let _ = remove_watch(&g, wd);
        }
    }
}

fn dir_flag(inode: &Inode) -> u32 {
    if inode.is_dir() {
        IN_ISDIR
    } else {
        0
    }
}

/// An event about `inode`, reached as `name` in `dir` when known.
pub fn notify(inode: &Inode, dir: Option<(&Inode, &[u8])>, mask: u32) {
    if WATCH_COUNT.load(Ordering::Relaxed) == 0 {
        return;
    }
    let mask = mask | dir_flag(inode);
    deliver(inode, mask, 0, &[]);
    if let Some((dir, name)) = dir {
        deliver(dir, mask, 0, name);
    }
}

/// An event about an open file (access, modify, open, close).
pub fn notify_file(file: &OpenFile, mask: u32) {
    if WATCH_COUNT.load(Ordering::Relaxed) == 0 {
        return;
    }
    let link = file.link();
    notify(&file.path().inode, link.map(|l| (&*l.dir.inode, l.name.as_slice())), mask);
}

/// `inode` was entered as `name` in `dir` (a new file, or a new link).
pub fn created(dir: &Inode, name: &[u8], inode: &Inode) {
    if WATCH_COUNT.load(Ordering::Relaxed) == 0 {
        return;
    }
    deliver(dir, IN_CREATE | dir_flag(inode), 0, name);
    if inode.lock().nlink > 1 && !inode.is_dir() {
        deliver(inode, IN_ATTRIB, 0, &[]);
    }
}

/// The entry `name` of `dir` for `inode` went. A file's link count
/// changed (IN_ATTRIB on it, as Linux); with the last link gone, the
/// inode's own watches hear IN_DELETE_SELF and end.
pub fn removed(dir: &Inode, name: &[u8], inode: &Inode) {
    if WATCH_COUNT.load(Ordering::Relaxed) == 0 {
        return;
    }
    if !inode.is_dir() {
        deliver(inode, IN_ATTRIB, 0, &[]);
    }
    deliver(dir, IN_DELETE | dir_flag(inode), 0, name);
    if inode.lock().nlink == 0 {
        deliver(inode, IN_DELETE_SELF, 0, &[]);
        end_watches(inode);
    }
}

/// `inode` moved from `old_name` in `old_dir` to `new_name` in `new_dir`:
/// the two directories' events share a cookie.
pub fn moved(old_dir: &Inode, old_name: &[u8], new_dir: &Inode, new_name: &[u8], inode: &Inode) {
    if WATCH_COUNT.load(Ordering::Relaxed) == 0 {
        return;
    }
    let cookie = NEXT_COOKIE.fetch_add(1, Ordering::Relaxed);
    let isdir = dir_flag(inode);
    deliver(old_dir, IN_MOVED_FROM | isdir, cookie, old_name);
    deliver(new_dir, IN_MOVED_TO | isdir, cookie, new_name);
    deliver(inode, IN_MOVE_SELF, 0, &[]);
}

/// Every watch on `inode` ends, each instance told IN_IGNORED.
fn end_watches(inode: &Inode) {
    let gone = WATCHES.lock().remove(&key(inode)).unwrap_or_default();
    for w in gone {
        WATCH_COUNT.fetch_sub(1, Ordering::Relaxed);
        if let Some(g) = w.group.upgrade() {
            g.queue.lock().wds.remove(&key(inode));
            user_counts(g.uid, |c| c.1 -= 1);
            g.push(w.wd, IN_IGNORED, 0, &[]);
        }
    }
}

/// Ends watch `wd` of `group` with IN_IGNORED; EINVAL if it has none.
fn remove_watch(group: &Arc<Group>, wd: i32) -> Result<(), Errno> {
    let inode_key = {
        let mut q = group.queue.lock();
        let key = q.wds.iter().find(|(_, &w)| w == wd).map(|(&k, _)| k).ok_or(Errno::EINVAL)?;
        q.wds.remove(&key);
        key
    };
    let mut watches = WATCHES.lock();
    if let Some(list) = watches.get_mut(&inode_key) {
        list.retain(|w| !(w.wd == wd && Weak::ptr_eq(&w.group, &Arc::downgrade(group))));
        if list.is_empty() {
            watches.remove(&inode_key);
        }
    }
    drop(watches);
    WATCH_COUNT.fetch_sub(1, Ordering::Relaxed);
    user_counts(group.uid, |c| c.1 -= 1);
    group.push(wd, IN_IGNORED, 0, &[]);
    Ok(())
}

/// Writes `e` as a struct inotify_event with its padded name; returns
/// its size.
fn encode(e: &Event, out: &mut [u8]) -> usize {
    let len = padded(&e.name);
    out[..4].copy_from_slice(&e.wd.to_le_bytes());
    out[4..8].copy_from_slice(&e.mask.to_le_bytes());
    out[8..12].copy_from_slice(&e.cookie.to_le_bytes());
    out[12..16].copy_from_slice(&(len as u32).to_le_bytes());
    let name = &mut out[EVENT_SIZE..EVENT_SIZE + len];
    name.fill(0);
    name[..e.name.len()].copy_from_slice(&e.name);
    EVENT_SIZE + len
}

/// The inotify descriptor's file.
struct Instance(Arc<Group>);

impl File for Instance {
    fn object(&self) -> Option<&dyn Any> {
        Some(self)
    }

    /// Whole events only: a buffer too small for the next is EINVAL.
    fn read(&self, buf: &mut [u8], flags: OpenFlags) -> Result<usize, Errno> {
        let group = &self.0;
        let nonblock = flags.contains(OpenFlags::O_NONBLOCK);
        group.readable.wait_interruptible(|| {
            let mut q = group.queue.lock();
            let Some(first) = q.events.front() else {
                return if nonblock { Some(Err(Errno::EAGAIN)) } else { None };
            };
            if first.size() > buf.len() {
                return Some(Err(Errno::EINVAL));
            }
            let mut done = 0;
            while q.events.front().is_some_and(|e| done + e.size() <= buf.len()) {
                let e = q.events.pop_front().expect("front exists");
                if e.mask == IN_Q_OVERFLOW {
                    q.overflowed = false;
                }
                done += encode(&e, &mut buf[done..]);
            }
            Some(Ok(done))
        })?
    }

    fn can_poll(&self) -> bool {
        true
    }

    fn poll(&self) -> i16 {
        if self.0.queue.lock().events.is_empty() {
            0
        } else {
            POLLIN | POLLRDNORM
        }
    }

    fn wait_queues(&self) -> Vec<&WaitQueue> {
        vec![&self.0.readable]
    }

    /// FIONREAD: the bytes of the queued events.
    fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        if cmd as usize != abi::ioctl::FIONREAD {
            return Err(Errno::ENOTTY);
        }
        let n: usize = self.0.queue.lock().events.iter().map(Event::size).sum();
        crate::uaccess::write_user(arg, &(n as i32)).map(|_| 0)
    }
}

impl Drop for Instance {
    /// The last descriptor closed: every watch of the instance ends.
    fn drop(&mut self) {
        let keys: Vec<usize> = self.0.queue.lock().wds.keys().copied().collect();
        let me = Arc::downgrade(&self.0);
        let mut watches = WATCHES.lock();
        for k in &keys {
            if let Some(list) = watches.get_mut(k) {
                let before = list.len();
                list.retain(|w| !Weak::ptr_eq(&w.group, &me));
                WATCH_COUNT.fetch_sub(before - list.len(), Ordering::Relaxed);
                if list.is_empty() {
                    watches.remove(k);
                }
            }
        }
        drop(watches);
        let watched = keys.len();
        user_counts(self.0.uid, |c| {
            c.0 -= 1;
            c.1 -= watched;
        });
    }
}

fn instance(fd: i32) -> Result<Arc<Group>, Errno> {
    let file = super::file::get_file(fd)?;
    file.object::<Instance>().map(|i| i.0.clone()).ok_or(Errno::EINVAL)
}

pub fn sys_inotify_init1(flags: u32) -> Result<usize, Errno> {
    let allowed = OpenFlags::O_NONBLOCK | OpenFlags::O_CLOEXEC;
    let flags = OpenFlags::from_bits(flags).filter(|f| allowed.contains(*f)).ok_or(Errno::EINVAL)?;
    let uid = current().cred.lock().uid;
    let mut too_many = false;
    user_counts(uid, |c| {
        too_many = c.0 >= MAX_USER_INSTANCES.load(Ordering::Relaxed);
        if !too_many {
            c.0 += 1;
        }
    });
    if too_many {
        return Err(Errno::EMFILE);
    }
    let group = Arc::new(Group {
        queue: Mutex::new(Queue { next_wd: 1, ..Queue::default() }),
        readable: WaitQueue::new(),
        uid,
        max_events: MAX_QUEUED_EVENTS.load(Ordering::Relaxed),
    });
    let status = flags & OpenFlags::O_NONBLOCK;
    install_anon(Instance(group), OpenFlags::O_RDONLY | status, flags.contains(OpenFlags::O_CLOEXEC))
}

pub fn sys_inotify_init() -> Result<usize, Errno> {
    sys_inotify_init1(0)
}

/// Watches the inode `path` names for the events of `mask`; the same
/// inode again gives the same watch descriptor, its mask replaced (or
/// added to, with IN_MASK_ADD; EEXIST with IN_MASK_CREATE).
pub fn sys_inotify_add_watch(fd: i32, path: u64, mask: u32) -> Result<usize, Errno> {
    let group = instance(fd)?;
    if mask & IN_ALL_EVENTS == 0
        || mask & !VALID_MASK != 0
        || mask & (IN_MASK_ADD | IN_MASK_CREATE) == IN_MASK_ADD | IN_MASK_CREATE
    {
        return Err(Errno::EINVAL);
    }
    let name = super::namei::read_path(path)?;
    let follow = mask & IN_DONT_FOLLOW == 0;
    let place = super::namei::lookup(abi::AT_FDCWD, &name, follow)?;
    if mask & IN_ONLYDIR != 0 && !place.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    super::perm::permission(&place, super::perm::MAY_READ)?;
    let inode = place.inode.clone();
    let k = key(&inode);
    let mut q = group.queue.lock();
    let mut watches = WATCHES.lock();
    if let Some(&wd) = q.wds.get(&k) {
        if mask & IN_MASK_CREATE != 0 {
            return Err(Errno::EEXIST);
        }
        let me = Arc::downgrade(&group);
        if let Some(w) = watches.get_mut(&k).and_then(|l| l.iter_mut().find(|w| Weak::ptr_eq(&w.group, &me))) {
            w.mask = if mask & IN_MASK_ADD != 0 { w.mask | mask } else { mask };
        }
        return Ok(wd as usize);
    }
    let mut full = false;
    user_counts(group.uid, |c| {
        full = c.1 >= MAX_USER_WATCHES.load(Ordering::Relaxed);
        if !full {
            c.1 += 1;
        }
    });
    if full {
        return Err(Errno::ENOSPC);
    }
    let wd = q.next_wd;
    q.next_wd += 1;
    q.wds.insert(k, wd);
    watches.entry(k).or_default().push(Watch { group: Arc::downgrade(&group), wd, mask, _pin: inode });
    WATCH_COUNT.fetch_add(1, Ordering::Relaxed);
    Ok(wd as usize)
}

pub fn sys_inotify_rm_watch(fd: i32, wd: i32) -> Result<usize, Errno> {
    let group = instance(fd)?;
    remove_watch(&group, wd).map(|_| 0)
}
