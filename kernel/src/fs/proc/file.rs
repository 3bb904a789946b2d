//! Open procfs files and directories. A file's bytes are made by the
//! read at offset 0 and kept for the reads after it, so that a reader
//! going through the file in pieces sees one consistent snapshot, and a
//! reader that seeks back to 0 sees the state anew (Linux's seq_file).

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::fcntl::{SEEK_CUR, SEEK_SET};
use abi::{write_dirent64, Errno, OpenFlags};
use spin::Mutex;

use super::super::file::File;
use super::super::inode::Inode;
use super::table::FileKind;
use super::{generate, list, write, ProcNode};

pub struct ProcFile {
    node: Arc<ProcNode>,
    kind: FileKind,
    /// The bytes made by the last read from offset 0, if any.
    snapshot: Mutex<Option<Vec<u8>>>,
}

impl ProcFile {
    pub fn new(node: Arc<ProcNode>, kind: FileKind) -> ProcFile {
        ProcFile { node, kind, snapshot: Mutex::new(None) }
    }
}

/// seq_file's lseek: from the start or the current offset only.
fn seek_from(pos: u64, offset: i64, whence: i32) -> Result<u64, Errno> {
    let base = match whence {
        SEEK_SET => 0,
        SEEK_CUR => pos as i64,
        _ => return Err(Errno::EINVAL),
    };
    let new = base.checked_add(offset).ok_or(Errno::EINVAL)?;
    u64::try_from(new).map_err(|_| Errno::EINVAL)
}

impl File for ProcFile {
    fn positioned(&self) -> bool {
        true
    }

    fn read_at(&self, buf: &mut [u8], pos: u64) -> Result<usize, Errno> {
        let fresh = pos == 0 || self.snapshot.lock().is_none();
        if fresh {
            // Made without the lock held: making takes other locks.
            let bytes = generate(&self.node, self.kind)?;
            *self.snapshot.lock() = Some(bytes);
        }
        let snapshot = self.snapshot.lock();
        let bytes = snapshot.as_deref().unwrap_or_default();
        let start = (pos as usize).min(bytes.len());
        let n = buf.len().min(bytes.len() - start);
        buf[..n].copy_from_slice(&bytes[start..start + n]);
        Ok(n)
    }

    fn write_at(&self, buf: &[u8], pos: u64, _flags: OpenFlags) -> Result<(usize, u64), Errno> {
        let n = write(&self.node, self.kind, buf)?;
        Ok((n, pos + n as u64))
    }

    fn seek(&self, pos: u64, offset: i64, whence: i32) -> Result<u64, Errno> {
        seek_from(pos, offset, whence)
    }
}

/// An open procfs directory: getdents64 lists its entries as they are at
/// each call, resuming after the offset cookie of the last one returned.
pub struct ProcDir {
    inode: Arc<Inode>,
    node: Arc<ProcNode>,
}

impl ProcDir {
    pub fn new(inode: Arc<Inode>, node: Arc<ProcNode>) -> ProcDir {
        ProcDir { inode, node }
    }
}

impl File for ProcDir {
    fn positioned(&self) -> bool {
        true
    }

    fn read_at(&self, _buf: &mut [u8], _pos: u64) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }

    fn seek(&self, pos: u64, offset: i64, whence: i32) -> Result<u64, Errno> {
        seek_from(pos, offset, whence)
    }

    fn getdents(&self, out: &mut [u8], pos: &mut u64) -> Result<usize, Errno> {
        let from = *pos;
        // No entry takes less than a dirent64 header and a name byte.
        let room = out.len() / 24 + 1;
        let entries = list(&self.inode, &self.node, from, room)?;
        let mut used = 0;
        for (i, e) in entries.iter().enumerate().filter(|(_, e)| e.cookie >= from) {
            // d_off is where the next read resumes: the next entry's cookie.
            let next = entries.get(i + 1).map_or(e.cookie + 1, |n| n.cookie);
            match write_dirent64(&mut out[used..], e.ino, next as i64, e.d_type, &e.name) {
                Some(len) => {
                    used += len;
                    *pos = next;
                }
                None if used == 0 => return Err(Errno::EINVAL),
                None => break,
            }
        }
        if used == 0 {
            // At the end: stay past everything listed so far.
            *pos = (*pos).max(entries.last().map_or(0, |e| e.cookie + 1));
        }
        Ok(used)
    }

    fn fsync(&self) -> Result<(), Errno> {
        Ok(())
    }
}
