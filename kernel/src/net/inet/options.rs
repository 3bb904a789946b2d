//! Options of internet sockets that the socket keeps for itself
//! (SOL_SOCKET's, TCP's), as setsockopt and getsockopt see them, the
//! timeouts of its blocking calls among them.

use alloc::vec::Vec;

use abi::socket::*;
use abi::{Errno, Timeval};

use crate::net::timeout::{timeout_from, timeval_of};

/// Linux's default receive and send buffer sizes for TCP and UDP
/// (net.core.rmem_default, wmem_default), as SO_RCVBUF shows them.
const DEFAULT_BUF: usize = 212_992;
/// The smallest SO_RCVBUF and SO_SNDBUF Linux gives (SOCK_MIN_RCVBUF,
/// SOCK_MIN_SNDBUF, as 6.1 computes them on x86_64).
const MIN_RCVBUF: usize = 2304;
const MIN_SNDBUF: usize = 4608;
/// net.core.rmem_max and wmem_max: what an unprivileged SO_*BUF may ask.
const MAX_BUF: usize = 212_992;

#[derive(Clone, Copy)]
pub struct Options {
    pub reuseaddr: bool,
    pub keepalive: bool,
    pub broadcast: bool,
    /// SO_OOBINLINE: kept and reported; urgent data is never set apart
    /// here (no MSG_OOB), so it always reads inline.
    pub oobinline: bool,
    pub nodelay: bool,
    pub rcvbuf: usize,
    pub sndbuf: usize,
    /// TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (seconds, seconds, probes).
    pub keepidle: u32,
    pub keepintvl: u32,
    pub keepcnt: u32,
    /// SO_RCVTIMEO and SO_SNDTIMEO in ns (None: wait for ever).
    pub rcvtimeo: Option<u64>,
    pub sndtimeo: Option<u64>,
    /// SO_LINGER: seconds a close waits for unsent data (0: reset the
    /// connection at once); None when off.
    pub linger: Option<u32>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            reuseaddr: false,
            keepalive: false,
            broadcast: false,
            oobinline: false,
            nodelay: false,
            rcvbuf: DEFAULT_BUF,
            sndbuf: DEFAULT_BUF,
            keepidle: 7200,
            keepintvl: 75,
            keepcnt: 9,
            rcvtimeo: None,
            sndtimeo: None,
            linger: None,
        }
    }
}

fn int_of(value: &[u8]) -> Result<i32, Errno> {
    let bytes: [u8; 4] = value.get(..4).and_then(|b| b.try_into().ok()).ok_or(Errno::EINVAL)?;
    Ok(i32::from_ne_bytes(bytes))
}

/// Linux doubles the size asked (for its bookkeeping) within its limits.
fn buffer_size(asked: i32, min: usize) -> usize {
    (asked.max(0) as usize).min(MAX_BUF).saturating_mul(2).max(min)
}

/// SO_SNDBUFFORCE and SO_RCVBUFFORCE: past net.core.*mem_max, for root.
fn forced_buffer_size(asked: i32, min: usize) -> Result<usize, Errno> {
    if !crate::sched::current().cred.lock().capable(abi::capability::CAP_NET_ADMIN) {
        return Err(Errno::EPERM);
    }
    Ok((asked.max(0) as usize).saturating_mul(2).max(min))
}

/// What the caller must know of an option that changed.
pub enum Changed {
    Nothing,
    NoDelay,
    KeepAlive,
}

impl Options {
    /// setsockopt(2) on the options kept here; ENOPROTOOPT for others.
    pub fn set(&mut self, level: i32, name: i32, value: &[u8], tcp: bool) -> Result<Changed, Errno> {
        let int = int_of(value)?;
        match (level, name) {
            (SOL_SOCKET, SO_LINGER) => {
                let seconds = int_of(value.get(4..).ok_or(Errno::EINVAL)?)?;
                self.linger = (int != 0).then_some(seconds.max(0) as u32);
            }
            (SOL_SOCKET, SO_RCVTIMEO_OLD | SO_SNDTIMEO_OLD) => {
                let bytes = value.get(..core::mem::size_of::<Timeval>()).ok_or(Errno::EINVAL)?;
                let timeout = timeout_from(&bytemuck::pod_read_unaligned(bytes))?;
                if name == SO_RCVTIMEO_OLD {
                    self.rcvtimeo = timeout;
                } else {
                    self.sndtimeo = timeout;
                }
            }
            (SOL_SOCKET, SO_REUSEADDR) => self.reuseaddr = int != 0,
            (SOL_SOCKET, SO_BROADCAST) => self.broadcast = int != 0,
            (SOL_SOCKET, SO_OOBINLINE) => self.oobinline = int != 0,
            (SOL_SOCKET, SO_RCVBUF) => self.rcvbuf = buffer_size(int, MIN_RCVBUF),
            (SOL_SOCKET, SO_SNDBUF) => self.sndbuf = buffer_size(int, MIN_SNDBUF),
            (SOL_SOCKET, SO_RCVBUFFORCE) => self.rcvbuf = forced_buffer_size(int, MIN_RCVBUF)?,
            (SOL_SOCKET, SO_SNDBUFFORCE) => self.sndbuf = forced_buffer_size(int, MIN_SNDBUF)?,
            (SOL_SOCKET, SO_KEEPALIVE) => {
                self.keepalive = int != 0;
                return Ok(Changed::KeepAlive);
            }
            (SOL_TCP, TCP_NODELAY) if tcp => {
                self.nodelay = int != 0;
                return Ok(Changed::NoDelay);
            }
            (SOL_TCP, TCP_KEEPIDLE | TCP_KEEPINTVL) if tcp => {
                let secs = u32::try_from(int).ok().filter(|s| (1..=32767).contains(s)).ok_or(Errno::EINVAL)?;
                if name == TCP_KEEPIDLE {
                    self.keepidle = secs;
                } else {
                    self.keepintvl = secs;
                }
                return Ok(Changed::KeepAlive);
            }
            (SOL_TCP, TCP_KEEPCNT) if tcp => {
                self.keepcnt = u32::try_from(int).ok().filter(|c| (1..=127).contains(c)).ok_or(Errno::EINVAL)?;
            }
            _ => return Err(Errno::ENOPROTOOPT),
        }
        Ok(Changed::Nothing)
    }

    /// getsockopt(2) on the options kept here; None for others.
    pub fn get(&self, level: i32, name: i32, tcp: bool) -> Option<Vec<u8>> {
        let v = match (level, name) {
            (SOL_SOCKET, SO_LINGER) => {
                let (on, seconds): (i32, i32) = self.linger.map_or((0, 0), |t| (1, t as i32));
                return Some([on.to_ne_bytes(), seconds.to_ne_bytes()].concat());
            }
            (SOL_SOCKET, SO_RCVTIMEO_OLD) => return Some(bytemuck::bytes_of(&timeval_of(self.rcvtimeo)).to_vec()),
            (SOL_SOCKET, SO_SNDTIMEO_OLD) => return Some(bytemuck::bytes_of(&timeval_of(self.sndtimeo)).to_vec()),
            (SOL_SOCKET, SO_REUSEADDR) => i32::from(self.reuseaddr),
            (SOL_SOCKET, SO_KEEPALIVE) => i32::from(self.keepalive),
            (SOL_SOCKET, SO_BROADCAST) => i32::from(self.broadcast),
            (SOL_SOCKET, SO_OOBINLINE) => i32::from(self.oobinline),
            (SOL_SOCKET, SO_RCVBUF) => self.rcvbuf as i32,
            (SOL_SOCKET, SO_SNDBUF) => self.sndbuf as i32,
            (SOL_TCP, TCP_NODELAY) if tcp => i32::from(self.nodelay),
            (SOL_TCP, TCP_KEEPIDLE) if tcp => self.keepidle as i32,
            (SOL_TCP, TCP_KEEPINTVL) if tcp => self.keepintvl as i32,
            (SOL_TCP, TCP_KEEPCNT) if tcp => self.keepcnt as i32,
            _ => return None,
        };
        Some(v.to_ne_bytes().to_vec())
    }
}
