//! Files and filesystems: the VFS, and the filesystems that plug into it.
//!
//! The VFS keeps every mounted tree in memory: an `Inode` (inode.rs)
//! carries a file's metadata and its contents (directory entries in
//! dir.rs, page-backed bytes in filedata.rs and page.rs, a symlink target,
//! or a node whose filesystem makes its entries, bytes and target when
//! asked: node_ops.rs's `NodeOperations`). Each filesystem instance is a
//! superblock (super_block.rs) of a registered kind (fs_type.rs), with the
//! operations a filesystem adds to the tree (super_ops.rs's
//! `SuperOperations`: names mirrored to a disk, flags and xattrs, sync,
//! statfs, remount, options). The generic code names no filesystem:
//! tmpfs, ramfs and rootfs (tmpfs.rs over ramfs.rs's tree operations),
//! procfs (proc/) and kestrelfs (kestrel/) register and implement those
//! traits. Mounts (mount.rs, do_mount.rs, mountinfo.rs) show superblocks
//! in the tree; the path walk (namei.rs) resolves names to a `Path` from
//! the root, the working directory (context.rs) or a directory descriptor,
//! crossing mountpoints and jumping through magic links, and tells where
//! it found the last name (d_path.rs). Opening (open.rs) makes an
//! `OpenFile` (file.rs) over a `File`: a regular file (regular.rs), a
//! directory (readdir.rs), a character device by its registered driver
//! (chardev.rs), a FIFO (fifo.rs), a pipe end (pipe.rs) or a node's file.
//! The system calls live with what they act on, in the file Linux's fs/
//! has them in (open.rs, read_write.rs, stat.rs, statfs.rs, sync.rs,
//! utimes.rs, xattr.rs, select.rs...); the table is syscall/table.rs.
//!
//! Lock order: the namespace lock (ramfs.rs), then the mount table lock,
//! then a mount's parent lock (mount.rs), then one inode lock at a time,
//! then a disk filesystem's own lock (kestrel/mod.rs); the task's
//! credentials lock, the mount id and anonymous device locks, procfs's
//! inode cache lock and the file-lock table (locks/) are leaves; the
//! file-lock table is also taken under a descriptor table's lock, since
//! a close releases the process's POSIX locks. No lock is held across a copy to or from
//! user memory.

pub mod attr;
pub mod backing;
pub mod blockdev;
pub mod chardev;
pub mod context;
pub mod copy_range;
pub mod create;
pub mod d_path;
pub mod devfs;
pub mod dir;
pub mod do_mount;
pub mod eventfd;
pub mod eventpoll;
pub mod fallocate;
pub mod fcntl;
pub mod fifo;
pub mod file;
pub mod filedata;
pub mod fs_type;
pub mod fsize;
pub mod initramfs;
pub mod inode;
pub mod ioctl;
pub mod kestrel;
pub mod locks;
pub mod memfd;
pub mod mmap;
pub mod mount;
pub mod mount_options;
pub mod mountinfo;
pub mod namei;
pub mod node_ops;
pub mod notify;
pub mod open;
pub mod page;
pub mod perm;
pub mod pipe;
pub mod pipe_user;
pub mod proc;
pub mod ram_xattr;
pub mod ramfs;
pub mod read_write;
pub mod readdir;
pub mod readlink;
pub mod reclaim;
pub mod regular;
pub mod rename;
pub mod select;
pub mod splice;
pub mod stat;
pub mod statfs;
pub mod super_block;
pub mod super_ops;
pub mod sync;
pub mod timerfd;
pub mod tmpfs;
pub mod unlink;
pub mod utimes;
pub mod write_access;
pub mod xattr;
