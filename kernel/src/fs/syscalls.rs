//! The file-system system calls' entry: decodes arguments for the calls
//! implemented under `fs/` (path walk, open, stat, directories...). Returns
//! None for numbers that are not file-system calls.

use abi::syscall::nr;
use abi::Errno;

use super::context;

pub fn dispatch(number: usize, a: [u64; 6]) -> Option<Result<usize, Errno>> {
    Some(match number {
        nr::GETCWD => context::sys_getcwd(a[0], a[1] as usize),
        nr::UMASK => context::sys_umask(a[0] as u32),
        _ => return None,
    })
}
