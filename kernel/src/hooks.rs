//! Registration slots: the functions a higher layer registers at boot for
//! a lower one to call (deferred work, exit hooks, shutdown work), so the
//! lower layer never names the higher. A few fixed slots, each set once:
//! calling them takes no lock and allocates nothing (deferred work runs at
//! every return to user mode).

use spin::Once;

pub struct Hooks<F: Copy, const N: usize> {
    slots: [Once<F>; N],
}

impl<F: Copy, const N: usize> Hooks<F, N> {
    pub const fn new() -> Self {
        Hooks { slots: [const { Once::new() }; N] }
    }

    /// Adds `f` after those registered before it.
    pub fn register(&self, f: F) {
        for slot in &self.slots {
            let mut placed = false;
            slot.call_once(|| {
                placed = true;
                f
            });
            if placed {
                return;
            }
        }
        panic!("more hooks registered than slots");
    }

    /// The registered functions, in registration order.
    pub fn all(&self) -> impl Iterator<Item = F> + '_ {
        self.slots.iter().map_while(|slot| slot.get().copied())
    }
}
