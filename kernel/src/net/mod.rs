//! Sockets (Linux's net/): the socket system calls (socket.rs), user
//! addresses and messages (msg.rs), and the address families: AF_UNIX
//! (unix/), AF_INET and AF_INET6 over a TCP/IP stack (inet/).

pub mod inet;
pub mod msg;
pub mod socket;
pub mod timeout;
pub mod unix;
