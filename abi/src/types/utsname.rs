//! `struct utsname` of `uname`.

use bytemuck::{Pod, Zeroable};

/// Length of each `utsname` field, including the terminating NUL.
pub const UTSNAME_LEN: usize = 65;

/// `struct new_utsname`: six NUL-terminated strings of 65 bytes (390 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Utsname {
    pub sysname: [u8; UTSNAME_LEN],
    pub nodename: [u8; UTSNAME_LEN],
    pub release: [u8; UTSNAME_LEN],
    pub version: [u8; UTSNAME_LEN],
    pub machine: [u8; UTSNAME_LEN],
    pub domainname: [u8; UTSNAME_LEN],
}

impl Default for Utsname {
    fn default() -> Self {
        Self::zeroed()
    }
}

impl Utsname {
    /// Builds a utsname from the given strings, truncating each to 64 bytes
    /// so a NUL always follows.
    pub fn new(
        sysname: &str,
        nodename: &str,
        release: &str,
        version: &str,
        machine: &str,
        domainname: &str,
    ) -> Utsname {
        Utsname {
            sysname: utsname_field(sysname),
            nodename: utsname_field(nodename),
            release: utsname_field(release),
            version: utsname_field(version),
            machine: utsname_field(machine),
            domainname: utsname_field(domainname),
        }
    }
}

/// Copies `s` into a zero-filled field, keeping room for the NUL.
pub fn utsname_field(s: &str) -> [u8; UTSNAME_LEN] {
    let mut out = [0u8; UTSNAME_LEN];
    let len = s.len().min(UTSNAME_LEN - 1);
    out[..len].copy_from_slice(&s.as_bytes()[..len]);
    out
}

// Sizes the ABI fixes; checked at compile time on every target.
const _: () = assert!(core::mem::size_of::<Utsname>() == 390);
