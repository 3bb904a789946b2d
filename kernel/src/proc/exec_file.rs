//! The file a program (or its interpreter) runs from, as exec maps it:
//! its segments map the file's own page-cache pages, as Linux's
//! binfmt_elf maps them with mmap, so every process running the same file
//! shares one copy of its text, and a private page is made only where a
//! process writes (copy-on-write). The loader reads only the headers.

use alloc::vec::Vec;

use abi::Errno;
use machine::mm::Frame;

use crate::fs::d_path::{d_path, NamedPath};
use crate::mm::mapped::{FileId, MappedFile};

pub struct ExecFile {
    named: NamedPath,
}

impl ExecFile {
    pub fn new(named: NamedPath) -> ExecFile {
        ExecFile { named }
    }

    /// Up to `len` bytes at `pos` (fewer at the end of the file).
    pub fn read_at(&self, pos: u64, len: usize) -> Result<Vec<u8>, Errno> {
        let mut inode = self.named.path.inode.lock();
        let data = inode.file_mut()?;
        let len = len.min(data.size().saturating_sub(pos) as usize);
        let mut bytes = Vec::new();
        bytes.try_reserve_exact(len).map_err(|_| Errno::ENOMEM)?;
        bytes.resize(len, 0);
        let n = data.read(pos, &mut bytes)?;
        bytes.truncate(n);
        Ok(bytes)
    }
}

impl MappedFile for ExecFile {
    fn size(&self) -> u64 {
        self.named.path.inode.lock().file().map_or(0, |f| f.size())
    }

    fn frame(&self, index: u64) -> Result<Frame, Errno> {
        self.named.path.inode.lock().file_mut()?.page_frame(index)
    }

    fn is_cached(&self, index: u64) -> bool {
        self.named.path.inode.lock().file().is_ok_and(|f| f.is_cached(index))
    }

    fn id(&self) -> FileId {
        let path = &self.named.path;
        FileId { dev: path.inode.sb.dev, ino: path.inode.ino, path: d_path(path, self.named.link.as_ref()) }
    }
}
