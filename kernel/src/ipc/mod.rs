//! System V IPC (Linux's ipc/): shared memory segments, semaphore sets and
//! message queues, named by keys and ids, guarded by `ipc_perm` rights.

pub mod msg;
pub mod sem;
pub mod semop;
pub mod shm;
pub mod util;
