//! Linux's `ip=` kernel parameter for a static address at boot:
//! `ip=<client>:<server>:<gateway>:<netmask>:<hostname>:<device>:<autoconf>`
//! (Documentation/admin-guide/nfs/nfsroot.rst). Only a static client
//! address is taken (with its netmask and gateway); `dhcp` and the other
//! automatic forms are left to user space (busybox udhcpc).

use smoltcp::wire::Ipv4Address;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpConfig {
    pub addr: Ipv4Address,
    pub prefix_len: u8,
    pub gateway: Option<Ipv4Address>,
}

fn parse_addr(s: &str) -> Option<Ipv4Address> {
    let mut octets = [0u8; 4];
    let mut parts = s.split('.');
    for o in &mut octets {
        *o = parts.next()?.parse().ok()?;
    }
    parts.next().is_none().then(|| Ipv4Address::from(octets))
}

/// The prefix length of a netmask (None unless its ones are contiguous).
fn prefix_of(mask: Ipv4Address) -> Option<u8> {
    let bits = u32::from(mask);
    let len = bits.leading_ones();
    (bits.checked_shl(len).unwrap_or(0) == 0).then_some(len as u8)
}

/// The static configuration `value` (the text after `ip=`) asks for;
/// None for an automatic one or a malformed one.
pub fn parse(value: &str) -> Option<IpConfig> {
    let mut fields = value.split(':');
    let addr = parse_addr(fields.next()?)?;
    let _server = fields.next();
    let gateway = fields.next().and_then(parse_addr);
    let mask = fields.next().and_then(parse_addr);
    let prefix_len = match mask {
        Some(m) => prefix_of(m)?,
        // The class's netmask, as Linux's ipconfig guesses it.
        None => match addr.octets()[0] {
            0..=127 => 8,
            128..=191 => 16,
            _ => 24,
        },
    };
    Some(IpConfig { addr, prefix_len, gateway })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_static_address_with_netmask_and_gateway() {
        let c = parse("10.0.2.15::10.0.2.2:255.255.255.0::eth0:off").unwrap();
        assert_eq!(c.addr, Ipv4Address::new(10, 0, 2, 15));
        assert_eq!(c.prefix_len, 24);
        assert_eq!(c.gateway, Some(Ipv4Address::new(10, 0, 2, 2)));
    }

    #[test]
    fn the_class_netmask_when_none_is_given() {
        assert_eq!(parse("10.1.2.3").unwrap().prefix_len, 8);
        assert_eq!(parse("172.16.0.1").unwrap().prefix_len, 16);
        assert_eq!(parse("192.168.1.9::").unwrap().prefix_len, 24);
        assert_eq!(parse("192.168.1.9").unwrap().gateway, None);
    }

    #[test]
    fn automatic_and_malformed_forms_are_not_static() {
        for v in ["dhcp", "on", "any", "off", "", "10.0.2", "10.0.2.300", "10.0.2.15::10.0.2.2:255.0.255.0"] {
            assert_eq!(parse(v), None, "{v}");
        }
    }
}
