//! A process's filesystem context: its working directory and umask
//! (Linux's fs_struct). Copied by fork, kept by execve.

use alloc::vec::Vec;

#[derive(Clone)]
pub struct FsContext {
    /// The absolute path of the working directory.
    pub cwd: Vec<u8>,
    /// Linux's default umask for init is 0022.
    pub umask: u32,
}

impl FsContext {
    pub fn new() -> FsContext {
        FsContext { cwd: b"/".to_vec(), umask: 0o022 }
    }
}

impl Default for FsContext {
    fn default() -> Self {
        Self::new()
    }
}
