//! Files and filesystems.

#![deny(unsafe_code)]

pub mod context;
pub mod fcntl;
pub mod file;
pub mod initramfs;
pub mod ioctl;
pub mod pipe;
pub mod ramfs;
pub mod read_write;
pub mod syscalls;
