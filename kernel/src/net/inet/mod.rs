//! Internet sockets (Linux's net/ipv4 and net/ipv6): AF_INET and AF_INET6,
//! TCP and UDP, and IPv4's ICMP sockets (raw and ping), over the smoltcp TCP/IP stack (stack.rs), which stays
//! behind these files: the socket calls see only `InetSocket`.

pub mod addr;
pub mod ethernet;
pub mod file;
pub mod icmp;
pub mod ipconfig;
pub mod listen;
pub mod loopback;
pub mod netdev;
pub mod options;
pub mod ports;
pub mod proc_net;
pub mod socket;
pub mod stack;
pub mod tcp;
pub mod transfer;
pub mod udp;
