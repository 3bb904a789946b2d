//! Sockets (Linux's net/): the socket system calls (socket.rs), user
//! addresses and messages (msg.rs), and the one address family there is,
//! AF_UNIX (unix/).

pub mod msg;
pub mod socket;
pub mod unix;
