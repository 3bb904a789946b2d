//! Socket options at level SOL_SOCKET (Linux's sock_setsockopt and
//! sock_getsockopt, for what an AF_UNIX socket has) and the socket
//! ioctls (SIOCINQ, SIOCOUTQ).

use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use abi::socket::*;
use abi::{Errno, Timeval};

use super::socket::{Kind, UnixSocket};
use crate::fs::perm::current_cred;
use crate::net::timeout::{timeout_from, timeval_of};
use crate::uaccess::write_user;

/// Linux's net.core.wmem_default and rmem_default: both buffers' size.
const BUF_DEFAULT: usize = 212_992;
/// net.core.wmem_max and rmem_max: the most SO_SNDBUF/SO_RCVBUF ask for.
const BUF_MAX: usize = 212_992;
/// SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF.
const MIN_SNDBUF: usize = 4608;
const MIN_RCVBUF: usize = 2304;

pub struct Options {
    pub passcred: bool,
    pub sndbuf: usize,
    pub rcvbuf: usize,
    /// SO_RCVTIMEO/SO_SNDTIMEO in ns: None waits for ever.
    pub rcvtimeo: Option<u64>,
    pub sndtimeo: Option<u64>,
    pub rcvlowat: i32,
    /// Options a UNIX socket accepts and reports but does not act on
    /// (SO_REUSEADDR, SO_KEEPALIVE, SO_BROADCAST, SO_DONTROUTE, SO_DEBUG).
    flags: Vec<(i32, bool)>,
    /// SO_LINGER's (l_onoff, l_linger).
    linger: (i32, i32),
}

impl Default for Options {
    fn default() -> Options {
        Options {
            passcred: false,
            sndbuf: BUF_DEFAULT,
            rcvbuf: BUF_DEFAULT,
            rcvtimeo: None,
            sndtimeo: None,
            rcvlowat: 1,
            flags: Vec::new(),
            linger: (0, 0),
        }
    }
}

const PLAIN_FLAGS: [i32; 5] = [SO_REUSEADDR, SO_KEEPALIVE, SO_BROADCAST, SO_DONTROUTE, SO_DEBUG];

impl Options {
    fn flag(&self, name: i32) -> bool {
        self.flags.iter().any(|&(n, on)| n == name && on)
    }

    fn set_flag(&mut self, name: i32, on: bool) {
        self.flags.retain(|&(n, _)| n != name);
        self.flags.push((name, on));
    }
}

fn int_of(value: &[u8]) -> Result<i32, Errno> {
    let bytes: [u8; 4] = value.get(..4).and_then(|b| b.try_into().ok()).ok_or(Errno::EINVAL)?;
    Ok(i32::from_ne_bytes(bytes))
}

/// A buffer size as SO_SNDBUF/SO_RCVBUF set it: capped (unless forced),
/// doubled for the kernel's bookkeeping, and at least the minimum.
fn buffer_size(value: i32, forced: bool, min: usize) -> usize {
    let asked = if forced { value.max(0) as usize } else { (value as u32 as usize).min(BUF_MAX) };
    asked.saturating_mul(2).max(min)
}

impl UnixSocket {
    /// setsockopt(2) with the option's bytes.
    pub fn set_option(&self, level: i32, name: i32, value: &[u8]) -> Result<(), Errno> {
        if level != SOL_SOCKET {
            return Err(Errno::EOPNOTSUPP);
        }
        if value.len() < 4 {
            return Err(Errno::EINVAL);
        }
        let int = int_of(value)?;
        let privileged = current_cred().is_privileged();
        let mut s = self.state.lock();
        let o = &mut s.options;
        match name {
            SO_PASSCRED => o.passcred = int != 0,
            SO_SNDBUF => o.sndbuf = buffer_size(int, false, MIN_SNDBUF),
            SO_RCVBUF => o.rcvbuf = buffer_size(int, false, MIN_RCVBUF),
            SO_SNDBUFFORCE | SO_RCVBUFFORCE if !privileged => return Err(Errno::EPERM),
            SO_SNDBUFFORCE => o.sndbuf = buffer_size(int, true, MIN_SNDBUF),
            SO_RCVBUFFORCE => o.rcvbuf = buffer_size(int, true, MIN_RCVBUF),
            SO_RCVTIMEO_OLD | SO_SNDTIMEO_OLD => {
                let bytes = value.get(..core::mem::size_of::<Timeval>()).ok_or(Errno::EINVAL)?;
                let tv: Timeval = bytemuck::pod_read_unaligned(bytes);
                let timeout = timeout_from(&tv)?;
                if name == SO_RCVTIMEO_OLD {
                    o.rcvtimeo = timeout;
                } else {
                    o.sndtimeo = timeout;
                }
            }
            SO_RCVLOWAT => o.rcvlowat = int.max(1),
            SO_LINGER => {
                let bytes = value.get(..8).ok_or(Errno::EINVAL)?;
                o.linger = (int, int_of(&bytes[4..])?);
            }
            SO_DEBUG if !privileged => return Err(Errno::EACCES),
            n if PLAIN_FLAGS.contains(&n) => o.set_flag(n, int != 0),
            _ => return Err(Errno::ENOPROTOOPT),
        }
        Ok(())
    }

    /// getsockopt(2): the option's bytes (the caller truncates them to
    /// the user's length).
    pub fn get_option(&self, level: i32, name: i32) -> Result<Vec<u8>, Errno> {
        if level != SOL_SOCKET {
            return Err(Errno::EOPNOTSUPP);
        }
        let int = |v: i32| Ok(v.to_ne_bytes().to_vec());
        let mut s = self.state.lock();
        match name {
            SO_TYPE => int(self.kind.type_number()),
            SO_PROTOCOL => int(0),
            SO_DOMAIN => int(AF_UNIX),
            SO_ERROR => int(s.take_error().map_or(0, Errno::code)),
            SO_ACCEPTCONN => int(i32::from(s.is_listening())),
            SO_PASSCRED => int(i32::from(s.options.passcred)),
            SO_SNDBUF => int(s.options.sndbuf as i32),
            SO_RCVBUF => int(s.options.rcvbuf as i32),
            SO_RCVLOWAT => int(s.options.rcvlowat),
            SO_SNDLOWAT => int(1),
            SO_RCVTIMEO_OLD => Ok(bytemuck::bytes_of(&timeval_of(s.options.rcvtimeo)).to_vec()),
            SO_SNDTIMEO_OLD => Ok(bytemuck::bytes_of(&timeval_of(s.options.sndtimeo)).to_vec()),
            SO_LINGER => Ok([s.options.linger.0.to_ne_bytes(), s.options.linger.1.to_ne_bytes()].concat()),
            SO_PEERCRED => {
                // No peer: pid 0 and the overflow ids, as Linux.
                let cred = s.peercred.unwrap_or(Ucred { pid: 0, uid: 65534, gid: 65534 });
                Ok(bytemuck::bytes_of(&cred).to_vec())
            }
            n if PLAIN_FLAGS.contains(&n) => int(i32::from(s.options.flag(n))),
            _ => Err(Errno::ENOPROTOOPT),
        }
    }

    /// The socket ioctls: SIOCINQ (FIONREAD) is the unread bytes (a
    /// datagram socket's next datagram), SIOCOUTQ the bytes sent and not
    /// yet read.
    pub fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        let value = match cmd {
            SIOCINQ => {
                let s = self.state.lock();
                if s.is_listening() {
                    return Err(Errno::EINVAL);
                }
                match self.kind {
                    Kind::Dgram => s.queue.front().map_or(0, |seg| seg.unread()),
                    _ => s.queued_bytes(),
                }
            }
            SIOCOUTQ => self.wmem.load(Ordering::Relaxed),
            _ => return Err(Errno::ENOTTY),
        };
        write_user(arg, &(value as i32)).map(|_| 0)
    }
}
