//! Registration slots: the functions a higher layer registers at boot for
//! a lower one to call (deferred work, exit hooks, shutdown work), so the
//! lower layer never names the higher. A few fixed slots: calling them
//! neither allocates nor holds the lock while they run.

use spin::Mutex;

use crate::arch::cpu::without_interrupts;

pub struct Hooks<F: Copy, const N: usize> {
    slots: Mutex<[Option<F>; N]>,
}

impl<F: Copy, const N: usize> Hooks<F, N> {
    pub const fn new() -> Self {
        Hooks { slots: Mutex::new([None; N]) }
    }

    /// Adds `f` after those registered before it.
    pub fn register(&self, f: F) {
        without_interrupts(|| {
            let mut slots = self.slots.lock();
            let free = slots.iter_mut().find(|s| s.is_none()).expect("more hooks registered than slots");
            *free = Some(f);
        });
    }

    /// The registered functions, in registration order.
    pub fn all(&self) -> impl Iterator<Item = F> {
        let slots = without_interrupts(|| *self.slots.lock());
        slots.into_iter().flatten()
    }
}
