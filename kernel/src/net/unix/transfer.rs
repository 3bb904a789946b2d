//! Sending and receiving (Linux's unix_stream_sendmsg, unix_dgram_sendmsg
//! and their recvmsg): a stream is bytes cut into segments that a read
//! joins again, a datagram or seqpacket socket keeps each message whole.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use abi::socket::Ucred;
use abi::Errno;

use super::addr::UnixAddr;
use super::scm::{sender_ucred, Rights, Scm};
use super::socket::{Charge, Conn, Kind, Segment, State, UnixSocket, RCV_SHUTDOWN, SEND_SHUTDOWN};
use super::wait_for;
use crate::fs::file::OpenFile;

/// The most bytes one stream segment holds.
const SEGMENT_MAX: usize = 64 * 1024;
/// What Linux keeps of a datagram socket's send buffer for its own
/// bookkeeping: a datagram larger than the rest is EMSGSIZE.
const DGRAM_OVERHEAD: usize = 32;

/// How a receive goes.
#[derive(Clone, Copy, Default)]
pub struct RecvFlags {
    pub nonblock: bool,
    pub peek: bool,
    pub waitall: bool,
}

/// What a receive got.
#[derive(Default)]
pub struct Received {
    pub data: Vec<u8>,
    /// A datagram's whole length (more than `data` when it was cut).
    pub len: usize,
    pub truncated: bool,
    pub from: Option<UnixAddr>,
    pub cred: Option<Ucred>,
    pub rights: Vec<Arc<OpenFile>>,
}

/// Where received stream bytes go: a growing buffer (recvmsg's), or the
/// reader's own buffer (read(2)), which saves a copy.
enum Dest<'a> {
    Vec(&'a mut Vec<u8>),
    Slice(&'a mut [u8], usize),
}

impl Dest<'_> {
    fn len(&self) -> usize {
        match self {
            Dest::Vec(v) => v.len(),
            Dest::Slice(_, n) => *n,
        }
    }

    fn put(&mut self, bytes: &[u8]) {
        match self {
            Dest::Vec(v) => v.extend_from_slice(bytes),
            Dest::Slice(buf, n) => {
                buf[*n..*n + bytes.len()].copy_from_slice(bytes);
                *n += bytes.len();
            }
        }
    }
}

/// How a send on a datagram socket ended, decided under the target's lock.
enum DgramOutcome {
    Sent,
    Failed(Errno),
    /// The connected peer is gone: forget it and say ECONNREFUSED.
    PeerDead,
}

impl UnixSocket {
    fn segment(&self, data: &[u8], scm: &mut Scm, with_rights: bool) -> Segment {
        let from = self.state.lock().addr().cloned();
        let rights = if with_rights { Rights::new(core::mem::take(&mut scm.rights)) } else { Rights::default() };
        Segment {
            data: data.to_vec(),
            read: 0,
            from,
            cred: scm.cred.unwrap_or_else(sender_ucred),
            rights,
            _charge: Charge::new(&self.wmem, data.len()),
        }
    }

    /// The largest datagram or record the send buffer takes.
    pub fn max_message(&self) -> usize {
        self.state.lock().options.sndbuf.saturating_sub(DGRAM_OVERHEAD)
    }

    /// Sends `data` (to `to`, for an unconnected datagram socket) with
    /// the control data in `scm`; EPIPE is the caller's to signal.
    pub fn send(
        self: &Arc<Self>,
        data: &[u8],
        to: Option<&UnixAddr>,
        scm: &mut Scm,
        nonblock: bool,
    ) -> Result<usize, Errno> {
        match self.kind {
            Kind::Stream => self.send_stream(data, to, scm, nonblock),
            _ => self.send_message(data, to, scm, nonblock),
        }
    }

    fn send_stream(
        self: &Arc<Self>,
        data: &[u8],
        to: Option<&UnixAddr>,
        scm: &mut Scm,
        nonblock: bool,
    ) -> Result<usize, Errno> {
        let (peer, timeout, sndbuf) = {
            let s = self.state.lock();
            let peer = s.peer().cloned();
            if to.is_some() {
                return Err(if peer.is_some() { Errno::EISCONN } else { Errno::EOPNOTSUPP });
            }
            let peer = peer.ok_or(Errno::ENOTCONN)?;
            if s.shutdown & SEND_SHUTDOWN != 0 {
                return Err(Errno::EPIPE);
            }
            (peer, s.options.sndtimeo, s.options.sndbuf)
        };
        let piece = (sndbuf / 2).clamp(1, SEGMENT_MAX);
        let mut sent = 0;
        while sent < data.len() {
            let room = wait_for(&peer.wait, timeout, nonblock, || {
                if self.state.lock().shutdown & SEND_SHUTDOWN != 0 || peer_closed(&peer) {
                    return Some(Err(Errno::EPIPE));
                }
                (self.wmem.load(Ordering::Relaxed) < sndbuf).then_some(Ok(()))
            });
            if let Err(e) = room {
                return if sent > 0 { Ok(sent) } else { Err(e) };
            }
            let n = (data.len() - sent).min(piece);
            let segment = self.segment(&data[sent..sent + n], scm, sent == 0);
            let mut p = peer.state.lock();
            if p.dead || p.shutdown & RCV_SHUTDOWN != 0 {
                drop(p);
                return if sent > 0 { Ok(sent) } else { Err(Errno::EPIPE) };
            }
            p.queue.push_back(segment);
            drop(p);
            peer.notify();
            sent += n;
        }
        Ok(sent)
    }

    /// A datagram, or a seqpacket record: all of it or nothing.
    fn send_message(
        self: &Arc<Self>,
        data: &[u8],
        to: Option<&UnixAddr>,
        scm: &mut Scm,
        nonblock: bool,
    ) -> Result<usize, Errno> {
        let seqpacket = self.kind == Kind::SeqPacket;
        let (timeout, sndbuf, passcred) = {
            let mut s = self.state.lock();
            if seqpacket {
                if let Some(e) = s.take_error() {
                    return Err(e);
                }
                if s.peer().is_none() {
                    return Err(Errno::ENOTCONN);
                }
            }
            (s.options.sndtimeo, s.options.sndbuf, s.options.passcred)
        };
        if data.len() > sndbuf.saturating_sub(DGRAM_OVERHEAD) {
            return Err(Errno::EMSGSIZE);
        }
        if passcred && !seqpacket {
            self.autobind()?;
        }
        let target = match to.filter(|_| !seqpacket) {
            Some(addr) => {
                let t = super::addr::find(addr, self.kind)?;
                if t.kind != self.kind {
                    return Err(Errno::EPROTOTYPE);
                }
                t
            }
            None => self.state.lock().peer().cloned().ok_or(Errno::ENOTCONN)?,
        };
        let mut segment = Some(self.segment(data, scm, true));
        let outcome = wait_for(&target.wait, timeout, nonblock, || {
            if self.state.lock().shutdown & SEND_SHUTDOWN != 0 {
                return Some(Ok(DgramOutcome::Failed(Errno::EPIPE)));
            }
            if target.state.lock().dead {
                return Some(Ok(DgramOutcome::PeerDead));
            }
            // This message is charged already: wait while the rest fill the buffer.
            let others = self.wmem.load(Ordering::Relaxed).saturating_sub(data.len());
            let full = self.dgram_queue_full(&target) || others >= sndbuf;
            let mut t = target.state.lock();
            let ours = |p: &Arc<UnixSocket>| core::ptr::eq(Arc::as_ptr(p), Arc::as_ptr(self));
            if t.peer().is_some_and(|p| !ours(p)) {
                return Some(Ok(DgramOutcome::Failed(Errno::EPERM)));
            }
            if t.shutdown & RCV_SHUTDOWN != 0 {
                return Some(Ok(DgramOutcome::Failed(Errno::EPIPE)));
            }
            if full {
                return None;
            }
            t.queue.push_back(segment.take().expect("queued once"));
            Some(Ok(DgramOutcome::Sent))
        })?;
        match outcome {
            DgramOutcome::Sent => {
                target.notify();
                Ok(data.len())
            }
            DgramOutcome::Failed(e) => Err(e),
            DgramOutcome::PeerDead => {
                let mut s = self.state.lock();
                if s.peer().is_some_and(|p| Arc::ptr_eq(p, &target)) && !seqpacket {
                    s.conn = Conn::None;
                }
                Err(if seqpacket { Errno::EPIPE } else { Errno::ECONNREFUSED })
            }
        }
    }

    /// Receives up to `max` bytes.
    pub fn recv(&self, max: usize, flags: RecvFlags) -> Result<Received, Errno> {
        let got = match self.kind {
            Kind::Stream => {
                let mut data = Vec::new();
                self.recv_stream(&mut Dest::Vec(&mut data), max, flags).map(|out| Received { data, ..out })
            }
            _ => self.recv_message(max, flags),
        };
        if !flags.peek {
            // Room for writers waiting on this queue.
            self.wait.wake_all();
        }
        got
    }

    /// read(2): received bytes straight into `buf`; control data is
    /// dropped (descriptors in flight are closed), as Linux's read does.
    pub fn recv_into(&self, buf: &mut [u8], flags: RecvFlags) -> Result<usize, Errno> {
        if self.kind != Kind::Stream {
            let got = self.recv(buf.len(), flags)?;
            buf[..got.data.len()].copy_from_slice(&got.data);
            return Ok(got.data.len());
        }
        let max = buf.len();
        let mut dest = Dest::Slice(buf, 0);
        self.recv_stream(&mut dest, max, flags)?;
        if !flags.peek {
            self.wait.wake_all();
        }
        Ok(dest.len())
    }

    fn recv_stream(&self, dest: &mut Dest, max: usize, flags: RecvFlags) -> Result<Received, Errno> {
        let timeout = {
            let s = self.state.lock();
            if s.peer().is_none() {
                return Err(Errno::EINVAL);
            }
            s.options.rcvtimeo
        };
        let mut out = Received::default();
        loop {
            let step = wait_for(&self.wait, timeout, flags.nonblock, || {
                let mut s = self.state.lock();
                if !s.queue.is_empty() {
                    return Some(Ok(take_stream(&mut s, max, flags.peek, &mut out, dest)));
                }
                if let Some(e) = s.take_error() {
                    return Some(Err(e));
                }
                (s.shutdown & RCV_SHUTDOWN != 0).then_some(Ok(true))
            });
            match step {
                Ok(stop) if !stop && flags.waitall && !flags.peek && dest.len() < max => continue,
                Ok(_) => break,
                Err(_) if dest.len() > 0 || !out.rights.is_empty() => break,
                Err(e) => return Err(e),
            }
        }
        out.len = dest.len();
        Ok(out)
    }

    fn recv_message(&self, max: usize, flags: RecvFlags) -> Result<Received, Errno> {
        let timeout = {
            let s = self.state.lock();
            if self.kind == Kind::SeqPacket && s.peer().is_none() {
                return Err(Errno::ENOTCONN);
            }
            s.options.rcvtimeo
        };
        wait_for(&self.wait, timeout, flags.nonblock, || {
            let mut s = self.state.lock();
            if !s.queue.is_empty() {
                return Some(Ok(take_message(&mut s, max, flags.peek)));
            }
            if let Some(e) = s.take_error() {
                return Some(Err(e));
            }
            (s.shutdown & RCV_SHUTDOWN != 0).then(|| Ok(Received::default()))
        })
    }
}

fn peer_closed(peer: &UnixSocket) -> bool {
    let p = peer.state.lock();
    p.dead || p.shutdown & RCV_SHUTDOWN != 0
}

/// Takes (or peeks at) stream bytes into `dest`, from as many segments as
/// fit; a segment with descriptors is the last one read. Returns true
/// when the read must end here (descriptors received).
fn take_stream(s: &mut State, max: usize, peek: bool, out: &mut Received, dest: &mut Dest) -> bool {
    let passcred = s.options.passcred;
    let mut i = 0;
    while dest.len() < max && i < s.queue.len() {
        let seg = &mut s.queue[i];
        match out.cred {
            // With SO_PASSCRED, one read returns one sender's bytes.
            Some(c) if passcred && c != seg.cred => break,
            Some(_) => {}
            None => {
                out.cred = Some(seg.cred);
                out.from = seg.from.clone();
            }
        }
        let n = (max - dest.len()).min(seg.unread());
        dest.put(&seg.data[seg.read..seg.read + n]);
        let has_rights = !seg.rights.is_empty();
        if peek {
            if has_rights {
                out.rights = seg.rights.peek();
                return true;
            }
            i += 1;
            continue;
        }
        if has_rights {
            out.rights = seg.rights.take();
        }
        seg.read += n;
        if seg.unread() == 0 {
            s.queue.remove(i);
        }
        if has_rights {
            return true;
        }
    }
    false
}

/// Takes (or peeks at) the first message; what does not fit is lost.
fn take_message(s: &mut State, max: usize, peek: bool) -> Received {
    let seg = s.queue.front_mut().expect("queue is not empty");
    let n = max.min(seg.data.len());
    let mut out = Received {
        data: seg.data[..n].to_vec(),
        len: seg.data.len(),
        truncated: seg.data.len() > n,
        from: seg.from.clone(),
        cred: Some(seg.cred),
        rights: if peek { seg.rights.peek() } else { seg.rights.take() },
    };
    if !peek {
        s.queue.pop_front();
    }
    out.len = out.len.max(out.data.len());
    out
}
