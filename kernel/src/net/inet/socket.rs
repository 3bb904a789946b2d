//! An internet socket as the socket calls see it: AF_INET or AF_INET6,
//! TCP or UDP, taking and giving addresses in their user form.

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;

use abi::socket::*;
use abi::Errno;

use super::addr::{self, Family, Parsed};
use super::icmp::{IcmpSocket, Kind};
use super::tcp::TcpSocket;
use super::udp::UdpSocket;
use crate::fs::inode::Inode;

/// Linux's net.ipv4.ip_unprivileged_port_start.
const UNPRIVILEGED_PORT_START: u16 = 1024;

pub enum Proto {
    Tcp(TcpSocket),
    Udp(UdpSocket),
    Icmp(IcmpSocket),
}

pub struct InetSocket {
    pub proto: Proto,
    /// The socket's own inode (fstat, /proc/PID/fd's socket:[ino]).
    pub inode: Arc<Inode>,
    /// Its creator's user id (/proc/net/tcp's `uid`).
    pub uid: u32,
}

/// Every internet socket (for /proc/net), dead ones dropped as found.
static ALL: spin::Mutex<Vec<Weak<InetSocket>>> = spin::Mutex::new(Vec::new());

fn registered(sock: InetSocket) -> Arc<InetSocket> {
    let sock = Arc::new(sock);
    let mut all = ALL.lock();
    all.retain(|w| w.strong_count() > 0);
    all.push(Arc::downgrade(&sock));
    sock
}

/// The internet sockets alive now, oldest first.
pub fn all() -> Vec<Arc<InetSocket>> {
    ALL.lock().iter().filter_map(Weak::upgrade).collect()
}

/// What one receive got: bytes copied, the message's whole length (a
/// datagram's), and where it came from (datagrams only).
pub struct Received {
    pub copied: usize,
    pub len: usize,
    pub from: Option<Vec<u8>>,
}

impl InetSocket {
    /// socket(2) for AF_INET (`v6` false) or AF_INET6: the protocol must
    /// be the type's own (or 0).
    pub fn create(v6: bool, base_type: i32, protocol: i32) -> Result<Arc<InetSocket>, Errno> {
        let family = if v6 { Family::V6 } else { Family::V4 };
        let proto = match base_type {
            SOCK_STREAM if protocol == 0 || protocol == IPPROTO_TCP => Proto::Tcp(TcpSocket::new(family)),
            SOCK_DGRAM if protocol == 0 || protocol == IPPROTO_UDP => Proto::Udp(UdpSocket::new(family)),
            SOCK_DGRAM if protocol == IPPROTO_ICMP && !v6 => Proto::Icmp(IcmpSocket::new(Kind::Ping)),
            SOCK_STREAM | SOCK_DGRAM => return Err(Errno::EPROTONOSUPPORT),
            SOCK_RAW if !crate::sched::current().cred.lock().capable(abi::capability::CAP_NET_RAW) => {
                return Err(Errno::EPERM)
            }
            SOCK_RAW if protocol == IPPROTO_ICMP && !v6 => Proto::Icmp(IcmpSocket::new(Kind::Raw)),
            SOCK_RAW => return Err(Errno::EPROTONOSUPPORT),
            _ => return Err(Errno::ESOCKTNOSUPPORT),
        };
        let uid = crate::fs::perm::current_cred().uid;
        Ok(registered(InetSocket { proto, inode: Inode::new_anonymous(abi::S_IFSOCK | 0o777), uid }))
    }

    pub fn family(&self) -> Family {
        match &self.proto {
            Proto::Tcp(t) => t.family,
            Proto::Udp(u) => u.family,
            Proto::Icmp(_) => Family::V4,
        }
    }

    pub fn is_stream(&self) -> bool {
        matches!(self.proto, Proto::Tcp(_))
    }

    pub fn bind(&self, raw: &[u8]) -> Result<(), Errno> {
        let endpoint = match addr::parse(raw, self.family())? {
            Parsed::Endpoint(e) => e,
            // Linux takes AF_UNSPEC for INADDR_ANY on an IPv4 socket.
            Parsed::Unspec if self.family() == Family::V4 && raw.len() >= SOCKADDR_IN_LEN && raw[4..8] == [0; 4] => {
                smoltcp::wire::IpEndpoint::new(self.family().any(), u16::from_be_bytes([raw[2], raw[3]]))
            }
            Parsed::Unspec => return Err(Errno::EAFNOSUPPORT),
        };
        // Ports below 1024 take CAP_NET_BIND_SERVICE (root); a ping
        // socket's "port" is its identifier, open to all.
        let privileged_port = endpoint.port != 0 && endpoint.port < UNPRIVILEGED_PORT_START;
        if privileged_port
            && !matches!(self.proto, Proto::Icmp(_))
            && !crate::sched::current().cred.lock().capable(abi::capability::CAP_NET_BIND_SERVICE)
        {
            return Err(Errno::EACCES);
        }
        match &self.proto {
            Proto::Tcp(t) => t.bind(endpoint),
            Proto::Udp(u) => u.bind(endpoint),
            Proto::Icmp(i) => i.bind(endpoint.addr, endpoint.port),
        }
    }

    pub fn listen(&self, backlog: usize) -> Result<(), Errno> {
        match &self.proto {
            Proto::Tcp(t) => t.listen(backlog),
            Proto::Udp(_) | Proto::Icmp(_) => Err(Errno::EOPNOTSUPP),
        }
    }

    pub fn connect(&self, raw: &[u8], nonblock: bool) -> Result<(), Errno> {
        let parsed = addr::parse(raw, self.family())?;
        match (&self.proto, parsed) {
            (Proto::Tcp(t), Parsed::Endpoint(e)) => t.connect(e, nonblock),
            (Proto::Tcp(_), Parsed::Unspec) => Err(Errno::EAFNOSUPPORT),
            (Proto::Udp(u), Parsed::Endpoint(e)) => u.connect(Some(e)),
            (Proto::Udp(u), Parsed::Unspec) => u.connect(None),
            (Proto::Icmp(i), Parsed::Endpoint(e)) => i.connect(Some(e.addr)),
            (Proto::Icmp(i), Parsed::Unspec) => i.connect(None),
        }
    }

    /// accept(2): the new connection's socket and its peer's address.
    pub fn accept(&self, nonblock: bool) -> Result<(Arc<InetSocket>, Vec<u8>), Errno> {
        let Proto::Tcp(t) = &self.proto else { return Err(Errno::EOPNOTSUPP) };
        let (conn, peer) = t.accept(nonblock)?;
        let sock =
            InetSocket { proto: Proto::Tcp(conn), inode: Inode::new_anonymous(abi::S_IFSOCK | 0o777), uid: self.uid };
        Ok((registered(sock), addr::to_user(peer, self.family())))
    }

    pub fn send(&self, data: &[u8], to: Option<&[u8]>, nonblock: bool) -> Result<usize, Errno> {
        match &self.proto {
            // TCP ignores a destination address, as Linux.
            Proto::Tcp(t) => t.send(data, nonblock),
            Proto::Udp(u) => u.send(data, self.destination(to)?, nonblock),
            Proto::Icmp(i) => i.send(data, self.destination(to)?.map(|e| e.addr), nonblock),
        }
    }

    /// A send's destination address, if it names one.
    fn destination(&self, to: Option<&[u8]>) -> Result<Option<smoltcp::wire::IpEndpoint>, Errno> {
        match to.map(|raw| addr::parse(raw, self.family())).transpose()? {
            Some(Parsed::Endpoint(e)) => Ok(Some(e)),
            Some(Parsed::Unspec) | None => Ok(None),
        }
    }

    pub fn recv(&self, buf: &mut [u8], flags: u32, nonblock: bool) -> Result<Received, Errno> {
        let peek = flags & MSG_PEEK != 0;
        match &self.proto {
            Proto::Tcp(t) => {
                let n = t.recv(buf, nonblock, peek, flags & MSG_WAITALL != 0)?;
                Ok(Received { copied: n, len: n, from: None })
            }
            Proto::Udp(u) => {
                let d = u.recv(buf, nonblock, peek)?;
                Ok(Received { copied: d.copied, len: d.len, from: Some(addr::to_user(d.from, self.family())) })
            }
            Proto::Icmp(i) => {
                let p = i.recv(buf, nonblock, peek)?;
                let from = smoltcp::wire::IpEndpoint::new(p.from, 0);
                Ok(Received { copied: p.copied, len: p.len, from: Some(addr::to_user(from, Family::V4)) })
            }
        }
    }

    pub fn shutdown(&self, how: i32) -> Result<(), Errno> {
        match &self.proto {
            Proto::Tcp(t) => t.shutdown(how),
            Proto::Udp(u) => u.peer().map(|_| ()),
            Proto::Icmp(i) => i.peer().map(|_| ()),
        }
    }

    /// getsockname (`peer` false) or getpeername.
    pub fn name(&self, peer: bool) -> Result<Vec<u8>, Errno> {
        let endpoint = match (&self.proto, peer) {
            (Proto::Tcp(t), false) => t.local(),
            (Proto::Tcp(t), true) => t.peer()?,
            (Proto::Udp(u), false) => u.local(),
            (Proto::Udp(u), true) => u.peer()?,
            (Proto::Icmp(i), false) => smoltcp::wire::IpEndpoint::new(Family::V4.any(), i.ident()),
            (Proto::Icmp(i), true) => smoltcp::wire::IpEndpoint::new(i.peer()?, 0),
        };
        Ok(addr::to_user(endpoint, self.family()))
    }

    /// The levels getsockopt reads on an IPv4 socket: the socket's, IP's
    /// and its protocol's (TCP's or UDP's); others are EOPNOTSUPP, as
    /// Linux's ip_getsockopt answers (setsockopt, and IPv6 sockets, say
    /// ENOPROTOOPT).
    fn check_level(&self, level: i32) -> Result<(), Errno> {
        let protocol = match self.proto {
            Proto::Tcp(_) => SOL_TCP,
            Proto::Udp(_) => IPPROTO_UDP,
            Proto::Icmp(_) => SOL_SOCKET,
        };
        if matches!(self.family(), Family::V4) && ![SOL_SOCKET, IPPROTO_IP, protocol].contains(&level) {
            return Err(Errno::EOPNOTSUPP);
        }
        Ok(())
    }

    pub fn set_option(&self, level: i32, name: i32, value: &[u8]) -> Result<(), Errno> {
        match &self.proto {
            Proto::Tcp(t) => t.set_option(level, name, value),
            Proto::Udp(u) => u.set_option(level, name, value),
            Proto::Icmp(i) => i.set_option(level, name, value),
        }
    }

    pub fn get_option(&self, level: i32, name: i32) -> Result<Vec<u8>, Errno> {
        self.check_level(level)?;
        match &self.proto {
            Proto::Tcp(t) => t.get_option(level, name),
            Proto::Udp(u) => u.get_option(level, name),
            Proto::Icmp(i) => i.get_option(level, name),
        }
    }

    pub fn poll(&self) -> i16 {
        match &self.proto {
            Proto::Tcp(t) => t.poll(),
            Proto::Udp(u) => u.poll(),
            Proto::Icmp(i) => i.poll(),
        }
    }

    /// SIOCINQ (FIONREAD) and SIOCOUTQ, and the network interfaces' ioctls.
    pub fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        if super::netdev::is_netdev_ioctl(cmd) {
            return super::netdev::ioctl(cmd, arg);
        }
        let inq = match cmd {
            SIOCINQ => true,
            SIOCOUTQ => false,
            _ => return Err(Errno::ENOTTY),
        };
        let n = match &self.proto {
            Proto::Tcp(t) => t.queued(inq)?,
            Proto::Udp(u) => u.queued(inq),
            Proto::Icmp(_) => 0,
        };
        crate::uaccess::write_user(arg, &(n as i32))?;
        Ok(0)
    }

    pub fn release(&self) {
        match &self.proto {
            Proto::Tcp(t) => t.release(),
            Proto::Udp(u) => u.release(),
            Proto::Icmp(i) => i.release(),
        }
    }
}
