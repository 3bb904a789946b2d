//! The loopback device (`lo`): every packet sent is received back, in
//! order. IP packets without a link layer, like Linux's lo; checksums
//! are neither computed nor checked, since nothing can corrupt them.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

use smoltcp::phy::{self, ChecksumCapabilities, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// Linux's lo MTU is 65536; an IPv4 packet cannot exceed 65535.
const MTU: usize = 65535;
/// Connection requests that may wait for a listener (Linux's SYN queue,
/// tcp_max_syn_backlog's order of size); more are dropped, and their
/// clients send them again.
const MAX_HELD_SYNS: usize = 1024;
const IPPROTO_TCP: u8 = 6;
const TCP_SYN: u8 = 0x02;
const TCP_ACK: u8 = 0x10;

/// Packets and bytes a device received and sent (/proc/net/dev).
#[derive(Default, Clone, Copy)]
pub struct DevStats {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
}

impl DevStats {
    pub fn received(&mut self, len: usize) {
        self.rx_packets += 1;
        self.rx_bytes += len as u64;
    }

    pub fn sent(&mut self, len: usize) {
        self.tx_packets += 1;
        self.tx_bytes += len as u64;
    }
}

#[derive(Default)]
pub struct Loopback {
    queue: VecDeque<Vec<u8>>,
    /// Connection requests waiting for a free listener of their port.
    held_syns: VecDeque<Vec<u8>>,
    pub stats: DevStats,
}

/// The destination port of a TCP segment opening a connection (SYN
/// without ACK), in an IPv4 or IPv6 packet.
fn syn_port(packet: &[u8]) -> Option<u16> {
    let tcp = match packet.first()? >> 4 {
        4 if *packet.get(9)? == IPPROTO_TCP => packet.get(usize::from(packet[0] & 0xf) * 4..)?,
        6 if *packet.get(6)? == IPPROTO_TCP => packet.get(40..)?,
        _ => return None,
    };
    let flags = *tcp.get(13)?;
    (flags & (TCP_SYN | TCP_ACK) == TCP_SYN).then(|| u16::from_be_bytes([tcp[2], tcp[3]]))
}

impl Loopback {
    /// True while sent packets wait to be received.
    pub fn has_pending(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Lets through as many connection requests for each port as it has
    /// free listeners (`free` counts them, when a request is queued),
    /// oldest first; the others wait while a
    /// socket `listening` on their port may accept later, as Linux's
    /// requests wait in a full accept queue's SYN queue, instead of
    /// meeting a RST.
    pub fn queue_syns(&mut self, free: impl FnOnce() -> BTreeMap<u16, usize>, listening: impl Fn(u16) -> bool) {
        if self.held_syns.is_empty() && !self.queue.iter().any(|p| syn_port(p).is_some()) {
            return;
        }
        let mut free = free();
        let mut ready = VecDeque::new();
        let mut still_held = VecDeque::new();
        for packet in self.held_syns.drain(..).chain(self.queue.drain(..)) {
            let Some(port) = syn_port(&packet) else {
                ready.push_back(packet);
                continue;
            };
            match free.get_mut(&port) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    ready.push_back(packet);
                }
                _ if listening(port) => {
                    if still_held.len() < MAX_HELD_SYNS {
                        still_held.push_back(packet);
                    }
                }
                _ => ready.push_back(packet),
            }
        }
        self.queue = ready;
        self.held_syns = still_held;
    }
}

impl Device for Loopback {
    type RxToken<'a> = RxToken;
    type TxToken<'a> = TxToken<'a>;

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.max_transmission_unit = MTU;
        caps.medium = Medium::Ip;
        caps.checksum = ChecksumCapabilities::ignored();
        caps
    }

    fn receive(&mut self, _now: Instant) -> Option<(RxToken, TxToken<'_>)> {
        let packet = self.queue.pop_front()?;
        self.stats.received(packet.len());
        Some((RxToken(packet), TxToken(&mut self.queue, &mut self.stats)))
    }

    fn transmit(&mut self, _now: Instant) -> Option<TxToken<'_>> {
        Some(TxToken(&mut self.queue, &mut self.stats))
    }
}

pub struct RxToken(Vec<u8>);

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

pub struct TxToken<'a>(&'a mut VecDeque<Vec<u8>>, &'a mut DevStats);

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut packet = alloc::vec![0u8; len];
        let r = f(&mut packet);
        self.1.sent(len);
        self.0.push_back(packet);
        r
    }
}
