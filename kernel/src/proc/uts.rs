//! uname(2): the system's identity, as Linux reports it. The release names
//! the Linux ABI this kernel implements, since programs compare it.

use abi::{Errno, Utsname};

use crate::mm::uaccess::write_user;

pub const SYSNAME: &str = "Linux";
pub const RELEASE: &str = "6.1.0-kestrel";
pub const VERSION: &str = concat!("#1 kestrel ", env!("CARGO_PKG_VERSION"));
pub const MACHINE: &str = "x86_64";

fn field(s: &str) -> [u8; 65] {
    let mut f = [0u8; 65];
    let n = s.len().min(64);
    f[..n].copy_from_slice(&s.as_bytes()[..n]);
    f
}

pub fn utsname() -> Utsname {
    Utsname {
        sysname: field(SYSNAME),
        nodename: field("(none)"),
        release: field(RELEASE),
        version: field(VERSION),
        machine: field(MACHINE),
        domainname: field("(none)"),
    }
}

pub fn sys_uname(buf: u64) -> Result<usize, Errno> {
    write_user(buf, &utsname())?;
    Ok(0)
}
