//! POSIX message queues (Linux's ipc/mqueue.c): named queues of
//! prioritized messages, opened as files. `queue` holds one queue's
//! messages and its waiters, `notify` the mq_notify registration, `file`
//! the descriptor, `names` the system's queues by name, `limits` the
//! /proc/sys/fs/mqueue tunables, `charge` RLIMIT_MSGQUEUE's accounting,
//! and `syscalls` the six calls.
//!
//! The queues live in a kernel table: there is no mountable mqueue
//! filesystem, so they are not listed under /dev/mqueue.

pub mod charge;
pub mod file;
pub mod limits;
pub mod names;
pub mod notify;
pub mod queue;
pub mod syscalls;
