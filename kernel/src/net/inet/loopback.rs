//! The loopback device (`lo`): every packet sent is received back, in
//! order. IP packets without a link layer, like Linux's lo; checksums
//! are neither computed nor checked, since nothing can corrupt them.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use smoltcp::phy::{self, ChecksumCapabilities, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// Linux's lo MTU is 65536; an IPv4 packet cannot exceed 65535.
const MTU: usize = 65535;

#[derive(Default)]
pub struct Loopback {
    queue: VecDeque<Vec<u8>>,
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
        Some((RxToken(packet), TxToken(&mut self.queue)))
    }

    fn transmit(&mut self, _now: Instant) -> Option<TxToken<'_>> {
        Some(TxToken(&mut self.queue))
    }
}

pub struct RxToken(Vec<u8>);

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

pub struct TxToken<'a>(&'a mut VecDeque<Vec<u8>>);

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut packet = alloc::vec![0u8; len];
        let r = f(&mut packet);
        self.0.push_back(packet);
        r
    }
}
