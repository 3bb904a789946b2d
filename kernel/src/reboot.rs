//! Powering the machine off.

#![deny(unsafe_code)]

/// Powers off through ACPI; halts if the machine is still running after.
pub fn power_off() -> ! {
    crate::pr_emerg!("reboot: Power down");
    crate::drivers::acpi::power_off();
    // The machine may take a moment to act on the request.
    crate::time::delay_ns(crate::time::NSEC_PER_SEC);
    crate::printk::emergency_write(format_args!("reboot: poweroff failed, halting\n"));
    crate::arch::cpu::halt_forever()
}
