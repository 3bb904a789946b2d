//! memfd_create(2) and file sealing (Linux's mm/memfd.c): an anonymous
//! regular file on an internal tmpfs mount that no path reaches, and the
//! seals (fcntl F_ADD_SEALS / F_GET_SEALS) that tmpfs files carry, which
//! forbid shrinking, growing or writing the file from then on.
//!
//! Every tmpfs file has seals, as on Linux: F_SEAL_SEAL (no more seals)
//! unless memfd_create was asked for MFD_ALLOW_SEALING. Files of other
//! filesystems have none, and F_ADD_SEALS on them is EINVAL.

use alloc::boxed::Box;
use alloc::sync::Arc;

use abi::fcntl::{
    F_ADD_SEALS, F_SEAL_FUTURE_WRITE, F_SEAL_GROW, F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_WRITE, MFD_ALLOW_SEALING,
    MFD_CLOEXEC,
};
use abi::{Errno, OpenFlags, S_IFREG};
use spin::Once;

use super::d_path::Link;
use super::file::OpenFile;
use super::mount::{Mount, Path};
use super::regular::RegularFile;
use super::super_block::SuperBlock;
use super::tmpfs::{RamOps, TMPFS};
use crate::sched::current;

/// The seals Linux 6.1 knows (F_SEAL_EXEC came with 6.3).
const KNOWN_SEALS: u32 = (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) as u32;
/// Seals that forbid writing through write(2) and new writable mappings.
const WRITE_SEALS: u32 = (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) as u32;
/// NAME_MAX less the "memfd:" prefix the name is shown with.
const MAX_NAME_LEN: usize = 249;
const PAGE: u64 = 4096;

/// A tmpfs file's seals, and how many shared mappings of it may write
/// (Linux's i_mmap_writable), which F_SEAL_WRITE waits to be none.
pub struct Seals {
    bits: u32,
    writable_maps: usize,
}

impl Seals {
    /// A tmpfs file's seals at creation: F_SEAL_SEAL, so none can be added.
    pub fn sealed() -> Seals {
        Seals { bits: F_SEAL_SEAL as u32, writable_maps: 0 }
    }

    fn has(&self, seals: i32) -> bool {
        self.bits & seals as u32 != 0
    }

    /// How many of `len` bytes at `pos` a write may store in a file of
    /// `size` bytes. Linux checks page by page, so under F_SEAL_GROW a
    /// write that crosses the end stores the pages before the one that
    /// would grow the file, and is EPERM if that is the first.
    pub fn writable_len(&self, pos: u64, len: usize, size: u64) -> Result<usize, Errno> {
        if self.bits & WRITE_SEALS != 0 {
            return Err(Errno::EPERM);
        }
        let end = pos + len as u64;
        if !self.has(F_SEAL_GROW) || end <= size {
            return Ok(len);
        }
        // The last page boundary after `pos` that lies within the file.
        let allowed = (size / PAGE * PAGE).max(pos);
        match allowed - pos {
            0 => Err(Errno::EPERM),
            n => Ok(n as usize),
        }
    }

    /// A change of size from `old` to `new` (truncate, fallocate).
    pub fn check_resize(&self, old: u64, new: u64) -> Result<(), Errno> {
        if (new < old && self.has(F_SEAL_SHRINK)) || (new > old && self.has(F_SEAL_GROW)) {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    /// Punching a hole writes zeroes.
    pub fn check_punch(&self) -> Result<(), Errno> {
        if self.bits & WRITE_SEALS != 0 {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    /// A new shared mapping: `writable` if it may write now, `counted` if
    /// it comes from a descriptor open for writing (Linux 6.1 counts every
    /// such shared mapping, whatever its protection, against F_SEAL_WRITE).
    /// Returns whether mprotect may make it writable later.
    pub fn map_shared(&mut self, writable: bool, counted: bool) -> Result<bool, Errno> {
        if (writable && self.has(F_SEAL_FUTURE_WRITE)) || (counted && self.has(F_SEAL_WRITE)) {
            return Err(Errno::EPERM);
        }
        if counted {
            self.writable_maps += 1;
        }
        Ok(!self.has(F_SEAL_FUTURE_WRITE))
    }

    /// The last address space holding a counted mapping let go of it.
    pub fn unmap_shared(&mut self) {
        self.writable_maps = self.writable_maps.saturating_sub(1);
    }

    /// F_ADD_SEALS's work, once the descriptor has been checked.
    fn add(&mut self, seals: u32) -> Result<(), Errno> {
        if self.has(F_SEAL_SEAL) {
            return Err(Errno::EPERM);
        }
        if seals & F_SEAL_WRITE as u32 != 0 && self.writable_maps > 0 {
            return Err(Errno::EBUSY);
        }
        self.bits |= seals;
        Ok(())
    }
}

static MEMFD_MNT: Once<Arc<Mount>> = Once::new();

/// The internal tmpfs that holds memfds (Linux's shm_mnt): no size or
/// inode limits, as a kernel mount of tmpfs has none.
fn memfd_mount() -> Arc<Mount> {
    MEMFD_MNT
        .call_once(|| {
            let sb = SuperBlock::new(&TMPFS, 0);
            sb.set_ops(RamOps::new(&sb));
            let root = super::ramfs::new_root(&sb, 0o1777, 0, 0);
            Mount::create_internal(sb, root, b"tmpfs".to_vec())
        })
        .clone()
}

/// The pages memfds hold, which /proc/meminfo counts as Shmem.
pub fn pages() -> u64 {
    MEMFD_MNT.get().map_or(0, |m| m.sb.usage().0)
}

/// memfd_create's flags. Linux refuses unknown ones (EINVAL), and huge
/// page sizes without MFD_HUGETLB; huge pages have no filesystem here, so
/// MFD_HUGETLB itself, with or without a size, is EINVAL too, as a flag
/// this kernel does not offer.
fn check_flags(flags: u32) -> Result<(), Errno> {
    if flags & !(MFD_CLOEXEC | MFD_ALLOW_SEALING) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

pub fn sys_memfd_create(name: u64, flags: u32) -> Result<usize, Errno> {
    check_flags(flags)?;
    let name = crate::uaccess::read_user_cstr(name, MAX_NAME_LEN, Errno::EINVAL)?;
    let mnt = memfd_mount();
    let dir = Path::new(mnt.clone(), mnt.root.clone());
    // Mode 0777 whatever the umask, and no link: it is born deleted.
    let inode = super::ramfs::new_child(&dir, S_IFREG | 0o777, 0)?;
    if flags & MFD_ALLOW_SEALING != 0 {
        let mut i = inode.lock();
        if let Some(seals) = i.file_mut()?.seals_mut() {
            seals.bits = 0;
        }
    }
    // /proc shows it as "/memfd:NAME (deleted)" (d_path.rs).
    let mut shown = b"memfd:".to_vec();
    shown.extend_from_slice(&name);
    let link = Link { dir: dir.clone(), name: shown };
    let file = Box::new(RegularFile::new(inode.clone(), None, false));
    let open_flags = OpenFlags::O_RDWR | OpenFlags::O_LARGEFILE;
    let open = OpenFile::pseudo(file, open_flags, dir.child(inode), Some(link));
    let cloexec = flags & MFD_CLOEXEC != 0;
    current().files.lock().install(open, cloexec).map(|fd| fd as usize)
}

/// fcntl's F_ADD_SEALS and F_GET_SEALS. Adding needs the file open for
/// writing; a file without seals (not on tmpfs) is EINVAL.
pub fn fcntl(file: &OpenFile, cmd: i32, arg: u64) -> Result<usize, Errno> {
    if cmd == F_ADD_SEALS {
        if !file.flags().writable() {
            return Err(Errno::EPERM);
        }
        // Linux takes the seals as an unsigned int: higher bits are cut.
        let seals = arg as u32;
        if seals & !KNOWN_SEALS != 0 {
            return Err(Errno::EINVAL);
        }
        let mut i = file.inode().lock();
        let data = i.file_mut().map_err(|_| Errno::EINVAL)?;
        return data.seals_mut().ok_or(Errno::EINVAL)?.add(seals).map(|()| 0);
    }
    let i = file.inode().lock();
    let data = i.file().map_err(|_| Errno::EINVAL)?;
    Ok(data.seals().ok_or(Errno::EINVAL)?.bits as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi::fcntl::{MFD_HUGETLB, MFD_HUGE_SHIFT};

    fn with(bits: i32) -> Seals {
        Seals { bits: bits as u32, writable_maps: 0 }
    }

    #[test]
    fn grow_seal_lets_a_write_fill_the_pages_before_the_end() {
        let s = with(F_SEAL_GROW);
        assert_eq!(s.writable_len(100, 50, 8192), Ok(50));
        assert_eq!(s.writable_len(8190, 4, 8192), Ok(2));
        assert_eq!(s.writable_len(8192, 4, 8192), Err(Errno::EPERM));
        assert_eq!(s.writable_len(50, 100, 100), Err(Errno::EPERM));
        assert_eq!(s.writable_len(4000, 2000, 5000), Ok(96));
    }

    #[test]
    fn write_seals_refuse_every_write() {
        assert_eq!(with(F_SEAL_WRITE).writable_len(0, 1, 10), Err(Errno::EPERM));
        assert_eq!(with(F_SEAL_FUTURE_WRITE).writable_len(0, 1, 10), Err(Errno::EPERM));
        assert_eq!(with(F_SEAL_SHRINK).writable_len(0, 100, 10), Ok(100));
    }

    #[test]
    fn size_seals_refuse_only_their_direction() {
        let s = with(F_SEAL_SHRINK);
        assert_eq!(s.check_resize(10, 5), Err(Errno::EPERM));
        assert_eq!(s.check_resize(10, 10), Ok(()));
        assert_eq!(s.check_resize(10, 20), Ok(()));
        assert_eq!(with(F_SEAL_GROW).check_resize(10, 20), Err(Errno::EPERM));
    }

    #[test]
    fn write_seal_waits_for_shared_mappings_that_may_write() {
        let mut s = with(0);
        assert_eq!(s.map_shared(false, true), Ok(true));
        assert_eq!(s.add(F_SEAL_WRITE as u32), Err(Errno::EBUSY));
        s.unmap_shared();
        assert_eq!(s.add(F_SEAL_WRITE as u32), Ok(()));
        assert_eq!(s.map_shared(false, true), Err(Errno::EPERM));
        assert_eq!(s.map_shared(false, false), Ok(true));
    }

    #[test]
    fn future_write_keeps_old_mappings_and_refuses_new_writable_ones() {
        let mut s = with(0);
        assert_eq!(s.map_shared(true, true), Ok(true));
        assert_eq!(s.add(F_SEAL_FUTURE_WRITE as u32), Ok(()));
        assert_eq!(s.map_shared(true, true), Err(Errno::EPERM));
        assert_eq!(s.map_shared(false, true), Ok(false));
    }

    #[test]
    fn seal_seal_ends_sealing_and_flags_are_checked() {
        let mut s = Seals::sealed();
        assert_eq!(s.add(F_SEAL_GROW as u32), Err(Errno::EPERM));
        assert_eq!(check_flags(MFD_CLOEXEC | MFD_ALLOW_SEALING), Ok(()));
        assert_eq!(check_flags(0x100), Err(Errno::EINVAL));
        assert_eq!(check_flags(21 << MFD_HUGE_SHIFT), Err(Errno::EINVAL));
        assert_eq!(check_flags(MFD_HUGETLB), Err(Errno::EINVAL));
    }
}
