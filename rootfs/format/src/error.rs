//! Errors: what an operation can fail with, and for damaged images exactly
//! what is damaged and where. Every error is a value; nothing on the disk
//! can make the library panic.

use core::fmt;

use crate::device::DeviceError;

/// The kinds of metadata block (see FORMAT.md, "Metadata blocks").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// An interior node of any tree: child block numbers.
    Interior,
    /// A leaf of the inode table: inode records.
    InodeLeaf,
    /// A leaf of a file's chunk map: chunk pointers.
    ChunkLeaf,
    /// A leaf of the free-space bitmap.
    BitmapLeaf,
}

impl NodeKind {
    pub(crate) fn code(self) -> u8 {
        match self {
            NodeKind::Interior => 1,
            NodeKind::InodeLeaf => 2,
            NodeKind::ChunkLeaf => 3,
            NodeKind::BitmapLeaf => 4,
        }
    }

    fn name(self) -> &'static str {
        match self {
            NodeKind::Interior => "interior node",
            NodeKind::InodeLeaf => "inode table leaf",
            NodeKind::ChunkLeaf => "chunk map leaf",
            NodeKind::BitmapLeaf => "free-space bitmap leaf",
        }
    }
}

/// Why a superblock copy was not usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuperblockFault {
    Unreadable(DeviceError),
    BadMagic,
    BadChecksum {
        stored: u32,
        computed: u32,
    },
    /// The copy says it belongs in the other slot.
    WrongSlot {
        found: u32,
    },
    /// A field holds an impossible value.
    BadField(&'static str),
    /// The filesystem claims more blocks than the device has.
    LargerThanDevice {
        total: u64,
        device: u64,
    },
}

/// Why a metadata block was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeFault {
    Unreadable(DeviceError),
    /// The pointer to it is outside the filesystem or into the reserved area.
    OutOfRange,
    BadMagic,
    BadChecksum {
        stored: u32,
        computed: u32,
    },
    /// Its header names another block number (a misdirected write).
    WrongBlockNumber {
        found: u64,
    },
    WrongKind {
        found: u8,
    },
    WrongLevel {
        expected: u8,
        found: u8,
    },
    WrongOwner {
        expected: u64,
        found: u64,
    },
    /// Written by a generation newer than the superblock's.
    FutureGeneration {
        found: u64,
        newest: u64,
    },
    /// Referenced twice (by two trees, or twice in one).
    CrossLinked,
}

/// A damaged inode record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InodeFault {
    /// A directory entry or the orphan list names an inode that is free.
    Missing,
    BadMode {
        mode: u32,
    },
    BadLayout {
        layout: u8,
    },
    BadCompression {
        algo: u8,
    },
    /// A field holds an impossible value (named).
    BadField(&'static str),
    /// Its link count differs from the number of entries naming it.
    WrongLinkCount {
        stored: u32,
        counted: u32,
    },
    /// Its block count differs from the blocks it owns.
    WrongBlockCount {
        stored: u64,
        counted: u64,
    },
    /// No directory entry names it and it is not on the orphan list.
    Unreachable,
    /// A directory named by more than one entry.
    DirectoryLinkedTwice,
}

/// A damaged chunk (a file's stored extent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkFault {
    OutOfRange,
    BadLength,
    BadAlgorithm {
        algo: u8,
    },
    BadChecksum {
        stored: u32,
        computed: u32,
    },
    /// The payload does not decompress.
    Undecodable,
    /// It decompresses to another length than its pointer says.
    LengthMismatch {
        expected: u32,
        found: u32,
    },
    /// A chunk past the end of the file.
    PastEndOfFile,
    Unreadable(DeviceError),
    /// Its blocks are also used by something else.
    CrossLinked,
}

/// A damaged directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirFault {
    /// Its size is not a whole number of directory blocks.
    BadSize {
        size: u64,
    },
    /// An entry is malformed, at this byte offset of the directory.
    BadEntry {
        offset: u64,
    },
    /// An entry's type differs from its inode's.
    TypeMismatch {
        offset: u64,
    },
    DuplicateName {
        offset: u64,
    },
    /// The directory's parent field differs from the directory naming it.
    WrongParent {
        stored: u64,
        actual: u64,
    },
}

/// What is damaged, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corruption {
    /// Neither superblock copy is usable.
    NoValidSuperblock {
        slot0: SuperblockFault,
        slot1: SuperblockFault,
    },
    Superblock {
        slot: u32,
        fault: SuperblockFault,
    },
    Node {
        block: u64,
        kind: NodeKind,
        fault: NodeFault,
    },
    Inode {
        ino: u64,
        fault: InodeFault,
    },
    Chunk {
        ino: u64,
        index: u64,
        fault: ChunkFault,
    },
    Dir {
        ino: u64,
        fault: DirFault,
    },
    /// The free-space bitmap disagrees with the blocks in use.
    Bitmap {
        block: u64,
        marked_used: bool,
    },
    /// A superblock counter disagrees with the filesystem (named).
    Counter {
        name: &'static str,
        stored: u64,
        counted: u64,
    },
}

/// Everything an operation can fail with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    Device(DeviceError),
    Corrupt(Corruption),
    /// The image needs features this implementation lacks (incompat bits).
    Unsupported {
        incompat: u64,
    },
    /// Writing was asked of a filesystem opened read-only (or with unknown ro_compat bits).
    ReadOnly,
    DeviceTooSmall,
    NotFound,
    Exists,
    NotDir,
    IsDir,
    NotEmpty,
    NoSpace,
    NameTooLong,
    InvalidName,
    InvalidArgument,
    FileTooBig,
    TooManyLinks,
}

pub type Result<T> = core::result::Result<T, Error>;

impl From<DeviceError> for Error {
    fn from(e: DeviceError) -> Self {
        Error::Device(e)
    }
}

impl From<Corruption> for Error {
    fn from(c: Corruption) -> Self {
        Error::Corrupt(c)
    }
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceError::OutOfRange { block } => write!(f, "block {block} is past the end of the device"),
            DeviceError::Io { block, code } => write!(f, "I/O error {code} at block {block}"),
        }
    }
}

impl fmt::Display for SuperblockFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuperblockFault::Unreadable(e) => write!(f, "unreadable ({e})"),
            SuperblockFault::BadMagic => write!(f, "bad magic (not a kestrel filesystem)"),
            SuperblockFault::BadChecksum { stored, computed } => {
                write!(f, "checksum mismatch (stored {stored:#010x}, computed {computed:#010x})")
            }
            SuperblockFault::WrongSlot { found } => write!(f, "copy names slot {found}"),
            SuperblockFault::BadField(name) => write!(f, "impossible {name}"),
            SuperblockFault::LargerThanDevice { total, device } => {
                write!(f, "claims {total} blocks but the device has {device}")
            }
        }
    }
}

impl fmt::Display for NodeFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeFault::Unreadable(e) => write!(f, "unreadable ({e})"),
            NodeFault::OutOfRange => write!(f, "pointer outside the filesystem"),
            NodeFault::BadMagic => write!(f, "bad magic"),
            NodeFault::BadChecksum { stored, computed } => {
                write!(f, "checksum mismatch (stored {stored:#010x}, computed {computed:#010x})")
            }
            NodeFault::WrongBlockNumber { found } => write!(f, "header names block {found}"),
            NodeFault::WrongKind { found } => write!(f, "wrong block kind {found}"),
            NodeFault::WrongLevel { expected, found } => write!(f, "level {found}, expected {expected}"),
            NodeFault::WrongOwner { expected, found } => write!(f, "owner {found}, expected {expected}"),
            NodeFault::FutureGeneration { found, newest } => {
                write!(f, "generation {found} newer than the superblock's {newest}")
            }
            NodeFault::CrossLinked => write!(f, "referenced more than once"),
        }
    }
}

impl fmt::Display for InodeFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InodeFault::Missing => write!(f, "referenced but free"),
            InodeFault::BadMode { mode } => write!(f, "invalid mode {mode:#o}"),
            InodeFault::BadLayout { layout } => write!(f, "invalid data layout {layout}"),
            InodeFault::BadCompression { algo } => write!(f, "invalid compression {algo}"),
            InodeFault::BadField(name) => write!(f, "impossible {name}"),
            InodeFault::WrongLinkCount { stored, counted } => {
                write!(f, "link count {stored}, but {counted} entries name it")
            }
            InodeFault::WrongBlockCount { stored, counted } => {
                write!(f, "block count {stored}, but it owns {counted} blocks")
            }
            InodeFault::Unreachable => write!(f, "in use but named by no directory"),
            InodeFault::DirectoryLinkedTwice => write!(f, "directory named by more than one entry"),
        }
    }
}

impl fmt::Display for ChunkFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkFault::OutOfRange => write!(f, "blocks outside the filesystem"),
            ChunkFault::BadLength => write!(f, "impossible length"),
            ChunkFault::BadAlgorithm { algo } => write!(f, "unknown compression {algo}"),
            ChunkFault::BadChecksum { stored, computed } => {
                write!(f, "data checksum mismatch (stored {stored:#010x}, computed {computed:#010x})")
            }
            ChunkFault::Undecodable => write!(f, "does not decompress"),
            ChunkFault::LengthMismatch { expected, found } => {
                write!(f, "decompresses to {found} bytes, expected {expected}")
            }
            ChunkFault::PastEndOfFile => write!(f, "past the end of the file"),
            ChunkFault::Unreadable(e) => write!(f, "unreadable ({e})"),
            ChunkFault::CrossLinked => write!(f, "blocks also used elsewhere"),
        }
    }
}

impl fmt::Display for DirFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirFault::BadSize { size } => write!(f, "size {size} is not a whole number of blocks"),
            DirFault::BadEntry { offset } => write!(f, "malformed entry at offset {offset}"),
            DirFault::TypeMismatch { offset } => write!(f, "entry at offset {offset} has the wrong file type"),
            DirFault::DuplicateName { offset } => write!(f, "entry at offset {offset} repeats a name"),
            DirFault::WrongParent { stored, actual } => {
                write!(f, "parent field {stored}, but it is named from directory {actual}")
            }
        }
    }
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Corruption::NoValidSuperblock { slot0, slot1 } => {
                write!(f, "no valid superblock: copy 0 (block 1): {slot0}; copy 1 (block 2): {slot1}")
            }
            Corruption::Superblock { slot, fault } => {
                write!(f, "superblock copy {slot} (block {}): {fault}", slot + 1)
            }
            Corruption::Node { block, kind, fault } => write!(f, "{} at block {block}: {fault}", kind.name()),
            Corruption::Inode { ino, fault } => write!(f, "inode {ino}: {fault}"),
            Corruption::Chunk { ino, index, fault } => write!(f, "inode {ino} chunk {index}: {fault}"),
            Corruption::Dir { ino, fault } => write!(f, "directory inode {ino}: {fault}"),
            Corruption::Bitmap { block, marked_used: true } => {
                write!(f, "free-space bitmap marks block {block} used, but nothing uses it")
            }
            Corruption::Bitmap { block, marked_used: false } => {
                write!(f, "free-space bitmap marks block {block} free, but it is in use")
            }
            Corruption::Counter { name, stored, counted } => {
                write!(f, "superblock {name} is {stored}, counted {counted}")
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Device(e) => write!(f, "device error: {e}"),
            Error::Corrupt(c) => write!(f, "filesystem damaged: {c}"),
            Error::Unsupported { incompat } => write!(f, "image needs unsupported features {incompat:#x}"),
            Error::ReadOnly => write!(f, "read-only filesystem"),
            Error::DeviceTooSmall => write!(f, "device too small for a filesystem"),
            Error::NotFound => write!(f, "no such file or directory"),
            Error::Exists => write!(f, "file exists"),
            Error::NotDir => write!(f, "not a directory"),
            Error::IsDir => write!(f, "is a directory"),
            Error::NotEmpty => write!(f, "directory not empty"),
            Error::NoSpace => write!(f, "no space left on device"),
            Error::NameTooLong => write!(f, "file name too long"),
            Error::InvalidName => write!(f, "invalid file name"),
            Error::InvalidArgument => write!(f, "invalid argument"),
            Error::FileTooBig => write!(f, "file too large"),
            Error::TooManyLinks => write!(f, "too many links"),
        }
    }
}
