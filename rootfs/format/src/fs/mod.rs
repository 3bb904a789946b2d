//! The filesystem: mount (open) and mkfs (format), the inode cache, and
//! the operations, split by concern: `data` (file contents), `namei`
//! (directories and names), `commit` (the commit protocol), `verify`
//! (the checks made at mount).

mod commit;
mod data;
mod namei;
mod verify;

pub use data::MAX_FILE_SIZE;
pub use namei::NewInode;

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec;
use alloc::vec::Vec;

use crate::compress::{Algorithm, Compression, ZstdEncoder};
use crate::device::{BlockDevice, BLOCK_SIZE};
use crate::dir::Entries;
use crate::error::{Corruption, Error, InodeFault, NodeKind, Result, SuperblockFault};
use crate::inode::{Inode, Layout, Timespec, FS_COMPR_FL, FS_NOCOMP_FL, S_IFDIR};
use crate::layout::*;
use crate::node::Io;
use crate::space::Allocator;
use crate::superblock::{Superblock, INCOMPAT_SUPPORTED, RO_COMPAT_SUPPORTED};
use crate::tree::Tree;

/// What the filesystem needs from its host: the time, and optionally a
/// better zstd encoder than the built-in one. `Send`, so that a kernel
/// can keep a mounted filesystem behind a lock.
pub trait Platform: Send {
    fn now(&self) -> Timespec;
    fn zstd_encoder(&self) -> Option<&dyn ZstdEncoder> {
        None
    }
}

/// Options of `mkfs`.
#[derive(Debug, Clone)]
pub struct FormatOptions {
    /// Bytes per chunk (power of two, 4 KiB ..= 1 MiB).
    pub chunk_size: u32,
    /// The filesystem-wide default compression.
    pub compression: Compression,
    pub label: [u8; 32],
    pub uuid: [u8; 16],
}

impl Default for FormatOptions {
    fn default() -> Self {
        FormatOptions { chunk_size: DEFAULT_CHUNK, compression: Compression::LZ4, label: [0; 32], uuid: [0; 16] }
    }
}

/// Options of a mount.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenOptions {
    pub read_only: bool,
    /// Overrides the filesystem's default compression (mount option `compress=`).
    pub compression: Option<Compression>,
    /// Skips reading and checking every metadata block at mount.
    pub skip_verify: bool,
}

/// A superblock copy that mount could not use while the other was good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotFault {
    pub slot: u32,
    pub fault: SuperblockFault,
}

/// Dirty chunk contents held in memory before they are compressed and written.
const PENDING_LIMIT: usize = 16 << 20;

/// A mounted filesystem.
pub struct Fs<D: BlockDevice> {
    io: Io<D>,
    sb: Superblock,
    alloc: Allocator,
    itable: Tree,
    bitmap: Tree,
    inodes: BTreeMap<u64, Inode>,
    dirty: BTreeSet<u64>,
    deleted: BTreeSet<u64>,
    maps: BTreeMap<u64, Tree>,
    pending: BTreeMap<(u64, u64), Vec<u8>>,
    pending_bytes: usize,
    dirs: BTreeMap<u64, Entries>,
    dirty_dirs: BTreeSet<u64>,
    pins: BTreeMap<u64, u32>,
    /// Inode numbers taken by `reserve_ino` and not yet used.
    reserved: BTreeSet<u64>,
    read_cache: Option<(u64, u64, Vec<u8>)>,
    read_only: bool,
    compression: Compression,
    platform: Box<dyn Platform>,
    slot_faults: Vec<SlotFault>,
}

impl<D: BlockDevice> Fs<D> {
    /// Makes a new, empty filesystem on the whole device (mkfs).
    pub fn format(dev: D, opts: &FormatOptions, platform: Box<dyn Platform>) -> Result<Fs<D>> {
        let total = dev.block_count();
        if total < FIRST_DATA_BLOCK + 16 {
            return Err(Error::DeviceTooSmall);
        }
        if !opts.chunk_size.is_power_of_two() || !(MIN_CHUNK..=MAX_CHUNK).contains(&opts.chunk_size) {
            return Err(Error::InvalidArgument);
        }
        let now = platform.now();
        let sb = Superblock {
            generation: 0,
            compat: 0,
            ro_compat: 0,
            incompat: incompat_for(opts.compression.algorithm),
            chunk_size: opts.chunk_size,
            total_blocks: total,
            free_blocks: 0,
            inode_count: 1,
            next_inode: ROOT_INO + 1,
            inode_root: 0,
            inode_depth: 0,
            bitmap_root: 0,
            bitmap_depth: 0,
            default_compression: opts.compression,
            orphan_head: 0,
            created: now,
            committed: now,
            uuid: opts.uuid,
            label: opts.label,
        };
        let mut fs = Fs::assemble(Io::new(dev, total, 0), sb, Allocator::new(total), platform, false, None);
        let root = Inode {
            mode: S_IFDIR | 0o755,
            uid: 0,
            gid: 0,
            nlink: 2,
            flags: 0,
            compression: None,
            size: 0,
            atime: now,
            mtime: now,
            ctime: now,
            crtime: now,
            rdev_major: 0,
            rdev_minor: 0,
            parent: ROOT_INO,
            next_orphan: 0,
            blocks: 0,
            generation: 0,
            layout: Layout::Empty,
        };
        fs.inodes.insert(ROOT_INO, root);
        fs.dirty.insert(ROOT_INO);
        fs.dirs.insert(ROOT_INO, Entries::new());
        // Two commits, so both superblock copies hold a valid filesystem.
        fs.commit()?;
        fs.commit()?;
        Ok(fs)
    }

    /// Mounts the filesystem on `dev`.
    pub fn open(mut dev: D, opts: OpenOptions, platform: Box<dyn Platform>) -> Result<Fs<D>> {
        let (sb, slot_faults) = read_superblock(&mut dev)?;
        if sb.incompat & !INCOMPAT_SUPPORTED != 0 {
            return Err(Error::Unsupported { incompat: sb.incompat & !INCOMPAT_SUPPORTED });
        }
        let read_only = opts.read_only || sb.ro_compat & !RO_COMPAT_SUPPORTED != 0;
        let mut io = Io::new(dev, sb.total_blocks, sb.generation);
        let words = verify::load_bitmap(&mut io, &sb)?;
        let alloc = Allocator::from_words(sb.total_blocks, words);
        let mut fs = Fs::assemble(io, sb, alloc, platform, read_only, opts.compression);
        fs.slot_faults = slot_faults;
        if !opts.skip_verify {
            fs.verify_metadata()?;
        }
        let root = fs.inode(ROOT_INO)?;
        if !root.is_dir() {
            return Err(Corruption::Inode { ino: ROOT_INO, fault: InodeFault::BadMode { mode: root.mode } }.into());
        }
        if !read_only && fs.sb.orphan_head != 0 {
            fs.reclaim_orphans()?;
        }
        Ok(fs)
    }

    fn assemble(
        io: Io<D>,
        sb: Superblock,
        alloc: Allocator,
        platform: Box<dyn Platform>,
        read_only: bool,
        compression: Option<Compression>,
    ) -> Fs<D> {
        let itable = Tree::new(sb.inode_root, sb.inode_depth, NodeKind::InodeLeaf, OWNER_INODE_TABLE, INODE_SIZE);
        let bitmap = Tree::new(sb.bitmap_root, sb.bitmap_depth, NodeKind::BitmapLeaf, OWNER_BITMAP, 8);
        Fs {
            io,
            compression: compression.unwrap_or(sb.default_compression),
            sb,
            alloc,
            itable,
            bitmap,
            inodes: BTreeMap::new(),
            dirty: BTreeSet::new(),
            deleted: BTreeSet::new(),
            maps: BTreeMap::new(),
            pending: BTreeMap::new(),
            pending_bytes: 0,
            dirs: BTreeMap::new(),
            dirty_dirs: BTreeSet::new(),
            pins: BTreeMap::new(),
            reserved: BTreeSet::new(),
            read_cache: None,
            read_only,
            platform,
            slot_faults: Vec::new(),
        }
    }

    /// The superblock of the last commit.
    pub fn superblock(&self) -> &Superblock {
        &self.sb
    }

    /// Superblock copies that were damaged while the other was used.
    pub fn slot_faults(&self) -> &[SlotFault] {
        &self.slot_faults
    }

    pub fn root(&self) -> u64 {
        ROOT_INO
    }

    pub fn chunk_size(&self) -> u64 {
        self.sb.chunk_size as u64
    }

    /// Free blocks as the next commit will record them.
    pub fn free_blocks(&self) -> u64 {
        self.alloc.free
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The default compression in force (the mount's, else mkfs's).
    pub fn default_compression(&self) -> Compression {
        self.compression
    }

    /// Changes the default compression for new data (a remount's `compress=`).
    pub fn set_default_compression(&mut self, c: Compression) {
        self.compression = c;
    }

    /// The device (for a driver's own bookkeeping; writing to it behind
    /// the filesystem's back breaks it).
    pub fn device(&mut self) -> &mut D {
        &mut self.io.dev
    }

    /// Ends the mount without committing, returning the device.
    pub fn into_device(self) -> D {
        self.io.dev
    }

    /// A copy of inode `ino`.
    pub fn inode(&mut self, ino: u64) -> Result<Inode> {
        self.load_inode(ino)?;
        self.inodes.get(&ino).cloned().ok_or(Error::NotFound)
    }

    /// Same as [`Fs::inode`] (the name a caller of stat(2) looks for).
    pub fn stat(&mut self, ino: u64) -> Result<Inode> {
        self.inode(ino)
    }

    fn load_inode(&mut self, ino: u64) -> Result<()> {
        if self.inodes.contains_key(&ino) {
            return Ok(());
        }
        if ino == 0 || ino >= self.sb.next_inode || self.deleted.contains(&ino) {
            return Err(Error::NotFound);
        }
        let mut rec = [0u8; INODE_SIZE];
        self.itable.get(&mut self.io, ino, &mut rec)?;
        if !Inode::record_in_use(&rec) {
            return Err(Error::NotFound);
        }
        let inode = Inode::decode(&rec).map_err(|fault| Corruption::Inode { ino, fault })?;
        self.inodes.insert(ino, inode);
        Ok(())
    }

    /// Inode `ino` for changing (it will be written at the next commit).
    fn inode_mut(&mut self, ino: u64) -> Result<&mut Inode> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        self.load_inode(ino)?;
        self.dirty.insert(ino);
        self.inodes.get_mut(&ino).ok_or(Error::NotFound)
    }

    fn now(&self) -> Timespec {
        self.platform.now()
    }

    /// The compression new chunks of `inode` get: FS_NOCOMP_FL stores raw;
    /// a per-file choice (xattr `btrfs.compression`) wins over the default;
    /// FS_COMPR_FL asks for the default, or lz4 if the default is none.
    fn compression_for(&self, inode: &Inode) -> Compression {
        if inode.flags & FS_NOCOMP_FL != 0 {
            return Compression::NONE;
        }
        if let Some(c) = inode.compression {
            return c;
        }
        if inode.flags & FS_COMPR_FL != 0 && self.compression.algorithm == Algorithm::None {
            return Compression::LZ4;
        }
        self.compression
    }

    /// Sets a file's own compression (None: back to the default), as
    /// `setfattr -n btrfs.compression -v zstd:3 FILE` would.
    pub fn set_compression(&mut self, ino: u64, c: Option<Compression>) -> Result<()> {
        let now = self.now();
        let inode = self.inode_mut(ino)?;
        inode.compression = c;
        inode.ctime = now;
        Ok(())
    }

    /// Sets Linux inode flags (FS_IOC_SETFLAGS, as chattr does).
    pub fn set_flags(&mut self, ino: u64, flags: u32) -> Result<()> {
        let now = self.now();
        let inode = self.inode_mut(ino)?;
        inode.flags = flags;
        inode.ctime = now;
        Ok(())
    }

    /// Changes metadata (chmod, chown, utimens); `None` leaves a field alone.
    pub fn set_attr(&mut self, ino: u64, attr: &SetAttr) -> Result<()> {
        let now = self.now();
        let inode = self.inode_mut(ino)?;
        if let Some(mode) = attr.mode {
            inode.mode = (inode.mode & crate::inode::S_IFMT) | (mode & 0o7777);
        }
        if let Some(uid) = attr.uid {
            inode.uid = uid;
        }
        if let Some(gid) = attr.gid {
            inode.gid = gid;
        }
        if let Some(t) = attr.atime {
            inode.atime = t;
        }
        if let Some(t) = attr.mtime {
            inode.mtime = t;
        }
        inode.ctime = attr.ctime.unwrap_or(now);
        Ok(())
    }
}

/// Metadata changes for [`Fs::set_attr`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SetAttr {
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub atime: Option<Timespec>,
    pub mtime: Option<Timespec>,
    pub ctime: Option<Timespec>,
}

pub(crate) fn incompat_for(a: Algorithm) -> u64 {
    match a {
        Algorithm::None => 0,
        Algorithm::Lz4 => crate::superblock::INCOMPAT_LZ4,
        Algorithm::Zstd => crate::superblock::INCOMPAT_ZSTD,
    }
}

/// Reads both superblock copies and picks the valid one of the highest
/// generation; reports a damaged copy when the other is good.
pub fn read_superblock<D: BlockDevice>(dev: &mut D) -> Result<(Superblock, Vec<SlotFault>)> {
    let blocks = dev.block_count();
    let mut found: [core::result::Result<Superblock, SuperblockFault>; 2] =
        [Err(SuperblockFault::BadMagic), Err(SuperblockFault::BadMagic)];
    for (slot, f) in found.iter_mut().enumerate() {
        let mut b = vec![0u8; BLOCK_SIZE];
        let block: &mut [u8; BLOCK_SIZE] = b.as_mut_slice().try_into().map_err(|_| Error::InvalidArgument)?;
        *f = match dev.read_block(superblock_block(slot as u32), block) {
            Ok(()) => Superblock::decode(block, slot as u32, blocks),
            Err(e) => Err(SuperblockFault::Unreadable(e)),
        };
    }
    let [a, b] = found;
    match (a, b) {
        (Ok(x), Ok(y)) => Ok((if x.generation >= y.generation { x } else { y }, Vec::new())),
        (Ok(x), Err(fault)) => Ok((x, vec![SlotFault { slot: 1, fault }])),
        (Err(fault), Ok(y)) => Ok((y, vec![SlotFault { slot: 0, fault }])),
        (Err(slot0), Err(slot1)) => Err(Corruption::NoValidSuperblock { slot0, slot1 }.into()),
    }
}
