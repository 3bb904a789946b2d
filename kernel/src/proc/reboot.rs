//! reboot(2): root only, with Linux's magic numbers.

const LINUX_REBOOT_MAGIC1: u32 = 0xfee1_dead;
const LINUX_REBOOT_MAGIC2: [u32; 4] = [672_274_793, 85_072_278, 369_367_448, 537_993_216];
const LINUX_REBOOT_CMD_RESTART: u32 = 0x0123_4567;
const LINUX_REBOOT_CMD_HALT: u32 = 0xcdef_0123;
const LINUX_REBOOT_CMD_POWER_OFF: u32 = 0x4321_fedc;
const LINUX_REBOOT_CMD_CAD_ON: u32 = 0x89ab_cdef;
const LINUX_REBOOT_CMD_CAD_OFF: u32 = 0;

pub fn sys_reboot(magic1: u32, magic2: u32, cmd: u32) -> Result<usize, abi::Errno> {
    if !crate::sched::current().cred.lock().capable(abi::capability::CAP_SYS_BOOT) {
        return Err(abi::Errno::EPERM);
    }
    if magic1 != LINUX_REBOOT_MAGIC1 || !LINUX_REBOOT_MAGIC2.contains(&magic2) {
        return Err(abi::Errno::EINVAL);
    }
    match cmd {
        LINUX_REBOOT_CMD_POWER_OFF => crate::reboot::power_off(),
        LINUX_REBOOT_CMD_RESTART => crate::reboot::restart(),
        LINUX_REBOOT_CMD_HALT => crate::reboot::halt(),
        // Ctrl-Alt-Del has no keyboard here to come from: nothing to switch.
        LINUX_REBOOT_CMD_CAD_ON | LINUX_REBOOT_CMD_CAD_OFF => Ok(0),
        _ => Err(abi::Errno::EINVAL),
    }
}
