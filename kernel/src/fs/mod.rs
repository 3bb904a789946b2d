//! Files and filesystems.

#![deny(unsafe_code)]

pub mod attr;
pub mod chardev;
pub mod context;
pub mod create;
pub mod devfs;
pub mod dir;
pub mod fallocate;
pub mod fcntl;
pub mod fifo;
pub mod file;
pub mod filedata;
pub mod initramfs;
pub mod inode;
pub mod ioctl;
pub mod namei;
pub mod open;
pub mod page;
pub mod perm;
pub mod pipe;
pub mod ramfs;
pub mod read_write;
pub mod readdir;
pub mod readlink;
pub mod regular;
pub mod rename;
pub mod select;
pub mod stat;
pub mod statfs;
pub mod syscalls;
pub mod times;
pub mod unlink;
