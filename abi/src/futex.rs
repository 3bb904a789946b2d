//! `futex` operations and flag bits.
//!
//! The `op` argument is a command in the low bits ([`FUTEX_CMD_MASK`]) plus
//! the [`FUTEX_PRIVATE_FLAG`] and [`FUTEX_CLOCK_REALTIME`] modifiers.

pub const FUTEX_WAIT: i32 = 0;
pub const FUTEX_WAKE: i32 = 1;
pub const FUTEX_FD: i32 = 2;
pub const FUTEX_REQUEUE: i32 = 3;
pub const FUTEX_CMP_REQUEUE: i32 = 4;
pub const FUTEX_WAKE_OP: i32 = 5;
pub const FUTEX_LOCK_PI: i32 = 6;
pub const FUTEX_UNLOCK_PI: i32 = 7;
pub const FUTEX_TRYLOCK_PI: i32 = 8;
pub const FUTEX_WAIT_BITSET: i32 = 9;
pub const FUTEX_WAKE_BITSET: i32 = 10;
pub const FUTEX_WAIT_REQUEUE_PI: i32 = 11;
pub const FUTEX_CMP_REQUEUE_PI: i32 = 12;
pub const FUTEX_LOCK_PI2: i32 = 13;

/// The futex is not shared between processes (a hint; may be ignored).
pub const FUTEX_PRIVATE_FLAG: i32 = 128;
/// `FUTEX_WAIT_BITSET`/`FUTEX_WAIT_REQUEUE_PI`: absolute timeout on
/// `CLOCK_REALTIME` instead of `CLOCK_MONOTONIC`.
pub const FUTEX_CLOCK_REALTIME: i32 = 256;
/// Mask extracting the command from `op`.
pub const FUTEX_CMD_MASK: i32 = !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

pub const FUTEX_WAIT_PRIVATE: i32 = FUTEX_WAIT | FUTEX_PRIVATE_FLAG;
pub const FUTEX_WAKE_PRIVATE: i32 = FUTEX_WAKE | FUTEX_PRIVATE_FLAG;
pub const FUTEX_REQUEUE_PRIVATE: i32 = FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG;
pub const FUTEX_CMP_REQUEUE_PRIVATE: i32 = FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG;
pub const FUTEX_WAKE_OP_PRIVATE: i32 = FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG;
pub const FUTEX_LOCK_PI_PRIVATE: i32 = FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG;
pub const FUTEX_UNLOCK_PI_PRIVATE: i32 = FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG;
pub const FUTEX_TRYLOCK_PI_PRIVATE: i32 = FUTEX_TRYLOCK_PI | FUTEX_PRIVATE_FLAG;
pub const FUTEX_WAIT_BITSET_PRIVATE: i32 = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG;
pub const FUTEX_WAKE_BITSET_PRIVATE: i32 = FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG;
pub const FUTEX_WAIT_REQUEUE_PI_PRIVATE: i32 = FUTEX_WAIT_REQUEUE_PI | FUTEX_PRIVATE_FLAG;
pub const FUTEX_CMP_REQUEUE_PI_PRIVATE: i32 = FUTEX_CMP_REQUEUE_PI | FUTEX_PRIVATE_FLAG;
pub const FUTEX_LOCK_PI2_PRIVATE: i32 = FUTEX_LOCK_PI2 | FUTEX_PRIVATE_FLAG;

/// Bitset matching every waiter (what plain `FUTEX_WAIT`/`FUTEX_WAKE` use).
pub const FUTEX_BITSET_MATCH_ANY: u32 = 0xffff_ffff;

// Bits of a PI / robust futex word.
/// Some thread is blocked on the lock.
pub const FUTEX_WAITERS: u32 = 0x8000_0000;
/// The owner died while holding the lock.
pub const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
/// Mask of the owner's tid.
pub const FUTEX_TID_MASK: u32 = 0x3fff_ffff;

// `flags` of `futex_wait`/`futex_wake`/`futex_waitv` (the futex2 calls).
pub const FUTEX2_SIZE_U8: u32 = 0x00;
pub const FUTEX2_SIZE_U16: u32 = 0x01;
pub const FUTEX2_SIZE_U32: u32 = 0x02;
pub const FUTEX2_SIZE_U64: u32 = 0x03;
pub const FUTEX2_NUMA: u32 = 0x04;
pub const FUTEX2_PRIVATE: u32 = FUTEX_PRIVATE_FLAG as u32;
