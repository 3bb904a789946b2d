//! Control messages (Linux's net/core/scm.c and net/unix/scm.c):
//! descriptors in flight (SCM_RIGHTS), credentials (SCM_CREDENTIALS), and
//! the collector that frees sockets only reachable from descriptors in
//! flight in each other's queues (a socket sent over itself, say).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use abi::socket::{
    cmsg_align, cmsg_len, cmsg_space, Cmsghdr, Ucred, SCM_CREDENTIALS, SCM_MAX_FD, SCM_RIGHTS, SOL_SOCKET,
};
use abi::Errno;

use super::file::socket_of_file;
use super::socket::UnixSocket;
use crate::fs::file::OpenFile;
use crate::sched::current;

const HDR: usize = core::mem::size_of::<Cmsghdr>();

/// Descriptors in flight across all queues.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
/// The collector is running (dropping what it found releases sockets,
/// which would start it again).
static COLLECTING: AtomicBool = AtomicBool::new(false);

/// Open files travelling in a message, counted while in flight.
#[derive(Default)]
pub struct Rights {
    files: Vec<Arc<OpenFile>>,
}

impl Rights {
    pub fn new(files: Vec<Arc<OpenFile>>) -> Rights {
        IN_FLIGHT.fetch_add(files.len(), Ordering::Relaxed);
        Rights { files }
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The files, no longer in flight (received).
    pub fn take(&mut self) -> Vec<Arc<OpenFile>> {
        IN_FLIGHT.fetch_sub(self.files.len(), Ordering::Relaxed);
        core::mem::take(&mut self.files)
    }

    /// Shares of the files (MSG_PEEK receives them and leaves them here).
    pub fn peek(&self) -> Vec<Arc<OpenFile>> {
        self.files.clone()
    }
}

impl Drop for Rights {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(self.files.len(), Ordering::Relaxed);
    }
}

pub fn rights_in_flight() -> bool {
    IN_FLIGHT.load(Ordering::Relaxed) > 0
}

/// The caller's credentials as SO_PEERCRED reports them (effective ids).
pub fn peer_ucred() -> Ucred {
    let task = current();
    let c = task.cred.lock();
    Ucred { pid: task.tgid as i32, uid: c.euid, gid: c.egid }
}

/// The caller's credentials as a message carries them by default (real
/// ids, as Linux's scm_send).
pub fn sender_ucred() -> Ucred {
    let task = current();
    let c = task.cred.lock();
    Ucred { pid: task.tgid as i32, uid: c.uid, gid: c.gid }
}

/// What a sendmsg's control data asks to send.
#[derive(Default)]
pub struct Scm {
    pub rights: Vec<Arc<OpenFile>>,
    pub cred: Option<Ucred>,
}

/// Parses sendmsg's control data (Linux's __scm_send): EINVAL for a
/// malformed message, a type it does not know, or more than SCM_MAX_FD
/// descriptors; EBADF for a bad descriptor; EPERM for credentials the
/// caller may not claim; ESRCH for a pid nobody has.
pub fn parse_control(buf: &[u8]) -> Result<Scm, Errno> {
    let mut scm = Scm::default();
    let mut off = 0;
    while off + HDR <= buf.len() {
        let hdr: Cmsghdr = bytemuck::pod_read_unaligned(&buf[off..off + HDR]);
        let len = usize::try_from(hdr.cmsg_len).map_err(|_| Errno::EINVAL)?;
        if len < HDR || len > buf.len() - off {
            return Err(Errno::EINVAL);
        }
        let data = &buf[off + HDR..off + len];
        if hdr.cmsg_level == SOL_SOCKET {
            match hdr.cmsg_type {
                SCM_RIGHTS => add_rights(&mut scm, data)?,
                SCM_CREDENTIALS => scm.cred = Some(checked_cred(data)?),
                _ => return Err(Errno::EINVAL),
            }
        }
        off += cmsg_align(len);
    }
    Ok(scm)
}

fn add_rights(scm: &mut Scm, data: &[u8]) -> Result<(), Errno> {
    let fds = data.chunks_exact(4).map(|c| i32::from_ne_bytes([c[0], c[1], c[2], c[3]]));
    if scm.rights.len() + data.len() / 4 > SCM_MAX_FD {
        return Err(Errno::EINVAL);
    }
    let task = current();
    let table = task.files.lock();
    for fd in fds {
        scm.rights.push(table.get(fd)?);
    }
    Ok(())
}

/// Credentials a sender claims: its own pid and one of its own ids,
/// unless privileged (Linux's scm_check_creds).
fn checked_cred(data: &[u8]) -> Result<Ucred, Errno> {
    if data.len() != core::mem::size_of::<Ucred>() {
        return Err(Errno::EINVAL);
    }
    let claimed: Ucred = bytemuck::pod_read_unaligned(data);
    let task = current();
    let c = task.cred.lock().clone();
    let privileged = c.euid == 0;
    let pid_ok = claimed.pid == task.tgid as i32 || privileged;
    let uid_ok = [c.uid, c.euid, c.suid].contains(&claimed.uid) || privileged;
    let gid_ok = [c.gid, c.egid, c.sgid].contains(&claimed.gid) || privileged;
    if !(pid_ok && uid_ok && gid_ok) {
        return Err(Errno::EPERM);
    }
    let exists = u32::try_from(claimed.pid).ok().and_then(crate::proc::pid::find).is_some();
    if !exists {
        return Err(Errno::ESRCH);
    }
    Ok(claimed)
}

/// recvmsg's control data as it is built: at most `capacity` bytes, and
/// whether something did not fit (MSG_CTRUNC).
pub struct ControlOut {
    pub bytes: Vec<u8>,
    capacity: usize,
    pub truncated: bool,
}

impl ControlOut {
    pub fn new(capacity: usize) -> ControlOut {
        ControlOut { bytes: Vec::new(), capacity, truncated: false }
    }

    fn room(&self) -> usize {
        self.capacity - self.bytes.len()
    }

    fn header(&mut self, level: i32, ty: i32, len: usize) {
        let hdr = Cmsghdr { cmsg_len: len as u64, cmsg_level: level, cmsg_type: ty };
        self.bytes.extend_from_slice(bytemuck::bytes_of(&hdr));
    }

    /// Adds one message, cut short (MSG_CTRUNC) if it does not fit
    /// (Linux's put_cmsg).
    pub fn put(&mut self, level: i32, ty: i32, data: &[u8]) {
        if self.room() < HDR {
            self.truncated = true;
            return;
        }
        let mut len = cmsg_len(data.len());
        if self.room() < len {
            self.truncated = true;
            len = self.room();
        }
        let start = self.bytes.len();
        self.header(level, ty, len);
        self.bytes.extend_from_slice(&data[..len - HDR]);
        let end = start + cmsg_space(data.len()).min(self.capacity - start);
        self.bytes.resize(end, 0);
    }

    /// Installs received descriptors in the caller's table, as many as
    /// the room allows (the rest are closed, MSG_CTRUNC), and adds their
    /// SCM_RIGHTS message (Linux's scm_detach_fds).
    pub fn put_rights(&mut self, files: Vec<Arc<OpenFile>>, cloexec: bool) {
        let room = self.room();
        let max = if room > HDR { (room - HDR) / 4 } else { 0 };
        let mut fds = Vec::new();
        {
            let task = current();
            let mut table = task.files.lock();
            for file in files.iter().take(max) {
                match table.install(file.clone(), cloexec) {
                    Ok(fd) => fds.push(fd),
                    Err(_) => break,
                }
            }
        }
        if fds.len() < files.len() {
            self.truncated = true;
        }
        if fds.is_empty() {
            return;
        }
        let start = self.bytes.len();
        self.header(SOL_SOCKET, SCM_RIGHTS, cmsg_len(fds.len() * 4));
        for fd in &fds {
            self.bytes.extend_from_slice(&fd.to_ne_bytes());
        }
        let end = start + cmsg_space(fds.len() * 4).min(self.capacity - start);
        self.bytes.resize(end, 0);
    }

    pub fn put_cred(&mut self, cred: &Ucred) {
        self.put(SOL_SOCKET, SCM_CREDENTIALS, bytemuck::bytes_of(cred));
    }
}

/// Frees the sockets that only descriptors in flight keep: a socket
/// whose every reference is in some queue, where each queue holding it
/// belongs to such a socket too, can never be received by anyone.
pub fn collect_cycles() {
    if COLLECTING.swap(true, Ordering::Acquire) {
        return;
    }
    let socks = UnixSocket::all();
    let index: BTreeMap<usize, usize> = socks.iter().enumerate().map(|(i, s)| (Arc::as_ptr(s) as usize, i)).collect();
    // (holder, target) for every socket file in flight; and per target,
    // how many of its file's references are in flight and how many exist.
    let mut edges = Vec::new();
    let mut refs: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for (holder, sock) in socks.iter().enumerate() {
        let s = sock.state.lock();
        for file in s.queue.iter().flat_map(|seg| seg.rights.files.iter()) {
            let Some(target) = socket_of_file(file).and_then(|t| index.get(&(Arc::as_ptr(&t) as usize)).copied())
            else {
                continue;
            };
            edges.push((holder, target));
            let entry = refs.entry(target).or_insert((0, Arc::strong_count(file)));
            entry.0 += 1;
        }
    }
    let candidates: BTreeSet<usize> =
        refs.iter().filter(|(_, (inflight, total))| inflight == total).map(|(&t, _)| t).collect();
    // Anything a live socket's queue holds is live, and so on.
    let mut alive: BTreeSet<usize> = BTreeSet::new();
    loop {
        let before = alive.len();
        for &(holder, target) in &edges {
            if candidates.contains(&target) && (!candidates.contains(&holder) || alive.contains(&holder)) {
                alive.insert(target);
            }
        }
        if alive.len() == before {
            break;
        }
    }
    let mut garbage = Vec::new();
    for &i in candidates.difference(&alive) {
        garbage.push(core::mem::take(&mut socks[i].state.lock().queue));
    }
    drop(garbage);
    COLLECTING.store(false, Ordering::Release);
}
