//! uname(2), sethostname(2), setdomainname(2): the system's identity, as
//! Linux reports it. The release names the Linux ABI this kernel
//! implements, since programs compare it.

use core::sync::atomic::Ordering;

use abi::personality::UNAME26;
use abi::{Errno, Utsname};
use spin::Mutex;

use crate::sched::current;
use crate::uaccess::{copy_from_user, write_user};

pub const SYSNAME: &str = "Linux";
pub const RELEASE: &str = "6.1.0-kestrel";
pub const VERSION: &str = concat!("#1 kestrel ", env!("CARGO_PKG_VERSION"));
pub const MACHINE: &str = "x86_64";

/// Linux's __NEW_UTS_LEN: names of up to 64 bytes.
const UTS_LEN: usize = 64;

/// A settable name, "(none)" until set, as on Linux.
struct Name {
    bytes: [u8; UTS_LEN],
    len: usize,
}

impl Name {
    const fn none() -> Name {
        let mut bytes = [0u8; UTS_LEN];
        let init = b"(none)";
        let mut i = 0;
        while i < init.len() {
            bytes[i] = init[i];
            i += 1;
        }
        Name { bytes, len: init.len() }
    }

    fn field(&self) -> [u8; 65] {
        let mut f = [0u8; 65];
        f[..self.len].copy_from_slice(&self.bytes[..self.len]);
        f
    }
}

static NODENAME: Mutex<Name> = Mutex::new(Name::none());
static DOMAINNAME: Mutex<Name> = Mutex::new(Name::none());

fn field(s: &str) -> [u8; 65] {
    let mut f = [0u8; 65];
    let n = s.len().min(64);
    f[..n].copy_from_slice(&s.as_bytes()[..n]);
    f
}

pub fn utsname() -> Utsname {
    Utsname {
        sysname: field(SYSNAME),
        nodename: NODENAME.lock().field(),
        release: field(RELEASE),
        version: field(VERSION),
        machine: field(MACHINE),
        domainname: DOMAINNAME.lock().field(),
    }
}

pub fn sys_uname(buf: u64) -> Result<usize, Errno> {
    let mut name = utsname();
    if current().personality.load(Ordering::Relaxed) & UNAME26 != 0 {
        name.release = field(&uname26_release());
    }
    write_user(buf, &name)?;
    Ok(0)
}

/// The release as UNAME26 shows it to programs that only know 2.6
/// kernels: 2.6.(60 + the minor version), then the release's suffix
/// (Linux's override_release).
fn uname26_release() -> alloc::string::String {
    let minor: u32 = RELEASE.split('.').nth(1).and_then(|m| m.parse().ok()).unwrap_or(0);
    let rest = RELEASE.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    alloc::format!("2.6.{}{rest}", minor + 60)
}

/// Sets the host name (`domain`: the domain name) as a write to
/// /proc/sys/kernel/hostname (or domainname) does, whose file mode has
/// already admitted only root: at most 64 bytes (EINVAL).
pub fn set(domain: bool, name: &[u8]) -> Result<(), Errno> {
    if name.len() > UTS_LEN {
        return Err(Errno::EINVAL);
    }
    let mut bytes = [0u8; UTS_LEN];
    bytes[..name.len()].copy_from_slice(name);
    *(if domain { &DOMAINNAME } else { &NODENAME }).lock() = Name { bytes, len: name.len() };
    Ok(())
}

/// Both setters: root only (CAP_SYS_ADMIN), at most 64 bytes (EINVAL).
fn set_name(target: &Mutex<Name>, name: u64, len: usize) -> Result<usize, Errno> {
    if !crate::sched::current().cred.lock().is_privileged() {
        return Err(Errno::EPERM);
    }
    if len > UTS_LEN {
        return Err(Errno::EINVAL);
    }
    let mut bytes = [0u8; UTS_LEN];
    copy_from_user(&mut bytes[..len], name)?;
    *target.lock() = Name { bytes, len };
    Ok(0)
}

pub fn sys_sethostname(name: u64, len: usize) -> Result<usize, Errno> {
    set_name(&NODENAME, name, len)
}

pub fn sys_setdomainname(name: u64, len: usize) -> Result<usize, Errno> {
    set_name(&DOMAINNAME, name, len)
}
