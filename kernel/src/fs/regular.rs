//! Open regular files: reads and writes at the open file's offset over the
//! inode's pages.

use alloc::sync::Arc;

use abi::{Errno, OpenFlags};

use super::file::File;
use super::filedata::MAX_FILE_SIZE;
use super::inode::{Atime, Inode};
use super::mount::Mount;
use super::perm::remove_privs;
use super::read_write::generic_seek;

pub struct RegularFile {
    inode: Arc<Inode>,
    /// The mount it was opened through, whose options say when reads
    /// update atime (None: relatime).
    mnt: Option<Arc<Mount>>,
    /// Opened with O_NOATIME: reads leave atime alone.
    noatime: bool,
}

impl RegularFile {
    pub fn new(inode: Arc<Inode>, mnt: Option<Arc<Mount>>, noatime: bool) -> RegularFile {
        RegularFile { inode, mnt, noatime }
    }

    fn atime(&self) -> Atime {
        match &self.mnt {
            _ if self.noatime => Atime::Never,
            Some(m) => m.atime(false),
            None => Atime::Relative,
        }
    }
}

impl File for RegularFile {
    fn positioned(&self) -> bool {
        true
    }

    fn read_at(&self, buf: &mut [u8], pos: u64) -> Result<usize, Errno> {
        let mut inode = self.inode.lock();
        let n = inode.file_mut()?.read(pos, buf)?;
        inode.accessed(self.atime());
        Ok(n)
    }

    fn write_at(&self, buf: &[u8], pos: u64, flags: OpenFlags) -> Result<(usize, u64), Errno> {
        let mut inode = self.inode.lock();
        let data = inode.file_mut()?;
        if buf.is_empty() {
            return Ok((0, pos));
        }
        // O_APPEND: the end is found under the inode lock, so appends by
        // several writers never overwrite each other.
        let pos = if flags.contains(OpenFlags::O_APPEND) { data.size() } else { pos };
        if pos >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let mut len = super::fsize::write_len(pos, buf.len().min((MAX_FILE_SIZE - pos) as usize))?;
        if let Some(seals) = data.seals() {
            len = seals.writable_len(pos, len, data.size())?;
        }
        let n = data.write(pos, &buf[..len])?;
        inode.modified();
        remove_privs(&mut inode);
        Ok((n, pos + n as u64))
    }

    fn seek(&self, pos: u64, offset: i64, whence: i32) -> Result<u64, Errno> {
        let inode = self.inode.lock();
        let data = inode.file()?;
        if whence == abi::fcntl::SEEK_DATA || whence == abi::fcntl::SEEK_HOLE {
            let from = u64::try_from(offset).map_err(|_| Errno::ENXIO)?;
            return data.seek_data_or_hole(from, whence == abi::fcntl::SEEK_HOLE);
        }
        generic_seek(pos, data.size(), offset, whence)
    }

    /// A disk filesystem commits as a whole; a RAM one holds the only
    /// copy, with nothing to write back.
    fn fsync(&self) -> Result<(), Errno> {
        self.inode.sb.ops().sync()
    }
}
