//! Structures of `rt_sigaction` and `sigaltstack`.

use bytemuck::{Pod, Zeroable};

use super::{SigSet, SA_SIGINFO, SIG_DFL, SIG_IGN};

/// The `struct sigaction` that the x86_64 `rt_sigaction` system call reads
/// and writes: 32 bytes, field order handler, flags, restorer, mask.
///
/// This is not the C library's `struct sigaction` (glibc puts the mask
/// second and makes it 128 bytes); libc wrappers translate to this one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct KernelSigaction {
    /// `SIG_DFL`, `SIG_IGN` or the user address of the handler.
    pub handler: u64,
    /// `SA_*` bits.
    pub flags: u64,
    /// User address of the code that calls `rt_sigreturn` (needed with
    /// `SA_RESTORER`, which every x86_64 libc sets).
    pub restorer: u64,
    /// Signals blocked while the handler runs (bit `n - 1` for signal `n`).
    pub mask: u64,
}

impl KernelSigaction {
    /// The disposition every signal starts with.
    pub const DEFAULT: KernelSigaction = KernelSigaction { handler: SIG_DFL, flags: 0, restorer: 0, mask: 0 };

    /// True when the handler is `SIG_DFL`.
    pub const fn is_default(&self) -> bool {
        self.handler == SIG_DFL
    }

    /// True when the handler is `SIG_IGN`.
    pub const fn is_ignored(&self) -> bool {
        self.handler == SIG_IGN
    }

    /// True when the handler wants the three-argument `SA_SIGINFO` form.
    pub const fn wants_siginfo(&self) -> bool {
        self.flags & SA_SIGINFO != 0
    }

    /// The mask as a [`SigSet`].
    pub const fn sigset(&self) -> SigSet {
        SigSet(self.mask)
    }
}

/// `stack_t`, the alternate signal stack description of `sigaltstack`
/// (24 bytes; the same in the kernel and in C libraries).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct StackT {
    /// Lowest user address of the stack.
    pub ss_sp: u64,
    /// `SS_ONSTACK`, `SS_DISABLE`, optionally with `SS_AUTODISARM`.
    pub ss_flags: i32,
    /// Explicit padding so the struct has no hidden bytes.
    pub _pad: i32,
    /// Size of the stack in bytes.
    pub ss_size: u64,
}

impl StackT {
    /// One past the highest address of the stack (where a push starts).
    pub const fn top(&self) -> u64 {
        self.ss_sp.wrapping_add(self.ss_size)
    }

    /// True when `sp` lies inside the stack (`ss_sp < sp <= top`), the test
    /// the kernel uses to decide whether a thread is already on it.
    pub const fn contains(&self, sp: u64) -> bool {
        sp > self.ss_sp && sp <= self.top()
    }
}

// Sizes the ABI fixes; checked at compile time on every target.
const _: () = assert!(core::mem::size_of::<KernelSigaction>() == 32);
const _: () = assert!(core::mem::size_of::<StackT>() == 24);
