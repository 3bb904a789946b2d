//! AF_UNIX addresses (`struct sockaddr_un`) and the names sockets are
//! bound to: a node in a filesystem (a path), or a name in the abstract
//! namespace (a path starting with a NUL byte), which no file backs.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use abi::socket::AF_UNIX;
use abi::Errno;
use spin::Mutex;

use super::socket::{Kind, UnixSocket};
use crate::fs::mount::Path;
use crate::fs::perm::{permission, MAY_WRITE};

/// `offsetof(struct sockaddr_un, sun_path)`: the family's two bytes.
pub const PATH_OFFSET: usize = 2;
/// `sizeof(struct sockaddr_un)`.
const SOCKADDR_UN_LEN: usize = 110;

/// A socket address as user space gives and gets it: the family, then
/// the path bytes (a path's with its terminating NUL; an abstract name's
/// exactly as long as it was given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnixAddr {
    bytes: Vec<u8>,
}

/// What an address names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Name {
    /// A filesystem path (without the NUL).
    Path(Vec<u8>),
    /// An abstract name: the bytes after the leading NUL.
    Abstract(Vec<u8>),
}

impl UnixAddr {
    /// An unbound socket's address: the family alone.
    pub fn unnamed() -> Vec<u8> {
        (AF_UNIX as u16).to_ne_bytes().to_vec()
    }

    /// Parses a user's address of `raw.len()` bytes (Linux's
    /// unix_validate_addr and unix_mkname): EINVAL unless it is an
    /// AF_UNIX address with at least one path byte.
    pub fn parse(raw: &[u8]) -> Result<UnixAddr, Errno> {
        if raw.len() <= PATH_OFFSET || raw.len() > SOCKADDR_UN_LEN || family(raw) != Some(AF_UNIX) {
            return Err(Errno::EINVAL);
        }
        if raw[PATH_OFFSET] == 0 {
            return Ok(UnixAddr { bytes: raw.to_vec() });
        }
        // A path ends at its first NUL; the address keeps one NUL after it.
        let path = &raw[PATH_OFFSET..];
        let len = path.iter().position(|&b| b == 0).unwrap_or(path.len());
        let mut bytes = raw[..PATH_OFFSET + len].to_vec();
        bytes.push(0);
        Ok(UnixAddr { bytes })
    }

    /// The address autobind gives: an abstract name of five hex digits.
    fn abstract_hex(n: u32) -> UnixAddr {
        let mut bytes = UnixAddr::unnamed();
        bytes.push(0);
        bytes.extend_from_slice(format!("{:05x}", n & 0xfffff).as_bytes());
        UnixAddr { bytes }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn name(&self) -> Name {
        let path = &self.bytes[PATH_OFFSET..];
        match path.split_first() {
            Some((0, rest)) => Name::Abstract(rest.to_vec()),
            _ => Name::Path(path[..path.len() - 1].to_vec()),
        }
    }

    /// The name as /proc/net/unix shows it: a path as it is, an abstract
    /// name with `@` for each NUL byte (the leading one included).
    pub fn display(&self) -> Vec<u8> {
        match self.name() {
            Name::Path(p) => p,
            Name::Abstract(a) => {
                core::iter::once(b'@').chain(a.iter().map(|&b| if b == 0 { b'@' } else { b })).collect()
            }
        }
    }
}

/// The address family of a raw address, if it is long enough to have one.
pub fn family(raw: &[u8]) -> Option<i32> {
    raw.get(..2).map(|f| i32::from(u16::from_ne_bytes([f[0], f[1]])))
}

/// Where a bound socket is found: an abstract name with the socket type
/// (Linux 6.1 keeps each type's abstract names apart), or the filesystem
/// node (device and inode number) its path names.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Abstract(i32, Vec<u8>),
    Node { dev: u64, ino: u64 },
}

/// A socket's binding: its address and how it is found, and for a path
/// the node, which the binding keeps (so its identity stays) while bound.
pub struct Binding {
    pub addr: UnixAddr,
    key: Key,
    _node: Option<Path>,
    /// The socket that owns the key (a server end only shows its
    /// listener's address).
    owner: Option<Weak<UnixSocket>>,
}

impl Binding {
    /// The listener's address as its accepted sockets show it.
    pub fn alias(&self) -> Binding {
        Binding { addr: self.addr.clone(), key: self.key.clone(), _node: None, owner: None }
    }
}

/// Every bound socket by its key.
static BOUND: Mutex<BTreeMap<Key, Weak<UnixSocket>>> = Mutex::new(BTreeMap::new());
/// The next autobind name to try.
static NEXT_AUTOBIND: AtomicU32 = AtomicU32::new(0);

fn node_key(path: &Path) -> Key {
    Key::Node { dev: path.sb.dev, ino: path.ino }
}

/// Binds `sock` to `addr`: a path gets a new socket node (EADDRINUSE if
/// the name exists), an abstract name must be free (EADDRINUSE).
pub fn bind(sock: &Arc<UnixSocket>, addr: UnixAddr) -> Result<Binding, Errno> {
    let (key, node) = match addr.name() {
        Name::Abstract(a) => (Key::Abstract(sock.kind.type_number(), a), None),
        Name::Path(p) => {
            let node =
                crate::fs::create::mknod_socket(&p)
                    .map_err(|e| if e == Errno::EEXIST { Errno::EADDRINUSE } else { e })?;
            (node_key(&node), Some(node))
        }
    };
    let mut bound = BOUND.lock();
    if bound.get(&key).is_some_and(|w| w.strong_count() > 0) {
        return Err(Errno::EADDRINUSE);
    }
    bound.insert(key.clone(), Arc::downgrade(sock));
    Ok(Binding { addr, key, _node: node, owner: Some(Arc::downgrade(sock)) })
}

/// Binds `sock` to the first free abstract name of five hex digits.
pub fn autobind(sock: &Arc<UnixSocket>) -> Result<Binding, Errno> {
    for _ in 0..0x100000 {
        let addr = UnixAddr::abstract_hex(NEXT_AUTOBIND.fetch_add(1, Ordering::Relaxed));
        match bind(sock, addr) {
            Err(Errno::EADDRINUSE) => continue,
            other => return other,
        }
    }
    Err(Errno::ENOSPC)
}

/// Forgets a binding (its socket is released).
pub fn unbind(binding: &Binding) {
    let Some(owner) = &binding.owner else { return };
    let mut bound = BOUND.lock();
    if bound.get(&binding.key).is_some_and(|w| Weak::ptr_eq(w, owner)) {
        bound.remove(&binding.key);
    }
}

/// The socket of type `kind` bound to `addr` (Linux's unix_find_other):
/// a path must be a socket node the caller may write to (ENOENT, EACCES,
/// ECONNREFUSED); nothing bound there is ECONNREFUSED. A path's socket
/// may be of another type (the caller says EPROTOTYPE); an abstract
/// name's is of this one.
pub fn find(addr: &UnixAddr, kind: Kind) -> Result<Arc<UnixSocket>, Errno> {
    let key = match addr.name() {
        Name::Abstract(a) => Key::Abstract(kind.type_number(), a),
        Name::Path(p) => {
            let path = crate::fs::namei::lookup(abi::AT_FDCWD, &p, true)?;
            permission(&path, MAY_WRITE)?;
            if path.kind() != abi::S_IFSOCK {
                return Err(Errno::ECONNREFUSED);
            }
            node_key(&path)
        }
    };
    BOUND.lock().get(&key).and_then(Weak::upgrade).ok_or(Errno::ECONNREFUSED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(path: &[u8]) -> Vec<u8> {
        let mut v = UnixAddr::unnamed();
        v.extend_from_slice(path);
        v
    }

    #[test]
    fn paths_end_at_their_nul_and_keep_one() {
        let a = UnixAddr::parse(&raw(b"/tmp/s\0garbage")).unwrap();
        assert_eq!(a.bytes(), &raw(b"/tmp/s\0")[..]);
        assert_eq!(a.name(), Name::Path(b"/tmp/s".to_vec()));
        let full = UnixAddr::parse(&raw(&[b'x'; 108])).unwrap();
        assert_eq!(full.bytes().len(), 111);
    }

    #[test]
    fn abstract_names_keep_their_length() {
        let a = UnixAddr::parse(&raw(b"\0ab\0c")).unwrap();
        assert_eq!(a.bytes().len(), 7);
        assert_eq!(a.name(), Name::Abstract(b"ab\0c".to_vec()));
        assert_eq!(a.display(), b"@ab@c");
        assert_eq!(UnixAddr::abstract_hex(0x1a).bytes(), &raw(b"\x000001a")[..]);
    }

    #[test]
    fn bad_addresses() {
        assert_eq!(UnixAddr::parse(&raw(b"")), Err(Errno::EINVAL));
        assert_eq!(UnixAddr::parse(&raw(&[b'x'; 109])), Err(Errno::EINVAL));
        assert_eq!(UnixAddr::parse(&[2, 0, b'x']), Err(Errno::EINVAL));
    }
}
