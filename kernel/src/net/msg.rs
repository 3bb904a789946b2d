//! User memory of the socket calls: socket addresses (Linux's
//! move_addr_to_kernel and move_addr_to_user) and `msghdr`s with their
//! buffers and control data.

use alloc::vec;
use alloc::vec::Vec;

use abi::socket::Msghdr;
use abi::{Errno, Iovec, UIO_MAXIOV};

use crate::uaccess::{copy_from_user, copy_to_user, read_user, write_user};

/// `sizeof(struct sockaddr_storage)`: the longest address any call takes.
const SOCKADDR_STORAGE: usize = 128;
/// Linux 6.1's net.core.optmem_max: the most control data one send takes.
const OPTMEM_MAX: u64 = 20480;
/// Linux's MAX_RW_COUNT: the most bytes one call moves.
pub const MAX_RW_COUNT: usize = 0x7fff_f000;

/// Reads a socket address of `len` bytes (EINVAL if longer than any
/// address).
pub fn read_sockaddr(addr: u64, len: u32) -> Result<Vec<u8>, Errno> {
    let len = usize::try_from(len as i32).map_err(|_| Errno::EINVAL)?;
    if len > SOCKADDR_STORAGE {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; len];
    copy_from_user(&mut raw, addr)?;
    Ok(raw)
}

/// Gives an address back where the caller may pass none (accept,
/// recvfrom): nothing for a NULL `addr`, else `move_addr_to_user`.
pub fn write_sockaddr(addr: u64, lenp: u64, name: &[u8]) -> Result<(), Errno> {
    if addr == 0 {
        return Ok(());
    }
    move_addr_to_user(addr, lenp, name)
}

/// Gives an address back (Linux's move_addr_to_user): as much as the
/// user's length `*lenp` allows, and the address's whole length in
/// `*lenp`; a NULL `addr` with room is EFAULT (getsockname).
pub fn move_addr_to_user(addr: u64, lenp: u64, name: &[u8]) -> Result<(), Errno> {
    let room: i32 = read_user(lenp)?;
    let room = usize::try_from(room).map_err(|_| Errno::EINVAL)?;
    let n = room.min(name.len());
    if n > 0 {
        copy_to_user(addr, &name[..n])?;
    }
    write_user(lenp, &(name.len() as u32))
}

/// A `msghdr` read from user memory, with its buffers.
pub struct UserMsg {
    pub hdr: Msghdr,
    pub iovecs: Vec<Iovec>,
}

impl UserMsg {
    /// Reads the header at `addr` and checks its buffers (EMSGSIZE for
    /// too many, EINVAL for a negative name length).
    pub fn read(addr: u64) -> Result<UserMsg, Errno> {
        let hdr: Msghdr = read_user(addr)?;
        if (hdr.msg_namelen as i32) < 0 {
            return Err(Errno::EINVAL);
        }
        if hdr.msg_iovlen > UIO_MAXIOV as u64 {
            return Err(Errno::EMSGSIZE);
        }
        let iovecs = crate::fs::read_write::read_iovecs(hdr.msg_iov, hdr.msg_iovlen as i32)?;
        Ok(UserMsg { hdr, iovecs })
    }

    /// A plain buffer as one message (send, recv, sendto, recvfrom).
    pub fn single(buf: u64, len: usize) -> Result<UserMsg, Errno> {
        crate::uaccess::check_user_range(buf, len)?;
        Ok(UserMsg { hdr: Msghdr::default(), iovecs: vec![Iovec { iov_base: buf, iov_len: len as u64 }] })
    }

    pub fn total_len(&self) -> usize {
        self.iovecs.iter().map(|v| v.iov_len as usize).sum()
    }

    /// `len` bytes of the buffers, from byte `offset` of them on (the
    /// caller bounds `len`: it is allocated).
    pub fn gather(&self, offset: usize, len: usize) -> Result<Vec<u8>, Errno> {
        let mut data = vec![0u8; len];
        let (mut skip, mut at) = (offset, 0);
        for v in &self.iovecs {
            if at == len {
                break;
            }
            let iov_len = v.iov_len as usize;
            if skip >= iov_len {
                skip -= iov_len;
                continue;
            }
            let n = (iov_len - skip).min(len - at);
            copy_from_user(&mut data[at..at + n], v.iov_base + skip as u64)?;
            at += n;
            skip = 0;
        }
        data.truncate(at);
        Ok(data)
    }

    /// Fills the buffers with `data`, in order.
    pub fn scatter(&self, mut data: &[u8]) -> Result<(), Errno> {
        for v in &self.iovecs {
            if data.is_empty() {
                break;
            }
            let n = data.len().min(v.iov_len as usize);
            copy_to_user(v.iov_base, &data[..n])?;
            data = &data[n..];
        }
        Ok(())
    }

    /// The destination address of a send, if one is given.
    pub fn name(&self) -> Result<Option<Vec<u8>>, Errno> {
        if self.hdr.msg_name == 0 || self.hdr.msg_namelen == 0 {
            return Ok(None);
        }
        read_sockaddr(self.hdr.msg_name, self.hdr.msg_namelen).map(Some)
    }

    /// The control data of a send: ENOBUFS beyond Linux's default
    /// net.core.optmem_max, the most a socket may hold of it.
    pub fn control(&self) -> Result<Vec<u8>, Errno> {
        if self.hdr.msg_controllen > OPTMEM_MAX {
            return Err(Errno::ENOBUFS);
        }
        if self.hdr.msg_control == 0 {
            return Ok(Vec::new());
        }
        let mut buf = vec![0u8; self.hdr.msg_controllen as usize];
        copy_from_user(&mut buf, self.hdr.msg_control)?;
        Ok(buf)
    }
}

/// A stream send of `total` bytes of `msg`, copied into the kernel in
/// pieces of at most `piece` bytes and handed to `send`, which may take
/// less; an error after some bytes went ends it with their count.
pub fn send_in_pieces(
    msg: &UserMsg,
    total: usize,
    piece: usize,
    mut send: impl FnMut(&[u8]) -> Result<usize, Errno>,
) -> Result<usize, Errno> {
    let mut sent = 0;
    loop {
        let n = (total - sent).min(piece);
        match msg.gather(sent, n).and_then(|data| send(&data)) {
            Ok(k) => {
                sent += k;
                if k < n || sent >= total {
                    return Ok(sent);
                }
            }
            Err(_) if sent > 0 => return Ok(sent),
            Err(e) => return Err(e),
        }
    }
}
