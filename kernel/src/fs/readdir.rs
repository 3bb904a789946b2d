//! Open directories and getdents64(2). The offset of an open directory is
//! a cookie (see dir.rs): 0 is `.`, 1 is `..`, then the entries' cookies.

use alloc::sync::Arc;
use alloc::vec;

use abi::fcntl::{SEEK_CUR, SEEK_SET};
use abi::{dt_from_mode, write_dirent64, Errno, DT_DIR};

use super::dir::FIRST_COOKIE;
use super::file::{get_file, File};
use super::inode::Inode;
use super::mount::Mount;
use super::ramfs;
use crate::uaccess::{check_user_range, copy_to_user};

/// getdents64 fills at most this much per call; user space calls again.
const MAX_BATCH: usize = 64 * 1024;

pub struct DirFile {
    inode: Arc<Inode>,
    /// The mount it was opened through: its options say when listing
    /// updates atime.
    mnt: Arc<Mount>,
}

impl DirFile {
    pub fn new(inode: Arc<Inode>, mnt: Arc<Mount>) -> DirFile {
        DirFile { inode, mnt }
    }
}

impl File for DirFile {
    fn positioned(&self) -> bool {
        true
    }

    fn read_at(&self, _buf: &mut [u8], _pos: u64) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }

    /// Like tmpfs (dcache_dir_lseek): only SEEK_SET and SEEK_CUR, to any
    /// cookie; a cookie past the last entry reads as the end.
    fn seek(&self, pos: u64, offset: i64, whence: i32) -> Result<u64, Errno> {
        let base = match whence {
            SEEK_SET => 0,
            SEEK_CUR => pos as i64,
            _ => return Err(Errno::EINVAL),
        };
        let new = base.checked_add(offset).ok_or(Errno::EINVAL)?;
        u64::try_from(new).map_err(|_| Errno::EINVAL)
    }

    fn getdents(&self, out: &mut [u8], pos: &mut u64) -> Result<usize, Errno> {
        let parent = ramfs::parent_of(&self.inode);
        let mut inode = self.inode.lock();
        // A removed directory lists nothing, not even `.`: ENOENT, as Linux.
        if inode.nlink == 0 {
            return Err(Errno::ENOENT);
        }
        let mut used = 0;
        let mut put = |ino: u64, next: u64, d_type: u8, name: &[u8], at: &mut u64| -> bool {
            match write_dirent64(&mut out[used..], ino, next as i64, d_type, name) {
                Some(len) => {
                    used += len;
                    *at = next;
                    true
                }
                None => false,
            }
        };
        let mut at = *pos;
        let mut full = false;
        if at == 0 {
            full = !put(self.inode.ino, 1, DT_DIR, b".", &mut at);
        }
        if !full && at == 1 {
            full = !put(parent.ino, FIRST_COOKIE, DT_DIR, b"..", &mut at);
        }
        if !full {
            for (cookie, name, child) in inode.dir()?.entries_from(at.max(FIRST_COOKIE)) {
                if !put(child.ino, cookie + 1, dt_from_mode(child.kind()), name, &mut at) {
                    full = true;
                    break;
                }
            }
        }
        if full && used == 0 {
            return Err(Errno::EINVAL); // the next entry does not fit at all
        }
        *pos = at;
        inode.accessed(self.mnt.atime(true));
        Ok(used)
    }

    /// A disk filesystem commits as a whole.
    fn fsync(&self) -> Result<(), Errno> {
        self.inode.sb.ops().sync()
    }
}

pub fn sys_getdents64(fd: i32, buf: u64, count: u32) -> Result<usize, Errno> {
    let file = get_file(fd)?;
    if !file.inode().is_dir() {
        return Err(Errno::ENOTDIR);
    }
    let count = count as usize;
    check_user_range(buf, count)?;
    let mut kbuf = vec![0u8; count.min(MAX_BATCH)];
    let before = file.pos();
    let n = file.getdents(&mut kbuf)?;
    if let Err(e) = copy_to_user(buf, &kbuf[..n]) {
        file.set_pos(before); // the entries did not arrive: not read
        return Err(e);
    }
    Ok(n)
}
