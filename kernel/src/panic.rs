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
    let (rbp, rsp): (u64, u64);
    // SAFETY: reads two registers; no memory is touched.
    unsafe { core::arch::asm!("mov {}, rbp", "mov {}, rsp", out(reg) rbp, out(reg) rsp) };
    crate::arch::traps::backtrace(rbp, rsp);
    let timeout = crate::cmdline::panic_timeout();
    if timeout > 0 {
        crate::printk::emergency_write(format_args!("Rebooting in {timeout} seconds..\n"));
        crate::time::delay_ns(timeout as u64 * crate::time::NSEC_PER_SEC);
    }
    if timeout != 0 {
        crate::printk::emergency_write(format_args!("reboot: Power down\n"));
        crate::drivers::acpi::power_off();
    }
    crate::printk::emergency_write(format_args!("---[ end Kernel panic - not syncing ]---\n"));
    cpu::halt_forever()
}
