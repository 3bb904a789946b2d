//! What execve records in an address space for /proc (Linux keeps the same
//! in mm_struct): where the argument and environment strings lie (cmdline,
//! environ), the auxiliary vector (auxv), the initial stack pointer, the
//! bounds of code and data (stat, status), and the executable (exe,
//! maps). fork copies it with the address space.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;

#[derive(Clone, Default)]
pub struct ExecInfo {
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
    /// Where argc lies: the stack pointer the program started with.
    pub start_stack: u64,
    /// The executable segments' bounds, and all loaded segments' (Linux's
    /// start_data is the highest segment start, end_data its file end).
    pub start_code: u64,
    pub end_code: u64,
    pub start_data: u64,
    pub end_data: u64,
    /// The auxiliary vector as the program got it, without AT_NULL.
    pub auxv: Vec<(u64, u64)>,
    /// The executable file, held while the program runs: what the exec
    /// layer gives (a path in the VFS); mm only keeps it.
    pub exe: Option<Arc<dyn Any + Send + Sync>>,
    /// What keeps the executable from being written while it runs (the
    /// exec layer's guard; dropped with the last address space that runs
    /// the program).
    pub exe_deny: Option<Arc<dyn Any + Send + Sync>>,
}
