//! The socket system calls (Linux's net/socket.c): they find the socket
//! behind a descriptor, copy addresses and messages between user memory
//! and the kernel, and hand the work to the address family: AF_UNIX
//! (unix/), AF_INET and AF_INET6 (inet/); others are EAFNOSUPPORT.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::socket::*;
use abi::{Errno, OpenFlags};

use super::inet::socket::InetSocket;
use super::msg::{read_sockaddr, send_in_pieces, write_sockaddr, UserMsg, MAX_RW_COUNT};
use super::unix::addr::{family, UnixAddr};
use super::unix::file::{open_file, socket_of_file};
use super::unix::scm::{parse_control, ControlOut};
use super::unix::socket::{Kind, UnixSocket, SOMAXCONN};
use super::unix::transfer::RecvFlags;
use crate::fs::file::{get_file, OpenFile};
use crate::sched::current;
use crate::uaccess::{read_user, write_user};

/// A socket of one of the address families.
enum Sock {
    Unix(Arc<UnixSocket>),
    Inet(Arc<InetSocket>),
}

/// The socket behind `fd`: EBADF for no descriptor, ENOTSOCK for another
/// kind of file.
fn socket_of(fd: i32) -> Result<(Arc<OpenFile>, Sock), Errno> {
    let file = get_file(fd)?;
    if let Some(sock) = socket_of_file(&file) {
        return Ok((file, Sock::Unix(sock)));
    }
    let sock = super::inet::file::socket_of_file(&file).ok_or(Errno::ENOTSOCK)?;
    Ok((file, Sock::Inet(sock)))
}

fn nonblocking(file: &OpenFile, flags: u32) -> bool {
    file.flags().contains(OpenFlags::O_NONBLOCK) || flags & MSG_DONTWAIT != 0
}

/// The kind a socket() or socketpair() asks for, and its flags, checked
/// in Linux's order.
fn socket_kind(domain: i32, ty: i32, protocol: i32) -> Result<(Kind, bool, bool), Errno> {
    if ty & !(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    if !(0..AF_MAX).contains(&domain) {
        return Err(Errno::EAFNOSUPPORT);
    }
    let base = ty & SOCK_TYPE_MASK;
    if base >= 10 {
        return Err(Errno::EINVAL);
    }
    if domain != AF_UNIX {
        return Err(Errno::EAFNOSUPPORT);
    }
    if protocol != 0 && protocol != AF_UNIX {
        return Err(Errno::EPROTONOSUPPORT);
    }
    let kind = Kind::from_type(base).ok_or(Errno::ESOCKTNOSUPPORT)?;
    Ok((kind, ty & SOCK_NONBLOCK != 0, ty & SOCK_CLOEXEC != 0))
}

fn install(sock: Arc<UnixSocket>, nonblock: bool, cloexec: bool) -> Result<i32, Errno> {
    current().files.lock().install(open_file(sock, nonblock), cloexec)
}

pub fn sys_socket(domain: i32, ty: i32, protocol: i32) -> Result<usize, Errno> {
    if domain == AF_INET || domain == AF_INET6 {
        if ty & !(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
            return Err(Errno::EINVAL);
        }
        let sock = InetSocket::create(domain == AF_INET6, ty & SOCK_TYPE_MASK, protocol)?;
        let file = super::inet::file::open_file(sock, ty & SOCK_NONBLOCK != 0);
        return current().files.lock().install(file, ty & SOCK_CLOEXEC != 0).map(|fd| fd as usize);
    }
    let (kind, nonblock, cloexec) = socket_kind(domain, ty, protocol)?;
    install(UnixSocket::new(kind), nonblock, cloexec).map(|fd| fd as usize)
}

pub fn sys_socketpair(domain: i32, ty: i32, protocol: i32, sv: u64) -> Result<usize, Errno> {
    if domain == AF_INET || domain == AF_INET6 {
        return Err(Errno::EOPNOTSUPP);
    }
    let (kind, nonblock, cloexec) = socket_kind(domain, ty, protocol)?;
    let (a, b) = UnixSocket::pair(kind);
    let task = current();
    let mut table = task.files.lock();
    let fa = table.install(open_file(a, nonblock), cloexec)?;
    let fb = match table.install(open_file(b, nonblock), cloexec) {
        Ok(fb) => fb,
        Err(e) => {
            let _ = table.close(fa);
            return Err(e);
        }
    };
    drop(table);
    if let Err(e) = write_user(sv, &[fa, fb]) {
        let mut table = task.files.lock();
        let _ = table.close(fa);
        let _ = table.close(fb);
        return Err(e);
    }
    Ok(0)
}

pub fn sys_bind(fd: i32, addr: u64, len: u32) -> Result<usize, Errno> {
    let (_, sock) = socket_of(fd)?;
    let raw = read_sockaddr(addr, len)?;
    let sock = match sock {
        Sock::Inet(inet) => return inet.bind(&raw).map(|_| 0),
        Sock::Unix(sock) => sock,
    };
    if raw.len() == 2 && family(&raw) == Some(AF_UNIX) {
        return sock.autobind().map(|_| 0);
    }
    sock.bind(UnixAddr::parse(&raw)?).map(|_| 0)
}

pub fn sys_listen(fd: i32, backlog: i32) -> Result<usize, Errno> {
    let backlog = (backlog as u32 as usize).min(SOMAXCONN);
    match socket_of(fd)?.1 {
        Sock::Unix(sock) => sock.listen(backlog).map(|_| 0),
        Sock::Inet(sock) => sock.listen(backlog).map(|_| 0),
    }
}

pub fn sys_connect(fd: i32, addr: u64, len: u32) -> Result<usize, Errno> {
    let (file, sock) = socket_of(fd)?;
    let raw = read_sockaddr(addr, len)?;
    let nonblock = file.flags().contains(OpenFlags::O_NONBLOCK);
    let sock = match sock {
        Sock::Inet(inet) => return inet.connect(&raw, nonblock).map(|_| 0),
        Sock::Unix(sock) => sock,
    };
    if sock.kind == Kind::Dgram {
        if raw.len() >= 2 && family(&raw) == Some(AF_UNSPEC) {
            return sock.connect_dgram(None).map(|_| 0);
        }
        return sock.connect_dgram(Some(&UnixAddr::parse(&raw)?)).map(|_| 0);
    }
    sock.connect_stream(&UnixAddr::parse(&raw)?, nonblock).map(|_| 0)
}

pub fn sys_accept4(fd: i32, addr: u64, lenp: u64, flags: i32) -> Result<usize, Errno> {
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let (file, sock) = socket_of(fd)?;
    let nonblock = file.flags().contains(OpenFlags::O_NONBLOCK);
    let sock = match sock {
        Sock::Inet(inet) => return accept_inet(&inet, nonblock, addr, lenp, flags),
        Sock::Unix(sock) => sock,
    };
    let server_end = sock.accept(nonblock)?;
    let peer = server_end.name(true).unwrap_or_else(|_| UnixAddr::unnamed());
    let new_fd = install(server_end, flags & SOCK_NONBLOCK != 0, flags & SOCK_CLOEXEC != 0)?;
    if let Err(e) = write_sockaddr(addr, lenp, &peer) {
        let _ = current().files.lock().close(new_fd);
        return Err(e);
    }
    Ok(new_fd as usize)
}

fn accept_inet(sock: &InetSocket, nonblock: bool, addr: u64, lenp: u64, flags: i32) -> Result<usize, Errno> {
    let (conn, peer) = sock.accept(nonblock)?;
    let file = super::inet::file::open_file(conn, flags & SOCK_NONBLOCK != 0);
    let new_fd = current().files.lock().install(file, flags & SOCK_CLOEXEC != 0)?;
    if let Err(e) = write_sockaddr(addr, lenp, &peer) {
        let _ = current().files.lock().close(new_fd);
        return Err(e);
    }
    Ok(new_fd as usize)
}

pub fn sys_accept(fd: i32, addr: u64, lenp: u64) -> Result<usize, Errno> {
    sys_accept4(fd, addr, lenp, 0)
}

pub fn sys_shutdown(fd: i32, how: i32) -> Result<usize, Errno> {
    match socket_of(fd)?.1 {
        Sock::Unix(sock) => sock.shutdown(how).map(|_| 0),
        Sock::Inet(_) if !(SHUT_RD..=SHUT_RDWR).contains(&how) => Err(Errno::EINVAL),
        Sock::Inet(sock) => sock.shutdown(how).map(|_| 0),
    }
}

/// getsockname (`peer` false) or getpeername.
fn sockname(fd: i32, addr: u64, lenp: u64, peer: bool) -> Result<usize, Errno> {
    let name = match socket_of(fd)?.1 {
        Sock::Unix(sock) => sock.name(peer)?,
        Sock::Inet(sock) => sock.name(peer)?,
    };
    super::msg::move_addr_to_user(addr, lenp, &name).map(|_| 0)
}

pub fn sys_getsockname(fd: i32, addr: u64, lenp: u64) -> Result<usize, Errno> {
    sockname(fd, addr, lenp, false)
}

pub fn sys_getpeername(fd: i32, addr: u64, lenp: u64) -> Result<usize, Errno> {
    sockname(fd, addr, lenp, true)
}

/// How much of a stream send is copied into the kernel at a time.
const STREAM_PIECE: usize = 64 * 1024;

/// Sends one message: its bytes, destination and control data. A
/// datagram too big for the send buffer is EMSGSIZE before anything is
/// copied; a stream is copied and sent a piece at a time.
fn send_msg(sock: &Arc<UnixSocket>, file: &OpenFile, msg: &UserMsg, flags: u32) -> Result<usize, Errno> {
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let to = match msg.name()? {
        Some(raw) => Some(UnixAddr::parse(&raw)?),
        None => None,
    };
    let mut scm = parse_control(&msg.control()?)?;
    let total = msg.total_len().min(MAX_RW_COUNT);
    let nonblock = nonblocking(file, flags);
    let sent = if sock.kind == Kind::Stream {
        send_in_pieces(msg, total, STREAM_PIECE, |data| sock.send(data, to.as_ref(), &mut scm, nonblock))
    } else if total > sock.max_message() {
        Err(Errno::EMSGSIZE)
    } else {
        msg.gather(0, total).and_then(|data| sock.send(&data, to.as_ref(), &mut scm, nonblock))
    };
    super::unix::signal_broken_pipe(sock, &sent, flags & MSG_NOSIGNAL != 0);
    sent
}

/// Sends one message on a socket of any family.
fn send_any(fd: i32, msg: &UserMsg, flags: u32) -> Result<usize, Errno> {
    match socket_of(fd)? {
        (file, Sock::Unix(sock)) => send_msg(&sock, &file, msg, flags),
        (_, Sock::Inet(_)) if flags & MSG_OOB != 0 => Err(Errno::EOPNOTSUPP),
        (file, Sock::Inet(sock)) => super::inet::transfer::send_msg(&sock, msg, flags, nonblocking(&file, flags)),
    }
}

pub fn sys_sendto(fd: i32, buf: u64, len: usize, flags: u32, addr: u64, addrlen: u32) -> Result<usize, Errno> {
    socket_of(fd)?;
    let mut msg = UserMsg::single(buf, len.min(MAX_RW_COUNT))?;
    msg.hdr.msg_name = addr;
    msg.hdr.msg_namelen = if addr == 0 { 0 } else { addrlen };
    send_any(fd, &msg, flags)
}

pub fn sys_sendmsg(fd: i32, msg: u64, flags: u32) -> Result<usize, Errno> {
    socket_of(fd)?;
    send_any(fd, &UserMsg::read(msg)?, flags)
}

/// What one receive gives back to user memory besides the bytes.
struct RecvResult {
    len: usize,
    from: Option<Vec<u8>>,
    control: ControlOut,
    flags: u32,
}

/// Receives one message into `msg`'s buffers; control data goes into at
/// most `control_room` bytes.
fn recv_msg(fd: i32, msg: &UserMsg, control_room: usize, flags: u32) -> Result<RecvResult, Errno> {
    let (file, sock) = match socket_of(fd)? {
        (file, Sock::Unix(sock)) => (file, sock),
        (file, Sock::Inet(sock)) => {
            if flags & MSG_OOB != 0 {
                return Err(Errno::EOPNOTSUPP);
            }
            let got = super::inet::transfer::recv_msg(&sock, msg, flags, nonblocking(&file, flags))?;
            let control = ControlOut::new(0);
            return Ok(RecvResult { len: got.len, from: got.from, control, flags: got.flags });
        }
    };
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let recv_flags = RecvFlags {
        nonblock: nonblocking(&file, flags),
        peek: flags & MSG_PEEK != 0,
        waitall: flags & MSG_WAITALL != 0,
    };
    let got = sock.recv(msg.total_len(), recv_flags)?;
    msg.scatter(&got.data)?;
    let mut control = ControlOut::new(control_room);
    if sock.state.lock().options.passcred {
        if let Some(cred) = &got.cred {
            control.put_cred(cred);
        }
    }
    if !got.rights.is_empty() {
        control.put_rights(got.rights, flags & MSG_CMSG_CLOEXEC != 0);
    }
    let mut out_flags = 0;
    if got.truncated {
        out_flags |= MSG_TRUNC;
    }
    if control.truncated {
        out_flags |= MSG_CTRUNC;
    }
    let len = if got.truncated && flags & MSG_TRUNC != 0 { got.len } else { got.data.len() };
    Ok(RecvResult { len, from: got.from.map(|a| a.bytes().to_vec()), control, flags: out_flags })
}

pub fn sys_recvfrom(fd: i32, buf: u64, len: usize, flags: u32, addr: u64, lenp: u64) -> Result<usize, Errno> {
    let msg = UserMsg::single(buf, len)?;
    let r = recv_msg(fd, &msg, 0, flags)?;
    if addr != 0 {
        match &r.from {
            Some(name) => write_sockaddr(addr, lenp, name)?,
            None => write_user(lenp, &0u32)?,
        }
    }
    Ok(r.len)
}

/// recvmsg's work on the header at `addr`: receive, then write back the
/// address, the control data and the flags.
fn recvmsg_at(fd: i32, addr: u64, flags: u32) -> Result<usize, Errno> {
    let msg = UserMsg::read(addr)?;
    let room = msg.hdr.msg_controllen.min(i32::MAX as u64) as usize;
    let room = if msg.hdr.msg_control == 0 { 0 } else { room };
    let r = recv_msg(fd, &msg, room, flags)?;
    let mut hdr = msg.hdr;
    if hdr.msg_name != 0 {
        let name = r.from.unwrap_or_default();
        let n = (hdr.msg_namelen as usize).min(name.len());
        crate::uaccess::copy_to_user(hdr.msg_name, &name[..n])?;
        hdr.msg_namelen = name.len() as u32;
    }
    if !r.control.bytes.is_empty() {
        crate::uaccess::copy_to_user(hdr.msg_control, &r.control.bytes)?;
    }
    hdr.msg_controllen = r.control.bytes.len() as u64;
    hdr.msg_flags = r.flags;
    write_user(addr, &hdr)?;
    Ok(r.len)
}

pub fn sys_recvmsg(fd: i32, msg: u64, flags: u32) -> Result<usize, Errno> {
    recvmsg_at(fd, msg, flags)
}

const MMSGHDR: u64 = core::mem::size_of::<Mmsghdr>() as u64;
/// Where msg_len sits in a `struct mmsghdr`.
const MSG_LEN_OFFSET: u64 = core::mem::size_of::<Msghdr>() as u64;

pub fn sys_sendmmsg(fd: i32, vec: u64, vlen: u32, flags: u32) -> Result<usize, Errno> {
    socket_of(fd)?;
    let vlen = (vlen as usize).min(abi::UIO_MAXIOV);
    let mut sent = 0;
    while sent < vlen {
        let at = vec + sent as u64 * MMSGHDR;
        let step = UserMsg::read(at).and_then(|msg| send_any(fd, &msg, flags));
        match step {
            Ok(n) => write_user(at + MSG_LEN_OFFSET, &(n as u32))?,
            Err(e) if sent == 0 => return Err(e),
            Err(_) => break,
        }
        sent += 1;
    }
    Ok(sent)
}

pub fn sys_recvmmsg(fd: i32, vec: u64, vlen: u32, flags: u32, timeout: u64) -> Result<usize, Errno> {
    socket_of(fd)?;
    let deadline = if timeout == 0 {
        None
    } else {
        let ts: abi::Timespec = read_user(timeout)?;
        Some(crate::time::uptime_ns().saturating_add(ts.to_nanos().ok_or(Errno::EINVAL)?))
    };
    let vlen = (vlen as usize).min(abi::UIO_MAXIOV);
    let mut flags = flags;
    let mut got = 0;
    while got < vlen {
        let at = vec + got as u64 * MMSGHDR;
        match recvmsg_at(fd, at, flags & !MSG_WAITFORONE) {
            Ok(n) => write_user(at + MSG_LEN_OFFSET, &(n as u32))?,
            Err(e) if got == 0 => return Err(e),
            Err(_) => break,
        }
        got += 1;
        if flags & MSG_WAITFORONE != 0 {
            flags |= MSG_DONTWAIT;
        }
        if deadline.is_some_and(|d| crate::time::uptime_ns() >= d) {
            break;
        }
    }
    Ok(got)
}

pub fn sys_setsockopt(fd: i32, level: i32, name: i32, value: u64, len: u32) -> Result<usize, Errno> {
    let (_, sock) = socket_of(fd)?;
    let len = usize::try_from(len as i32).map_err(|_| Errno::EINVAL)?;
    // No option's value is longer than a timeval.
    let mut bytes = alloc::vec![0u8; len.min(16)];
    crate::uaccess::copy_from_user(&mut bytes, value)?;
    match sock {
        Sock::Unix(sock) => sock.set_option(level, name, &bytes).map(|_| 0),
        Sock::Inet(sock) => sock.set_option(level, name, &bytes).map(|_| 0),
    }
}

pub fn sys_getsockopt(fd: i32, level: i32, name: i32, value: u64, lenp: u64) -> Result<usize, Errno> {
    let (_, sock) = socket_of(fd)?;
    let room: i32 = read_user(lenp)?;
    let room = usize::try_from(room).map_err(|_| Errno::EINVAL)?;
    let bytes = match sock {
        Sock::Unix(sock) => sock.get_option(level, name)?,
        Sock::Inet(sock) => sock.get_option(level, name)?,
    };
    let n = room.min(bytes.len());
    crate::uaccess::copy_to_user(value, &bytes[..n])?;
    write_user(lenp, &(n as u32)).map(|_| 0)
}
