//! Mounting kestrelfs: from a block device node by mount(2)
//! (`mount -t kestrelfs -o compress=zstd /dev/vda /mnt`), or at boot as the
//! root (`root=/dev/vda`, with Linux's `rootfstype=`, `rootflags=`, `ro`
//! and `rw`). A damaged or foreign image is refused with a log line that
//! says what is wrong, and EINVAL (not this filesystem) or EUCLEAN
//! (damaged), as Linux's filesystems answer.
//!
//! Options: `compress=none|lz4|zstd|zstd:LEVEL`, the default for new data
//! (else mkfs's). A second mount of a mounted disk shares its superblock,
//! as Linux's; with the other read-only setting it is EBUSY.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use abi::{makedev, Errno, AT_FDCWD, S_IFBLK};
use kestrelfs::error::{Corruption, SuperblockFault};
use kestrelfs::{Compression, Error, Fs, OpenOptions};

use super::disk::{Clock, DiskDevice};
use super::{load, Volume, VOLUMES};
use crate::block::Disk;
use crate::fs::mount::{Mount, Path, MNT_NODEV, MNT_RELATIME};
use crate::fs::namei;
use crate::fs::super_block::{SuperBlock, SB_RDONLY};

/// Parsed mount options.
#[derive(Default, Clone, Copy)]
pub struct Options {
    pub compression: Option<Compression>,
}

/// Parses the options string; an unknown option is EINVAL, as ext4 says.
pub fn parse_options(disk: &str, data: Option<&[u8]>) -> Result<Options, Errno> {
    let mut opts = Options::default();
    let text = core::str::from_utf8(data.unwrap_or(b"")).map_err(|_| Errno::EINVAL)?;
    for opt in text.split(',').filter(|o| !o.is_empty()) {
        match opt.split_once('=') {
            Some(("compress", v)) => match Compression::parse(v) {
                Some(c) => opts.compression = Some(c),
                None => {
                    crate::pr_err!("kestrelfs ({}): bad compression \"{}\" (none, lz4, zstd, zstd:LEVEL)", disk, v);
                    return Err(Errno::EINVAL);
                }
            },
            // The generic ones a mount program may leave in.
            None if matches!(opt, "rw" | "ro" | "defaults") => {}
            _ => {
                crate::pr_err!("kestrelfs ({}): unrecognized mount option \"{}\"", disk, opt);
                return Err(Errno::EINVAL);
            }
        }
    }
    Ok(opts)
}

/// The errno for a mount that failed: a disk that is not kestrelfs at all
/// (no magic in either superblock) or asks for unknown features is
/// EINVAL; an unreadable disk EIO; a full one ENOSPC; anything else is
/// damage, EUCLEAN, for a sound image cannot fail to open otherwise (a
/// root that names a missing inode is not "no such file").
fn mount_errno(e: &Error) -> Errno {
    match e {
        Error::Corrupt(Corruption::NoValidSuperblock { slot0, slot1 })
            if *slot0 == SuperblockFault::BadMagic && *slot1 == SuperblockFault::BadMagic =>
        {
            Errno::EINVAL
        }
        Error::Device(_) | Error::Unsupported { .. } | Error::DeviceTooSmall | Error::NoSpace => super::errno(e),
        _ => Errno::EUCLEAN,
    }
}

/// Logs why the mount of `disk` failed.
fn log_mount_error(disk: &Disk, e: &Error) {
    if mount_errno(e) == Errno::EUCLEAN && !matches!(e, Error::Corrupt(_)) {
        crate::pr_err!("kestrelfs ({}): cannot mount: filesystem damaged: its tree is inconsistent ({})", disk.name, e);
    } else {
        crate::pr_err!("kestrelfs ({}): cannot mount: {}", disk.name, e);
    }
}

/// Opens the filesystem on `disk` and reads its tree: a new superblock.
fn open(disk: &Arc<Disk>, sb_flags: u32, opts: Options) -> Result<Arc<SuperBlock>, Errno> {
    let read_only = sb_flags & SB_RDONLY != 0;
    if !read_only && disk.device.read_only() {
        crate::pr_err!("kestrelfs ({}): the device is read-only: mount it read-only", disk.name);
        return Err(Errno::EACCES);
    }
    let open_opts = OpenOptions { read_only, compression: opts.compression, skip_verify: false };
    let device = DiskDevice::new(disk.clone());
    let fs = super::stack::run(|| Fs::open(device, open_opts, Box::new(Clock))).map_err(|e| {
        log_mount_error(disk, &e);
        mount_errno(&e)
    })?;
    for f in fs.slot_faults() {
        crate::pr_warn!(
            "kestrelfs ({}): superblock copy {} (block {}) is damaged ({}); mounted from the other",
            disk.name,
            f.slot,
            f.slot + 1,
            f.fault
        );
    }
    let mut flags = sb_flags;
    if fs.is_read_only() && !read_only {
        crate::pr_warn!("kestrelfs ({}): unknown read-only features: mounted read-only", disk.name);
        flags |= SB_RDONLY;
    }
    let (generation, inodes) = (fs.superblock().generation, fs.superblock().inode_count);
    let compression = fs.default_compression();
    let sb = SuperBlock::new_on_device(&super::ops::KESTRELFS, flags, makedev(disk.major, disk.minor));
    let vol = Arc::new(Volume::new(disk.clone(), fs, Arc::downgrade(&sb), flags & SB_RDONLY != 0));
    *vol.compress_option.lock() = opts.compression;
    sb.set_ops(Arc::new(super::ops::KestrelOps(vol.clone())));
    let root = load::load_tree(&vol, &sb).map_err(|e| {
        log_mount_error(disk, &e);
        vol.fs.lock().take();
        mount_errno(&e)
    })?;
    sb.set_root(root);
    VOLUMES.lock().push(vol);
    crate::pr_info!(
        "kestrelfs ({}): mounted filesystem{}: generation {}, {} inodes, compress={}",
        disk.name,
        if flags & SB_RDONLY != 0 { " read-only" } else { "" },
        generation,
        inodes,
        compression
    );
    Ok(sb)
}

/// The superblock of `disk`: the mounted one, or a new one.
fn get_super(disk: &Arc<Disk>, sb_flags: u32, opts: Options) -> Result<Arc<SuperBlock>, Errno> {
    let mounted = VOLUMES.lock().iter().find(|v| Arc::ptr_eq(&v.disk, disk)).and_then(|v| v.sb.upgrade());
    match mounted {
        Some(sb) if (sb.flags() ^ sb_flags) & SB_RDONLY != 0 => Err(Errno::EBUSY),
        Some(sb) => Ok(sb),
        None => open(disk, sb_flags, opts),
    }
}

/// A mount of the filesystem on `disk`, attached nowhere yet.
fn mount_disk(
    disk: &Arc<Disk>,
    source: Vec<u8>,
    sb_flags: u32,
    mnt_flags: u32,
    data: Option<&[u8]>,
) -> Result<Arc<Mount>, Errno> {
    let opts = parse_options(&disk.name, data)?;
    let sb = get_super(disk, sb_flags, opts)?;
    let root = sb.root().ok_or(Errno::EBUSY)?;
    Ok(Mount::create(sb, root, source, mnt_flags))
}

/// mount(2) of kestrelfs: `source` names a block device node (ENOTBLK
/// for anything else, ENXIO without such a disk, EACCES on a nodev mount).
pub fn new_mount(
    source: Option<Vec<u8>>,
    sb_flags: u32,
    mnt_flags: u32,
    data: Option<&[u8]>,
) -> Result<Arc<Mount>, Errno> {
    let name = source.filter(|s| !s.is_empty()).ok_or(Errno::EINVAL)?;
    let node = namei::lookup(AT_FDCWD, &name, true)?;
    if node.kind() != S_IFBLK {
        return Err(Errno::ENOTBLK);
    }
    if node.mnt.has(MNT_NODEV) {
        return Err(Errno::EACCES);
    }
    let rdev = node.lock().rdev;
    drop(node);
    let disk = crate::block::by_rdev(abi::major(rdev), abi::minor(rdev)).ok_or(Errno::ENXIO)?;
    mount_disk(&disk, name, sb_flags, mnt_flags, data)
}

/// A remount's options and read-only change, before the VFS applies the
/// flags: going read-only commits first; read-write needs a filesystem
/// that was opened for writing.
pub fn remount(vol: &Volume, old_flags: u32, new_flags: u32, data: Option<&[u8]>) -> Result<(), Errno> {
    let opts = parse_options(vol.name(), data)?;
    let to_ro = new_flags & SB_RDONLY != 0 && old_flags & SB_RDONLY == 0;
    let to_rw = new_flags & SB_RDONLY == 0 && old_flags & SB_RDONLY != 0;
    if to_rw {
        let writable = vol.with_fs(|fs| Ok(!fs.is_read_only()))?;
        if !writable {
            reopen_writable(vol)?;
        }
        vol.read_only.store(false, Ordering::Relaxed);
    }
    if let Some(c) = opts.compression {
        vol.change(|fs| {
            fs.set_default_compression(c);
            Ok(())
        })?;
        *vol.compress_option.lock() = Some(c);
    }
    if to_ro {
        vol.make_read_only()?;
    }
    Ok(())
}

/// A filesystem opened read-only is opened again for writing (which
/// deletes the orphans a crash left); the inodes in memory are pinned
/// again. On failure it stays read-only.
fn reopen_writable(vol: &Volume) -> Result<(), Errno> {
    let mut guard = vol.fs.lock();
    let compression = *vol.compress_option.lock();
    let open = |read_only| {
        let opts = OpenOptions { read_only, compression, skip_verify: true };
        let device = DiskDevice::new(vol.disk.clone());
        super::stack::run(|| Fs::open(device, opts, Box::new(Clock)))
    };
    guard.take();
    match open(false) {
        Ok(mut fs) if !fs.is_read_only() => {
            for &ino in vol.inodes.lock().keys() {
                fs.pin(ino);
            }
            *guard = Some(fs);
            Ok(())
        }
        other => {
            match other {
                Err(e) => crate::pr_err!("kestrelfs ({}): cannot remount read-write: {}", vol.name(), e),
                Ok(_) => crate::pr_err!("kestrelfs ({}): unknown read-only features: stays read-only", vol.name()),
            }
            *guard = open(true).ok();
            Err(Errno::EROFS)
        }
    }
}

/// `root=/dev/NAME` at boot: mounts kestrelfs from that disk over the
/// initramfs and makes it the root, with a devtmpfs on /dev. On failure
/// it says why, and the initramfs stays the root.
pub fn mount_root(cmdline: &str) {
    let Some(root) = crate::cmdline::param(cmdline, "root") else { return };
    let fstype = crate::cmdline::param(cmdline, "rootfstype").unwrap_or("kestrelfs");
    if fstype != "kestrelfs" {
        crate::pr_err!("VFS: cannot mount root: unknown filesystem type {fstype}; staying on the initramfs");
        return;
    }
    let name = root.strip_prefix("/dev/").unwrap_or(root);
    let Some(disk) = crate::block::disks().into_iter().find(|d| d.name == name) else {
        crate::pr_err!("VFS: Cannot open root device \"{root}\": no such disk; staying on the initramfs");
        return;
    };
    // Linux mounts the root read-only unless `rw` is given.
    let read_only = !crate::cmdline::has_flag(cmdline, "rw");
    let sb_flags = if read_only { SB_RDONLY } else { 0 };
    let data = crate::cmdline::param(cmdline, "rootflags").map(str::as_bytes);
    let mnt = match mount_disk(&disk, root.as_bytes().to_vec(), sb_flags, MNT_RELATIME, data) {
        Ok(m) => m,
        Err(e) => {
            crate::pr_err!("VFS: Cannot mount root device {root} (error -{}); staying on the initramfs", e.code());
            return;
        }
    };
    let old_root = crate::fs::mount::root_path();
    crate::fs::mount::attach(mnt.clone(), &old_root);
    let new_root = Path::new(mnt.clone(), mnt.root.clone());
    crate::fs::mount::set_root(new_root.clone());
    crate::pr_notice!(
        "VFS: Mounted root (kestrelfs filesystem){} on device {}:{}.",
        if read_only { " readonly" } else { "" },
        disk.major,
        disk.minor
    );
    crate::fs::devfs::mount_devtmpfs(&new_root);
}
