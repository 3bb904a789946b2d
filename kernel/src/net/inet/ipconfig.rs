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
