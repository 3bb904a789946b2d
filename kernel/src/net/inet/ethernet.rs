//! The network card as the stack's device (`eth0`): Ethernet frames to
//! and from the virtio-net driver.

use alloc::sync::Arc;
use alloc::vec::Vec;

use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

use super::loopback::DevStats;
use crate::drivers::virtio::net::{VirtioNet, MAX_FRAME};

pub struct Ethernet {
    pub nic: Arc<VirtioNet>,
    pub stats: DevStats,
}

impl Device for Ethernet {
    type RxToken<'a> = RxToken;
    type TxToken<'a> = TxToken<'a>;

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.max_transmission_unit = MAX_FRAME;
        caps.medium = Medium::Ethernet;
        caps
    }

    fn receive(&mut self, _now: Instant) -> Option<(RxToken, TxToken<'_>)> {
        let frame = self.nic.receive()?;
        self.stats.received(frame.len());
        Some((RxToken(frame), TxToken(&self.nic, &mut self.stats)))
    }

    fn transmit(&mut self, _now: Instant) -> Option<TxToken<'_>> {
        self.nic.can_send().then_some(TxToken(&self.nic, &mut self.stats))
    }
}

pub struct RxToken(Vec<u8>);

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

pub struct TxToken<'a>(&'a VirtioNet, &'a mut DevStats);

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = alloc::vec![0u8; len];
        let r = f(&mut frame);
        if self.0.send(&frame) {
            self.1.sent(len);
        }
        r
    }
}
