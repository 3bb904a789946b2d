//! The mqueue filesystem (Linux's mqueue_fs_type): the system's queues
//! as the regular files of one directory. There is one superblock, as
//! Linux has one per IPC namespace: mq_open and mq_unlink work in its
//! root through a kernel-internal mount, and every `mount -t mqueue`
//! shows that same root, so a queue made either way is seen both ways.
//! The directory is an ordinary in-memory one (the VFS's), sticky and
//! writable by all; its files are queues, which a read describes
//! ("QSIZE:..."). Creating a regular file there (open's O_CREAT, mknod)
//! makes a queue with the default sizes; removing the name is
//! mq_unlink; the other operations that make or move names are EPERM,
//! as Linux's directory has none of them.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, OpenFlags, S_IFMT, S_IFREG, S_ISVTX};
use spin::Once;

use super::file::MqFile;
use super::queue::Queue;
use crate::fs::d_path::NamedPath;
use crate::fs::file::File;
use crate::fs::fs_type::FileSystemType;
use crate::fs::inode::{Content, Inode};
use crate::fs::mount::{Mount, Path};
use crate::fs::node_ops::NodeOperations;
use crate::fs::ramfs;
use crate::fs::super_block::SuperBlock;
use crate::fs::super_ops::SuperOperations;

pub static MQUEUE: FileSystemType =
    FileSystemType { name: "mqueue", magic: abi::MQUEUE_MAGIC, nodev: true, mount: Some(mount_mqueue) };

/// What stat(2) gives as a queue file's size, whatever it holds
/// (Linux's FILENT_SIZE).
const FILENT_SIZE: u64 = 80;

static INTERNAL: Once<Arc<Mount>> = Once::new();

/// The kernel's own mount of the queues' filesystem (Linux's
/// ipc_ns->mq_mnt): it keeps the tree alive when nothing else mounts it,
/// and names a queue descriptor "/NAME" in /proc.
pub fn internal_mount() -> Arc<Mount> {
    INTERNAL
        .call_once(|| {
            let sb = SuperBlock::new(&MQUEUE, 0);
            sb.set_ops(Arc::new(MqueueOps));
            let root = ramfs::new_root(&sb, S_ISVTX | 0o777, 0, 0);
            // Two links, as Linux counts any directory: its name and `.`.
            root.lock().nlink = 2;
            Mount::create_internal(sb, root, b"mqueue".to_vec())
        })
        .clone()
}

/// The directory holding every queue.
pub fn queue_dir() -> Path {
    let mnt = internal_mount();
    Path::new(mnt.clone(), mnt.root.clone())
}

/// A new mount showing the queues. Linux's mqueue takes no options
/// beyond the VFS's own words (EINVAL for any other).
fn mount_mqueue(
    source: Option<Vec<u8>>,
    _sb_flags: u32,
    mnt_flags: u32,
    data: Option<&[u8]>,
) -> Result<Arc<Mount>, Errno> {
    check_options(data)?;
    let internal = internal_mount();
    let source = source.unwrap_or_else(|| b"none".to_vec());
    Ok(Mount::create(internal.sb.clone(), internal.root.clone(), source, mnt_flags))
}

fn check_options(data: Option<&[u8]>) -> Result<(), Errno> {
    const VFS_WORDS: [&[u8]; 11] = [
        b"ro",
        b"rw",
        b"sync",
        b"async",
        b"dirsync",
        b"lazytime",
        b"nolazytime",
        b"mand",
        b"nomand",
        b"silent",
        b"loud",
    ];
    let words = data.unwrap_or_default().split(|&b| b == b',').filter(|w| !w.is_empty());
    for word in words {
        if !VFS_WORDS.contains(&word) {
            return Err(Errno::EINVAL);
        }
    }
    Ok(())
}

/// The inode of `queue`, a regular file of the queues' filesystem with
/// `mode`'s permissions, owned by `uid` and `gid`; not linked anywhere yet.
pub fn queue_inode(
    sb: &Arc<SuperBlock>,
    queue: Arc<Queue>,
    mode: u32,
    uid: u32,
    gid: u32,
) -> Result<Arc<Inode>, Errno> {
    let node = Arc::new(QueueNode { queue });
    Inode::try_new(sb, S_IFREG | (mode & 0o7777), uid, gid, 0, Content::Node(node))
}

/// A queue as its file: opening it gives a queue descriptor.
struct QueueNode {
    queue: Arc<Queue>,
}

impl NodeOperations for QueueNode {
    fn lookup(&self, _dir: &Arc<Inode>, _name: &[u8]) -> Result<Option<Arc<Inode>>, Errno> {
        Err(Errno::ENOTDIR)
    }

    fn read_link(&self) -> Result<Vec<u8>, Errno> {
        Err(Errno::EINVAL)
    }

    fn magic_link(&self) -> Result<Option<NamedPath>, Errno> {
        Ok(None)
    }

    /// The directory holds the name (a queue's file is never a node's child).
    fn parent(&self) -> Option<Arc<Inode>> {
        None
    }

    fn name(&self) -> &[u8] {
        b""
    }

    fn open(self: Arc<Self>, inode: &Arc<Inode>, _flags: OpenFlags) -> Result<Box<dyn File>, Errno> {
        Ok(Box::new(MqFile::new(self.queue.clone(), inode.clone())))
    }

    fn size(&self) -> u64 {
        FILENT_SIZE
    }
}

/// The queues' directory: regular files are queues, nothing else is made.
struct MqueueOps;

impl SuperOperations for MqueueOps {
    /// Whole seconds: Linux's mqueue never sets a finer s_time_gran.
    fn time_granularity(&self) -> u32 {
        1_000_000_000
    }

    /// open(O_CREAT) or mknod of a regular file makes a queue of the
    /// default sizes (Linux's mqueue_create); mkdir, symlink and other
    /// nodes are EPERM.
    fn new_inode(&self, dir: &Inode, mode: u32, uid: u32, gid: u32, _rdev: u64) -> Option<Result<Arc<Inode>, Errno>> {
        if mode & S_IFMT != S_IFREG {
            return Some(Err(Errno::EPERM));
        }
        let made = super::syscalls::new_queue(None).and_then(|queue| queue_inode(&dir.sb, queue, mode, uid, gid));
        Some(made)
    }

    /// A new queue's name is entered; a second name (link) is EPERM.
    fn add_name(&self, _dir: &Inode, _name: &[u8], inode: &Inode) -> Result<(), Errno> {
        if inode.lock().nlink > 0 {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    fn move_name(&self, _old_dir: &Inode, _old_name: &[u8], _new_dir: &Inode, _new_name: &[u8]) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    fn exchange_names(&self, _dir_a: &Inode, _name_a: &[u8], _dir_b: &Inode, _name_b: &[u8]) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }
}
