//! TCP sockets (SOCK_STREAM) over the stack's TCP. A listening socket
//! keeps a pool of protocol sockets listening on its port (its backlog,
//! on each interface it listens on); accept takes one whose handshake is
//! done and puts a fresh listener in its place. A closed socket's
//! connection is handed to the stack, which finishes it (FIN, or RST when
//! unread data is left, as Linux) and then frees it.

use alloc::vec::Vec;

use abi::socket::*;
use abi::Errno;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::{self, State};
use smoltcp::time::Duration;
use smoltcp::wire::{IpEndpoint, IpListenEndpoint};
use spin::Mutex;

use super::addr::{loopback_for, Family};
use super::listen::{is_ready, take_ready};
use super::options::{Changed, Options};
use super::ports::{self, Proto};
use super::proc_net::{linux_state, Entry};
use super::stack::{self, NET_WAIT};

/// Protocol sockets a listener keeps ready at most, per interface.
const MAX_POOL: usize = 8;
/// The smallest and largest buffers a connection gets.
const MIN_BUF: usize = 64 * 1024;
const MAX_BUF: usize = 1024 * 1024;
/// How long a closed socket's connection may take to finish.
const ORPHAN_TIMEOUT: Duration = Duration::from_secs(60);

enum Mode {
    /// Neither listening nor connected (new, or after a failed connect).
    Idle,
    Listening {
        endpoint: IpListenEndpoint,
        backlog: usize,
        pool: Vec<(usize, SocketHandle)>,
    },
    /// Connecting or connected, through interface `iface`.
    Connected {
        iface: usize,
        handle: SocketHandle,
        established: bool,
        closed_here: bool,
    },
}

struct Tcp {
    /// The bound address and port (the address may be the wildcard).
    local: Option<IpEndpoint>,
    mode: Mode,
    opts: Options,
    /// The pending error SO_ERROR reports (and clears).
    error: Option<Errno>,
    shut_rd: bool,
}

pub struct TcpSocket {
    pub family: Family,
    owner: u64,
    state: Mutex<Tcp>,
}

/// What a connection's protocol state means to the socket calls.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Handshake,
    Open,
    /// Over: closed by both sides, or reset.
    Over,
}

fn phase(state: State) -> Phase {
    match state {
        State::SynSent | State::SynReceived | State::Listen => Phase::Handshake,
        State::Closed | State::TimeWait => Phase::Over,
        _ => Phase::Open,
    }
}

/// A zeroed buffer of `len` bytes; ENOBUFS when the kernel heap has no
/// room, for socket buffers are the largest allocations a program can ask
/// for by the hundred (connections closing through TIME_WAIT keep theirs).
pub(super) fn buffer(len: usize) -> Result<Vec<u8>, Errno> {
    // An eighth of the heap stays for everything else, whose allocations
    // cannot fail.
    let (size, free) = machine::mm::heap_usage();
    if free < len + size / 8 {
        return Err(Errno::ENOBUFS);
    }
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(len).map_err(|_| Errno::ENOBUFS)?;
    bytes.resize(len, 0);
    Ok(bytes)
}

pub(super) fn new_protocol_socket(opts: &Options) -> Result<tcp::Socket<'static>, Errno> {
    let rx = buffer(opts.rcvbuf.clamp(MIN_BUF, MAX_BUF))?;
    let tx = buffer(opts.sndbuf.clamp(MIN_BUF, MAX_BUF))?;
    let mut sock = tcp::Socket::new(tcp::SocketBuffer::new(rx), tcp::SocketBuffer::new(tx));
    apply_options(&mut sock, opts);
    Ok(sock)
}

fn apply_options(sock: &mut tcp::Socket, opts: &Options) {
    sock.set_nagle_enabled(!opts.nodelay);
    let keep = opts.keepalive.then(|| Duration::from_secs(u64::from(opts.keepidle)));
    sock.set_keep_alive(keep);
}

/// Waits for `step`'s answer, up to `timeout` (SO_RCVTIMEO or
/// SO_SNDTIMEO; EAGAIN when it runs out).
fn wait<T>(timeout: Option<u64>, step: impl FnMut() -> Option<Result<T, Errno>>) -> Result<T, Errno> {
    crate::net::timeout::wait_for(&NET_WAIT, timeout, false, step)
}

impl TcpSocket {
    pub fn new(family: Family) -> TcpSocket {
        TcpSocket {
            family,
            owner: ports::new_owner(),
            state: Mutex::new(Tcp {
                local: None,
                mode: Mode::Idle,
                opts: Options::default(),
                error: None,
                shut_rd: false,
            }),
        }
    }

    pub fn bind(&self, endpoint: IpEndpoint) -> Result<(), Errno> {
        let mut s = self.state.lock();
        if s.local.is_some() || !matches!(s.mode, Mode::Idle) {
            return Err(Errno::EINVAL);
        }
        if !stack::with(|st| st.is_local(&endpoint.addr)) {
            return Err(Errno::EADDRNOTAVAIL);
        }
        let port = ports::reserve(Proto::Tcp, endpoint.addr, endpoint.port, s.opts.reuseaddr, self.owner)?;
        s.local = Some(IpEndpoint::new(endpoint.addr, port));
        Ok(())
    }

    /// The bound endpoint, binding to an ephemeral port first if unbound.
    fn autobind(&self, s: &mut Tcp) -> Result<IpEndpoint, Errno> {
        if let Some(local) = s.local {
            return Ok(local);
        }
        let any = self.family.any();
        let port = ports::reserve(Proto::Tcp, any, 0, s.opts.reuseaddr, self.owner)?;
        let local = IpEndpoint::new(any, port);
        s.local = Some(local);
        Ok(local)
    }

    pub fn listen(&self, backlog: usize) -> Result<(), Errno> {
        let mut s = self.state.lock();
        let local = match &s.mode {
            Mode::Connected { .. } => return Err(Errno::EINVAL),
            Mode::Listening { .. } => s.local.ok_or(Errno::EINVAL)?,
            Mode::Idle => {
                let local = self.autobind(&mut s)?;
                ports::set_listening(Proto::Tcp, local.port, self.owner)?;
                let addr = (!local.addr.is_unspecified()).then_some(local.addr);
                s.mode = Mode::Listening {
                    endpoint: IpListenEndpoint { addr, port: local.port },
                    backlog: 0,
                    pool: Vec::new(),
                };
                local
            }
        };
        let opts = s.opts;
        let Mode::Listening { endpoint, backlog: b, pool } = &mut s.mode else { unreachable!() };
        *b = backlog;
        let want = (backlog + 1).min(MAX_POOL);
        let endpoint = *endpoint;
        stack::with(|st| {
            for iface in st.ifaces_for(&local.addr) {
                let have = pool.iter().filter(|(i, _)| *i == iface).count();
                for _ in have..want {
                    // Out of memory, the pool stays smaller.
                    let Ok(mut sock) = new_protocol_socket(&opts) else { break };
                    if sock.listen(endpoint).is_ok() {
                        pool.push((iface, st.ifaces[iface].sockets.add(sock)));
                    }
                }
            }
        });
        if pool.is_empty() {
            return Err(Errno::ENOBUFS);
        }
        Ok(())
    }

    pub fn accept(&self, nonblock: bool) -> Result<(TcpSocket, IpEndpoint), Errno> {
        let timeout = self.state.lock().opts.rcvtimeo;
        wait(timeout, || {
            let mut s = self.state.lock();
            let opts = s.opts;
            let Mode::Listening { endpoint, pool, .. } = &mut s.mode else { return Some(Err(Errno::EINVAL)) };
            let endpoint = *endpoint;
            let taken = stack::with(|st| take_ready(st, pool, endpoint, &opts));
            match taken {
                Some((iface, handle, local, peer)) => {
                    let conn = TcpSocket::new(self.family);
                    ports::share(Proto::Tcp, local.addr, local.port, opts.reuseaddr, conn.owner);
                    {
                        let mut c = conn.state.lock();
                        c.opts = opts;
                        c.local = Some(local);
                        c.mode = Mode::Connected { iface, handle, established: true, closed_here: false };
                    }
                    Some(Ok((conn, peer)))
                }
                None if nonblock => Some(Err(Errno::EAGAIN)),
                None => None,
            }
        })
    }

    pub fn connect(&self, remote: IpEndpoint, nonblock: bool) -> Result<(), Errno> {
        {
            let mut s = self.state.lock();
            match &s.mode {
                Mode::Listening { .. } => return Err(Errno::EISCONN),
                Mode::Connected { .. } => {
                    return match self.observe(&mut s) {
                        Some(Phase::Handshake) => Err(Errno::EALREADY),
                        _ if s.error.is_some() => Err(s.error.take().unwrap_or(Errno::ECONNREFUSED)),
                        _ => Err(Errno::EISCONN),
                    };
                }
                Mode::Idle => {}
            }
            if let Some(e) = s.error.take() {
                return Err(e);
            }
            let remote = IpEndpoint::new(loopback_for(remote.addr), remote.port);
            if remote.port == 0 {
                return Err(Errno::ECONNREFUSED);
            }
            let iface = stack::with(|st| st.route(&remote.addr)).ok_or(Errno::ENETUNREACH)?;
            let local = self.autobind(&mut s)?;
            let local =
                IpListenEndpoint { addr: (!local.addr.is_unspecified()).then_some(local.addr), port: local.port };
            let mut sock = new_protocol_socket(&s.opts)?;
            let handle = stack::with(|st| {
                let nif = &mut st.ifaces[iface];
                sock.connect(nif.iface.context(), remote, local).map_err(|_| Errno::EADDRNOTAVAIL)?;
                Ok::<_, Errno>(nif.sockets.add(sock))
            })?;
            s.mode = Mode::Connected { iface, handle, established: false, closed_here: false };
        }
        if nonblock {
            return Err(Errno::EINPROGRESS);
        }
        // A connect that SO_SNDTIMEO ends goes on in the background.
        let timeout = self.state.lock().opts.sndtimeo;
        let waited = wait(timeout, || {
            let mut s = self.state.lock();
            match self.observe(&mut s) {
                Some(Phase::Handshake) => None,
                Some(Phase::Open) => Some(Ok(())),
                _ => Some(Err(s.error.take().unwrap_or(Errno::ECONNREFUSED))),
            }
        });
        match waited {
            Err(Errno::EAGAIN) => Err(Errno::EINPROGRESS),
            other => other,
        }
    }

    /// Looks at the connection's state (None when not connected): notes
    /// that it was established, and turns its end into the pending error
    /// (ECONNREFUSED before it was established, ECONNRESET after, unless
    /// this side closed it); a refused connection leaves the socket idle.
    fn observe(&self, s: &mut Tcp) -> Option<Phase> {
        let Mode::Connected { iface, handle, established, closed_here } = &mut s.mode else { return None };
        let (state, may_recv) = stack::with(|st| {
            let sock = st.ifaces[*iface].sockets.get::<tcp::Socket>(*handle);
            (sock.state(), sock.may_recv())
        });
        let p = phase(state);
        if p == Phase::Open {
            *established = true;
        }
        if state == State::Closed && !*closed_here && !may_recv {
            if !*established {
                let (iface, handle) = (*iface, *handle);
                stack::with(|st| {
                    st.ifaces[iface].sockets.remove(handle);
                });
                s.mode = Mode::Idle;
                s.error = Some(Errno::ECONNREFUSED);
                return Some(Phase::Over);
            }
            *closed_here = true;
            s.error = Some(Errno::ECONNRESET);
        }
        Some(p)
    }

    /// Runs `f` on the connection's protocol socket; ENOTCONN if none.
    fn with_conn<R>(s: &Tcp, f: impl FnOnce(&mut tcp::Socket) -> R) -> Result<R, Errno> {
        let Mode::Connected { iface, handle, .. } = s.mode else { return Err(Errno::ENOTCONN) };
        Ok(stack::with(|st| f(st.ifaces[iface].sockets.get_mut::<tcp::Socket>(handle))))
    }

    /// Sends what it can of `data`; blocking, all of it.
    pub fn send(&self, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        let mut sent = 0;
        let timeout = self.state.lock().opts.sndtimeo;
        let r = wait(timeout, || {
            let mut s = self.state.lock();
            let phase = self.observe(&mut s);
            if let Some(e) = s.error.take() {
                return Some(if sent > 0 { Ok(sent) } else { Err(e) });
            }
            match phase {
                None | Some(Phase::Over) => return Some(if sent > 0 { Ok(sent) } else { Err(Errno::EPIPE) }),
                Some(Phase::Handshake) => return if nonblock { Some(Err(Errno::EAGAIN)) } else { None },
                Some(Phase::Open) => {}
            }
            let step = Self::with_conn(&s, |sock| {
                if !sock.may_send() {
                    return Err(Errno::EPIPE);
                }
                Ok(sock.send_slice(&data[sent..]).unwrap_or(0))
            });
            match step.and_then(|r| r) {
                Err(e) => Some(if sent > 0 { Ok(sent) } else { Err(e) }),
                Ok(n) => {
                    sent += n;
                    if sent == data.len() || (nonblock && sent > 0) {
                        Some(Ok(sent))
                    } else if nonblock {
                        Some(Err(Errno::EAGAIN))
                    } else {
                        None
                    }
                }
            }
        });
        // A timeout after some bytes went returns their count.
        match r {
            Err(Errno::EAGAIN) if sent > 0 => Ok(sent),
            other => other,
        }
    }

    /// Receives into `buf`: what is there, or waits for some; 0 at the
    /// end of the stream. `waitall` waits until `buf` is full (or the end).
    pub fn recv(&self, buf: &mut [u8], nonblock: bool, peek: bool, waitall: bool) -> Result<usize, Errno> {
        let mut got = 0;
        let timeout = self.state.lock().opts.rcvtimeo;
        let r = wait(timeout, || {
            let mut s = self.state.lock();
            let phase = self.observe(&mut s);
            if s.shut_rd {
                return Some(Ok(got));
            }
            match phase {
                None => return Some(Err(s.error.take().unwrap_or(Errno::ENOTCONN))),
                Some(Phase::Handshake) => return if nonblock { Some(Err(Errno::EAGAIN)) } else { None },
                _ => {}
            }
            let step = Self::with_conn(&s, |sock| {
                let n = if peek { sock.peek_slice(&mut buf[got..]) } else { sock.recv_slice(&mut buf[got..]) };
                (n.unwrap_or(0), sock.may_recv())
            });
            let (n, more) = match step {
                Ok(v) => v,
                Err(e) => return Some(Err(e)),
            };
            got += n;
            if got == buf.len() || (got > 0 && (!waitall || peek)) || !more {
                if got == 0 {
                    if let Some(e) = s.error.take() {
                        return Some(Err(e));
                    }
                }
                return Some(Ok(got));
            }
            if nonblock {
                return Some(if got > 0 { Ok(got) } else { Err(Errno::EAGAIN) });
            }
            None
        });
        match r {
            Err(Errno::EAGAIN) if got > 0 => Ok(got),
            other => other,
        }
    }

    pub fn shutdown(&self, how: i32) -> Result<(), Errno> {
        let mut s = self.state.lock();
        match &s.mode {
            Mode::Idle => return Err(Errno::ENOTCONN),
            Mode::Listening { .. } => {
                if how != SHUT_WR {
                    self.stop_listening(&mut s);
                }
                return Ok(());
            }
            Mode::Connected { .. } => {}
        }
        if how != SHUT_WR {
            s.shut_rd = true;
        }
        if how != SHUT_RD {
            Self::with_conn(&s, |sock| sock.close())?;
        }
        drop(s);
        NET_WAIT.wake_all();
        Ok(())
    }

    fn stop_listening(&self, s: &mut Tcp) {
        if let Mode::Listening { pool, .. } = &mut s.mode {
            let pool = core::mem::take(pool);
            stack::with(|st| {
                for (iface, handle) in pool {
                    st.ifaces[iface].sockets.remove(handle);
                }
            });
        }
        s.mode = Mode::Idle;
    }

    /// The descriptor's last close: the connection is finished by the
    /// stack (reset when data was left unread), the port given back.
    pub fn release(&self) {
        let mut s = self.state.lock();
        let reservation = s.local.map(|l| (self.owner, l.port));
        match core::mem::replace(&mut s.mode, Mode::Idle) {
            Mode::Connected { iface, handle, .. } => {
                // The connection keeps the port while it finishes; a bind
                // with SO_REUSEADDR may take it meanwhile.
                if let Some((owner, port)) = reservation {
                    ports::set_finishing(Proto::Tcp, port, owner);
                }
                let linger = s.opts.linger;
                drop(s);
                finish_connection(iface, handle, linger);
                stack::with(|st| st.ifaces[iface].orphan(handle, reservation));
                return;
            }
            listening @ Mode::Listening { .. } => {
                s.mode = listening;
                self.stop_listening(&mut s);
            }
            Mode::Idle => {}
        }
        if let Some((owner, port)) = reservation {
            ports::release(Proto::Tcp, port, owner);
        }
    }

    /// The local endpoint (the wildcard and port 0 when unbound).
    pub fn local(&self) -> IpEndpoint {
        let s = self.state.lock();
        let bound = s.local.unwrap_or(IpEndpoint::new(self.family.any(), 0));
        Self::with_conn(&s, |sock| sock.local_endpoint()).ok().flatten().unwrap_or(bound)
    }

    pub fn peer(&self) -> Result<IpEndpoint, Errno> {
        let mut s = self.state.lock();
        match self.observe(&mut s) {
            Some(Phase::Open) => Self::with_conn(&s, |sock| sock.remote_endpoint())?.ok_or(Errno::ENOTCONN),
            _ => Err(Errno::ENOTCONN),
        }
    }

    /// poll(2)'s events.
    pub fn poll(&self) -> i16 {
        use abi::{POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM};
        let mut s = self.state.lock();
        let now = self.observe(&mut s);
        let err = if s.error.is_some() { POLLERR } else { 0 };
        let events = match (&mut s.mode, now) {
            (Mode::Listening { pool, .. }, _) => {
                let ready = stack::with(|st| pool.iter().any(|&(i, h)| is_ready(st, i, h)));
                if ready {
                    POLLIN | POLLRDNORM
                } else {
                    0
                }
            }
            (Mode::Idle, _) if err != 0 => POLLOUT | POLLHUP,
            (Mode::Idle, _) => POLLOUT | POLLHUP,
            (Mode::Connected { .. }, Some(Phase::Handshake)) => 0,
            (Mode::Connected { .. }, _) => {
                let shut_rd = s.shut_rd;
                Self::with_conn(&s, |sock| {
                    let mut ev = 0;
                    let eof = !sock.may_recv();
                    if sock.can_recv() || eof || shut_rd {
                        ev |= POLLIN | POLLRDNORM;
                    }
                    if eof {
                        ev |= POLLRDHUP;
                    }
                    if sock.can_send() {
                        ev |= POLLOUT | POLLWRNORM;
                    }
                    if phase(sock.state()) == Phase::Over || (eof && !sock.may_send()) {
                        ev |= POLLHUP;
                    }
                    ev
                })
                .unwrap_or(0)
            }
        };
        events | err
    }

    pub fn set_option(&self, level: i32, name: i32, value: &[u8]) -> Result<(), Errno> {
        let mut s = self.state.lock();
        match s.opts.set(level, name, value, true)? {
            Changed::Nothing => {}
            Changed::NoDelay | Changed::KeepAlive => {
                let opts = s.opts;
                let _ = Self::with_conn(&s, |sock| apply_options(sock, &opts));
            }
        }
        Ok(())
    }

    pub fn get_option(&self, level: i32, name: i32) -> Result<Vec<u8>, Errno> {
        let mut s = self.state.lock();
        if let Some(v) = s.opts.get(level, name, true) {
            return Ok(v);
        }
        let int = |v: i32| Ok(v.to_ne_bytes().to_vec());
        match (level, name) {
            (SOL_SOCKET, SO_TYPE) => int(SOCK_STREAM),
            (SOL_SOCKET, SO_PROTOCOL) => int(IPPROTO_TCP),
            (SOL_SOCKET, SO_DOMAIN) => int(self.family.number()),
            (SOL_SOCKET, SO_ACCEPTCONN) => int(i32::from(matches!(s.mode, Mode::Listening { .. }))),
            (SOL_SOCKET, SO_ERROR) => {
                self.observe(&mut s);
                int(s.error.take().map_or(0, Errno::code))
            }
            (SOL_TCP, TCP_MAXSEG) => int(536),
            _ => Err(Errno::ENOPROTOOPT),
        }
    }

    /// Bytes waiting to be read (SIOCINQ) or not yet acknowledged
    /// (SIOCOUTQ); EINVAL on a listener.
    pub fn queued(&self, inq: bool) -> Result<usize, Errno> {
        let s = self.state.lock();
        match s.mode {
            Mode::Listening { .. } => Err(Errno::EINVAL),
            Mode::Idle => Ok(0),
            Mode::Connected { .. } => {
                Self::with_conn(&s, |sock| if inq { sock.recv_queue() } else { sock.send_queue() })
            }
        }
    }
}

/// Closes a connection whose descriptor is gone: RST when data was left
/// unread or SO_LINGER is 0, else FIN; with SO_LINGER's seconds, waits
/// (that long at most) until the data sent is acknowledged.
fn finish_connection(iface: usize, handle: SocketHandle, linger: Option<u32>) {
    stack::with(|st| {
        let sock = st.ifaces[iface].sockets.get_mut::<tcp::Socket>(handle);
        if sock.recv_queue() > 0 || linger == Some(0) {
            sock.abort();
        } else {
            sock.close();
        }
        sock.set_timeout(Some(ORPHAN_TIMEOUT));
    });
    if let Some(seconds) = linger.filter(|&t| t > 0) {
        let _ = crate::net::timeout::wait_for(&NET_WAIT, Some(u64::from(seconds) * 1_000_000_000), false, || {
            let sent = stack::with(|st| st.ifaces[iface].sockets.get::<tcp::Socket>(handle).send_queue() == 0);
            sent.then_some(Ok(()))
        });
    }
}

impl TcpSocket {
    /// The socket's /proc/net/tcp line's fields; None unless it listens
    /// or has a connection.
    pub fn proc_entry(&self) -> Option<Entry> {
        let s = self.state.lock();
        match &s.mode {
            Mode::Idle => None,
            Mode::Listening { .. } => {
                Some(Entry { local: s.local?, remote: None, state: 0x0A, tx_queue: 0, rx_queue: 0 })
            }
            Mode::Connected { .. } => Self::with_conn(&s, |sock| Entry {
                local: sock.local_endpoint().or(s.local).unwrap_or(IpEndpoint::new(self.family.any(), 0)),
                remote: sock.remote_endpoint(),
                state: linux_state(sock.state()),
                tx_queue: sock.send_queue(),
                rx_queue: sock.recv_queue(),
            })
            .ok(),
        }
    }
}
