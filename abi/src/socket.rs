//! Sockets: address families, socket types, message flags, option names,
//! and the structures of sendmsg/recvmsg (`msghdr`, `mmsghdr`, `cmsghdr`,
//! `ucred`, `sockaddr_un`).

use bytemuck::{Pod, Zeroable};

pub const AF_UNSPEC: i32 = 0;
pub const AF_UNIX: i32 = 1;
/// One past the highest address family Linux 6.1 knows.
pub const AF_MAX: i32 = 46;

pub const SOCK_STREAM: i32 = 1;
pub const SOCK_DGRAM: i32 = 2;
pub const SOCK_RAW: i32 = 3;
pub const SOCK_RDM: i32 = 4;
pub const SOCK_SEQPACKET: i32 = 5;
/// The type's bits in socket()'s `type` argument; the rest are flags.
pub const SOCK_TYPE_MASK: i32 = 0xf;
pub const SOCK_NONBLOCK: i32 = 0o4000;
pub const SOCK_CLOEXEC: i32 = 0o2000000;

pub const SHUT_RD: i32 = 0;
pub const SHUT_WR: i32 = 1;
pub const SHUT_RDWR: i32 = 2;

pub const MSG_OOB: u32 = 0x1;
pub const MSG_PEEK: u32 = 0x2;
pub const MSG_DONTROUTE: u32 = 0x4;
pub const MSG_CTRUNC: u32 = 0x8;
pub const MSG_TRUNC: u32 = 0x20;
pub const MSG_DONTWAIT: u32 = 0x40;
pub const MSG_EOR: u32 = 0x80;
pub const MSG_WAITALL: u32 = 0x100;
pub const MSG_NOSIGNAL: u32 = 0x4000;
pub const MSG_MORE: u32 = 0x8000;
pub const MSG_WAITFORONE: u32 = 0x10000;
pub const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;

pub const SOL_SOCKET: i32 = 1;
pub const SO_DEBUG: i32 = 1;
pub const SO_REUSEADDR: i32 = 2;
pub const SO_TYPE: i32 = 3;
pub const SO_ERROR: i32 = 4;
pub const SO_DONTROUTE: i32 = 5;
pub const SO_BROADCAST: i32 = 6;
pub const SO_SNDBUF: i32 = 7;
pub const SO_RCVBUF: i32 = 8;
pub const SO_KEEPALIVE: i32 = 9;
/// Urgent data read inline with the rest.
pub const SO_OOBINLINE: i32 = 10;
pub const SO_LINGER: i32 = 13;
pub const SO_PASSCRED: i32 = 16;
pub const SO_PEERCRED: i32 = 17;
pub const SO_RCVLOWAT: i32 = 18;
pub const SO_SNDLOWAT: i32 = 19;
pub const SO_RCVTIMEO_OLD: i32 = 20;
pub const SO_SNDTIMEO_OLD: i32 = 21;
pub const SO_ACCEPTCONN: i32 = 30;
pub const SO_SNDBUFFORCE: i32 = 32;
pub const SO_RCVBUFFORCE: i32 = 33;
pub const SO_PROTOCOL: i32 = 38;
pub const SO_DOMAIN: i32 = 39;

pub const SCM_RIGHTS: i32 = 1;
pub const SCM_CREDENTIALS: i32 = 2;
/// Most descriptors one SCM_RIGHTS message carries (Linux's SCM_MAX_FD).
pub const SCM_MAX_FD: usize = 253;

/// The unread bytes of a socket's receive queue (same number as FIONREAD).
pub const SIOCINQ: u32 = 0x541b;
/// The bytes sent but not yet read by the peer (same number as TIOCOUTQ).
pub const SIOCOUTQ: u32 = 0x5411;

/// `struct sockaddr_un`: the family, then up to 108 bytes of path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct SockaddrUn {
    pub sun_family: u16,
    pub sun_path: [u8; 108],
}

/// `struct msghdr` as the kernel reads it (64-bit layout).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Msghdr {
    pub msg_name: u64,
    pub msg_namelen: u32,
    pub _pad1: u32,
    pub msg_iov: u64,
    pub msg_iovlen: u64,
    pub msg_control: u64,
    pub msg_controllen: u64,
    pub msg_flags: u32,
    pub _pad2: u32,
}

/// `struct mmsghdr`: one message of sendmmsg/recvmmsg and its length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Mmsghdr {
    pub msg_hdr: Msghdr,
    pub msg_len: u32,
    pub _pad: u32,
}

/// `struct cmsghdr`: the header of one control message; its data follows,
/// aligned to 8 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Cmsghdr {
    pub cmsg_len: u64,
    pub cmsg_level: i32,
    pub cmsg_type: i32,
}

/// `struct ucred`: SO_PEERCRED and SCM_CREDENTIALS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Ucred {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

/// CMSG_ALIGN: control data is aligned to the size of `long`.
pub const fn cmsg_align(len: usize) -> usize {
    (len + 7) & !7
}

/// CMSG_LEN: a header and `len` bytes of data.
pub const fn cmsg_len(len: usize) -> usize {
    core::mem::size_of::<Cmsghdr>() + len
}

/// CMSG_SPACE: what a message with `len` bytes of data takes, padding
/// included.
pub const fn cmsg_space(len: usize) -> usize {
    core::mem::size_of::<Cmsghdr>() + cmsg_align(len)
}

const _: () = assert!(core::mem::size_of::<SockaddrUn>() == 110);
const _: () = assert!(core::mem::size_of::<Msghdr>() == 56);
const _: () = assert!(core::mem::size_of::<Mmsghdr>() == 64);
const _: () = assert!(core::mem::size_of::<Cmsghdr>() == 16);
const _: () = assert!(core::mem::size_of::<Ucred>() == 12);

// Internet sockets (netinet/in.h, netinet/tcp.h).
pub const AF_INET: i32 = 2;
pub const AF_INET6: i32 = 10;
pub const IPPROTO_IP: i32 = 0;
pub const IPPROTO_ICMP: i32 = 1;
pub const IPPROTO_TCP: i32 = 6;
pub const IPPROTO_UDP: i32 = 17;
pub const IPPROTO_IPV6: i32 = 41;
pub const IPPROTO_ICMPV6: i32 = 58;
pub const SOL_TCP: i32 = 6;
pub const TCP_NODELAY: i32 = 1;
pub const TCP_MAXSEG: i32 = 2;
pub const TCP_KEEPIDLE: i32 = 4;
pub const TCP_KEEPINTVL: i32 = 5;
pub const TCP_KEEPCNT: i32 = 6;
/// sizeof(struct sockaddr_in) and sizeof(struct sockaddr_in6).
pub const SOCKADDR_IN_LEN: usize = 16;
pub const SOCKADDR_IN6_LEN: usize = 28;
