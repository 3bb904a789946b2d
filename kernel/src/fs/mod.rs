//! Files and filesystems.
//!
//! The root is a RAM filesystem (ramfs.rs), "rootfs", unpacked from the
//! initramfs (initramfs.rs) and given /dev, /dev/shm and /tmp at boot
//! (devfs.rs); mount(2) adds tmpfs, ramfs and proc instances and bind
//! mounts (do_mount.rs, options in mount_options.rs). Each filesystem
//! instance is a superblock (super_block.rs: device number, limits,
//! read-only flag), shown in the tree by mounts (mount.rs, listed for
//! /proc by mountinfo.rs). An `Inode` (inode.rs) carries a file's
//! metadata and its contents: directory entries (dir.rs), page-backed
//! bytes (filedata.rs, page.rs), a symlink target, or a procfs node whose
//! entries, bytes or target are made when asked (proc/). The path walk
//! (namei.rs) resolves paths to a `Path` (a mount and an inode) from the
//! root, the working directory (context.rs) or a directory descriptor,
//! crossing mountpoints and jumping through procfs's magic links; it also
//! tells where it found the last name, which names open files in /proc
//! (d_path.rs). Opening (open.rs) makes an `OpenFile` (file.rs), Linux's
//! open file description, over a `File`: a regular file (regular.rs), a
//! directory (readdir.rs), a device by number (chardev.rs), a FIFO
//! (fifo.rs), a pipe end (pipe.rs) or a procfs file (proc/file.rs).
//! kestrelfs, the native filesystem on a disk (kestrel/), keeps the same
//! in-memory tree; its file pages are read in and written back through a
//! `Backing` (backing.rs). The system calls live with what they act on
//! (create.rs, unlink.rs, rename.rs, attr.rs, times.rs, stat.rs,
//! statfs.rs, read_write.rs, select.rs, xattr.rs...) and are decoded in
//! syscalls.rs.
//!
//! Lock order: the namespace lock (ramfs.rs), then the mount table lock,
//! then a mount's parent lock (mount.rs), then one inode lock at a time,
//! then a kestrel filesystem's lock (kestrel/mod.rs); the task's
//! credentials lock, the mount id and anonymous device locks and procfs's
//! inode cache lock are leaves. No lock is held across a copy to or from
//! user memory.

pub mod attr;
pub mod backing;
pub mod blockdev;
pub mod chardev;
pub mod context;
pub mod create;
pub mod d_path;
pub mod devfs;
pub mod dir;
pub mod do_mount;
pub mod fallocate;
pub mod fcntl;
pub mod fifo;
pub mod file;
pub mod filedata;
pub mod fs_type;
pub mod initramfs;
pub mod inode;
pub mod ioctl;
pub mod kestrel;
pub mod mmap;
pub mod mount;
pub mod mount_options;
pub mod mountinfo;
pub mod namei;
pub mod node_ops;
pub mod open;
pub mod page;
pub mod perm;
pub mod pipe;
pub mod proc;
pub mod ramfs;
pub mod read_write;
pub mod readdir;
pub mod readlink;
pub mod regular;
pub mod rename;
pub mod select;
pub mod stat;
pub mod statfs;
pub mod super_block;
pub mod super_ops;
pub mod syscalls;
pub mod times;
pub mod tmpfs;
pub mod unlink;
pub mod xattr;
