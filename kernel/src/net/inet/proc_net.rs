//! The internet sockets as /proc/net/tcp, udp, tcp6 and udp6 list them,
//! in Linux's formats (what busybox netstat reads).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use smoltcp::socket::tcp::State;
use smoltcp::wire::{IpAddress, IpEndpoint};

use super::addr::Family;

/// Linux's number for a TCP state (/proc/net/tcp's `st`).
pub fn linux_state(state: State) -> u8 {
    match state {
        State::Established => 0x01,
        State::SynSent => 0x02,
        State::SynReceived => 0x03,
        State::FinWait1 => 0x04,
        State::FinWait2 => 0x05,
        State::TimeWait => 0x06,
        State::Closed => 0x07,
        State::CloseWait => 0x08,
        State::LastAck => 0x09,
        State::Listen => 0x0A,
        State::Closing => 0x0B,
    }
}

/// What /proc/net/tcp shows of a socket: local and remote endpoints,
/// state, bytes queued to send and to read.
pub struct Entry {
    pub local: IpEndpoint,
    pub remote: Option<IpEndpoint>,
    pub state: u8,
    pub tx_queue: usize,
    pub rx_queue: usize,
}

/// An endpoint as /proc/net/tcp (IPv4) and tcp6 (IPv6) print it: each
/// 32-bit word of the address in memory order, then the port, in hex.
fn endpoint_hex(e: Option<IpEndpoint>, family: Family) -> String {
    let (addr, port) = e.map_or((None, 0), |e| (Some(e.addr), e.port));
    let octets: Vec<u8> = match (family, addr) {
        (Family::V4, Some(IpAddress::Ipv4(a))) => a.octets().to_vec(),
        (Family::V4, _) => alloc::vec![0; 4],
        (Family::V6, Some(IpAddress::Ipv4(a))) => a.to_ipv6_mapped().octets().to_vec(),
        (Family::V6, Some(IpAddress::Ipv6(a))) => a.octets().to_vec(),
        (Family::V6, None) => alloc::vec![0; 16],
    };
    let words: String =
        octets.chunks(4).map(|w| format!("{:08X}", u32::from_ne_bytes([w[0], w[1], w[2], w[3]]))).collect();
    format!("{words}:{port:04X}")
}

/// /proc/net/tcp (`family` V4) or tcp6: the TCP sockets of that family
/// that listen or are connected.
pub fn proc_net_tcp(family: Family) -> String {
    use super::socket::Proto;
    let (header, width) = match family {
        Family::V4 => ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode", 149),
        Family::V6 => ("  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode", 0),
    };
    let mut s = format!("{header:<width$}\n");
    let entries = super::socket::all().into_iter().filter(|k| k.family() == family).filter_map(|k| {
        let Proto::Tcp(t) = &k.proto else { return None };
        Some((t.proc_entry()?, k.uid, k.inode.ino))
    });
    for (sl, (e, uid, ino)) in entries.enumerate() {
        let line = format!(
            "{sl:4}: {} {} {:02X} {:08X}:{:08X} 00:00000000 00000000 {uid:5} {:8} {ino} 1 0000000000000000 100 0 0 10 0",
            endpoint_hex(Some(e.local), family),
            endpoint_hex(e.remote, family),
            e.state,
            e.tx_queue,
            e.rx_queue,
            0
        );
        s += &format!("{line:<width$}\n");
    }
    s
}

/// /proc/net/udp (`family` V4) or udp6: the bound UDP sockets.
pub fn proc_net_udp(family: Family) -> String {
    use super::socket::Proto;
    let (header, width) = match family {
        Family::V4 => ("   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops", 127),
        Family::V6 => ("  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops", 0),
    };
    let mut s = format!("{header:<width$}\n");
    let entries = super::socket::all().into_iter().filter(|k| k.family() == family).filter_map(|k| {
        let Proto::Udp(u) = &k.proto else { return None };
        Some((u.proc_entry()?, k.uid, k.inode.ino))
    });
    for (sl, ((local, peer), uid, ino)) in entries.enumerate() {
        let state = if peer.is_some() { 0x01 } else { 0x07 };
        let line = format!(
            "{sl:5}: {} {} {state:02X} 00000000:00000000 00:00000000 00000000 {uid:5} {:8} {ino} 2 0000000000000000 0",
            endpoint_hex(Some(local), family),
            endpoint_hex(peer, family),
            0
        );
        s += &format!("{line:<width$}\n");
    }
    s
}
