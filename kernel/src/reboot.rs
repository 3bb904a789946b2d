//! Powering the machine off and restarting it. Before either, the work
//! the subsystems registered runs (filesystems commit, disks flush their
//! caches): Linux's reboot notifiers.

use crate::hooks::Hooks;

/// Work before power-off or restart, in the order registered.
static SHUTDOWN_WORK: Hooks<fn(), 4> = Hooks::new();

/// Adds work to run before the machine goes down.
pub fn register_shutdown_work(work: fn()) {
    SHUTDOWN_WORK.register(work);
}

fn run_shutdown_work() {
    for work in SHUTDOWN_WORK.all() {
        work();
    }
}

/// Powers off through ACPI; halts if the machine is still running after.
pub fn power_off() -> ! {
    run_shutdown_work();
    crate::pr_emerg!("reboot: Power down");
    machine::firmware::acpi::power_off();
    // The machine may take a moment to act on the request.
    crate::time::delay_ns(crate::time::NSEC_PER_SEC);
    crate::printk::emergency_write(format_args!("reboot: poweroff failed, halting\n"));
    crate::arch::cpu::halt_forever()
}

/// Resets the machine: the reset control register, then the keyboard
/// controller's reset line.
pub fn restart() -> ! {
    run_shutdown_work();
    crate::pr_emerg!("reboot: Restarting system");
    machine::firmware::acpi::reset();
    crate::time::delay_ns(crate::time::NSEC_PER_SEC);
    crate::arch::cpu::halt_forever()
}

/// Stops the machine where it is.
pub fn halt() -> ! {
    crate::pr_emerg!("reboot: System halted");
    crate::arch::cpu::halt_forever()
}
