//! Powering the machine off.

/// Powers off through ACPI; halts if the machine is still running after.
pub fn power_off() -> ! {
    // The filesystems on disks commit, then whatever the disks hold in
    // their write caches reaches the medium.
    crate::fs::kestrel::writeback::sync_all();
    crate::block::flush_all();
    crate::pr_emerg!("reboot: Power down");
    machine::firmware::acpi::power_off();
    // The machine may take a moment to act on the request.
    crate::time::delay_ns(crate::time::NSEC_PER_SEC);
    crate::printk::emergency_write(format_args!("reboot: poweroff failed, halting\n"));
    crate::arch::cpu::halt_forever()
}

const LINUX_REBOOT_MAGIC1: u32 = 0xfee1_dead;
const LINUX_REBOOT_MAGIC2: [u32; 4] = [672_274_793, 85_072_278, 369_367_448, 537_993_216];
const LINUX_REBOOT_CMD_RESTART: u32 = 0x0123_4567;
const LINUX_REBOOT_CMD_HALT: u32 = 0xcdef_0123;
const LINUX_REBOOT_CMD_POWER_OFF: u32 = 0x4321_fedc;
const LINUX_REBOOT_CMD_CAD_ON: u32 = 0x89ab_cdef;
const LINUX_REBOOT_CMD_CAD_OFF: u32 = 0;

/// Resets the machine: the reset control register, then the keyboard
/// controller's reset line.
pub fn restart() -> ! {
    crate::fs::kestrel::writeback::sync_all();
    crate::block::flush_all();
    crate::pr_emerg!("reboot: Restarting system");
    machine::firmware::acpi::reset();
    crate::time::delay_ns(crate::time::NSEC_PER_SEC);
    crate::arch::cpu::halt_forever()
}

/// reboot(2): root only, with Linux's magic numbers.
pub fn sys_reboot(magic1: u32, magic2: u32, cmd: u32) -> Result<usize, abi::Errno> {
    if !crate::sched::current().cred.lock().is_privileged() {
        return Err(abi::Errno::EPERM);
    }
    if magic1 != LINUX_REBOOT_MAGIC1 || !LINUX_REBOOT_MAGIC2.contains(&magic2) {
        return Err(abi::Errno::EINVAL);
    }
    match cmd {
        LINUX_REBOOT_CMD_POWER_OFF => power_off(),
        LINUX_REBOOT_CMD_RESTART => restart(),
        LINUX_REBOOT_CMD_HALT => {
            crate::pr_emerg!("reboot: System halted");
            crate::arch::cpu::halt_forever()
        }
        // Ctrl-Alt-Del has no keyboard here to come from: nothing to switch.
        LINUX_REBOOT_CMD_CAD_ON | LINUX_REBOOT_CMD_CAD_OFF => Ok(0),
        _ => Err(abi::Errno::EINVAL),
    }
}
