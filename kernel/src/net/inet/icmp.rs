//! ICMP sockets for IPv4, the two kinds `ping` uses:
//! - raw (SOCK_RAW, IPPROTO_ICMP; privileged): every ICMP packet the host
//!   receives, IP header included; a send is an ICMP message the socket
//!   puts an IP header in front of (its checksum is the sender's);
//! - ping (SOCK_DGRAM, IPPROTO_ICMP; Linux's "ping sockets", which every
//!   group may open here, as with Debian's ping_group_range): echo
//!   requests whose identifier and checksum the kernel sets, and the
//!   echo replies to that identifier.
//!
//! One protocol socket per interface, so that replies arriving on any of
//! them are seen.

use alloc::vec::Vec;

use abi::socket::*;
use abi::Errno;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::{icmp, raw};
use smoltcp::wire::{IpAddress, IpProtocol, IpVersion, Ipv4Address};
use spin::Mutex;

use super::addr::loopback_for;
use super::options::Options;
use super::ports::{self, Proto};
use super::stack::{self, Stack, NET_WAIT};

const SLOTS: usize = 32;
const BYTES: usize = 128 * 1024;
const IPV4_HEADER: usize = 20;
const ICMP_ECHO: u8 = 8;
const ICMP_ECHOREPLY: u8 = 0;
const DEFAULT_TTL: u8 = 64;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Raw,
    Ping,
}

struct Icmp {
    handles: Vec<(usize, SocketHandle)>,
    /// A ping socket's echo identifier (its "port").
    ident: u16,
    peer: Option<IpAddress>,
    opts: Options,
    /// A ping reply taken from the stack by a MSG_PEEK receive (its
    /// sockets cannot peek), given out first by the next receive.
    peeked: Option<(Vec<u8>, IpAddress)>,
}

pub struct IcmpSocket {
    pub kind: Kind,
    owner: u64,
    state: Mutex<Icmp>,
}

/// A received packet: bytes copied, its whole length, its source.
pub struct Packet {
    pub copied: usize,
    pub len: usize,
    pub from: IpAddress,
}

fn new_raw() -> raw::Socket<'static> {
    let rx = raw::PacketBuffer::new(alloc::vec![raw::PacketMetadata::EMPTY; SLOTS], alloc::vec![0; BYTES]);
    let tx = raw::PacketBuffer::new(alloc::vec![raw::PacketMetadata::EMPTY; SLOTS], alloc::vec![0; BYTES]);
    raw::Socket::new(Some(IpVersion::Ipv4), Some(IpProtocol::Icmp), rx, tx)
}

fn new_ping(ident: u16) -> icmp::Socket<'static> {
    let rx = icmp::PacketBuffer::new(alloc::vec![icmp::PacketMetadata::EMPTY; SLOTS], alloc::vec![0; BYTES]);
    let tx = icmp::PacketBuffer::new(alloc::vec![icmp::PacketMetadata::EMPTY; SLOTS], alloc::vec![0; BYTES]);
    let mut sock = icmp::Socket::new(rx, tx);
    let _ = sock.bind(icmp::Endpoint::Ident(ident));
    sock
}

/// The IPv4 address `iface` sends from.
fn source_of(st: &Stack, iface: usize) -> Option<Ipv4Address> {
    st.ifaces[iface].iface.ip_addrs().iter().find_map(|cidr| match cidr.address() {
        IpAddress::Ipv4(a) => Some(a),
        _ => None,
    })
}

/// An IPv4 header for `payload` bytes of ICMP from `src` to `dst` (the
/// stack fills its checksum).
fn ipv4_header(src: Ipv4Address, dst: Ipv4Address, payload: usize) -> [u8; IPV4_HEADER] {
    let mut h = [0u8; IPV4_HEADER];
    h[0] = 0x45;
    h[2..4].copy_from_slice(&((IPV4_HEADER + payload) as u16).to_be_bytes());
    h[6] = 0x40; // don't fragment
    h[8] = DEFAULT_TTL;
    h[9] = 1; // ICMP
    h[12..16].copy_from_slice(&src.octets());
    h[16..20].copy_from_slice(&dst.octets());
    h
}

impl IcmpSocket {
    pub fn new(kind: Kind) -> IcmpSocket {
        IcmpSocket {
            kind,
            owner: ports::new_owner(),
            state: Mutex::new(Icmp {
                handles: Vec::new(),
                ident: 0,
                peer: None,
                opts: Options::default(),
                peeked: None,
            }),
        }
    }

    /// Opens the protocol sockets on every interface, once.
    fn open(&self, s: &mut Icmp) -> Result<(), Errno> {
        if !s.handles.is_empty() {
            return Ok(());
        }
        if self.kind == Kind::Ping {
            let any = IpAddress::Ipv4(Ipv4Address::UNSPECIFIED);
            s.ident = ports::reserve(Proto::Icmp, any, s.ident, false, self.owner)?;
        }
        let (kind, ident) = (self.kind, s.ident);
        s.handles = stack::with(|st| {
            (0..st.ifaces.len())
                .map(|i| {
                    let set = &mut st.ifaces[i].sockets;
                    let h = match kind {
                        Kind::Raw => set.add(new_raw()),
                        Kind::Ping => set.add(new_ping(ident)),
                    };
                    (i, h)
                })
                .collect()
        });
        Ok(())
    }

    /// bind(2): a ping socket's port is its echo identifier.
    pub fn bind(&self, addr: IpAddress, port: u16) -> Result<(), Errno> {
        let mut s = self.state.lock();
        if !s.handles.is_empty() {
            return Err(Errno::EINVAL);
        }
        if !stack::with(|st| st.is_local(&addr)) {
            return Err(Errno::EADDRNOTAVAIL);
        }
        s.ident = port;
        self.open(&mut s)
    }

    pub fn connect(&self, peer: Option<IpAddress>) -> Result<(), Errno> {
        let mut s = self.state.lock();
        s.peer = peer.map(loopback_for);
        Ok(())
    }

    pub fn send(&self, data: &[u8], to: Option<IpAddress>, nonblock: bool) -> Result<usize, Errno> {
        let (handles, ident, dst) = {
            let mut s = self.state.lock();
            self.open(&mut s)?;
            let dst = to.or(s.peer).ok_or(Errno::EDESTADDRREQ)?;
            (s.handles.clone(), s.ident, loopback_for(dst))
        };
        let IpAddress::Ipv4(dst4) = dst else { return Err(Errno::EAFNOSUPPORT) };
        let message = match self.kind {
            Kind::Raw => data.to_vec(),
            Kind::Ping => {
                if data.len() < 8 || data[0] != ICMP_ECHO || data[1] != 0 {
                    return Err(Errno::EINVAL);
                }
                let mut m = data.to_vec();
                m[4..6].copy_from_slice(&ident.to_be_bytes());
                m
            }
        };
        if IPV4_HEADER + message.len() > usize::from(u16::MAX) {
            return Err(Errno::EMSGSIZE);
        }
        let timeout = self.state.lock().opts.sndtimeo;
        crate::net::timeout::wait_for(&NET_WAIT, timeout, false, || {
            let sent = stack::with(|st| {
                let iface = st.route(&dst).ok_or(Errno::ENETUNREACH)?;
                let &(_, handle) = handles.iter().find(|(i, _)| *i == iface).ok_or(Errno::ENETUNREACH)?;
                let set = &mut st.ifaces[iface].sockets;
                Ok(match self.kind {
                    Kind::Raw => {
                        let src = source_of(st, iface).ok_or(Errno::EADDRNOTAVAIL)?;
                        let mut packet = ipv4_header(src, dst4, message.len()).to_vec();
                        packet.extend_from_slice(&message);
                        st.ifaces[iface].sockets.get_mut::<raw::Socket>(handle).send_slice(&packet).is_ok()
                    }
                    Kind::Ping => set.get_mut::<icmp::Socket>(handle).send_slice(&message, dst).is_ok(),
                })
            });
            match sent {
                Err(e) => Some(Err(e)),
                Ok(true) => Some(Ok(data.len())),
                Ok(false) if nonblock => Some(Err(Errno::EAGAIN)),
                Ok(false) => None,
            }
        })
    }

    pub fn recv(&self, buf: &mut [u8], nonblock: bool, peek: bool) -> Result<Packet, Errno> {
        let handles = {
            let mut s = self.state.lock();
            self.open(&mut s)?;
            s.handles.clone()
        };
        let timeout = self.state.lock().opts.rcvtimeo;
        crate::net::timeout::wait_for(&NET_WAIT, timeout, false, || {
            let stashed = self.state.lock().peeked.take();
            let got = stashed.or_else(|| {
                stack::with(|st| {
                    handles.iter().find_map(|&(i, h)| {
                        let set = &mut st.ifaces[i].sockets;
                        let (bytes, from) = match self.kind {
                            Kind::Raw => {
                                let sock = set.get_mut::<raw::Socket>(h);
                                let packet = if peek { sock.peek().ok()? } else { sock.recv().ok()? };
                                let from = packet
                                    .get(12..16)
                                    .map_or(Ipv4Address::UNSPECIFIED, |b| Ipv4Address::new(b[0], b[1], b[2], b[3]));
                                (packet.to_vec(), IpAddress::Ipv4(from))
                            }
                            Kind::Ping => {
                                // Only echo replies: the protocol socket also
                                // sees the requests with its identifier (its
                                // own, on lo).
                                let sock = set.get_mut::<icmp::Socket>(h);
                                loop {
                                    let (payload, from) = sock.recv().ok()?;
                                    if payload.first() == Some(&ICMP_ECHOREPLY) {
                                        break (payload.to_vec(), from);
                                    }
                                }
                            }
                        };
                        Some((bytes, from))
                    })
                })
            });
            match got {
                Some((bytes, from)) => {
                    let copied = bytes.len().min(buf.len());
                    buf[..copied].copy_from_slice(&bytes[..copied]);
                    let len = bytes.len();
                    if peek && self.kind == Kind::Ping {
                        self.state.lock().peeked = Some((bytes, from));
                    }
                    Some(Ok(Packet { copied, len, from }))
                }
                None if nonblock => Some(Err(Errno::EAGAIN)),
                None => None,
            }
        })
    }

    pub fn poll(&self) -> i16 {
        use abi::{POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};
        let (handles, stashed) = {
            let s = self.state.lock();
            (s.handles.clone(), s.peeked.is_some())
        };
        let readable = stashed
            || stack::with(|st| {
                handles.iter().any(|&(i, h)| match self.kind {
                    Kind::Raw => st.ifaces[i].sockets.get::<raw::Socket>(h).can_recv(),
                    Kind::Ping => st.ifaces[i].sockets.get::<icmp::Socket>(h).can_recv(),
                })
            });
        POLLOUT | POLLWRNORM | if readable { POLLIN | POLLRDNORM } else { 0 }
    }

    /// The local address and (ping) identifier.
    pub fn ident(&self) -> u16 {
        self.state.lock().ident
    }

    pub fn peer(&self) -> Result<IpAddress, Errno> {
        self.state.lock().peer.ok_or(Errno::ENOTCONN)
    }

    pub fn set_option(&self, level: i32, name: i32, value: &[u8]) -> Result<(), Errno> {
        self.state.lock().opts.set(level, name, value, false).map(|_| ())
    }

    pub fn get_option(&self, level: i32, name: i32) -> Result<Vec<u8>, Errno> {
        if let Some(v) = self.state.lock().opts.get(level, name, false) {
            return Ok(v);
        }
        let int = |v: i32| Ok(v.to_ne_bytes().to_vec());
        match (level, name) {
            (SOL_SOCKET, SO_TYPE) => int(if self.kind == Kind::Raw { SOCK_RAW } else { SOCK_DGRAM }),
            (SOL_SOCKET, SO_PROTOCOL) => int(IPPROTO_ICMP),
            (SOL_SOCKET, SO_DOMAIN) => int(AF_INET),
            (SOL_SOCKET, SO_ERROR) => int(0),
            _ => Err(Errno::ENOPROTOOPT),
        }
    }

    pub fn release(&self) {
        let mut s = self.state.lock();
        let handles = core::mem::take(&mut s.handles);
        stack::with(|st| {
            for (i, h) in handles {
                st.ifaces[i].sockets.remove(h);
            }
        });
        if self.kind == Kind::Ping && s.ident != 0 {
            ports::release(Proto::Icmp, s.ident, self.owner);
        }
    }
}
