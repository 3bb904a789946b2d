//! POSIX message queues (Linux's ipc/mqueue.c): named queues of
//! prioritized messages, opened as files. `queue` holds one queue's
//! messages and its waiters, `notify` the mq_notify registration, `file`
//! the descriptor, `names` the system's queues by name, `limits` the
//! /proc/sys/fs/mqueue tunables, `charge` RLIMIT_MSGQUEUE's accounting,
//! `fs` the mqueue filesystem whose directory holds the queues by name,
//! and `syscalls` the six calls.

pub mod charge;
pub mod file;
pub mod fs;
pub mod limits;
pub mod names;
pub mod notify;
pub mod queue;
pub mod syscalls;
