//! Inodes whose contents a filesystem makes when asked (Linux's
//! inode_operations and the open of file_operations): a directory whose
//! entries are looked up on demand, a symlink whose target is computed,
//! a file whose bytes are made at open. procfs's nodes are such; the VFS
//! calls these operations and knows nothing of what is behind them.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, OpenFlags};

use super::d_path::NamedPath;
use super::file::File;
use super::inode::Inode;

pub trait NodeOperations: Send + Sync {
    /// Looks `name` up in this directory node (made now).
    fn lookup(&self, dir: &Arc<Inode>, name: &[u8]) -> Result<Option<Arc<Inode>>, Errno>;

    /// A symlink node's target text (readlink).
    fn read_link(&self) -> Result<Vec<u8>, Errno>;

    /// For a link that leads to an object rather than to its text (Linux's
    /// magic links, /proc/PID/fd/N): that object. None: follow the text.
    fn magic_link(&self) -> Result<Option<NamedPath>, Errno> {
        Ok(None)
    }

    /// The directory above this node, and its name there.
    fn parent(&self) -> Option<Arc<Inode>>;

    fn name(&self) -> &[u8];

    /// Opens the node (`inode` is the inode that shows it).
    fn open(self: Arc<Self>, inode: &Arc<Inode>, flags: OpenFlags) -> Result<Box<dyn File>, Errno>;

    /// What stat(2) reports as the size: procfs files report none, as
    /// what a read gives is made then; a filesystem may say otherwise.
    fn size(&self) -> u64 {
        0
    }

    /// Whether mmap(2) can map the node (procfs files cannot: ENODEV).
    fn mappable(&self) -> bool {
        false
    }

    /// The process a /proc/PID directory stands for, while it exists
    /// (pidfd_send_signal takes such a directory's descriptor).
    fn process(&self) -> Option<Arc<crate::sched::task::Task>> {
        None
    }
}
