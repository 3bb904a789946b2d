//! Directory contents: entries packed into 4 KiB directory blocks, stored
//! as the directory's file data (FORMAT.md, "Directories").

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use crate::device::BLOCK_SIZE;
use crate::error::{DirFault, Error, Result};
use crate::layout::*;

/// One entry: the inode it names and that inode's type (DT_* value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub ino: u64,
    pub dtype: u8,
}

/// A directory's entries by name ("." and ".." are not stored).
pub type Entries = BTreeMap<Vec<u8>, Entry>;

const ENTRY_HEADER: usize = 10;

/// Checks a name for a directory entry.
pub fn check_name(name: &[u8]) -> Result<()> {
    if name.len() > NAME_MAX {
        return Err(Error::NameTooLong);
    }
    if name.is_empty() || name == b"." || name == b".." || name.iter().any(|&c| c == b'/' || c == 0) {
        return Err(Error::InvalidName);
    }
    Ok(())
}

/// The stored form: entries in name order, each wholly inside one block.
pub fn encode(entries: &Entries) -> Vec<u8> {
    let mut out = Vec::new();
    let mut block = vec![0u8; BLOCK_SIZE];
    let mut pos = 0;
    for (name, e) in entries {
        let len = ENTRY_HEADER + name.len();
        if pos + len > BLOCK_SIZE {
            out.extend_from_slice(&block);
            block.fill(0);
            pos = 0;
        }
        put_u64(&mut block, pos, e.ino);
        block[pos + 8] = name.len() as u8;
        block[pos + 9] = e.dtype;
        block[pos + ENTRY_HEADER..pos + len].copy_from_slice(name);
        pos += len;
    }
    if pos > 0 {
        out.extend_from_slice(&block);
    }
    out
}

/// Parses a directory's contents.
pub fn decode(data: &[u8]) -> core::result::Result<Entries, DirFault> {
    if !data.len().is_multiple_of(BLOCK_SIZE) {
        return Err(DirFault::BadSize { size: data.len() as u64 });
    }
    let mut entries = Entries::new();
    for (bi, block) in data.chunks(BLOCK_SIZE).enumerate() {
        let mut pos = 0;
        while pos + ENTRY_HEADER <= BLOCK_SIZE {
            let offset = (bi * BLOCK_SIZE + pos) as u64;
            let ino = get_u64(block, pos);
            if ino == 0 {
                break;
            }
            let len = block[pos + 8] as usize;
            let dtype = block[pos + 9];
            let end = pos + ENTRY_HEADER + len;
            if end > BLOCK_SIZE || !matches!(dtype, 1 | 2 | 4 | 6 | 8 | 10 | 12) {
                return Err(DirFault::BadEntry { offset });
            }
            let name = &block[pos + ENTRY_HEADER..end];
            if check_name(name).is_err() {
                return Err(DirFault::BadEntry { offset });
            }
            if entries.insert(name.to_vec(), Entry { ino, dtype }).is_some() {
                return Err(DirFault::DuplicateName { offset });
            }
            pos = end;
        }
        // The rest of a block after its last entry is zero.
        if block[pos.min(BLOCK_SIZE)..].iter().any(|&b| b != 0) {
            return Err(DirFault::BadEntry { offset: (bi * BLOCK_SIZE + pos) as u64 });
        }
    }
    Ok(entries)
}

/// Byte offsets of each entry, for fsck's messages (same walk as `decode`).
pub fn offsets(data: &[u8]) -> BTreeMap<Vec<u8>, u64> {
    let mut out = BTreeMap::new();
    for (bi, block) in data.chunks(BLOCK_SIZE).enumerate() {
        let mut pos = 0;
        while pos + ENTRY_HEADER <= block.len() && get_u64(block, pos) != 0 {
            let end = pos + ENTRY_HEADER + block[pos + 8] as usize;
            if end > block.len() {
                break;
            }
            out.insert(block[pos + ENTRY_HEADER..end].to_vec(), (bi * BLOCK_SIZE + pos) as u64);
            pos = end;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_across_blocks() {
        let mut e = Entries::new();
        for i in 0..300u64 {
            let name = alloc::format!("file-with-a-longish-name-{i:04}");
            e.insert(name.into_bytes(), Entry { ino: i + 2, dtype: 8 });
        }
        let data = encode(&e);
        assert!(data.len() > BLOCK_SIZE && data.len().is_multiple_of(BLOCK_SIZE));
        assert_eq!(decode(&data).unwrap(), e);
        assert_eq!(encode(&Entries::new()).len(), 0);
    }

    #[test]
    fn names() {
        assert_eq!(check_name(b"a/b"), Err(Error::InvalidName));
        assert_eq!(check_name(b".."), Err(Error::InvalidName));
        assert_eq!(check_name(&[b'x'; 256]), Err(Error::NameTooLong));
        assert!(check_name(b"...").is_ok());
    }
}
