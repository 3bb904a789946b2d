//! `struct mq_attr`: a POSIX message queue's attributes (mq_open,
//! mq_getsetattr), and the limits the kernel puts on them.

use bytemuck::{Pod, Zeroable};

/// Priorities are below this (`MQ_PRIO_MAX`).
pub const MQ_PRIO_MAX: u32 = 32768;

/// `struct mq_attr` (64 bytes): the flags (O_NONBLOCK only), the most
/// messages, the largest message, the messages queued, and padding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct MqAttr {
    pub mq_flags: i64,
    pub mq_maxmsg: i64,
    pub mq_msgsize: i64,
    pub mq_curmsgs: i64,
    pub _reserved: [i64; 4],
}

const _: () = assert!(core::mem::size_of::<MqAttr>() == 64);
