//! Files and filesystems.

#![deny(unsafe_code)]

pub mod file;
pub mod initramfs;
pub mod ioctl;
pub mod ramfs;
pub mod read_write;
