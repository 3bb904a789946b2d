//! Regular files as memory-mapping sources (mm's `MappedFile`), and the
//! access checks mmap(2) makes against the open file.

use alloc::sync::Arc;

use abi::{Errno, MapFlags, OpenFlags, ProtFlags};

use machine::mm::Frame;

use super::file::OpenFile;
use crate::mm::mapped::{FileId, MappedFile};
use crate::mm::shmem::SharedAnon;

/// A mapping holds the open file, as Linux's vm_file: the file stays
/// open (and its mount busy) while mapped, and /proc names it.
impl MappedFile for OpenFile {
    fn size(&self) -> u64 {
        self.inode().lock().file().map_or(0, |f| f.size())
    }

    fn frame(&self, index: u64) -> Result<Frame, Errno> {
        self.inode().lock().file_mut()?.page_frame(index)
    }

    fn id(&self) -> FileId {
        FileId { dev: self.inode().sb.dev, ino: self.inode().ino, path: self.name() }
    }

    fn is_cached(&self, index: u64) -> bool {
        self.inode().lock().file().is_ok_and(|f| f.is_cached(index))
    }

    fn sync(&self) -> Result<(), Errno> {
        self.fsync()
    }
}

/// A shared mapping of a regular file: the open file, whether mprotect
/// may make it writable (Linux's VM_MAYWRITE), and whether it counts
/// against F_SEAL_WRITE while any address space holds it (memfd.rs).
struct SharedMapping {
    file: Arc<OpenFile>,
    may_write: bool,
    counted: bool,
}

impl SharedMapping {
    /// Linux keeps a shared mapping shared-writable only when the file is
    /// open for writing; seals may refuse it (EPERM).
    fn new(file: &Arc<OpenFile>, prot: ProtFlags) -> Result<SharedMapping, Errno> {
        let writable_fd = file.flags().bits() & abi::open::O_ACCMODE == abi::open::O_RDWR;
        let mut i = file.inode().lock();
        // Files whose filesystem makes their bytes (procfs) have no seals.
        let seals = i.file_mut().ok().and_then(|d| d.seals_mut());
        let (may_write, counted) = match seals {
            Some(seals) => {
                let allowed = seals.map_shared(prot.contains(ProtFlags::PROT_WRITE), writable_fd)?;
                (writable_fd && allowed, writable_fd)
            }
            None => (writable_fd, false),
        };
        Ok(SharedMapping { file: file.clone(), may_write, counted })
    }
}

impl Drop for SharedMapping {
    fn drop(&mut self) {
        if self.counted {
            let mut i = self.file.inode().lock();
            if let Some(seals) = i.file_mut().ok().and_then(|d| d.seals_mut()) {
                seals.unmap_shared();
            }
        }
    }
}

impl MappedFile for SharedMapping {
    fn size(&self) -> u64 {
        MappedFile::size(&*self.file)
    }

    fn frame(&self, index: u64) -> Result<Frame, Errno> {
        MappedFile::frame(&*self.file, index)
    }

    fn id(&self) -> FileId {
        MappedFile::id(&*self.file)
    }

    fn is_cached(&self, index: u64) -> bool {
        MappedFile::is_cached(&*self.file, index)
    }

    fn sync(&self) -> Result<(), Errno> {
        MappedFile::sync(&*self.file)
    }

    fn may_write(&self) -> bool {
        self.may_write
    }
}

/// What an mmap of `file` maps.
pub enum Source {
    File(Arc<dyn MappedFile>),
    /// /dev/zero: a mapping of it is anonymous memory (Linux).
    Anonymous,
    /// A shared mapping of /dev/zero open read-only.
    ReadOnlyZero,
}

/// Linux's checks of mmap against the open file: it must be readable; a
/// shared writable mapping needs it open for writing; O_APPEND files are
/// not mapped shared-writable; a sealed file may refuse a shared mapping.
pub fn source(file: &Arc<OpenFile>, prot: ProtFlags, flags: MapFlags) -> Result<Source, Errno> {
    let inode = file.inode();
    let mode = file.flags();
    if inode.node_ops().is_some_and(|n| !n.mappable()) {
        return Err(Errno::ENODEV); // made when read: no pages to map
    }
    if inode.is_regular() {
        let access = mode.bits() & abi::open::O_ACCMODE;
        if access == abi::open::O_WRONLY {
            return Err(Errno::EACCES);
        }
        let shared = flags.map_type() != MapFlags::MAP_PRIVATE.bits();
        if shared && prot.contains(ProtFlags::PROT_WRITE) {
            if access != abi::open::O_RDWR {
                return Err(Errno::EACCES);
            }
            if mode.contains(OpenFlags::O_APPEND) {
                return Err(Errno::EACCES);
            }
        }
        if !shared {
            return Ok(Source::File(file.clone()));
        }
        return Ok(Source::File(Arc::new(SharedMapping::new(file, prot)?)));
    }
    let zero_device = abi::makedev(1, 5);
    if inode.kind() == abi::S_IFCHR && inode.lock().rdev == zero_device {
        // A shared mapping of a descriptor not open for writing may not
        // be written, now or after mprotect (Linux).
        let shared = flags.map_type() != MapFlags::MAP_PRIVATE.bits();
        if shared && !mode.writable() {
            if prot.contains(ProtFlags::PROT_WRITE) {
                return Err(Errno::EACCES);
            }
            return Ok(Source::ReadOnlyZero);
        }
        return Ok(Source::Anonymous);
    }
    Err(Errno::ENODEV)
}

/// mmap(2): checks the arguments, resolves the descriptor to what it maps,
/// and has mm map it.
pub fn sys_mmap(addr: u64, len: u64, prot: u32, flags: u32, fd: i32, offset: u64) -> Result<usize, Errno> {
    // Linux's order: the offset's alignment, then the descriptor, then the
    // rest (a zero length with a bad descriptor is EBADF).
    if !offset.is_multiple_of(super::page::PAGE_SIZE as u64) {
        return Err(Errno::EINVAL);
    }
    let file = if MapFlags::from_bits_retain(flags).contains(MapFlags::MAP_ANONYMOUS) {
        None
    } else {
        Some(super::file::get_file(fd)?)
    };
    let (prot, flags) = crate::mm::mmap::check_args(len, prot, flags, offset)?;
    let (source, offset) = match file {
        None => (None, offset),
        Some(file) => match source(&file, prot, flags)? {
            Source::File(f) => (Some(f), offset),
            Source::Anonymous => (None, offset),
            // Its pages count from the mapping's start, as shared
            // anonymous memory's do.
            Source::ReadOnlyZero => {
                let memory = SharedAnon::read_only(crate::mm::address_space::page_up(len));
                (Some(Arc::new(memory) as Arc<dyn MappedFile>), 0)
            }
        },
    };
    crate::mm::mmap::do_mmap(addr, len, prot, flags, source, offset)
}
