//! A mount's tree of kernel inodes, read from the disk: every directory,
//! name and inode record (file contents wait until they are read). First
//! the whole tree is read and checked, then the inodes are made, so a
//! damaged directory refuses the mount before anything exists in memory.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{makedev, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};
use kestrelfs::error::{Corruption, InodeFault};
use kestrelfs::{Error, Fs};

use super::disk::DiskDevice;
use super::{from_disk_time, Volume};
use crate::fs::backing::Backing;
use crate::fs::dir::Dir;
use crate::fs::filedata::FileData;
use crate::fs::inode::{Content, Inner, Inode};
use crate::fs::super_block::SuperBlock;

/// One inode as read: its record, and a directory's entries or a symlink's target.
struct Node {
    disk: kestrelfs::Inode,
    entries: Vec<(Vec<u8>, u64)>,
    target: Vec<u8>,
}

/// Reads every inode reachable from the root. A directory named twice
/// (which would make the tree a graph) is damage.
fn read_tree(fs: &mut Fs<DiskDevice>) -> kestrelfs::Result<BTreeMap<u64, Node>> {
    let root = fs.root();
    let mut nodes = BTreeMap::new();
    let mut todo = alloc::vec![root];
    nodes.insert(root, Node { disk: fs.inode(root)?, entries: Vec::new(), target: Vec::new() });
    while let Some(dir) = todo.pop() {
        let mut entries = Vec::new();
        for (name, entry) in fs.readdir(dir)? {
            if let Some(known) = nodes.get(&entry.ino) {
                if known.disk.is_dir() {
                    let fault = InodeFault::DirectoryLinkedTwice;
                    return Err(Error::Corrupt(Corruption::Inode { ino: entry.ino, fault }));
                }
            } else {
                let disk = fs.inode(entry.ino)?;
                let target = if disk.mode & S_IFMT == S_IFLNK { fs.readlink(entry.ino)? } else { Vec::new() };
                if disk.is_dir() {
                    todo.push(entry.ino);
                }
                nodes.insert(entry.ino, Node { disk, entries: Vec::new(), target });
            }
            entries.push((name, entry.ino));
        }
        if let Some(node) = nodes.get_mut(&dir) {
            node.entries = entries;
        }
    }
    Ok(nodes)
}

/// The kernel inode for a disk inode.
fn make_inode(vol: &Arc<Volume>, sb: &Arc<SuperBlock>, ino: u64, node: &mut Node) -> Arc<Inode> {
    let d = &node.disk;
    let content = match d.mode & S_IFMT {
        S_IFDIR => Content::Dir(Dir::new(None)),
        S_IFREG => {
            let backing = Backing::new(vol.clone(), ino, d.size, d.blocks);
            Content::File(FileData::with_backing(sb.clone(), d.size, backing))
        }
        S_IFLNK => Content::Symlink(core::mem::take(&mut node.target)),
        _ => Content::Special,
    };
    let inner = Inner {
        mode: d.mode,
        uid: d.uid,
        gid: d.gid,
        nlink: d.nlink,
        rdev: makedev(d.rdev_major, d.rdev_minor),
        atime: from_disk_time(d.atime),
        mtime: from_disk_time(d.mtime),
        ctime: from_disk_time(d.ctime),
        btime: from_disk_time(d.crtime),
        content,
        xattrs: alloc::collections::BTreeMap::new(),
    };
    Inode::with_inner(sb, ino, inner)
}

/// Reads the tree and returns its root directory; every inode is pinned
/// and registered with the volume.
pub fn load_tree(vol: &Arc<Volume>, sb: &Arc<SuperBlock>) -> Result<Arc<Inode>, Error> {
    let (root_ino, mut nodes) = {
        let mut guard = vol.fs.lock();
        let fs = guard.as_mut().ok_or(Error::InvalidArgument)?;
        let nodes = super::stack::run(|| read_tree(fs))?;
        for &ino in nodes.keys() {
            fs.pin(ino);
        }
        (fs.root(), nodes)
    };
    let mut made: BTreeMap<u64, Arc<Inode>> = BTreeMap::new();
    for (&ino, node) in nodes.iter_mut() {
        let inode = make_inode(vol, sb, ino, node);
        vol.register(&inode);
        made.insert(ino, inode);
    }
    for (ino, node) in &nodes {
        let Some(dir) = made.get(ino) else { continue };
        let mut d = dir.lock();
        let Ok(entries) = d.dir_mut() else { continue };
        for (name, child) in &node.entries {
            if let Some(c) = made.get(child) {
                entries.insert(name, c.clone());
            }
        }
        drop(d);
        for (_, child) in &node.entries {
            if let Some(c) = made.get(child).filter(|c| c.is_dir()) {
                if let Ok(cd) = c.lock().dir_mut() {
                    cd.set_parent(Some(dir.clone()));
                }
            }
        }
    }
    made.remove(&root_ino).ok_or(Error::NotFound)
}
