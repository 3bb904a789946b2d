//! Processes: exec, exit, signals, identities.

pub mod affinity;
pub mod arch_prctl;
pub mod capability;
pub mod cred;
pub mod elf;
pub mod exec;
pub mod exec_stack;
pub mod exit;
pub mod fork;
pub mod futex;
pub mod futex_pi;
pub mod init;
pub mod itimer;
pub mod kthread;
pub mod pgrp;
pub mod pid;
pub mod prctl;
pub mod priority;
pub mod reboot;
pub mod rlimit;
pub mod signal;
pub mod sysinfo;
pub mod task;
pub mod times;
pub mod uts;
pub mod wait;
