//! Structures that system calls copy to and from user memory.
//!
//! All are `#[repr(C)]` with explicit padding fields so they derive
//! [`bytemuck::Pod`]: the kernel can copy them as plain bytes. User-space
//! pointers inside them are `u64`, never Rust pointers. Everything here is
//! re-exported at the crate root.

mod dirent;
mod io;
mod mqueue;
mod resource;
mod stat;
mod statfs;
mod statx;
mod sysinfo;
mod termios;
mod time;
mod utsname;

pub use dirent::*;
pub use io::*;
pub use mqueue::*;
pub use resource::*;
pub use stat::*;
pub use statfs::*;
pub use statx::*;
pub use sysinfo::*;
pub use termios::*;
pub use time::*;
pub use utsname::*;
