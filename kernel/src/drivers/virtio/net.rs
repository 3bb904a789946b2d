//! virtio-net through the legacy virtio-pci interface: a receive queue
//! kept full of buffers and a transmit queue, each packet one descriptor
//! (the 10-byte virtio header, then the Ethernet frame). The device's
//! interrupt (PCI INTx through the I/O APIC) only acknowledges it and
//! marks the network as having work; the stack takes the frames in
//! process context.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use machine::dma::DmaBuffer;
use spin::{Mutex, Once};

use super::queue::{Virtqueue, DESC_F_WRITE};
use super::{Legacy, CONFIG, VIRTIO_VENDOR};
use crate::drivers::pci::{self, PciFunction};

/// The transitional (legacy-capable) virtio-net PCI device.
const VIRTIO_NET_LEGACY: u16 = 0x1000;
const F_MAC: u32 = 1 << 5;
const RX_QUEUE: u16 = 0;
const TX_QUEUE: u16 = 1;
/// struct virtio_net_hdr without VIRTIO_NET_F_MRG_RXBUF.
const HDR: usize = 10;
/// One packet's buffer: the header and a full Ethernet frame.
const BUF: usize = 2048;
/// The longest frame sent: 1500 bytes of payload and the 14-byte header.
pub const MAX_FRAME: usize = 1514;

struct Queues {
    rx: Virtqueue,
    rx_bufs: DmaBuffer,
    tx: Virtqueue,
    tx_bufs: DmaBuffer,
    /// Transmit descriptors not in the device's hands.
    tx_free: Vec<u16>,
}

pub struct VirtioNet {
    dev: Legacy,
    queues: Mutex<Queues>,
    pub mac: [u8; 6],
    /// The GSI its interrupt arrives on.
    pub gsi: u32,
}

/// The first virtio-net device, once probed.
static DEVICE: Once<Arc<VirtioNet>> = Once::new();
/// Set by the interrupt, taken by the stack's deferred poll.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

impl VirtioNet {
    /// The next received frame, if any; its buffer goes back to the device.
    pub fn receive(&self) -> Option<Vec<u8>> {
        let mut q = self.queues.lock();
        let (id, len) = q.rx.pop_used()?;
        let len = (len as usize).clamp(HDR, BUF);
        let mut frame = alloc::vec![0u8; len - HDR];
        q.rx_bufs.read(usize::from(id) * BUF + HDR, &mut frame);
        q.rx.push(id);
        drop(q);
        self.dev.notify(RX_QUEUE);
        Some(frame)
    }

    /// True when a frame can be queued for sending now.
    pub fn can_send(&self) -> bool {
        let mut q = self.queues.lock();
        reclaim(&mut q);
        !q.tx_free.is_empty()
    }

    /// Queues `frame` for sending; false (the frame dropped) when every
    /// transmit buffer is in use.
    pub fn send(&self, frame: &[u8]) -> bool {
        let mut q = self.queues.lock();
        reclaim(&mut q);
        let Some(id) = q.tx_free.pop() else { return false };
        let len = frame.len().min(BUF - HDR);
        let at = usize::from(id) * BUF;
        q.tx_bufs.write(at, &[0; HDR]);
        q.tx_bufs.write(at + HDR, &frame[..len]);
        let addr = q.tx_bufs.device_addr() + at as u64;
        q.tx.set_desc(id, addr, (HDR + len) as u32, 0, 0);
        q.tx.push(id);
        drop(q);
        self.dev.notify(TX_QUEUE);
        true
    }
}

/// Takes back the transmit descriptors the device is done with.
fn reclaim(q: &mut Queues) {
    while let Some((id, _)) = q.tx.pop_used() {
        q.tx_free.push(id);
    }
}

fn init_device(f: &PciFunction) -> Option<VirtioNet> {
    let (dev, features) = Legacy::start(f, F_MAC)?;
    let (Some(rx), Some(tx)) = (dev.queue(RX_QUEUE, 16), dev.queue(TX_QUEUE, 16)) else {
        dev.fail();
        return None;
    };
    let rx_bufs = DmaBuffer::alloc(usize::from(rx.size) * BUF)?;
    let tx_bufs = DmaBuffer::alloc(usize::from(tx.size) * BUF)?;
    for id in 0..rx.size {
        rx.set_desc(id, rx_bufs.device_addr() + u64::from(id) * BUF as u64, BUF as u32, DESC_F_WRITE, 0);
    }
    let mut rx = rx;
    for id in 0..rx.size {
        rx.push(id);
    }
    let tx_free = (0..tx.size).collect();
    let mut mac = [0u8; 6];
    if features & F_MAC != 0 {
        for (i, b) in mac.iter_mut().enumerate() {
            *b = dev.io.read8(CONFIG + i as u16);
        }
    } else {
        // A locally administered address of our own.
        crate::random::fill(&mut mac);
        mac[0] = (mac[0] & 0xfe) | 0x02;
    }
    dev.driver_ok();
    dev.notify(RX_QUEUE);
    let gsi = super::intx_gsi(f);
    Some(VirtioNet { dev, queues: Mutex::new(Queues { rx, rx_bufs, tx, tx_bufs, tx_free }), mac, gsi })
}

/// Finds the first virtio-net device and starts it.
pub fn probe() -> Option<Arc<VirtioNet>> {
    let f = pci::scan().into_iter().find(|f| f.vendor == VIRTIO_VENDOR && f.device_id == VIRTIO_NET_LEGACY)?;
    match init_device(&f) {
        Some(dev) => Some(DEVICE.call_once(|| Arc::new(dev)).clone()),
        None => {
            crate::pr_warn!("virtio-net at {:02x}:{:02x}.{}: no legacy I/O interface", f.bus, f.device, f.function);
            None
        }
    }
}

/// The device's interrupt: acknowledged (reading the status lowers the
/// level-triggered line), and the network marked as having work. Returns
/// the device's GSI if the interrupt was its.
pub fn interrupt() -> Option<u32> {
    let dev = DEVICE.get()?;
    if dev.dev.isr() == 0 {
        return None;
    }
    INTERRUPTED.store(true, Ordering::Release);
    Some(dev.gsi)
}

/// The GSI of the card's interrupt, once probed.
pub fn gsi() -> Option<u32> {
    DEVICE.get().map(|d| d.gsi)
}

/// Takes the mark the interrupt left (frames received or sent).
pub fn take_interrupted() -> bool {
    INTERRUPTED.swap(false, Ordering::Acquire)
}

/// True while the interrupt's mark waits to be taken.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Acquire)
}
