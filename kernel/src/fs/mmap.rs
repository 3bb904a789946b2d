//! Regular files as memory-mapping sources (mm's `MappedFile`), and the
//! access checks mmap(2) makes against the open file.

use alloc::sync::Arc;

use abi::{Errno, MapFlags, OpenFlags, ProtFlags};

use machine::mm::Frame;

use super::file::OpenFile;
use crate::mm::mapped::{FileId, MappedFile};

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

    fn sync(&self) -> Result<(), Errno> {
        self.fsync()
    }
}

/// What an mmap of `file` maps.
pub enum Source {
    File(Arc<dyn MappedFile>),
    /// /dev/zero: a private mapping of it is anonymous memory (Linux).
    Anonymous,
}

/// Linux's checks of mmap against the open file: it must be readable; a
/// shared writable mapping needs it open for writing; O_APPEND files are
/// not mapped shared-writable.
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
        return Ok(Source::File(file.clone()));
    }
    let zero_device = abi::makedev(1, 5);
    if inode.kind() == abi::S_IFCHR && inode.lock().rdev == zero_device {
        return Ok(Source::Anonymous);
    }
    Err(Errno::ENODEV)
}

/// mmap(2): checks the arguments, resolves the descriptor to what it maps,
/// and has mm map it.
pub fn sys_mmap(addr: u64, len: u64, prot: u32, flags: u32, fd: i32, offset: u64) -> Result<usize, Errno> {
    let (prot, flags) = crate::mm::mmap::check_args(len, prot, flags, offset)?;
    let source = if flags.contains(MapFlags::MAP_ANONYMOUS) {
        None
    } else {
        match source(&super::file::get_file(fd)?, prot, flags)? {
            Source::File(f) => Some(f),
            Source::Anonymous => None,
        }
    };
    crate::mm::mmap::do_mmap(addr, len, prot, flags, source, offset)
}
