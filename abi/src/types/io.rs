//! Small I/O structures: `iovec` (readv/writev) and `pollfd` (poll/ppoll).

use bytemuck::{Pod, Zeroable};

/// `struct iovec`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Iovec {
    /// User address of the buffer.
    pub iov_base: u64,
    pub iov_len: u64,
}

/// Most iovecs one `readv`/`writev` accepts.
pub const UIO_MAXIOV: usize = 1024;

/// `struct pollfd`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct PollFd {
    /// Descriptor to watch; negative entries are skipped (revents 0).
    pub fd: i32,
    /// Requested `POLL*` events.
    pub events: i16,
    /// Returned events; `POLLERR`, `POLLHUP`, `POLLNVAL` are always reported.
    pub revents: i16,
}

pub const POLLIN: i16 = 0x0001;
pub const POLLPRI: i16 = 0x0002;
pub const POLLOUT: i16 = 0x0004;
pub const POLLERR: i16 = 0x0008;
pub const POLLHUP: i16 = 0x0010;
pub const POLLNVAL: i16 = 0x0020;
pub const POLLRDNORM: i16 = 0x0040;
pub const POLLRDBAND: i16 = 0x0080;
pub const POLLWRNORM: i16 = 0x0100;
pub const POLLWRBAND: i16 = 0x0200;
pub const POLLMSG: i16 = 0x0400;
pub const POLLREMOVE: i16 = 0x1000;
pub const POLLRDHUP: i16 = 0x2000;

// Sizes the ABI fixes; checked at compile time on every target.
const _: () = assert!(core::mem::size_of::<Iovec>() == 16);
const _: () = assert!(core::mem::size_of::<PollFd>() == 8);
