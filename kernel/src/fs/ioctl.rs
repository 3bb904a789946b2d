//! ioctl(2): passed to the open file.

use abi::Errno;

pub fn sys_ioctl(fd: i32, cmd: u32, arg: u64) -> Result<usize, Errno> {
    super::file::get_file(fd)?.ioctl(cmd, arg)
}
