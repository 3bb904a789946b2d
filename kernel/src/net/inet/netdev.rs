//! The network interfaces as user space configures and lists them: the
//! netdevice ioctls (netdevice(7): SIOCGIFCONF, SIOCGIF*/SIOCSIF* on a
//! `struct ifreq`, SIOCADDRT/SIOCDELRT on a `struct rtentry`), which
//! busybox ifconfig and route use, and /proc/net/dev, /proc/net/route
//! and /proc/net/if_inet6 in Linux's formats. Routes: each interface's
//! own networks, and an IPv4 default route.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use abi::Errno;
use smoltcp::wire::{IpAddress, IpCidr, Ipv4Address};

use super::stack::{self, NetIface, Stack};
use crate::uaccess::{copy_from_user, copy_to_user, read_user, write_user};

pub const SIOCADDRT: u32 = 0x890B;
pub const SIOCDELRT: u32 = 0x890C;
pub const SIOCGIFNAME: u32 = 0x8910;
pub const SIOCGIFCONF: u32 = 0x8912;
pub const SIOCGIFFLAGS: u32 = 0x8913;
pub const SIOCSIFFLAGS: u32 = 0x8914;
pub const SIOCGIFADDR: u32 = 0x8915;
pub const SIOCSIFADDR: u32 = 0x8916;
pub const SIOCGIFDSTADDR: u32 = 0x8917;
pub const SIOCGIFBRDADDR: u32 = 0x8919;
pub const SIOCGIFNETMASK: u32 = 0x891B;
pub const SIOCSIFNETMASK: u32 = 0x891C;
pub const SIOCGIFMETRIC: u32 = 0x891D;
pub const SIOCGIFMTU: u32 = 0x8921;
pub const SIOCGIFHWADDR: u32 = 0x8927;
pub const SIOCGIFINDEX: u32 = 0x8933;
pub const SIOCGIFTXQLEN: u32 = 0x8942;
pub const SIOCGIFMAP: u32 = 0x8970;

const IFF_UP: i16 = 0x1;
const IFF_BROADCAST: i16 = 0x2;
const IFF_LOOPBACK: i16 = 0x8;
const IFF_RUNNING: i16 = 0x40;
const IFF_MULTICAST: i16 = 0x1000;
const ARPHRD_ETHER: u16 = 1;
const ARPHRD_LOOPBACK: u16 = 772;
const RTF_UP: u16 = 0x1;
const RTF_GATEWAY: u16 = 0x2;
/// sizeof(struct ifreq), and where its union starts.
const IFREQ: usize = 40;
const IFNAMSIZ: usize = 16;
/// Offsets in struct rtentry (x86_64).
const RT_DST: usize = 8;
const RT_GATEWAY: usize = 24;
const RT_GENMASK: usize = 40;
const RT_FLAGS: usize = 56;
const RTENTRY: usize = 120;

/// True for the ioctls this file answers.
pub fn is_netdev_ioctl(cmd: u32) -> bool {
    matches!(
        cmd,
        SIOCADDRT
            | SIOCDELRT
            | SIOCGIFNAME
            | SIOCGIFCONF
            | SIOCGIFFLAGS
            | SIOCSIFFLAGS
            | SIOCGIFADDR
            | SIOCSIFADDR
            | SIOCGIFDSTADDR
            | SIOCGIFBRDADDR
            | SIOCGIFNETMASK
            | SIOCSIFNETMASK
            | SIOCGIFMETRIC
            | SIOCGIFMTU
            | SIOCGIFHWADDR
            | SIOCGIFINDEX
            | SIOCGIFTXQLEN
            | SIOCGIFMAP
    )
}

pub fn ioctl(cmd: u32, arg: u64) -> Result<usize, Errno> {
    match cmd {
        SIOCGIFCONF => ifconf(arg),
        SIOCADDRT | SIOCDELRT => {
            require_admin()?;
            let mut rt = [0u8; RTENTRY];
            copy_from_user(&mut rt, arg)?;
            route(cmd == SIOCADDRT, &rt).map(|_| 0)
        }
        _ => {
            let mut req = [0u8; IFREQ];
            copy_from_user(&mut req, arg)?;
            if matches!(cmd, SIOCSIFFLAGS | SIOCSIFADDR | SIOCSIFNETMASK) {
                require_admin()?;
            }
            if stack::with(|st| ifreq(st, cmd, &mut req))? {
                copy_to_user(arg, &req)?;
            }
            Ok(0)
        }
    }
}

fn require_admin() -> Result<(), Errno> {
    if crate::fs::perm::current_cred().is_privileged() {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

fn name_of(req: &[u8]) -> &[u8] {
    let name = &req[..IFNAMSIZ];
    &name[..name.iter().position(|&b| b == 0).unwrap_or(IFNAMSIZ)]
}

fn sockaddr_in(addr: Ipv4Address) -> [u8; 16] {
    let mut sa = [0u8; 16];
    sa[..2].copy_from_slice(&(abi::socket::AF_INET as u16).to_ne_bytes());
    sa[4..8].copy_from_slice(&addr.octets());
    sa
}

fn addr_of(sa: &[u8]) -> Ipv4Address {
    Ipv4Address::new(sa[4], sa[5], sa[6], sa[7])
}

/// The interface's IPv4 address and prefix length, if it has one (lo's
/// 127.0.0.1/8 rather than the other interfaces' addresses it answers for).
fn ipv4_of(nif: &NetIface) -> Option<(Ipv4Address, u8)> {
    nif.iface.ip_addrs().iter().find_map(|c| match c {
        IpCidr::Ipv4(c) => Some((c.address(), c.prefix_len())),
        _ => None,
    })
}

fn mask_of(prefix: u8) -> Ipv4Address {
    Ipv4Address::from(u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0))
}

fn flags_of(nif: &NetIface) -> i16 {
    let kind = if nif.index == 1 { IFF_LOOPBACK } else { IFF_BROADCAST | IFF_MULTICAST };
    kind | if nif.up { IFF_UP | IFF_RUNNING } else { 0 }
}

fn mtu_of(nif: &NetIface) -> i32 {
    if nif.index == 1 {
        65536
    } else {
        1500
    }
}

/// A struct ifreq ioctl on `req`; true when `req` is to be copied back.
fn ifreq(st: &mut Stack, cmd: u32, req: &mut [u8; IFREQ]) -> Result<bool, Errno> {
    if cmd == SIOCGIFNAME {
        let index = u32::from_ne_bytes(req[16..20].try_into().unwrap_or_default());
        let nif = st.ifaces.iter().find(|n| n.index == index).ok_or(Errno::ENODEV)?;
        req[..IFNAMSIZ].fill(0);
        req[..nif.name.len()].copy_from_slice(nif.name.as_bytes());
        return Ok(true);
    }
    let i = st.ifaces.iter().position(|n| n.name.as_bytes() == name_of(req)).ok_or(Errno::ENODEV)?;
    let data = &mut req[IFNAMSIZ..];
    let nif = &mut st.ifaces[i];
    match cmd {
        SIOCGIFFLAGS => data[..2].copy_from_slice(&flags_of(nif).to_ne_bytes()),
        SIOCGIFINDEX => data[..4].copy_from_slice(&nif.index.to_ne_bytes()),
        SIOCGIFMTU => data[..4].copy_from_slice(&mtu_of(nif).to_ne_bytes()),
        SIOCGIFMETRIC => data[..4].fill(0),
        SIOCGIFTXQLEN => data[..4].copy_from_slice(&1000i32.to_ne_bytes()),
        SIOCGIFMAP => data.fill(0),
        SIOCGIFHWADDR => {
            let (family, mac) = match &nif.device {
                stack::NetDevice::Loopback(_) => (ARPHRD_LOOPBACK, [0u8; 6]),
                stack::NetDevice::Ethernet(eth) => (ARPHRD_ETHER, eth.nic.mac),
            };
            data.fill(0);
            data[..2].copy_from_slice(&family.to_ne_bytes());
            data[2..8].copy_from_slice(&mac);
        }
        SIOCGIFADDR | SIOCGIFDSTADDR | SIOCGIFNETMASK | SIOCGIFBRDADDR => {
            let (addr, prefix) = ipv4_of(nif).ok_or(Errno::EADDRNOTAVAIL)?;
            let value = match cmd {
                SIOCGIFNETMASK => mask_of(prefix),
                SIOCGIFBRDADDR if nif.index == 1 => Ipv4Address::UNSPECIFIED,
                SIOCGIFBRDADDR => Ipv4Address::from(u32::from(addr) | !u32::from(mask_of(prefix))),
                _ => addr,
            };
            data[..16].copy_from_slice(&sockaddr_in(value));
        }
        SIOCSIFFLAGS => {
            let flags = i16::from_ne_bytes([data[0], data[1]]);
            nif.up = flags & IFF_UP != 0;
            return Ok(false);
        }
        SIOCSIFADDR => {
            let addr = addr_of(&data[..16]);
            set_ipv4(st, i, addr, None);
            return Ok(false);
        }
        SIOCSIFNETMASK => {
            let mask = u32::from(addr_of(&data[..16]));
            let prefix = mask.leading_ones();
            if mask.checked_shl(prefix).unwrap_or(0) != 0 {
                return Err(Errno::EINVAL);
            }
            let (addr, _) = ipv4_of(&st.ifaces[i]).ok_or(Errno::EADDRNOTAVAIL)?;
            set_ipv4(st, i, addr, Some(prefix as u8));
            return Ok(false);
        }
        _ => return Err(Errno::ENOTTY),
    }
    Ok(true)
}

/// Gives interface `i` the IPv4 address `addr` (prefix `prefix`, else
/// the one it had, else the address class's), in place of the one it had;
/// lo answers for it.
fn set_ipv4(st: &mut Stack, i: usize, addr: Ipv4Address, prefix: Option<u8>) {
    let old = ipv4_of(&st.ifaces[i]);
    let class = match addr.octets()[0] {
        0..=127 => 8,
        128..=191 => 16,
        _ => 24,
    };
    let prefix = prefix.or(old.map(|(_, p)| p)).unwrap_or(class);
    st.ifaces[i].iface.update_ip_addrs(|addrs| {
        addrs.retain(|c| !matches!(c, IpCidr::Ipv4(_)));
        let _ = addrs.push(IpCidr::new(IpAddress::Ipv4(addr), prefix));
    });
    if i != stack::LO {
        if let Some((old, _)) = old {
            st.remove_local(IpAddress::Ipv4(old));
        }
        st.add_local(IpAddress::Ipv4(addr));
    }
}

/// SIOCGIFCONF: an ifreq (name and IPv4 address) per interface that has
/// an address, in the caller's buffer; its length alone if none given.
fn ifconf(arg: u64) -> Result<usize, Errno> {
    let len: i32 = read_user(arg)?;
    let buf: u64 = read_user(arg + 8)?;
    let entries: Vec<[u8; IFREQ]> = stack::with(|st| {
        st.ifaces
            .iter()
            .filter_map(|nif| {
                let (addr, _) = ipv4_of(nif)?;
                let mut req = [0u8; IFREQ];
                req[..nif.name.len()].copy_from_slice(nif.name.as_bytes());
                req[IFNAMSIZ..IFNAMSIZ + 16].copy_from_slice(&sockaddr_in(addr));
                Some(req)
            })
            .collect()
    });
    if buf == 0 {
        write_user(arg, &((entries.len() * IFREQ) as i32))?;
        return Ok(0);
    }
    let room = usize::try_from(len).map_err(|_| Errno::EINVAL)? / IFREQ;
    let n = entries.len().min(room);
    for (k, req) in entries.iter().take(n).enumerate() {
        copy_to_user(buf + (k * IFREQ) as u64, req)?;
    }
    write_user(arg, &((n * IFREQ) as i32))?;
    Ok(0)
}

/// SIOCADDRT / SIOCDELRT: the IPv4 default route through a gateway on one
/// of the interfaces' networks; a route to an interface's own network is
/// there already. Other routes: EINVAL.
fn route(add: bool, rt: &[u8; RTENTRY]) -> Result<(), Errno> {
    let dst = addr_of(&rt[RT_DST..RT_DST + 16]);
    let mask = addr_of(&rt[RT_GENMASK..RT_GENMASK + 16]);
    let gateway = addr_of(&rt[RT_GATEWAY..RT_GATEWAY + 16]);
    let flags = u16::from_ne_bytes([rt[RT_FLAGS], rt[RT_FLAGS + 1]]);
    stack::with(|st| {
        if !dst.is_unspecified() || !mask.is_unspecified() {
            let on_link = st.ifaces.iter().any(|n| {
                ipv4_of(n).is_some_and(|(a, p)| p == u32::from(mask).leading_ones() as u8 && same_net(a, dst, p))
            });
            return if on_link && flags & RTF_GATEWAY == 0 { Ok(()) } else { Err(Errno::EINVAL) };
        }
        if flags & RTF_GATEWAY == 0 {
            return Err(Errno::EINVAL);
        }
        let i = (stack::LO + 1..st.ifaces.len())
            .find(|&i| ipv4_of(&st.ifaces[i]).is_some_and(|(a, p)| same_net(a, gateway, p)))
            .ok_or(Errno::ENETUNREACH)?;
        let nif = &mut st.ifaces[i];
        if add {
            if nif.gateway.is_some() {
                return Err(Errno::EEXIST);
            }
            nif.iface.routes_mut().add_default_ipv4_route(gateway).map_err(|_| Errno::ENOMEM)?;
            nif.gateway = Some(gateway);
        } else {
            if nif.gateway != Some(gateway) {
                return Err(Errno::ESRCH);
            }
            nif.iface.routes_mut().remove_default_ipv4_route();
            nif.gateway = None;
        }
        Ok(())
    })
}

fn same_net(a: Ipv4Address, b: Ipv4Address, prefix: u8) -> bool {
    let mask = u32::from(mask_of(prefix));
    u32::from(a) & mask == u32::from(b) & mask
}

/// /proc/net/dev.
pub fn proc_net_dev() -> String {
    let mut s = String::from(
        "Inter-|   Receive                                                |  Transmit\n \
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n",
    );
    stack::with(|st| {
        for nif in &st.ifaces {
            let d = nif.device.stats();
            s += &format!(
                "{:>6}: {:>7} {:>7} {:>4} {:>4} {:>4} {:>5} {:>10} {:>9} {:>8} {:>7} {:>4} {:>4} {:>4} {:>5} {:>7} {:>10}\n",
                nif.name, d.rx_bytes, d.rx_packets, 0, 0, 0, 0, 0, 0, d.tx_bytes, d.tx_packets, 0, 0, 0, 0, 0, 0
            );
        }
    });
    s
}

/// An address as /proc/net/route prints it: the 32-bit word in memory
/// order, in hex.
fn route_hex(a: Ipv4Address) -> String {
    format!("{:08X}", u32::from_ne_bytes(a.octets()))
}

fn route_line(name: &str, dst: Ipv4Address, gateway: Ipv4Address, flags: u16, mask: Ipv4Address) -> String {
    let line = format!(
        "{name}\t{}\t{}\t{flags:04X}\t0\t0\t0\t{}\t0\t0\t0",
        route_hex(dst),
        route_hex(gateway),
        route_hex(mask)
    );
    format!("{line:<127}\n")
}

/// /proc/net/route: the main table (each interface's network, the default
/// route), lo's local routes left out as Linux does.
pub fn proc_net_route() -> String {
    let header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT";
    let mut s = format!("{header:<127}\n");
    stack::with(|st| {
        for nif in st.ifaces.iter().skip(stack::LO + 1).filter(|n| n.up) {
            if let Some(gw) = nif.gateway {
                s +=
                    &route_line(nif.name, Ipv4Address::UNSPECIFIED, gw, RTF_UP | RTF_GATEWAY, Ipv4Address::UNSPECIFIED);
            }
            if let Some((addr, prefix)) = ipv4_of(nif) {
                let mask = mask_of(prefix);
                let net = Ipv4Address::from(u32::from(addr) & u32::from(mask));
                s += &route_line(nif.name, net, Ipv4Address::UNSPECIFIED, RTF_UP, mask);
            }
        }
    });
    s
}

/// /proc/net/if_inet6: each interface's IPv6 addresses (address, index,
/// prefix length, scope, flags, name, in hex as Linux prints them).
pub fn proc_net_if_inet6() -> String {
    let mut s = String::new();
    stack::with(|st| {
        for nif in &st.ifaces {
            for c in nif.iface.ip_addrs() {
                if let IpCidr::Ipv6(c) = c {
                    let hex: String = c.address().octets().iter().map(|b| format!("{b:02x}")).collect();
                    let scope = if c.address().is_loopback() { 0x10 } else { 0 };
                    s += &format!("{hex} {:02x} {:02x} {scope:02x} 80 {:>8}\n", nif.index, c.prefix_len(), nif.name);
                }
            }
        }
    });
    s
}
