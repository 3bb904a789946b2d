//! RLIMIT_MSGQUEUE: the bytes a user's queues may take, charged to the
//! creator's real user id when a queue is made and given back when it is
//! freed (unlinked and its last descriptor closed). A queue costs what
//! Linux counts: each message slot's data, its header and a priority-tree
//! node (48 bytes each on x86_64), so 82880 bytes for the default 10 x
//! 8192, and nine such fit the default 819200.

use alloc::collections::BTreeMap;

use abi::{Errno, MQ_PRIO_MAX};
use spin::Mutex;

/// Linux's struct msg_msg, one per message slot.
const MESSAGE_HEADER: u64 = 48;
/// Linux's struct posix_msg_tree_node, one per slot up to MQ_PRIO_MAX.
const TREE_NODE: u64 = 48;

/// Bytes charged by user id.
static CHARGED: Mutex<BTreeMap<u32, u64>> = Mutex::new(BTreeMap::new());

/// What a queue of `max_messages` x `message_size` costs.
pub fn cost(max_messages: u64, message_size: u64) -> u64 {
    let tree = max_messages * MESSAGE_HEADER + max_messages.min(u64::from(MQ_PRIO_MAX)) * TREE_NODE;
    tree.saturating_add(max_messages.saturating_mul(message_size))
}

/// Bytes charged to a user for one queue, given back when dropped.
pub struct Charge {
    uid: u32,
    bytes: u64,
}

impl Charge {
    /// Charges `bytes` to `uid`, whose limit is `limit`: EMFILE past it.
    pub fn take(uid: u32, bytes: u64, limit: u64) -> Result<Charge, Errno> {
        let mut charged = CHARGED.lock();
        let used = charged.entry(uid).or_insert(0);
        match used.checked_add(bytes) {
            Some(total) if total <= limit => *used = total,
            _ => return Err(Errno::EMFILE),
        }
        Ok(Charge { uid, bytes })
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        let mut charged = CHARGED.lock();
        if let Some(used) = charged.get_mut(&self.uid) {
            *used = used.saturating_sub(self.bytes);
            if *used == 0 {
                charged.remove(&self.uid);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_queue_costs_what_linux_charges() {
        assert_eq!(cost(10, 8192), 82880);
        assert_eq!(819_200 / cost(10, 8192), 9);
        assert_eq!(cost(65536, 1), 65536 * 48 + 32768 * 48 + 65536);
    }

    #[test]
    fn charges_add_up_to_the_limit_and_come_back() {
        let uid = 4_000_000_000;
        let a = Charge::take(uid, 60, 100).unwrap();
        assert_eq!(Charge::take(uid, 41, 100).err(), Some(Errno::EMFILE));
        let b = Charge::take(uid, 40, 100).unwrap();
        drop(a);
        let c = Charge::take(uid, 60, 100).unwrap();
        drop((b, c));
        assert!(!CHARGED.lock().contains_key(&uid));
    }
}
