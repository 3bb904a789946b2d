//! The one path to user memory: byte copies that check the range lies in
//! the user half and recover from faults (exception fixup), so a bad user
//! pointer is a short copy, never a kernel crash. With SMAP on, user pages
//! are reachable only inside the copy routine.

pub use crate::arch::uaccess::{compare_exchange_user_u32, copy_from_user, copy_to_user, USER_LIMIT};
