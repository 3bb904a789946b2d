//! The loopback device (`lo`): every packet sent is received back, in
//! order. IP packets without a link layer, like Linux's lo; checksums
//! are neither computed nor checked, since nothing can corrupt them.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use smoltcp::phy::{self, ChecksumCapabilities, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// Linux's lo MTU is 65536; an IPv4 packet cannot exceed 65535.
const MTU: usize = 65535;

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
    pub stats: DevStats,
}

impl Loopback {
    /// True while sent packets wait to be received.
    pub fn has_pending(&self) -> bool {
        !self.queue.is_empty()
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
