//! Locks that interrupt handlers may share with the rest of the kernel:
//! the guard keeps interrupts masked while it is held, so a handler on the
//! same CPU never spins on a lock its own interrupted code holds.

use core::ops::{Deref, DerefMut};

use crate::arch::cpu::{disable_interrupts, enable_interrupts, interrupts_enabled};

pub struct IrqSafeMutex<T> {
    inner: spin::Mutex<T>,
}

pub struct IrqSafeGuard<'a, T> {
    guard: Option<spin::MutexGuard<'a, T>>,
    was_enabled: bool,
}

impl<T> IrqSafeMutex<T> {
    pub const fn new(value: T) -> Self {
        IrqSafeMutex { inner: spin::Mutex::new(value) }
    }

    /// Masks interrupts, then takes the lock; both undone when the guard
    /// drops, in the other order.
    pub fn lock(&self) -> IrqSafeGuard<'_, T> {
        let was_enabled = interrupts_enabled();
        if was_enabled {
            disable_interrupts();
        }
        IrqSafeGuard { guard: Some(self.inner.lock()), was_enabled }
    }
}

impl<T> Deref for IrqSafeGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("held until drop")
    }
}

impl<T> DerefMut for IrqSafeGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.guard.as_mut().expect("held until drop")
    }
}

impl<T> Drop for IrqSafeGuard<'_, T> {
    fn drop(&mut self) {
        self.guard = None;
        if self.was_enabled {
            enable_interrupts();
        }
    }
}
