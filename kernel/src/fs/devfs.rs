//! The kernel's own device directory, like Linux's devtmpfs: at boot /dev
//! gets the nodes of the devices this kernel drives, unless the initramfs
//! already has them. Also /tmp and /dev/shm as world-writable sticky
//! directories, where Linux systems mount tmpfs, so that programs find a
//! scratch directory before anything is mounted. With the root on a disk
//! (`root=`), /dev is a tmpfs of its own instead, filled the same way.

use alloc::sync::Arc;

use abi::{makedev, Errno, S_IFBLK, S_IFCHR, S_IFDIR};

use super::chardev::{MEM_MAJOR, MISC_MAJOR, TTYAUX_MAJOR, TTY_MAJOR};
use super::create::create_in;
use super::inode::Inode;
use super::mount::{self, Mount, Path, MNT_NOSUID, MNT_RELATIME};
use super::ramfs;
use super::super_block::SuperBlock;

/// Name, major, minor and permissions, as Linux's devtmpfs creates them.
const NODES: &[(&[u8], u32, u32, u32)] = &[
    (b"null", MEM_MAJOR, 3, 0o666),
    (b"zero", MEM_MAJOR, 5, 0o666),
    (b"full", MEM_MAJOR, 7, 0o666),
    (b"random", MEM_MAJOR, 8, 0o666),
    (b"urandom", MEM_MAJOR, 9, 0o666),
    (b"tty", TTYAUX_MAJOR, 0, 0o666),
    (b"console", TTYAUX_MAJOR, 1, 0o600),
    // The virtual terminal (tty0 is the current one) and the serial port.
    (b"tty0", TTY_MAJOR, 0, 0o620),
    (b"tty1", TTY_MAJOR, 1, 0o620),
    (b"ttyS0", TTY_MAJOR, 64, 0o660),
    (b"loop-control", MISC_MAJOR, abi::loop_dev::LOOP_CTRL_MINOR, 0o660),
];

/// The /dev the nodes went into (devtmpfs's, or the initramfs's), for
/// the devices that come and go after boot (loop devices).
static DEV_DIR: spin::Mutex<Option<Arc<Inode>>> = spin::Mutex::new(None);

/// Adds the node of a device made after boot, owned by root; a name in
/// use is left alone.
pub fn add_node(name: &[u8], mode: u32, rdev: u64) {
    let Some(dev) = DEV_DIR.lock().clone() else { return };
    let _ns = ramfs::namespace_lock();
    if matches!(dev.lock().dir().map(|d| d.get(name).is_some()), Ok(true) | Err(_)) {
        return;
    }
    let made = ramfs::new_child(&dev, mode, rdev).and_then(|inode| {
        let mut i = inode.lock();
        (i.uid, i.gid) = (0, 0);
        drop(i);
        ramfs::add_entry(&dev, name, &inode)
    });
    if let Err(e) = made {
        crate::pr_err!("devtmpfs: cannot add /dev/{}: error -{}", core::str::from_utf8(name).unwrap_or("?"), e.code());
    }
}

/// Removes the node of a device that is gone, if it is still that device's.
pub fn remove_node(name: &[u8], rdev: u64) {
    let Some(dev) = DEV_DIR.lock().clone() else { return };
    let _ns = ramfs::namespace_lock();
    let ours = dev.lock().dir().ok().and_then(|d| d.get(name)).is_some_and(|node| node.lock().rdev == rdev);
    if ours {
        let _ = ramfs::remove_entry(&dev, name);
    }
}

/// The directory `name` in `dir`, made with `mode` if missing.
fn ensure_dir(dir: &Arc<Inode>, name: &[u8], mode: u32) -> Result<Arc<Inode>, Errno> {
    match dir.lock().dir()?.get(name) {
        Some(existing) if existing.is_dir() => return Ok(existing),
        Some(_) => return Err(Errno::EEXIST),
        None => {}
    }
    create_in(dir, name, S_IFDIR | mode, 0)
}

fn populate() -> Result<(), Errno> {
    let root = ramfs::root();
    let dev = ensure_dir(&root, b"dev", 0o755)?;
    populate_dev(&dev)?;
    ensure_dir(&root, b"tmp", 0o1777)?;
    Ok(())
}

/// The device nodes and /dev/shm, in the directory `dev`.
fn populate_dev(dev: &Arc<Inode>) -> Result<(), Errno> {
    for &(name, major, minor, mode) in NODES {
        if dev.lock().dir()?.get(name).is_none() {
            create_in(dev, name, S_IFCHR | mode, makedev(major, minor))?;
        }
    }
    for disk in crate::block::disks() {
        if dev.lock().dir()?.get(disk.name.as_bytes()).is_none() {
            create_in(dev, disk.name.as_bytes(), S_IFBLK | 0o660, makedev(disk.major, disk.minor))?;
        }
    }
    ensure_dir(dev, b"shm", 0o1777)?;
    *DEV_DIR.lock() = Some(dev.clone());
    Ok(())
}

/// With the root on a disk: a tmpfs holding the device nodes is mounted
/// on its /dev, as Linux's devtmpfs (CONFIG_DEVTMPFS_MOUNT), so that the
/// nodes need not be on the disk and a read-only root works.
pub fn mount_devtmpfs(root: &Path) {
    let dir = match root.lock().dir().map(|d| d.get(b"dev")) {
        Ok(Some(d)) if d.is_dir() => d,
        _ => {
            crate::pr_err!("devtmpfs: the root has no /dev directory; not mounted");
            return;
        }
    };
    let sb = SuperBlock::new(&super::tmpfs::TMPFS, 0);
    sb.set_ops(super::tmpfs::RamOps::new(&sb));
    let (blocks, inodes) = super::mount_options::tmpfs_default_limits();
    sb.set_limits(blocks, inodes);
    let dev = ramfs::new_root(&sb, 0o755, 0, 0);
    if let Err(e) = populate_dev(&dev) {
        crate::pr_err!("devtmpfs: cannot populate /dev: error -{}", e.code());
    }
    let mnt = Mount::create(sb, dev, b"devtmpfs".to_vec(), MNT_RELATIME | MNT_NOSUID);
    mount::attach(mnt, &root.child(dir));
    crate::pr_info!("devtmpfs: mounted");
}

/// Called once at boot, after the initramfs is unpacked.
pub fn init() {
    if let Err(e) = populate() {
        crate::pr_err!("devtmpfs: cannot populate /dev: error -{}", e.code());
    }
}
