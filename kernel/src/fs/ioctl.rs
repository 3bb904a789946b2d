//! ioctl(2): passed to the open file.

use abi::Errno;

use crate::sched::current;

pub fn sys_ioctl(fd: i32, cmd: u32, arg: u64) -> Result<usize, Errno> {
    let file = current().files.lock().get(fd)?;
    file.ioctl(cmd, arg)
}
