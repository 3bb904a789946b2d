//! Queue names. A name is what mq_open's caller passed after the C
//! library stripped its leading '/': one path component of the queues'
//! directory (fs.rs), where the queues are found by name.

use abi::Errno;

/// Linux's NAME_MAX: a longer name is ENAMETOOLONG.
pub const NAME_MAX: usize = 255;

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
