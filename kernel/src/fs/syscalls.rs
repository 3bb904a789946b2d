//! The file-system system calls' entry: decodes arguments for the calls
//! implemented under `fs/` (path walk, open, stat, directories...). Returns
//! None for numbers that are not file-system calls.

use abi::Errno;

pub fn dispatch(number: usize, a: [u64; 6]) -> Option<Result<usize, Errno>> {
    let _ = (number, a);
    None
}
