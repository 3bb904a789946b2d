//! The TCP/IP stack: one smoltcp interface per network device, each with
//! the set of protocol sockets that use it. Every socket operation runs
//! under the stack's lock and is followed by a poll of the interfaces,
//! which moves packets (a loopback send is received at once) and runs the
//! protocols' timers; a poll is also due at the time the protocols ask
//! for (retransmissions, delayed ACKs), which deferred work keeps. A poll
//! that changed some socket's state wakes `NET_WAIT`, where every blocked
//! internet socket operation waits for its condition.
//!
//! The stack's lock is taken in process context only (system calls and
//! deferred work), never in an interrupt handler; a socket's own lock is
//! taken before it, never inside it.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use smoltcp::iface::{Config, Interface, PollResult, SocketHandle, SocketSet};
use smoltcp::socket::tcp;
use smoltcp::socket::Socket;
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Address, Ipv6Address};
use spin::{Mutex, Once};

use super::ethernet::Ethernet;
use super::ipconfig::IpConfig;
use super::loopback::{DevStats, Loopback};
use crate::drivers::virtio::net::{self as nic, VirtioNet};
use crate::sched::deferred::{self, DeferredWork};
use crate::sched::wait::WaitQueue;
use crate::time::uptime_ns;

/// The loopback interface's index: always the first.
pub const LO: usize = 0;

pub enum NetDevice {
    Loopback(Loopback),
    Ethernet(Ethernet),
}

impl NetDevice {
    pub fn stats(&self) -> DevStats {
        match self {
            NetDevice::Loopback(lo) => lo.stats,
            NetDevice::Ethernet(eth) => eth.stats,
        }
    }

    /// True while packets the stack sent to itself wait to be received.
    fn has_pending(&self) -> bool {
        match self {
            NetDevice::Loopback(lo) => lo.has_pending(),
            NetDevice::Ethernet(_) => false,
        }
    }
}

pub struct NetIface {
    /// Its name (lo, eth0) and index (1, 2: Linux's order).
    pub name: &'static str,
    pub index: u32,
    /// Administratively up (IFF_UP): a down interface moves no packets.
    pub up: bool,
    pub iface: Interface,
    pub device: NetDevice,
    pub sockets: SocketSet<'static>,
    /// The IPv4 default route's gateway through this interface.
    pub gateway: Option<Ipv4Address>,
    /// TCP sockets whose descriptors are closed, finishing their
    /// connection, with the port reservation they keep meanwhile (owner,
    /// port): freed once it is over.
    orphans: Vec<(SocketHandle, Option<(u64, u16)>)>,
    /// Port reservations of connections in TIME_WAIT, kept until the
    /// uptime given (their sockets and buffers are freed at once, as
    /// Linux keeps only a small time-wait record).
    time_wait: Vec<(u64, (u64, u16))>,
}

/// How long a connection stays in TIME_WAIT (Linux's TCP_TIMEWAIT_LEN).
const TIME_WAIT_NS: u64 = 60 * crate::time::NSEC_PER_SEC;

impl NetIface {
    fn poll(&mut self, now: Instant) -> bool {
        if !self.up {
            return false;
        }
        let mut changed = false;
        loop {
            let result = match &mut self.device {
                NetDevice::Loopback(lo) => {
                    lo.queue_syns(
                        || free_listeners(&self.sockets),
                        |port| super::ports::is_listening(super::ports::Proto::Tcp, port),
                    );
                    self.iface.poll(now, lo, &mut self.sockets)
                }
                NetDevice::Ethernet(eth) => self.iface.poll(now, eth, &mut self.sockets),
            };
            changed |= matches!(result, PollResult::SocketStateChanged);
            if !self.device.has_pending() {
                break;
            }
        }
        self.reap_orphans();
        changed
    }

    /// Frees the orphans whose connection is over or in TIME_WAIT (whose
    /// port stays reserved for TIME_WAIT's length), and resets those that
    /// received data nobody will read (Linux answers it with RST).
    fn reap_orphans(&mut self) {
        let now = uptime_ns();
        let (sockets, time_wait) = (&mut self.sockets, &mut self.time_wait);
        self.orphans.retain(|&(h, reservation)| {
            let sock = sockets.get_mut::<tcp::Socket>(h);
            if sock.recv_queue() > 0 {
                sock.abort();
            }
            // An aborted connection is over once its RST went out.
            let waiting = sock.state() == tcp::State::TimeWait;
            let over = waiting || (sock.state() == tcp::State::Closed && sock.remote_endpoint().is_none());
            if over {
                sockets.remove(h);
                match reservation {
                    Some(r) if waiting => time_wait.push((now + TIME_WAIT_NS, r)),
                    Some((owner, port)) => super::ports::release(super::ports::Proto::Tcp, port, owner),
                    None => {}
                }
            }
            !over
        });
        time_wait.retain(|&(until, (owner, port))| {
            let keep = until > now;
            if !keep {
                super::ports::release(super::ports::Proto::Tcp, port, owner);
            }
            keep
        });
    }

    /// Hands a closed socket's TCP connection over to the stack, which
    /// frees it, and the port reservation, when the connection is over.
    pub fn orphan(&mut self, handle: SocketHandle, reservation: Option<(u64, u16)>) {
        self.orphans.push((handle, reservation));
    }

    /// True when `addr` is one of this interface's addresses.
    pub fn has_addr(&self, addr: &IpAddress) -> bool {
        self.iface.ip_addrs().iter().any(|cidr| cidr.address() == *addr)
    }

    /// True when `dst` is on one of this interface's networks, or its
    /// default route leads there.
    fn reaches(&self, dst: &IpAddress) -> bool {
        self.iface.ip_addrs().iter().any(|cidr| cidr.contains_addr(dst))
            || (matches!(dst, IpAddress::Ipv4(_)) && self.gateway.is_some())
    }
}

pub struct Stack {
    pub ifaces: Vec<NetIface>,
}

impl Stack {
    fn new() -> Stack {
        let mut stack = Stack { ifaces: alloc::vec![loopback_iface()] };
        if let Some((nic, config)) = ETHERNET.get() {
            stack.ifaces.push(ethernet_iface(nic.clone(), *config));
            if let Some(c) = config {
                stack.add_local(IpAddress::Ipv4(c.addr));
            }
        }
        stack
    }

    /// Stops lo answering for `addr`, an address another interface lost.
    pub fn remove_local(&mut self, addr: IpAddress) {
        self.ifaces[LO].iface.update_ip_addrs(|addrs| addrs.retain(|c| c.address() != addr || is_loopback(&addr)));
    }

    /// Makes lo answer for `addr`, an address of another interface: the
    /// host's packets to its own addresses go through lo, as on Linux.
    pub fn add_local(&mut self, addr: IpAddress) {
        self.ifaces[LO].iface.update_ip_addrs(|addrs| {
            let _ =
                addrs.push(IpCidr::new(addr, if addr.version() == smoltcp::wire::IpVersion::Ipv4 { 32 } else { 128 }));
        });
    }

    /// The interface packets to `dst` leave by (this host's own addresses
    /// are reached through lo, as on Linux); None when there is no route.
    pub fn route(&self, dst: &IpAddress) -> Option<usize> {
        if is_loopback(dst) || self.ifaces.iter().any(|n| n.has_addr(dst)) {
            return Some(LO);
        }
        (LO + 1..self.ifaces.len()).find(|&i| self.ifaces[i].up && self.ifaces[i].reaches(dst))
    }

    /// True when a socket may bind to `addr`: the wildcard, an address of
    /// an interface, or anywhere in 127.0.0.0/8 (lo's whole network).
    pub fn is_local(&self, addr: &IpAddress) -> bool {
        addr.is_unspecified() || is_loopback(addr) || self.ifaces.iter().any(|n| n.has_addr(addr))
    }

    /// The interfaces a socket bound to `addr` receives on: all of them
    /// for the wildcard, else the one that has the address.
    pub fn ifaces_for(&self, addr: &IpAddress) -> Vec<usize> {
        if addr.is_unspecified() {
            return (0..self.ifaces.len()).collect();
        }
        self.route(addr).into_iter().collect()
    }

    fn poll(&mut self) -> bool {
        let now = now();
        let mut changed = false;
        for nif in &mut self.ifaces {
            changed |= nif.poll(now);
        }
        let next = self.ifaces.iter_mut().filter_map(|n| n.iface.poll_at(now, &n.sockets)).min();
        NEXT_POLL_NS.store(next.map_or(u64::MAX, |t| t.total_micros().max(0) as u64 * 1000), Ordering::Relaxed);
        changed
    }
}

/// 127.0.0.0/8 and ::1.
/// How many TCP sockets listen, free for a new connection, on each port.
fn free_listeners(sockets: &SocketSet<'static>) -> BTreeMap<u16, usize> {
    let mut free = BTreeMap::new();
    for (_, socket) in sockets.iter() {
        if let Socket::Tcp(t) = socket {
            if t.state() == tcp::State::Listen {
                *free.entry(t.listen_endpoint().port).or_insert(0) += 1;
            }
        }
    }
    free
}

fn is_loopback(addr: &IpAddress) -> bool {
    match addr {
        IpAddress::Ipv4(a) => a.is_loopback(),
        IpAddress::Ipv6(a) => a.is_loopback(),
    }
}

fn loopback_iface() -> NetIface {
    let mut device = Loopback::default();
    let mut config = Config::new(HardwareAddress::Ip);
    config.random_seed = crate::random::next_u64();
    let mut iface = Interface::new(config, &mut device, now());
    iface.update_ip_addrs(|addrs| {
        let _ = addrs.push(IpCidr::new(IpAddress::Ipv4(Ipv4Address::new(127, 0, 0, 1)), 8));
        let _ = addrs.push(IpCidr::new(IpAddress::Ipv6(Ipv6Address::LOCALHOST), 128));
    });
    NetIface {
        name: "lo",
        index: 1,
        up: true,
        iface,
        device: NetDevice::Loopback(device),
        sockets: SocketSet::new(Vec::new()),
        gateway: None,
        orphans: Vec::new(),
        time_wait: Vec::new(),
    }
}

fn ethernet_iface(nic: Arc<VirtioNet>, config: Option<IpConfig>) -> NetIface {
    let mut device = Ethernet { nic, stats: DevStats::default() };
    let mac = EthernetAddress(device.nic.mac);
    let mut iface_config = Config::new(HardwareAddress::Ethernet(mac));
    iface_config.random_seed = crate::random::next_u64();
    let mut iface = Interface::new(iface_config, &mut device, now());
    let mut gateway = None;
    if let Some(c) = config {
        iface.update_ip_addrs(|addrs| {
            let _ = addrs.push(IpCidr::new(IpAddress::Ipv4(c.addr), c.prefix_len));
        });
        if let Some(gw) = c.gateway {
            if iface.routes_mut().add_default_ipv4_route(gw).is_ok() {
                gateway = Some(gw);
            }
        }
    }
    NetIface {
        name: "eth0",
        index: 2,
        up: true,
        iface,
        device: NetDevice::Ethernet(device),
        sockets: SocketSet::new(Vec::new()),
        gateway,
        orphans: Vec::new(),
        time_wait: Vec::new(),
    }
}

static STACK: Mutex<Option<Stack>> = Mutex::new(None);
/// The network card and its boot-time configuration, if there is one.
static ETHERNET: Once<(Arc<VirtioNet>, Option<IpConfig>)> = Once::new();
/// Where blocked internet socket operations wait; woken by every poll
/// that changed a socket's state.
pub static NET_WAIT: WaitQueue = WaitQueue::new();
/// Polls that changed some socket's state (epoll's event count).
static EVENTS: AtomicU64 = AtomicU64::new(0);
/// When the protocols next need a poll (ns of uptime; MAX: never).
static NEXT_POLL_NS: AtomicU64 = AtomicU64::new(u64::MAX);

fn now() -> Instant {
    Instant::from_micros((uptime_ns() / 1000) as i64)
}

/// Runs `f` on the stack, then polls it; wakes the waiters if the poll
/// changed a socket's state.
pub fn with<R>(f: impl FnOnce(&mut Stack) -> R) -> R {
    let (r, changed) = {
        let mut guard = STACK.lock();
        let stack = guard.get_or_insert_with(Stack::new);
        let r = f(stack);
        (r, stack.poll())
    };
    if changed {
        EVENTS.fetch_add(1, Ordering::Relaxed);
        NET_WAIT.wake_all();
    }
    r
}

/// Polls changed socket states so far.
pub fn event_count() -> u64 {
    EVENTS.load(Ordering::Relaxed)
}

/// Deferred work: a poll when the card interrupted or a timer is due.
fn poll_if_due() {
    if nic::take_interrupted() || NEXT_POLL_NS.load(Ordering::Relaxed) <= uptime_ns() {
        with(|_| ());
    }
}

fn next_deadline() -> Option<u64> {
    let at = NEXT_POLL_NS.load(Ordering::Relaxed);
    (at != u64::MAX).then_some(at)
}

/// Brings the stack up at boot: lo, and eth0 on `nic` with the address
/// `config` gives (else none until one is set); the card's interrupts
/// and the protocols' timers run its polls.
pub fn init(nic: Option<Arc<VirtioNet>>, config: Option<IpConfig>) {
    if let Some(nic) = nic {
        ETHERNET.call_once(|| (nic, config));
    }
    deferred::register(DeferredWork {
        run: poll_if_due,
        pending: Some(nic::interrupted),
        deadline: Some(next_deadline),
    });
    with(|_| ());
}
