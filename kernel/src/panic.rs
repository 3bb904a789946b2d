//! The panic handler: report, backtrace, then act on `panic=`.

use core::panic::PanicInfo;

use crate::arch::cpu;

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    cpu::disable_interrupts();
    crate::printk::emergency_write(format_args!("Kernel panic - not syncing: {}\n", info.message()));
    if let Some(loc) = info.location() {
        crate::printk::emergency_write(format_args!("  at {}:{}\n", loc.file(), loc.line()));
    }
    crate::arch::traps::backtrace_here();
    let timeout = crate::cmdline::panic_timeout();
    if timeout > 0 {
        crate::printk::emergency_write(format_args!("Rebooting in {timeout} seconds..\n"));
        crate::time::delay_ns(timeout as u64 * crate::time::NSEC_PER_SEC);
    }
    if timeout != 0 {
        crate::printk::emergency_write(format_args!("reboot: Power down\n"));
        machine::firmware::acpi::power_off();
    }
    crate::printk::emergency_write(format_args!("---[ end Kernel panic - not syncing ]---\n"));
    cpu::halt_forever()
}
