//! Internet socket addresses as user memory holds them: `sockaddr_in`
//! (family, port in network order, four address bytes, eight of padding)
//! and `sockaddr_in6` (family, port, flow label, sixteen address bytes,
//! scope id), to and from the stack's endpoints.

use alloc::vec::Vec;

use abi::socket::*;
use abi::Errno;
use smoltcp::wire::{IpAddress, IpEndpoint, Ipv4Address, Ipv6Address};

/// An address family of internet sockets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn number(self) -> i32 {
        match self {
            Family::V4 => AF_INET,
            Family::V6 => AF_INET6,
        }
    }

    /// The wildcard address (INADDR_ANY, in6addr_any).
    pub fn any(self) -> IpAddress {
        match self {
            Family::V4 => IpAddress::Ipv4(Ipv4Address::UNSPECIFIED),
            Family::V6 => IpAddress::Ipv6(Ipv6Address::UNSPECIFIED),
        }
    }
}

/// What a user address names: an endpoint, or AF_UNSPEC (connect's
/// "dissolve the association").
pub enum Parsed {
    Endpoint(IpEndpoint),
    Unspec,
}

fn family_of(raw: &[u8]) -> Option<i32> {
    Some(i32::from(u16::from_ne_bytes(raw.get(..2)?.try_into().ok()?)))
}

/// Reads an address for a socket of `family`: EINVAL when it is shorter
/// than its structure, EAFNOSUPPORT for another family. An IPv4-mapped
/// IPv6 address (::ffff:a.b.c.d) stands for the IPv4 one.
pub fn parse(raw: &[u8], family: Family) -> Result<Parsed, Errno> {
    let f = family_of(raw).ok_or(Errno::EINVAL)?;
    if f == AF_UNSPEC {
        return Ok(Parsed::Unspec);
    }
    match family {
        Family::V4 => {
            if raw.len() < SOCKADDR_IN_LEN {
                return Err(Errno::EINVAL);
            }
            if f != AF_INET {
                return Err(Errno::EAFNOSUPPORT);
            }
            let port = u16::from_be_bytes([raw[2], raw[3]]);
            let addr = Ipv4Address::new(raw[4], raw[5], raw[6], raw[7]);
            Ok(Parsed::Endpoint(IpEndpoint::new(IpAddress::Ipv4(addr), port)))
        }
        Family::V6 => {
            if raw.len() < SOCKADDR_IN6_LEN {
                return Err(Errno::EINVAL);
            }
            if f != AF_INET6 {
                return Err(Errno::EAFNOSUPPORT);
            }
            let port = u16::from_be_bytes([raw[2], raw[3]]);
            let bytes: [u8; 16] = raw[8..24].try_into().map_err(|_| Errno::EINVAL)?;
            let v6 = Ipv6Address::from(bytes);
            let addr = match v6.to_ipv4_mapped() {
                Some(v4) => IpAddress::Ipv4(v4),
                None => IpAddress::Ipv6(v6),
            };
            Ok(Parsed::Endpoint(IpEndpoint::new(addr, port)))
        }
    }
}

/// The user form of `endpoint` for a socket of `family` (an IPv6 socket
/// shows an IPv4 peer as a mapped address).
pub fn to_user(endpoint: IpEndpoint, family: Family) -> Vec<u8> {
    let port = endpoint.port.to_be_bytes();
    match family {
        Family::V4 => {
            let mut raw = alloc::vec![0u8; SOCKADDR_IN_LEN];
            raw[..2].copy_from_slice(&(AF_INET as u16).to_ne_bytes());
            raw[2..4].copy_from_slice(&port);
            if let IpAddress::Ipv4(a) = endpoint.addr {
                raw[4..8].copy_from_slice(&a.octets());
            }
            raw
        }
        Family::V6 => {
            let mut raw = alloc::vec![0u8; SOCKADDR_IN6_LEN];
            raw[..2].copy_from_slice(&(AF_INET6 as u16).to_ne_bytes());
            raw[2..4].copy_from_slice(&port);
            let v6 = match endpoint.addr {
                IpAddress::Ipv4(a) => a.to_ipv6_mapped(),
                IpAddress::Ipv6(a) => a,
            };
            raw[8..24].copy_from_slice(&v6.octets());
            raw
        }
    }
}

/// Where a connection or datagram to the wildcard address goes: this
/// host (Linux's reading of INADDR_ANY as a destination).
pub fn loopback_for(addr: IpAddress) -> IpAddress {
    match addr {
        IpAddress::Ipv4(a) if a.is_unspecified() => IpAddress::Ipv4(Ipv4Address::LOCALHOST),
        IpAddress::Ipv6(a) if a.is_unspecified() => IpAddress::Ipv6(Ipv6Address::LOCALHOST),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sin(port: u16, a: [u8; 4]) -> Vec<u8> {
        let mut raw = alloc::vec![0u8; SOCKADDR_IN_LEN];
        raw[..2].copy_from_slice(&(AF_INET as u16).to_ne_bytes());
        raw[2..4].copy_from_slice(&port.to_be_bytes());
        raw[4..8].copy_from_slice(&a);
        raw
    }

    #[test]
    fn sockaddr_in_round_trip() {
        let raw = sin(8080, [127, 0, 0, 1]);
        let Ok(Parsed::Endpoint(e)) = parse(&raw, Family::V4) else { panic!("not parsed") };
        assert_eq!(e, IpEndpoint::new(IpAddress::Ipv4(Ipv4Address::new(127, 0, 0, 1)), 8080));
        assert_eq!(to_user(e, Family::V4), raw);
    }

    #[test]
    fn short_or_foreign_addresses_are_refused() {
        assert_eq!(parse(&sin(1, [0; 4])[..15], Family::V4).err(), Some(Errno::EINVAL));
        let mut v6 = sin(1, [0; 4]);
        v6[..2].copy_from_slice(&(AF_INET6 as u16).to_ne_bytes());
        assert_eq!(parse(&v6, Family::V4).err(), Some(Errno::EAFNOSUPPORT));
        assert_eq!(parse(&v6, Family::V6).err(), Some(Errno::EINVAL));
    }

    #[test]
    fn a_v4_mapped_v6_address_is_the_v4_one() {
        let mut raw = alloc::vec![0u8; SOCKADDR_IN6_LEN];
        raw[..2].copy_from_slice(&(AF_INET6 as u16).to_ne_bytes());
        raw[2..4].copy_from_slice(&80u16.to_be_bytes());
        raw[18..20].copy_from_slice(&[0xff, 0xff]);
        raw[20..24].copy_from_slice(&[10, 0, 2, 2]);
        let Ok(Parsed::Endpoint(e)) = parse(&raw, Family::V6) else { panic!("not parsed") };
        assert_eq!(e.addr, IpAddress::Ipv4(Ipv4Address::new(10, 0, 2, 2)));
        assert_eq!(to_user(e, Family::V6), raw);
    }
}
