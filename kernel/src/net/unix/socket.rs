//! A UNIX domain socket (Linux's net/unix/af_unix.c): its state, its
//! receive queue, and the connection calls (bind, listen, connect,
//! accept, shutdown, release).
//!
//! A stream or seqpacket connect makes the server's end at once (an
//! "embryo", connected to the client) and queues it on the listener until
//! accept takes it, so the client may write before it is accepted. Data
//! goes straight into the receiver's queue, charged to the sender's
//! send buffer until read.
//!
//! Locks: one socket's state lock at a time, never across a user copy;
//! the address registry's lock is a leaf. Each socket has one wait queue,
//! woken whenever its queue, its connection or its peer's reading changes:
//! readers sleep on their own, writers on their peer's.

use alloc::collections::VecDeque;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use abi::socket::{Ucred, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM};
use abi::{Errno, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRBAND, POLLWRNORM};
use spin::Mutex;

use super::addr::{self, Binding, UnixAddr};
use super::options::Options;
use super::scm::Rights;
use crate::fs::inode::Inode;
use crate::sched::wait::WaitQueue;

/// The socket types AF_UNIX has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Stream,
    Dgram,
    SeqPacket,
}

impl Kind {
    pub fn from_type(ty: i32) -> Option<Kind> {
        match ty {
            SOCK_STREAM => Some(Kind::Stream),
            // Linux takes SOCK_RAW as SOCK_DGRAM here.
            SOCK_DGRAM | abi::socket::SOCK_RAW => Some(Kind::Dgram),
            SOCK_SEQPACKET => Some(Kind::SeqPacket),
            _ => None,
        }
    }

    pub fn type_number(self) -> i32 {
        match self {
            Kind::Stream => SOCK_STREAM,
            Kind::Dgram => SOCK_DGRAM,
            Kind::SeqPacket => SOCK_SEQPACKET,
        }
    }

    /// Stream and seqpacket sockets connect to a listener.
    pub fn connection_oriented(self) -> bool {
        self != Kind::Dgram
    }
}

/// Reading ends (RCV_SHUTDOWN), writing ends (SEND_SHUTDOWN).
pub const RCV_SHUTDOWN: u8 = 1;
pub const SEND_SHUTDOWN: u8 = 2;
pub const SHUTDOWN_MASK: u8 = 3;

/// Linux's net.unix.max_dgram_qlen: datagrams queued on a socket that is
/// not connected back to their sender before the sender waits.
const MAX_DGRAM_QLEN: usize = 10;
/// Linux's net.core.somaxconn: the largest listen backlog.
pub const SOMAXCONN: usize = 4096;

pub enum Conn {
    /// Neither connected nor listening (TCP_CLOSE).
    None,
    /// Accepting connections: the server ends made by connect, in order.
    Listening { backlog: usize, pending: VecDeque<Arc<UnixSocket>> },
    /// Connected (a datagram socket: its default destination). The peer
    /// stays here after it is released, so sends see it dead.
    Connected(Arc<UnixSocket>),
}

/// Bytes a sender has in other sockets' queues: charged when a segment
/// is queued, given back when it is read or dropped.
pub struct Charge {
    wmem: Arc<AtomicUsize>,
    bytes: usize,
}

impl Charge {
    pub fn new(wmem: &Arc<AtomicUsize>, bytes: usize) -> Charge {
        wmem.fetch_add(bytes, Ordering::Relaxed);
        Charge { wmem: wmem.clone(), bytes }
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.wmem.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

/// One send's worth of a receive queue.
pub struct Segment {
    pub data: Vec<u8>,
    /// Bytes already read from the front (streams read segments in parts).
    pub read: usize,
    /// The sender's address when it sent.
    pub from: Option<UnixAddr>,
    /// The sender's credentials (SCM_CREDENTIALS).
    pub cred: Ucred,
    /// Descriptors in flight (SCM_RIGHTS).
    pub rights: Rights,
    pub _charge: Charge,
}

impl Segment {
    pub fn unread(&self) -> usize {
        self.data.len() - self.read
    }
}

pub struct State {
    pub binding: Option<Binding>,
    pub conn: Conn,
    pub queue: VecDeque<Segment>,
    pub shutdown: u8,
    /// SO_ERROR: reported once, by the next call that looks.
    pub error: Option<Errno>,
    /// The peer's credentials (SO_PEERCRED), fixed at connect or listen.
    pub peercred: Option<Ucred>,
    pub options: Options,
    /// Released: its file is closed (or, for a server end, it was never
    /// accepted and its listener closed).
    pub dead: bool,
}

impl State {
    pub fn peer(&self) -> Option<&Arc<UnixSocket>> {
        match &self.conn {
            Conn::Connected(p) => Some(p),
            _ => None,
        }
    }

    pub fn is_listening(&self) -> bool {
        matches!(self.conn, Conn::Listening { .. })
    }

    pub fn addr(&self) -> Option<&UnixAddr> {
        self.binding.as_ref().map(|b| &b.addr)
    }

    pub fn queued_bytes(&self) -> usize {
        self.queue.iter().map(Segment::unread).sum()
    }

    pub fn take_error(&mut self) -> Option<Errno> {
        self.error.take()
    }
}

pub struct UnixSocket {
    pub kind: Kind,
    /// The socket's own inode (fstat, /proc/PID/fd's socket:[ino]).
    pub inode: Arc<Inode>,
    pub state: Mutex<State>,
    pub wait: WaitQueue,
    /// Bytes this socket sent that are not read yet.
    pub wmem: Arc<AtomicUsize>,
    /// Wakes so far (edge-triggered epoll's events).
    pub events: AtomicU64,
}

/// Every socket, for /proc/net/unix and the collector of descriptors in
/// flight; released ones are dropped from it.
static ALL: Mutex<Vec<Weak<UnixSocket>>> = Mutex::new(Vec::new());

impl UnixSocket {
    pub fn new(kind: Kind) -> Arc<UnixSocket> {
        let state = State {
            binding: None,
            conn: Conn::None,
            queue: VecDeque::new(),
            shutdown: 0,
            error: None,
            peercred: None,
            options: Options::default(),
            dead: false,
        };
        let sock = Arc::new(UnixSocket {
            kind,
            inode: Inode::new_anonymous(abi::S_IFSOCK | 0o777),
            state: Mutex::new(state),
            wait: WaitQueue::new(),
            wmem: Arc::new(AtomicUsize::new(0)),
            events: AtomicU64::new(0),
        });
        let mut all = ALL.lock();
        all.retain(|w| w.strong_count() > 0);
        all.push(Arc::downgrade(&sock));
        sock
    }

    /// Something changed for this socket's readers or writers: wake them.
    pub fn notify(&self) {
        self.events.fetch_add(1, Ordering::Relaxed);
        self.wait.wake_all();
    }

    /// Every live socket.
    pub fn all() -> Vec<Arc<UnixSocket>> {
        ALL.lock().iter().filter_map(Weak::upgrade).collect()
    }

    /// Two sockets connected to each other (socketpair).
    pub fn pair(kind: Kind) -> (Arc<UnixSocket>, Arc<UnixSocket>) {
        let (a, b) = (UnixSocket::new(kind), UnixSocket::new(kind));
        let cred = super::scm::peer_ucred();
        for (me, other) in [(&a, &b), (&b, &a)] {
            let mut s = me.state.lock();
            s.conn = Conn::Connected(other.clone());
            s.peercred = Some(cred);
        }
        (a, b)
    }

    pub fn bind(self: &Arc<Self>, addr: UnixAddr) -> Result<(), Errno> {
        if self.state.lock().binding.is_some() {
            return Err(Errno::EINVAL);
        }
        let binding = addr::bind(self, addr)?;
        self.set_binding(binding)
    }

    /// Binds to a free abstract name unless already bound (autobind).
    pub fn autobind(self: &Arc<Self>) -> Result<(), Errno> {
        if self.state.lock().binding.is_some() {
            return Ok(());
        }
        let binding = addr::autobind(self)?;
        self.set_binding(binding)
    }

    fn set_binding(&self, binding: Binding) -> Result<(), Errno> {
        let mut s = self.state.lock();
        if s.binding.is_some() {
            drop(s);
            addr::unbind(&binding);
            return Err(Errno::EINVAL);
        }
        s.binding = Some(binding);
        Ok(())
    }

    pub fn listen(&self, backlog: usize) -> Result<(), Errno> {
        if !self.kind.connection_oriented() {
            return Err(Errno::EOPNOTSUPP);
        }
        let mut s = self.state.lock();
        if s.binding.is_none() {
            return Err(Errno::EINVAL);
        }
        match &mut s.conn {
            Conn::None => {
                s.conn = Conn::Listening { backlog, pending: VecDeque::new() };
                s.peercred = Some(super::scm::peer_ucred());
            }
            Conn::Listening { backlog: b, .. } => *b = backlog,
            Conn::Connected(_) => return Err(Errno::EINVAL),
        }
        drop(s);
        // A larger backlog may let waiting connects in.
        self.notify();
        Ok(())
    }

    /// Connects a stream or seqpacket socket to the listener at `addr`,
    /// waiting (up to SO_SNDTIMEO) while its backlog is full.
    pub fn connect_stream(self: &Arc<Self>, addr: &UnixAddr, nonblock: bool) -> Result<(), Errno> {
        let timeout = {
            let s = self.state.lock();
            match s.conn {
                Conn::None => {}
                Conn::Connected(_) => return Err(Errno::EISCONN),
                Conn::Listening { .. } => return Err(Errno::EINVAL),
            }
            s.options.sndtimeo
        };
        if self.state.lock().options.passcred {
            self.autobind()?;
        }
        let listener = addr::find(addr, self.kind)?;
        if listener.kind != self.kind {
            return Err(Errno::EPROTOTYPE);
        }
        let listen_cred = super::wait_for(&listener.wait, timeout, nonblock, || {
            let s = listener.state.lock();
            match &s.conn {
                _ if s.dead => Some(Err(Errno::ECONNREFUSED)),
                Conn::Listening { backlog, pending } if pending.len() > *backlog => None,
                Conn::Listening { .. } => Some(Ok(s.peercred)),
                _ => Some(Err(Errno::ECONNREFUSED)),
            }
        })?;
        let server_end = UnixSocket::new(self.kind);
        let listener_addr = listener.state.lock().binding.as_ref().map(Binding::alias);
        {
            let mut s = self.state.lock();
            if !matches!(s.conn, Conn::None) {
                return Err(Errno::EISCONN);
            }
            s.conn = Conn::Connected(server_end.clone());
            s.peercred = listen_cred;
        }
        {
            let mut e = server_end.state.lock();
            e.conn = Conn::Connected(self.clone());
            e.peercred = Some(super::scm::peer_ucred());
            e.binding = listener_addr;
        }
        let mut l = listener.state.lock();
        let dead = l.dead;
        match &mut l.conn {
            Conn::Listening { pending, .. } if !dead => pending.push_back(server_end),
            _ => {
                drop(l);
                server_end.release(true);
                self.state.lock().conn = Conn::None;
                return Err(Errno::ECONNREFUSED);
            }
        }
        drop(l);
        listener.notify();
        Ok(())
    }

    /// Sets (or with None clears) a datagram socket's default destination.
    pub fn connect_dgram(self: &Arc<Self>, addr: Option<&UnixAddr>) -> Result<(), Errno> {
        let Some(addr) = addr else {
            self.state.lock().conn = Conn::None;
            return Ok(());
        };
        if self.state.lock().options.passcred {
            self.autobind()?;
        }
        let other = addr::find(addr, self.kind)?;
        if other.kind != self.kind {
            return Err(Errno::EPROTOTYPE);
        }
        let mut s = self.state.lock();
        s.conn = Conn::Connected(other);
        Ok(())
    }

    /// Takes the oldest pending connection, waiting (up to SO_RCVTIMEO)
    /// for one.
    pub fn accept(&self, nonblock: bool) -> Result<Arc<UnixSocket>, Errno> {
        if !self.kind.connection_oriented() {
            return Err(Errno::EOPNOTSUPP);
        }
        let timeout = self.state.lock().options.rcvtimeo;
        let server_end = super::wait_for(&self.wait, timeout, nonblock, || {
            let mut s = self.state.lock();
            match &mut s.conn {
                Conn::Listening { pending, .. } => pending.pop_front().map(Ok),
                _ => Some(Err(Errno::EINVAL)),
            }
        })?;
        // Room in the backlog for a waiting connect.
        self.notify();
        Ok(server_end)
    }

    /// shutdown(2): `how` is SHUT_RD, SHUT_WR or SHUT_RDWR. A connected
    /// stream's peer sees the other half: our SHUT_WR is its end of file.
    pub fn shutdown(&self, how: i32) -> Result<(), Errno> {
        let mode = match how {
            0..=2 => (how + 1) as u8,
            _ => return Err(Errno::EINVAL),
        };
        let peer = {
            let mut s = self.state.lock();
            s.shutdown |= mode;
            s.peer().cloned()
        };
        self.notify();
        if let Some(peer) = peer.filter(|_| self.kind.connection_oriented()) {
            let mut mirrored = 0;
            if mode & RCV_SHUTDOWN != 0 {
                mirrored |= SEND_SHUTDOWN;
            }
            if mode & SEND_SHUTDOWN != 0 {
                mirrored |= RCV_SHUTDOWN;
            }
            peer.state.lock().shutdown |= mirrored;
            peer.notify();
        }
        Ok(())
    }

    /// The socket's file is closed, or a server end is dropped unaccepted
    /// (`unaccepted`): the peer of a stream sees end of file (and
    /// ECONNRESET if data was left unread here or it was never accepted),
    /// pending connections are refused, queued data and descriptors go.
    pub fn release(&self, unaccepted: bool) {
        let (conn, queue, binding) = {
            let mut s = self.state.lock();
            if s.dead {
                return;
            }
            s.dead = true;
            s.shutdown = SHUTDOWN_MASK;
            (core::mem::replace(&mut s.conn, Conn::None), core::mem::take(&mut s.queue), s.binding.take())
        };
        if let Some(b) = &binding {
            addr::unbind(b);
        }
        let unread = !queue.is_empty();
        let had_rights = queue.iter().any(|seg| !seg.rights.is_empty());
        drop(queue);
        match conn {
            Conn::Listening { pending, .. } => {
                for server_end in pending {
                    server_end.release(true);
                }
            }
            Conn::Connected(peer) if self.kind.connection_oriented() => {
                let mut p = peer.state.lock();
                p.shutdown = SHUTDOWN_MASK;
                if unread || unaccepted {
                    p.error = Some(Errno::ECONNRESET);
                }
                drop(p);
                peer.notify();
            }
            _ => {}
        }
        self.notify();
        drop(binding);
        if had_rights || super::scm::rights_in_flight() {
            super::scm::collect_cycles();
        }
    }

    /// poll(2)'s events (Linux's unix_poll and unix_dgram_poll).
    pub fn poll(&self) -> i16 {
        let s = self.state.lock();
        let mut events = 0;
        if s.error.is_some() {
            events |= POLLERR;
        }
        if s.shutdown == SHUTDOWN_MASK {
            events |= POLLHUP;
        }
        if s.shutdown & RCV_SHUTDOWN != 0 {
            events |= POLLRDHUP | POLLIN | POLLRDNORM;
        }
        let pending = matches!(&s.conn, Conn::Listening { pending, .. } if !pending.is_empty());
        if !s.queue.is_empty() || pending {
            events |= POLLIN | POLLRDNORM;
        }
        if self.kind.connection_oriented() && matches!(s.conn, Conn::None) {
            events |= POLLHUP;
        }
        let mut writable = !s.is_listening() && self.wmem.load(Ordering::Relaxed) * 4 <= s.options.sndbuf;
        let peer = s.peer().cloned();
        drop(s);
        // A datagram socket may be connected to itself: its lock is free now.
        if let Some(peer) = peer.filter(|_| self.kind == Kind::Dgram) {
            writable &= !self.dgram_queue_full(&peer);
        }
        if writable {
            events |= POLLOUT | POLLWRNORM | POLLWRBAND;
        }
        events
    }

    /// A datagram to `target` must wait: its queue holds more than
    /// max_dgram_qlen datagrams and it is not connected back to us.
    pub fn dgram_queue_full(&self, target: &Arc<UnixSocket>) -> bool {
        let t = target.state.lock();
        let ours = t.peer().is_some_and(|p| core::ptr::eq(Arc::as_ptr(p), self));
        !ours && t.queue.len() > MAX_DGRAM_QLEN
    }

    /// getsockname (`peer` false) or getpeername (true): the address, or
    /// the family alone when unbound; ENOTCONN for a missing peer.
    pub fn name(&self, peer: bool) -> Result<Vec<u8>, Errno> {
        let s = self.state.lock();
        if !peer {
            return Ok(s.addr().map_or_else(UnixAddr::unnamed, |a| a.bytes().to_vec()));
        }
        let peer = s.peer().cloned().ok_or(Errno::ENOTCONN)?;
        drop(s);
        let p = peer.state.lock();
        Ok(p.addr().map_or_else(UnixAddr::unnamed, |a| a.bytes().to_vec()))
    }
}
