//! Processes: exec, exit, signals, identities.

#![deny(unsafe_code)]

pub mod arch_prctl;
pub mod cred;
pub mod elf;
pub mod exec_stack;
pub mod exit;
pub mod init;
pub mod pid;
pub mod signal;
pub mod uts;
