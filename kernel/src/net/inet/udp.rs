//! UDP sockets (SOCK_DGRAM) over the stack's UDP: one protocol socket per
//! interface the socket receives on (every one, when bound to the
//! wildcard). A connected socket sends to its peer by default and takes
//! datagrams from it alone, as Linux.

use alloc::vec::Vec;

use abi::socket::*;
use abi::Errno;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::udp::{self, UdpMetadata};
use smoltcp::wire::{IpAddress, IpEndpoint, IpListenEndpoint};
use spin::Mutex;

use super::addr::{loopback_for, Family};
use super::options::Options;
use super::ports::{self, Proto};
use super::stack::{self, NET_WAIT};

/// Datagrams and payload bytes a protocol socket queues each way.
const RX_SLOTS: usize = 64;
const RX_BYTES: usize = 256 * 1024;
const TX_SLOTS: usize = 16;
const TX_BYTES: usize = 128 * 1024;

struct Udp {
    local: Option<IpEndpoint>,
    /// Whether bind named the port (else the kernel chose it, and lets
    /// it go when a connection is dissolved, as Linux).
    port_named: bool,
    handles: Vec<(usize, SocketHandle)>,
    peer: Option<IpEndpoint>,
    opts: Options,
}

pub struct UdpSocket {
    pub family: Family,
    owner: u64,
    state: Mutex<Udp>,
}

/// A received datagram: the bytes copied, its whole length, its source.
pub struct Datagram {
    pub copied: usize,
    pub len: usize,
    pub from: IpEndpoint,
}

/// ENOBUFS when the kernel heap has no room for the buffers.
fn new_protocol_socket() -> Result<udp::Socket<'static>, Errno> {
    let rx = udp::PacketBuffer::new(alloc::vec![udp::PacketMetadata::EMPTY; RX_SLOTS], super::tcp::buffer(RX_BYTES)?);
    let tx = udp::PacketBuffer::new(alloc::vec![udp::PacketMetadata::EMPTY; TX_SLOTS], super::tcp::buffer(TX_BYTES)?);
    Ok(udp::Socket::new(rx, tx))
}

/// The largest payload one datagram can carry (the IP packet's 65535
/// bytes less the headers).
fn max_payload(dst: &IpAddress) -> usize {
    match dst {
        IpAddress::Ipv4(_) => 65535 - 20 - 8,
        IpAddress::Ipv6(_) => 65535 - 8,
    }
}

impl UdpSocket {
    pub fn new(family: Family) -> UdpSocket {
        UdpSocket {
            family,
            owner: ports::new_owner(),
            state: Mutex::new(Udp {
                local: None,
                port_named: false,
                handles: Vec::new(),
                peer: None,
                opts: Options::default(),
            }),
        }
    }

    pub fn bind(&self, endpoint: IpEndpoint) -> Result<(), Errno> {
        let mut s = self.state.lock();
        if !s.handles.is_empty() {
            return Err(Errno::EINVAL);
        }
        s.port_named = endpoint.port != 0;
        self.bind_locked(&mut s, endpoint)
    }

    fn bind_locked(&self, s: &mut Udp, endpoint: IpEndpoint) -> Result<(), Errno> {
        if !stack::with(|st| st.is_local(&endpoint.addr)) {
            return Err(Errno::EADDRNOTAVAIL);
        }
        let port = ports::reserve(Proto::Udp, endpoint.addr, endpoint.port, s.opts.reuseaddr, self.owner)?;
        let listen = IpListenEndpoint { addr: (!endpoint.addr.is_unspecified()).then_some(endpoint.addr), port };
        let ifaces = stack::with(|st| st.ifaces_for(&endpoint.addr));
        let mut socks = Vec::new();
        for iface in ifaces {
            match new_protocol_socket() {
                Ok(mut sock) => {
                    let _ = sock.bind(listen);
                    socks.push((iface, sock));
                }
                Err(e) => {
                    ports::release(Proto::Udp, port, self.owner);
                    return Err(e);
                }
            }
        }
        s.handles = stack::with(|st| {
            socks.into_iter().map(|(iface, sock)| (iface, st.ifaces[iface].sockets.add(sock))).collect()
        });
        s.local = Some(IpEndpoint::new(endpoint.addr, port));
        Ok(())
    }

    /// Binds an unbound socket to a port the kernel chooses (on the
    /// address it had, if any).
    fn autobind(&self, s: &mut Udp) -> Result<(), Errno> {
        if s.handles.is_empty() {
            let addr = s.local.map_or(self.family.any(), |l| l.addr);
            self.bind_locked(s, IpEndpoint::new(addr, 0))?;
        }
        Ok(())
    }

    /// Gives the port and the protocol sockets back.
    fn unbind(&self, s: &mut Udp) {
        let handles = core::mem::take(&mut s.handles);
        stack::with(|st| {
            for (iface, handle) in handles {
                st.ifaces[iface].sockets.remove(handle);
            }
        });
        if let Some(local) = s.local {
            ports::release(Proto::Udp, local.port, self.owner);
            s.local = Some(IpEndpoint::new(local.addr, 0));
        }
    }

    /// connect(2): the default destination and only source; None (an
    /// AF_UNSPEC address) dissolves the association.
    pub fn connect(&self, peer: Option<IpEndpoint>) -> Result<(), Errno> {
        let mut s = self.state.lock();
        match peer {
            None => {
                s.peer = None;
                if !s.port_named {
                    self.unbind(&mut s);
                }
            }
            Some(p) => {
                let p = IpEndpoint::new(loopback_for(p.addr), p.port);
                stack::with(|st| st.route(&p.addr)).ok_or(Errno::ENETUNREACH)?;
                self.autobind(&mut s)?;
                s.peer = Some(p);
            }
        }
        Ok(())
    }

    pub fn send(&self, data: &[u8], to: Option<IpEndpoint>, nonblock: bool) -> Result<usize, Errno> {
        let (dst, handle) = {
            let mut s = self.state.lock();
            self.autobind(&mut s)?;
            let dst = to.or(s.peer).ok_or(Errno::EDESTADDRREQ)?;
            let dst = IpEndpoint::new(loopback_for(dst.addr), dst.port);
            if data.len() > max_payload(&dst.addr) {
                return Err(Errno::EMSGSIZE);
            }
            if dst.port == 0 {
                return Err(Errno::EINVAL);
            }
            let iface = stack::with(|st| st.route(&dst.addr)).ok_or(Errno::ENETUNREACH)?;
            let handle = s.handles.iter().find(|(i, _)| *i == iface).or(s.handles.first()).copied();
            (dst, handle.ok_or(Errno::EINVAL)?)
        };
        let (iface, handle) = handle;
        let timeout = self.state.lock().opts.sndtimeo;
        crate::net::timeout::wait_for(&NET_WAIT, timeout, false, || {
            let sent = stack::with(|st| {
                let sock = st.ifaces[iface].sockets.get_mut::<udp::Socket>(handle);
                sock.send_slice(data, UdpMetadata::from(dst)).is_ok()
            });
            match sent {
                true => Some(Ok(data.len())),
                false if nonblock => Some(Err(Errno::EAGAIN)),
                false => None,
            }
        })
    }

    /// Receives one datagram into `buf` (the rest of a longer one is
    /// lost, unless peeking).
    pub fn recv(&self, buf: &mut [u8], nonblock: bool, peek: bool) -> Result<Datagram, Errno> {
        let timeout = self.state.lock().opts.rcvtimeo;
        crate::net::timeout::wait_for(&NET_WAIT, timeout, false, || {
            let s = self.state.lock();
            if s.handles.is_empty() && nonblock {
                return Some(Err(Errno::EAGAIN));
            }
            let got = stack::with(|st| {
                for &(iface, handle) in &s.handles {
                    let sock = st.ifaces[iface].sockets.get_mut::<udp::Socket>(handle);
                    while sock.can_recv() {
                        let (payload, meta) =
                            if peek { sock.peek().map(|(p, m)| (p, *m)).ok()? } else { sock.recv().ok()? };
                        if s.peer.is_some_and(|p| p != meta.endpoint) {
                            if peek {
                                let _ = sock.recv();
                            }
                            continue;
                        }
                        let copied = payload.len().min(buf.len());
                        buf[..copied].copy_from_slice(&payload[..copied]);
                        return Some(Datagram { copied, len: payload.len(), from: meta.endpoint });
                    }
                }
                None
            });
            match got {
                Some(d) => Some(Ok(d)),
                None if nonblock => Some(Err(Errno::EAGAIN)),
                None => None,
            }
        })
    }

    pub fn release(&self) {
        let mut s = self.state.lock();
        self.unbind(&mut s);
    }

    pub fn local(&self) -> IpEndpoint {
        self.state.lock().local.unwrap_or(IpEndpoint::new(self.family.any(), 0))
    }

    pub fn peer(&self) -> Result<IpEndpoint, Errno> {
        self.state.lock().peer.ok_or(Errno::ENOTCONN)
    }

    pub fn poll(&self) -> i16 {
        use abi::{POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};
        let s = self.state.lock();
        let readable =
            stack::with(|st| s.handles.iter().any(|&(i, h)| st.ifaces[i].sockets.get::<udp::Socket>(h).can_recv()));
        let mut ev = POLLOUT | POLLWRNORM;
        if readable {
            ev |= POLLIN | POLLRDNORM;
        }
        ev
    }

    pub fn set_option(&self, level: i32, name: i32, value: &[u8]) -> Result<(), Errno> {
        self.state.lock().opts.set(level, name, value, false).map(|_| ())
    }

    pub fn get_option(&self, level: i32, name: i32) -> Result<Vec<u8>, Errno> {
        let s = self.state.lock();
        if let Some(v) = s.opts.get(level, name, false) {
            return Ok(v);
        }
        let int = |v: i32| Ok(v.to_ne_bytes().to_vec());
        match (level, name) {
            (SOL_SOCKET, SO_TYPE) => int(SOCK_DGRAM),
            (SOL_SOCKET, SO_PROTOCOL) => int(IPPROTO_UDP),
            (SOL_SOCKET, SO_DOMAIN) => int(self.family.number()),
            (SOL_SOCKET, SO_ACCEPTCONN) => int(0),
            (SOL_SOCKET, SO_ERROR) => int(0),
            _ => Err(Errno::ENOPROTOOPT),
        }
    }

    /// SIOCINQ: the next datagram's size; SIOCOUTQ: bytes queued to send.
    pub fn queued(&self, inq: bool) -> usize {
        let s = self.state.lock();
        stack::with(|st| {
            s.handles
                .iter()
                .map(|&(i, h)| {
                    let sock = st.ifaces[i].sockets.get_mut::<udp::Socket>(h);
                    if inq {
                        sock.peek().map_or(0, |(p, _)| p.len())
                    } else {
                        sock.send_queue()
                    }
                })
                .find(|&n| n > 0)
                .unwrap_or(0)
        })
    }
}

impl UdpSocket {
    /// The socket's /proc/net/udp fields: local endpoint, peer; None
    /// while unbound.
    pub fn proc_entry(&self) -> Option<(IpEndpoint, Option<IpEndpoint>)> {
        let s = self.state.lock();
        if s.handles.is_empty() {
            return None;
        }
        Some((s.local?, s.peer))
    }
}
