//! Locks that interrupt handlers may share with the rest of the kernel:
//! the guard keeps interrupts masked while it is held, so a handler on the
//! same CPU never spins on a lock its own interrupted code holds.

use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};

use crate::arch::cpu::{disable_interrupts, enable_interrupts, interrupts_enabled};

pub struct IrqSafeMutex<T> {
    inner: spin::Mutex<T>,
}

pub struct IrqSafeGuard<'a, T> {
    guard: ManuallyDrop<spin::MutexGuard<'a, T>>,
    was_enabled: bool,
}

impl<T> IrqSafeMutex<T> {
    pub const fn new(value: T) -> Self {
        IrqSafeMutex { inner: spin::Mutex::new(value) }
    }

    /// Masks interrupts, then takes the lock; both undone when the guard
    /// drops, in the other order.
    #[inline]
    pub fn lock(&self) -> IrqSafeGuard<'_, T> {
        let was_enabled = interrupts_enabled();
        if was_enabled {
            disable_interrupts();
        }
        IrqSafeGuard { guard: ManuallyDrop::new(self.inner.lock()), was_enabled }
    }
}

impl<T> Deref for IrqSafeGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for IrqSafeGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T> Drop for IrqSafeGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the guard is dropped here once and never used again
        // (this is the owner's drop); the lock is released before
        // interrupts come back on.
        unsafe { ManuallyDrop::drop(&mut self.guard) };
        if self.was_enabled {
            enable_interrupts();
        }
    }
}
