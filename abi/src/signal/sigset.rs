//! The kernel's 64-bit signal set.

use bytemuck::{Pod, Zeroable};

use super::{NSIG, SIGKILL, SIGSTOP};

/// A kernel `sigset_t`: bit `n - 1` stands for signal `n`.
///
/// The system calls pass its size explicitly (`sigsetsize`), which must be
/// `size_of::<SigSet>()` = 8 on x86_64.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Pod, Zeroable)]
#[repr(transparent)]
pub struct SigSet(pub u64);

impl SigSet {
    /// No signals.
    pub const EMPTY: SigSet = SigSet(0);
    /// Every signal 1..=64.
    pub const FULL: SigSet = SigSet(u64::MAX);
    /// Signals that can never be blocked, caught or ignored.
    pub const UNBLOCKABLE: SigSet = SigSet(Self::bit(SIGKILL) | Self::bit(SIGSTOP));

    /// The mask bit for `sig`, or 0 when `sig` is outside `1..NSIG`.
    pub const fn bit(sig: i32) -> u64 {
        if sig >= 1 && sig < NSIG {
            1u64 << (sig - 1)
        } else {
            0
        }
    }

    /// A set holding only `sig`.
    pub const fn single(sig: i32) -> SigSet {
        SigSet(Self::bit(sig))
    }

    /// True when `sig` is in the set.
    pub const fn contains(self, sig: i32) -> bool {
        self.0 & Self::bit(sig) != 0
    }

    /// True when no signal is in the set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Adds `sig`.
    pub fn add(&mut self, sig: i32) {
        self.0 |= Self::bit(sig);
    }

    /// Removes `sig`.
    pub fn remove(&mut self, sig: i32) {
        self.0 &= !Self::bit(sig);
    }

    /// Signals in either set.
    pub const fn union(self, other: SigSet) -> SigSet {
        SigSet(self.0 | other.0)
    }

    /// Signals in both sets.
    pub const fn intersection(self, other: SigSet) -> SigSet {
        SigSet(self.0 & other.0)
    }

    /// Signals in `self` but not in `other`.
    pub const fn difference(self, other: SigSet) -> SigSet {
        SigSet(self.0 & !other.0)
    }

    /// The set with `SIGKILL` and `SIGSTOP` removed, as every mask-setting
    /// call must do before storing a user-supplied mask.
    pub const fn without_unblockable(self) -> SigSet {
        self.difference(Self::UNBLOCKABLE)
    }

    /// The lowest-numbered signal in the set (the one delivered first).
    pub const fn first(self) -> Option<i32> {
        if self.0 == 0 {
            None
        } else {
            Some(self.0.trailing_zeros() as i32 + 1)
        }
    }

    /// Iterates over the signals in the set, lowest first.
    pub fn iter(self) -> impl Iterator<Item = i32> {
        let mut rest = self;
        core::iter::from_fn(move || {
            let sig = rest.first()?;
            rest.remove(sig);
            Some(sig)
        })
    }
}

// Sizes the ABI fixes; checked at compile time on every target.
const _: () = assert!(core::mem::size_of::<SigSet>() == 8);
