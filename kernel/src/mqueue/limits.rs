//! The tunables of /proc/sys/fs/mqueue, with Linux's defaults and the
//! ranges a write must keep to (EINVAL outside them).

use core::sync::atomic::{AtomicU64, Ordering};

use abi::Errno;

/// Linux's hard ceilings, which bind even a privileged caller.
pub const HARD_MSGMAX: u64 = 65536;
pub const HARD_MSGSIZEMAX: u64 = 16 * 1024 * 1024;

/// A /proc/sys/fs/mqueue file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tunable {
    /// The most messages an unprivileged caller may ask a queue to hold.
    MsgMax,
    /// The largest message size an unprivileged caller may ask for.
    MsgsizeMax,
    /// The most queues the system holds for unprivileged creators.
    QueuesMax,
    /// mq_maxmsg of a queue created without attributes.
    MsgDefault,
    /// mq_msgsize of a queue created without attributes.
    MsgsizeDefault,
}

static MSG_MAX: AtomicU64 = AtomicU64::new(10);
static MSGSIZE_MAX: AtomicU64 = AtomicU64::new(8192);
static QUEUES_MAX: AtomicU64 = AtomicU64::new(256);
static MSG_DEFAULT: AtomicU64 = AtomicU64::new(10);
static MSGSIZE_DEFAULT: AtomicU64 = AtomicU64::new(8192);

impl Tunable {
    fn cell(self) -> &'static AtomicU64 {
        match self {
            Tunable::MsgMax => &MSG_MAX,
            Tunable::MsgsizeMax => &MSGSIZE_MAX,
            Tunable::QueuesMax => &QUEUES_MAX,
            Tunable::MsgDefault => &MSG_DEFAULT,
            Tunable::MsgsizeDefault => &MSGSIZE_DEFAULT,
        }
    }

    /// The values a write may set (Linux's proc_dointvec_minmax bounds).
    fn range(self) -> (u64, u64) {
        match self {
            Tunable::MsgMax | Tunable::MsgDefault => (1, HARD_MSGMAX),
            Tunable::MsgsizeMax | Tunable::MsgsizeDefault => (128, HARD_MSGSIZEMAX),
            Tunable::QueuesMax => (0, i32::MAX as u64),
        }
    }

    pub fn get(self) -> u64 {
        self.cell().load(Ordering::Relaxed)
    }

    pub fn set(self, value: i64) -> Result<(), Errno> {
        let (low, high) = self.range();
        let value = u64::try_from(value).map_err(|_| Errno::EINVAL)?;
        if !(low..=high).contains(&value) {
            return Err(Errno::EINVAL);
        }
        self.cell().store(value, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_keep_to_linux_ranges() {
        assert_eq!(Tunable::MsgsizeDefault.get(), 8192);
        assert_eq!(Tunable::MsgsizeDefault.set(127), Err(Errno::EINVAL));
        assert_eq!(Tunable::MsgsizeDefault.set(-1), Err(Errno::EINVAL));
        assert_eq!(Tunable::MsgsizeDefault.set(HARD_MSGSIZEMAX as i64 + 1), Err(Errno::EINVAL));
        assert_eq!(Tunable::MsgsizeDefault.set(128), Ok(()));
        assert_eq!(Tunable::MsgsizeDefault.get(), 128);
        assert_eq!(Tunable::MsgsizeDefault.set(8192), Ok(()));
        assert_eq!(Tunable::QueuesMax.range(), (0, i32::MAX as u64));
    }
}
