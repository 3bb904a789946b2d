//! Which local ports internet sockets hold, per protocol: bind's
//! EADDRINUSE, and the ephemeral ports (Linux's 32768-60999) given to
//! sockets that connect, send or listen unbound.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU16, AtomicU64, Ordering};

use abi::Errno;
use smoltcp::wire::IpAddress;
use spin::Mutex;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Proto {
    Tcp,
    Udp,
    /// Ping sockets' echo identifiers.
    Icmp,
}

const EPHEMERAL_FIRST: u16 = 32768;
const EPHEMERAL_LAST: u16 = 60999;

struct Binding {
    owner: u64,
    addr: IpAddress,
    reuse: bool,
    listening: bool,
}

static PORTS: Mutex<BTreeMap<(Proto, u16), Vec<Binding>>> = Mutex::new(BTreeMap::new());
static NEXT_EPHEMERAL: AtomicU16 = AtomicU16::new(EPHEMERAL_FIRST);
static NEXT_OWNER: AtomicU64 = AtomicU64::new(1);

/// A number naming one socket's reservations.
pub fn new_owner() -> u64 {
    NEXT_OWNER.fetch_add(1, Ordering::Relaxed)
}

/// Whether a new binding to `addr` with `reuse` may share the port with
/// `b`: never when the addresses overlap, unless both set SO_REUSEADDR
/// and (for TCP) the other does not listen.
fn compatible(b: &Binding, proto: Proto, addr: &IpAddress, reuse: bool) -> bool {
    let overlap = b.addr.is_unspecified() || addr.is_unspecified() || b.addr == *addr;
    if !overlap {
        return true;
    }
    b.reuse && reuse && !(proto == Proto::Tcp && b.listening)
}

/// Reserves `port` (0: a free ephemeral one) on `addr` for `owner`;
/// returns the port. EADDRINUSE when taken, EAGAIN when no ephemeral
/// port is free (Linux's answer).
pub fn reserve(proto: Proto, addr: IpAddress, port: u16, reuse: bool, owner: u64) -> Result<u16, Errno> {
    let mut ports = PORTS.lock();
    let port = if port == 0 { free_ephemeral(&ports, proto)? } else { port };
    let holders = ports.entry((proto, port)).or_default();
    if !holders.iter().all(|b| compatible(b, proto, &addr, reuse)) {
        return Err(Errno::EADDRINUSE);
    }
    holders.push(Binding { owner, addr, reuse, listening: false });
    Ok(port)
}

fn free_ephemeral(ports: &BTreeMap<(Proto, u16), Vec<Binding>>, proto: Proto) -> Result<u16, Errno> {
    let span = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
    for _ in 0..span {
        let p = NEXT_EPHEMERAL.fetch_add(1, Ordering::Relaxed);
        let p = EPHEMERAL_FIRST + (p.wrapping_sub(EPHEMERAL_FIRST)) % span;
        if ports.get(&(proto, p)).is_none_or(Vec::is_empty) {
            return Ok(p);
        }
    }
    Err(Errno::EAGAIN)
}

/// Records that `owner`, a connection a listener accepted, uses the
/// listener's `port` too: it keeps the port taken after the listener
/// closes, as Linux's bind buckets do.
pub fn share(proto: Proto, addr: IpAddress, port: u16, reuse: bool, owner: u64) {
    PORTS.lock().entry((proto, port)).or_default().push(Binding { owner, addr, reuse, listening: false });
}

/// Marks `owner`'s binding of `port` as listening (TCP), which no later
/// bind may share even with SO_REUSEADDR; EADDRINUSE if another socket
/// already listens there on an overlapping address.
pub fn set_listening(proto: Proto, port: u16, owner: u64) -> Result<(), Errno> {
    let mut ports = PORTS.lock();
    let Some(holders) = ports.get_mut(&(proto, port)) else { return Ok(()) };
    let Some(mine) = holders.iter().position(|b| b.owner == owner) else { return Ok(()) };
    let addr = holders[mine].addr;
    let clash = holders
        .iter()
        .enumerate()
        .any(|(i, b)| i != mine && b.listening && (b.addr.is_unspecified() || addr.is_unspecified() || b.addr == addr));
    if clash {
        return Err(Errno::EADDRINUSE);
    }
    holders[mine].listening = true;
    Ok(())
}

/// Whether a socket listens on `port` (TCP).
pub fn is_listening(proto: Proto, port: u16) -> bool {
    PORTS.lock().get(&(proto, port)).is_some_and(|holders| holders.iter().any(|b| b.listening))
}

/// Marks `owner`'s binding of `port` as a closed socket's connection
/// finishing (FIN_WAIT, TIME_WAIT): a bind with SO_REUSEADDR may share
/// it, as on Linux.
pub fn set_finishing(proto: Proto, port: u16, owner: u64) {
    let mut ports = PORTS.lock();
    if let Some(b) = ports.get_mut(&(proto, port)).and_then(|h| h.iter_mut().find(|b| b.owner == owner)) {
        b.reuse = true;
        b.listening = false;
    }
}

/// Gives up `owner`'s reservation of `port`.
pub fn release(proto: Proto, port: u16, owner: u64) {
    let mut ports = PORTS.lock();
    if let Some(holders) = ports.get_mut(&(proto, port)) {
        holders.retain(|b| b.owner != owner);
        if holders.is_empty() {
            ports.remove(&(proto, port));
        }
    }
}
