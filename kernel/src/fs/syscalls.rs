//! The file-system system calls' entry: decodes arguments for the calls
//! implemented under `fs/` (path walk, open, stat, directories...). Returns
//! None for numbers that are not file-system calls.

use abi::syscall::nr;
use abi::Errno;

use super::{
    attr, context, create, do_mount, fallocate, open, read_write, readdir, readlink, rename, select, stat, statfs,
    times, unlink,
};

pub fn dispatch(number: usize, a: [u64; 6]) -> Option<Result<usize, Errno>> {
    let int = |v: u64| v as i32;
    let uint = |v: u64| v as u32;
    Some(match number {
        nr::OPEN => open::sys_open(a[0], uint(a[1]), uint(a[2])),
        nr::OPENAT => open::sys_openat(int(a[0]), a[1], uint(a[2]), uint(a[3])),
        nr::CREAT => open::sys_creat(a[0], uint(a[1])),
        nr::SENDFILE => read_write::sys_sendfile(int(a[0]), int(a[1]), a[2], a[3] as usize),
        nr::LSEEK => read_write::sys_lseek(int(a[0]), a[1] as i64, int(a[2])),
        nr::PREAD64 => read_write::sys_pread64(int(a[0]), a[1], a[2] as usize, a[3] as i64),
        nr::PWRITE64 => read_write::sys_pwrite64(int(a[0]), a[1], a[2] as usize, a[3] as i64),
        nr::READV => read_write::sys_readv(int(a[0]), a[1], int(a[2])),
        nr::PREADV => read_write::sys_preadv(int(a[0]), a[1], int(a[2]), a[3] as i64),
        nr::PWRITEV => read_write::sys_pwritev(int(a[0]), a[1], int(a[2]), a[3] as i64),
        nr::FSTAT => stat::sys_fstat(int(a[0]), a[1]),
        nr::STAT => stat::sys_stat(a[0], a[1]),
        nr::LSTAT => stat::sys_lstat(a[0], a[1]),
        nr::NEWFSTATAT => stat::sys_newfstatat(int(a[0]), a[1], a[2], uint(a[3])),
        nr::STATX => stat::sys_statx(int(a[0]), a[1], uint(a[2]), uint(a[3]), a[4]),
        nr::STATFS => statfs::sys_statfs(a[0], a[1]),
        nr::FSTATFS => statfs::sys_fstatfs(int(a[0]), a[1]),
        nr::FALLOCATE => fallocate::sys_fallocate(int(a[0]), int(a[1]), a[2] as i64, a[3] as i64),
        nr::FADVISE64 => fallocate::sys_fadvise64(int(a[0]), a[1] as i64, a[2] as i64, int(a[3])),
        nr::SYNC => statfs::sys_sync(),
        nr::SYNCFS => statfs::sys_syncfs(int(a[0])),
        nr::FSYNC | nr::FDATASYNC => statfs::sys_fsync(int(a[0])),
        nr::GETDENTS64 => readdir::sys_getdents64(int(a[0]), a[1], uint(a[2])),
        nr::GETCWD => context::sys_getcwd(a[0], a[1] as usize),
        nr::CHDIR => context::sys_chdir(a[0]),
        nr::FCHDIR => context::sys_fchdir(int(a[0])),
        nr::UMASK => context::sys_umask(uint(a[0])),
        nr::MKDIR => create::sys_mkdir(a[0], uint(a[1])),
        nr::MKDIRAT => create::sys_mkdirat(int(a[0]), a[1], uint(a[2])),
        nr::MKNOD => create::sys_mknod(a[0], uint(a[1]), uint(a[2])),
        nr::MKNODAT => create::sys_mknodat(int(a[0]), a[1], uint(a[2]), uint(a[3])),
        nr::SYMLINK => create::sys_symlink(a[0], a[1]),
        nr::SYMLINKAT => create::sys_symlinkat(a[0], int(a[1]), a[2]),
        nr::LINK => create::sys_link(a[0], a[1]),
        nr::LINKAT => create::sys_linkat(int(a[0]), a[1], int(a[2]), a[3], uint(a[4])),
        nr::UNLINK => unlink::sys_unlink(a[0]),
        nr::UNLINKAT => unlink::sys_unlinkat(int(a[0]), a[1], uint(a[2])),
        nr::RMDIR => unlink::sys_rmdir(a[0]),
        nr::RENAME => rename::sys_rename(a[0], a[1]),
        nr::RENAMEAT => rename::sys_renameat(int(a[0]), a[1], int(a[2]), a[3]),
        nr::RENAMEAT2 => rename::sys_renameat2(int(a[0]), a[1], int(a[2]), a[3], uint(a[4])),
        nr::READLINK => readlink::sys_readlink(a[0], a[1], int(a[2])),
        nr::READLINKAT => readlink::sys_readlinkat(int(a[0]), a[1], a[2], int(a[3])),
        nr::CHMOD => attr::sys_chmod(a[0], uint(a[1])),
        nr::FCHMOD => attr::sys_fchmod(int(a[0]), uint(a[1])),
        nr::FCHMODAT => attr::sys_fchmodat(int(a[0]), a[1], uint(a[2])),
        nr::CHOWN => attr::sys_chown(a[0], uint(a[1]), uint(a[2])),
        nr::LCHOWN => attr::sys_lchown(a[0], uint(a[1]), uint(a[2])),
        nr::FCHOWN => attr::sys_fchown(int(a[0]), uint(a[1]), uint(a[2])),
        nr::FCHOWNAT => attr::sys_fchownat(int(a[0]), a[1], uint(a[2]), uint(a[3]), uint(a[4])),
        nr::TRUNCATE => attr::sys_truncate(a[0], a[1] as i64),
        nr::FTRUNCATE => attr::sys_ftruncate(int(a[0]), a[1] as i64),
        nr::ACCESS => attr::sys_access(a[0], int(a[1])),
        nr::FACCESSAT => attr::sys_faccessat(int(a[0]), a[1], int(a[2])),
        nr::FACCESSAT2 => attr::sys_faccessat2(int(a[0]), a[1], int(a[2]), uint(a[3])),
        nr::UTIMENSAT => times::sys_utimensat(int(a[0]), a[1], a[2], uint(a[3])),
        nr::UTIMES => times::sys_utimes(a[0], a[1]),
        nr::FUTIMESAT => times::sys_futimesat(int(a[0]), a[1], a[2]),
        nr::UTIME => times::sys_utime(a[0], a[1]),
        nr::MOUNT => do_mount::sys_mount(a[0], a[1], a[2], a[3], a[4]),
        nr::UMOUNT2 => do_mount::sys_umount2(a[0], int(a[1])),
        nr::POLL => select::sys_poll(a[0], uint(a[1]), int(a[2])),
        nr::PPOLL => select::sys_ppoll(a[0], uint(a[1]), a[2], a[3], a[4] as usize),
        nr::SELECT => select::sys_select(int(a[0]), a[1], a[2], a[3], a[4]),
        nr::PSELECT6 => select::sys_pselect6(int(a[0]), a[1], a[2], a[3], a[4], a[5]),
        _ => return None,
    })
}
