//! The system's queues by name. A name is what mq_open's caller passed
//! after the C library stripped its leading '/': one path component.
//! An unlinked queue lives on while descriptors hold it.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::Errno;
use spin::Mutex;

use super::queue::Queue;

/// Linux's NAME_MAX: a longer name is ENAMETOOLONG.
pub const NAME_MAX: usize = 255;

static QUEUES: Mutex<BTreeMap<Vec<u8>, Arc<Queue>>> = Mutex::new(BTreeMap::new());

/// Checks a name as Linux's lookup of one component in the queues'
/// directory does: "." and ".." and names with '/' are EACCES.
pub fn check_name(name: &[u8]) -> Result<(), Errno> {
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name == b"." || name == b".." || name.contains(&b'/') {
        return Err(Errno::EACCES);
    }
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

/// Runs `f` with the table locked, so that a lookup and a creation are one step.
pub fn with_table<T>(f: impl FnOnce(&mut BTreeMap<Vec<u8>, Arc<Queue>>) -> T) -> T {
    f(&mut QUEUES.lock())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_component() {
        assert_eq!(check_name(b"queue"), Ok(()));
        assert_eq!(check_name(b""), Err(Errno::ENOENT));
        for bad in [&b"."[..], b"..", b"a/b", b"/"] {
            assert_eq!(check_name(bad), Err(Errno::EACCES));
        }
        assert_eq!(check_name(&[b'q'; NAME_MAX]), Ok(()));
        assert_eq!(check_name(&[b'q'; NAME_MAX + 1]), Err(Errno::ENAMETOOLONG));
    }
}
