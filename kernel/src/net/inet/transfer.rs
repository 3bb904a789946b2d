//! sendmsg and recvmsg on internet sockets: a stream is copied from user
//! memory a piece at a time, a datagram whole; a receive copies at most
//! what the buffers hold. Control messages are neither taken nor given.

use alloc::vec::Vec;

use abi::socket::*;
use abi::Errno;

use super::socket::InetSocket;
use crate::net::msg::{send_in_pieces, UserMsg, MAX_RW_COUNT};

/// How much of a stream send is copied into the kernel at a time, and
/// the most one stream receive takes.
const STREAM_PIECE: usize = 64 * 1024;
/// The largest datagram (an IP packet's 65535 bytes hold less).
const MAX_DATAGRAM: usize = 65536;

pub fn send_msg(sock: &InetSocket, msg: &UserMsg, flags: u32, nonblock: bool) -> Result<usize, Errno> {
    let to = msg.name()?;
    let total = msg.total_len().min(MAX_RW_COUNT);
    let sent = if sock.is_stream() {
        send_in_pieces(msg, total, STREAM_PIECE, |data| sock.send(data, None, nonblock))
    } else {
        msg.gather(0, total.min(MAX_DATAGRAM + 1)).and_then(|data| sock.send(&data, to.as_deref(), nonblock))
    };
    if matches!(sent, Err(Errno::EPIPE)) && sock.is_stream() && flags & MSG_NOSIGNAL == 0 {
        crate::proc::signal::send_sigpipe();
    }
    sent
}

/// What a receive gives back besides the bytes: the length to return,
/// the source address (datagrams), the message flags.
pub struct Got {
    pub len: usize,
    pub from: Option<Vec<u8>>,
    pub flags: u32,
}

pub fn recv_msg(sock: &InetSocket, msg: &UserMsg, flags: u32, nonblock: bool) -> Result<Got, Errno> {
    let room = msg.total_len().min(if sock.is_stream() { STREAM_PIECE } else { MAX_DATAGRAM });
    let mut buf = alloc::vec![0u8; room];
    let r = sock.recv(&mut buf, flags, nonblock)?;
    msg.scatter(&buf[..r.copied])?;
    let truncated = r.len > r.copied;
    let len = if truncated && flags & MSG_TRUNC != 0 { r.len } else { r.copied };
    Ok(Got { len, from: r.from, flags: if truncated { MSG_TRUNC } else { 0 } })
}
