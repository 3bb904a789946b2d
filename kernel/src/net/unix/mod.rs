//! AF_UNIX: local sockets between processes (Linux's net/unix/), with
//! stream, datagram and seqpacket types, pathname and abstract addresses,
//! and descriptors and credentials passed in control messages.

pub mod addr;
pub mod file;
pub mod options;
pub mod scm;
pub mod socket;
pub mod transfer;

use alloc::format;
use alloc::vec::Vec;

use abi::Errno;

pub use crate::net::timeout::wait_for;

use socket::{Conn, Kind, UnixSocket};

/// A stream write that found the connection closed raises SIGPIPE,
/// unless MSG_NOSIGNAL (datagram and seqpacket sockets never do).
pub fn signal_broken_pipe<T>(sock: &UnixSocket, result: &Result<T, Errno>, nosignal: bool) {
    if matches!(result, Err(Errno::EPIPE)) && sock.kind == Kind::Stream && !nosignal {
        crate::proc::signal::send_sigpipe();
    }
}

/// /proc/net/unix: one line per socket, in Linux's format.
pub fn proc_net_unix() -> Vec<u8> {
    let mut out = b"Num       RefCount Protocol Flags    Type St Inode Path\n".to_vec();
    for sock in UnixSocket::all() {
        let s = sock.state.lock();
        if s.dead {
            continue;
        }
        // __SO_ACCEPTCON for a listener; SS_CONNECTED or SS_UNCONNECTED.
        let (flags, st) = match s.conn {
            Conn::Listening { .. } => (0x10000, 1),
            Conn::Connected(_) => (0, 3),
            Conn::None => (0, 1),
        };
        let line = format!(
            "{:016x}: {:08X} {:08X} {:08X} {:04X} {:02X} {:5}",
            0,
            2,
            0,
            flags,
            sock.kind.type_number(),
            st,
            sock.inode.ino
        );
        out.extend_from_slice(line.as_bytes());
        if let Some(addr) = s.addr() {
            out.push(b' ');
            out.extend_from_slice(&addr.display());
        }
        out.push(b'\n');
    }
    out
}
