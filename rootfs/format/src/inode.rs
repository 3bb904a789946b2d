//! Inode records: 256 bytes each in the inode table (FORMAT.md, "Inodes").

use alloc::vec::Vec;

use crate::chunk::ChunkPtr;
use crate::compress::{Algorithm, Compression};
use crate::error::InodeFault;
use crate::layout::*;

/// Seconds and nanoseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: u32,
}

pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;

/// Linux's inode flags (FS_IOC_GETFLAGS) that choose compression.
pub const FS_COMPR_FL: u32 = 0x0000_0004;
pub const FS_NOCOMP_FL: u32 = 0x0000_0400;

/// The type of a file, from its mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

impl FileType {
    pub fn from_mode(mode: u32) -> Option<FileType> {
        Some(match mode & S_IFMT {
            S_IFREG => FileType::Regular,
            S_IFDIR => FileType::Directory,
            S_IFLNK => FileType::Symlink,
            S_IFCHR => FileType::CharDevice,
            S_IFBLK => FileType::BlockDevice,
            S_IFIFO => FileType::Fifo,
            S_IFSOCK => FileType::Socket,
            _ => return None,
        })
    }

    /// The `d_type` value (DT_*) stored in directory entries.
    pub fn dirent_type(self) -> u8 {
        match self {
            FileType::Fifo => 1,
            FileType::CharDevice => 2,
            FileType::Directory => 4,
            FileType::BlockDevice => 6,
            FileType::Regular => 8,
            FileType::Symlink => 10,
            FileType::Socket => 12,
        }
    }

    /// Whether files of this type have contents (data chunks).
    pub fn has_data(self) -> bool {
        matches!(self, FileType::Regular | FileType::Directory | FileType::Symlink)
    }
}

/// Where an inode's contents are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// No contents (size 0, or a file with no data: device, FIFO, socket).
    Empty,
    /// The contents themselves, in the inode (size <= 128).
    Inline(Vec<u8>),
    /// Pointers to chunks 0..4 in the inode.
    Chunks([ChunkPtr; INLINE_CHUNKS as usize]),
    /// A chunk map tree.
    Tree { root: u64, depth: u8 },
}

/// One inode record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inode {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    /// Linux inode flags (FS_*_FL), as chattr sets them.
    pub flags: u32,
    /// The per-file compression choice; None: the filesystem's default.
    pub compression: Option<Compression>,
    pub size: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    pub crtime: Timespec,
    /// Device number of a character or block device node.
    pub rdev_major: u32,
    pub rdev_minor: u32,
    /// For a directory, the directory that names it (the root names itself).
    pub parent: u64,
    /// Next inode on the orphan list (0: end).
    pub next_orphan: u64,
    /// 4 KiB blocks this inode owns: data and chunk map nodes.
    pub blocks: u64,
    pub generation: u32,
    pub layout: Layout,
}

impl Inode {
    pub fn file_type(&self) -> FileType {
        FileType::from_mode(self.mode).unwrap_or(FileType::Regular)
    }

    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    /// Encodes into a 256-byte record.
    pub fn encode(&self, r: &mut [u8]) {
        r[..INODE_SIZE].fill(0);
        put_u32(r, 0, self.mode);
        put_u32(r, 4, self.uid);
        put_u32(r, 8, self.gid);
        put_u32(r, 12, self.nlink);
        put_u32(r, 16, self.flags);
        if let Some(c) = self.compression {
            r[20] = 1 + c.algorithm.code();
            r[21] = c.level as u8;
        }
        put_u64(r, 24, self.size);
        for (i, t) in [self.atime, self.mtime, self.ctime, self.crtime].iter().enumerate() {
            put_i64(r, 32 + 8 * i, t.sec);
            put_u32(r, 64 + 4 * i, t.nsec);
        }
        put_u32(r, 80, self.rdev_major);
        put_u32(r, 84, self.rdev_minor);
        put_u64(r, 88, self.parent);
        put_u64(r, 96, self.next_orphan);
        put_u64(r, 104, self.blocks);
        put_u32(r, 120, self.generation);
        match &self.layout {
            Layout::Empty => r[22] = 0,
            Layout::Inline(data) => {
                r[22] = 1;
                r[128..128 + data.len()].copy_from_slice(data);
            }
            Layout::Chunks(ptrs) => {
                r[22] = 2;
                for (i, p) in ptrs.iter().enumerate() {
                    p.encode(&mut r[128 + i * CHUNK_PTR_SIZE..]);
                }
            }
            Layout::Tree { root, depth } => {
                r[22] = 3;
                r[23] = *depth;
                put_u64(r, 112, *root);
            }
        }
    }

    /// Whether a record is in use (a free record is all zero; mode 0 suffices).
    pub fn record_in_use(r: &[u8]) -> bool {
        get_u32(r, 0) != 0
    }

    /// Decodes and checks a record.
    pub fn decode(r: &[u8]) -> Result<Inode, InodeFault> {
        let mode = get_u32(r, 0);
        if mode & !(S_IFMT | 0o7777) != 0 {
            return Err(InodeFault::BadMode { mode });
        }
        let ftype = FileType::from_mode(mode).ok_or(InodeFault::BadMode { mode })?;
        let compression = match r[20] {
            0 => None,
            c => {
                let algorithm = Algorithm::from_code(c - 1).ok_or(InodeFault::BadCompression { algo: c })?;
                Some(Compression { algorithm, level: r[21] as i8 })
            }
        };
        let ts = |i: usize| -> Result<Timespec, InodeFault> {
            let nsec = get_u32(r, 64 + 4 * i);
            if nsec >= 1_000_000_000 {
                return Err(InodeFault::BadField("timestamp nanoseconds"));
            }
            Ok(Timespec { sec: get_i64(r, 32 + 8 * i), nsec })
        };
        let size = get_u64(r, 24);
        let layout = match r[22] {
            0 => Layout::Empty,
            1 => {
                if size > INLINE_AREA as u64 {
                    return Err(InodeFault::BadField("inline size"));
                }
                Layout::Inline(r[128..128 + size as usize].to_vec())
            }
            2 => {
                let mut ptrs = [ChunkPtr::HOLE; INLINE_CHUNKS as usize];
                for (i, p) in ptrs.iter_mut().enumerate() {
                    *p = ChunkPtr::decode(&r[128 + i * CHUNK_PTR_SIZE..])
                        .map_err(|_| InodeFault::BadField("inline chunk pointer"))?;
                }
                Layout::Chunks(ptrs)
            }
            3 => Layout::Tree { root: get_u64(r, 112), depth: r[23] },
            layout => return Err(InodeFault::BadLayout { layout }),
        };
        if !ftype.has_data() && (layout != Layout::Empty || size != 0) {
            return Err(InodeFault::BadLayout { layout: r[22] });
        }
        if ftype == FileType::Symlink && size > MAX_SYMLINK_BYTES {
            return Err(InodeFault::BadField("symlink size"));
        }
        if size > i64::MAX as u64 {
            return Err(InodeFault::BadField("size"));
        }
        if let Layout::Tree { depth, .. } = layout {
            if depth > MAX_DEPTH {
                return Err(InodeFault::BadField("chunk map depth"));
            }
        }
        let nlink = get_u32(r, 12);
        if nlink > LINK_MAX {
            return Err(InodeFault::BadField("link count"));
        }
        Ok(Inode {
            mode,
            uid: get_u32(r, 4),
            gid: get_u32(r, 8),
            nlink,
            flags: get_u32(r, 16),
            compression,
            size,
            atime: ts(0)?,
            mtime: ts(1)?,
            ctime: ts(2)?,
            crtime: ts(3)?,
            rdev_major: get_u32(r, 80),
            rdev_minor: get_u32(r, 84),
            parent: get_u64(r, 88),
            next_orphan: get_u64(r, 96),
            blocks: get_u64(r, 104),
            generation: get_u32(r, 120),
            layout,
        })
    }
}
