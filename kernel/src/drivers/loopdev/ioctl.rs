//! A loop device's ioctls: binding a file (LOOP_SET_FD, LOOP_CONFIGURE,
//! LOOP_CHANGE_FD), letting it go (LOOP_CLR_FD), the status in both its
//! forms, the capacity and the block size, with Linux's checks and errnos.

use alloc::sync::Arc;

use abi::loop_dev::*;
use abi::{major, minor, Errno, S_IFBLK};
use bytemuck::Zeroable;

use super::{bound_file, sectors_of, Binding, LoopDevice};
use crate::block::SECTOR_SIZE;
use crate::fs::file::{get_file, OpenFile};
use crate::uaccess::{read_user, write_user};

/// Encryption types: only none is left in Linux.
const LO_CRYPT_NONE: u32 = 0;
/// Loop devices over loop devices: deeper chains are refused.
const MAX_DEPTH: usize = 16;

/// Held while a file is validated and bound (Linux's
/// loop_validate_mutex), so that two devices bound at once cannot each
/// miss the other in their loop check. Taken before any device's binding.
static BINDING_FILES: spin::Mutex<()> = spin::Mutex::new(());

pub fn ioctl(dev: &LoopDevice, cmd: u32, arg: u64, writable: bool) -> Result<usize, Errno> {
    let cmd = cmd as usize;
    // Changing the device's settings takes a writable open or CAP_SYS_ADMIN.
    let may_change = writable || crate::sched::current().cred.lock().is_privileged();
    let changes = matches!(
        cmd,
        LOOP_SET_STATUS | LOOP_SET_STATUS64 | LOOP_SET_CAPACITY | LOOP_SET_DIRECT_IO | LOOP_SET_BLOCK_SIZE
    );
    if changes && !may_change {
        return Err(Errno::EPERM);
    }
    match cmd {
        LOOP_SET_FD => {
            let config = LoopConfig { fd: arg as u32, ..LoopConfig::zeroed() };
            configure(dev, &config, writable)
        }
        LOOP_CONFIGURE => configure(dev, &read_user::<LoopConfig>(arg)?, writable),
        LOOP_CHANGE_FD => change_fd(dev, arg as i32),
        LOOP_CLR_FD => clear(dev),
        LOOP_SET_STATUS => set_status(dev, &info64_from_old(&read_user::<LoopInfo>(arg)?)),
        LOOP_SET_STATUS64 => set_status(dev, &read_user::<LoopInfo64>(arg)?),
        LOOP_GET_STATUS if arg == 0 => Err(Errno::EINVAL),
        LOOP_GET_STATUS => write_user(arg, &old_from_info64(&status(dev)?)?),
        LOOP_GET_STATUS64 if arg == 0 => Err(Errno::EINVAL),
        LOOP_GET_STATUS64 => write_user(arg, &status(dev)?),
        LOOP_SET_CAPACITY => with_binding(dev, |b| {
            b.sectors = sectors_of(&b.file, b.offset, b.size_limit);
            Ok(())
        }),
        // Direct I/O needs the backing filesystem's O_DIRECT, which none
        // here has: turning it on fails as on such a filesystem.
        LOOP_SET_DIRECT_IO => with_binding(dev, |_| if arg == 0 { Ok(()) } else { Err(Errno::EINVAL) }),
        LOOP_SET_BLOCK_SIZE => with_binding(dev, |b| {
            b.block_size = valid_block_size(arg)?;
            Ok(())
        }),
        _ => Err(Errno::ENOTTY),
    }
    .map(|_| 0)
}

/// Runs `f` on the binding; ENXIO when the device is unbound.
fn with_binding(dev: &LoopDevice, f: impl FnOnce(&mut Binding) -> Result<(), Errno>) -> Result<(), Errno> {
    f(dev.binding.lock().as_mut().ok_or(Errno::ENXIO)?)
}

/// A power of two from 512 bytes to a page (Linux's blk_validate_block_size).
fn valid_block_size(size: u64) -> Result<u32, Errno> {
    if (512..=4096).contains(&size) && size.is_power_of_two() {
        Ok(size as u32)
    } else {
        Err(Errno::EINVAL)
    }
}

/// Linux's loop_validate_file: a regular file or a block device, and no
/// loop back to `dev` through loop devices, directly (EBADF) or through
/// a filesystem mounted from one (EINVAL); an unbound loop device is
/// EINVAL.
fn validate_file(dev: &LoopDevice, file: &Arc<OpenFile>) -> Result<(), Errno> {
    let mut f = file.clone();
    for _ in 0..MAX_DEPTH {
        let inode = f.inode();
        let direct = inode.kind() == S_IFBLK;
        let on = if direct { inode.lock().rdev } else { inode.sb.dev };
        if major(on) != LOOP_MAJOR {
            let kind = file.inode().kind();
            return if file.inode().is_regular() || kind == S_IFBLK { Ok(()) } else { Err(Errno::EINVAL) };
        }
        if minor(on) == dev.index {
            return Err(if direct { Errno::EBADF } else { Errno::EINVAL });
        }
        f = match bound_file(minor(on)) {
            Some(next) => next,
            None if direct => return Err(Errno::EINVAL),
            None => return Ok(()),
        };
    }
    Err(Errno::EINVAL)
}

/// Linux's loop_set_status_from_info: what LOOP_CONFIGURE and
/// LOOP_SET_STATUS take from a `loop_info64`.
fn apply_info(b: &mut Binding, info: &LoopInfo64) -> Result<(), Errno> {
    if info.lo_encrypt_key_size as usize > LO_KEY_SIZE || info.lo_encrypt_type != LO_CRYPT_NONE {
        return Err(Errno::EINVAL);
    }
    if info.lo_offset > i64::MAX as u64 || info.lo_sizelimit > i64::MAX as u64 {
        return Err(Errno::EOVERFLOW);
    }
    b.offset = info.lo_offset;
    b.size_limit = info.lo_sizelimit;
    b.file_name = info.lo_file_name;
    b.file_name[LO_NAME_SIZE - 1] = 0;
    b.crypt_name = info.lo_crypt_name;
    b.crypt_name[LO_NAME_SIZE - 1] = 0;
    b.flags = info.lo_flags;
    Ok(())
}

/// LOOP_CONFIGURE, and LOOP_SET_FD as a configuration with only the fd.
fn configure(dev: &LoopDevice, config: &LoopConfig, writable: bool) -> Result<(), Errno> {
    let file = get_file(config.fd as i32)?;
    let _binding_files = BINDING_FILES.lock();
    if dev.binding.lock().is_some() {
        return Err(Errno::EBUSY);
    }
    validate_file(dev, &file)?;
    if config.info.lo_flags & !LOOP_CONFIGURE_SETTABLE_FLAGS != 0 {
        return Err(Errno::EINVAL);
    }
    let block_size = match config.block_size {
        0 => SECTOR_SIZE as u32,
        size => valid_block_size(u64::from(size))?,
    };
    let mut b = Binding {
        file: file.clone(),
        offset: 0,
        size_limit: 0,
        sectors: 0,
        flags: 0,
        block_size,
        file_name: [0; LO_NAME_SIZE],
        crypt_name: [0; LO_NAME_SIZE],
    };
    apply_info(&mut b, &config.info)?;
    // No direct I/O on any filesystem here: buffered, as Linux falls back.
    b.flags &= !LO_FLAGS_DIRECT_IO;
    if !file.flags().writable() || !writable {
        b.flags |= LO_FLAGS_READ_ONLY;
    }
    b.sectors = sectors_of(&file, b.offset, b.size_limit);
    let mut guard = dev.binding.lock();
    if guard.is_some() {
        return Err(Errno::EBUSY);
    }
    *guard = Some(b);
    Ok(())
}

/// LOOP_CHANGE_FD: a read-only device moves to another file of the same size.
fn change_fd(dev: &LoopDevice, fd: i32) -> Result<(), Errno> {
    let file = get_file(fd)?;
    let _binding_files = BINDING_FILES.lock();
    let mut guard = dev.binding.lock();
    let b = guard.as_mut().ok_or(Errno::ENXIO)?;
    if b.flags & LO_FLAGS_READ_ONLY == 0 {
        return Err(Errno::EINVAL);
    }
    let (old_sectors, offset, limit) = (sectors_of(&b.file, b.offset, b.size_limit), b.offset, b.size_limit);
    drop(guard);
    validate_file(dev, &file)?;
    if sectors_of(&file, offset, limit) != old_sectors {
        return Err(Errno::EINVAL);
    }
    let old = dev.binding.lock().as_mut().map(|b| core::mem::replace(&mut b.file, file));
    drop(old);
    Ok(())
}

/// LOOP_CLR_FD: a device that something else holds (a mount, another open
/// file) is let go when the last of them is, as Linux's autoclear.
fn clear(dev: &LoopDevice) -> Result<(), Errno> {
    let disk = crate::block::by_rdev(LOOP_MAJOR, dev.index);
    let mut guard = dev.binding.lock();
    let b = guard.as_mut().ok_or(Errno::ENXIO)?;
    if disk.is_some_and(|d| d.holders() > 1) {
        b.flags |= LO_FLAGS_AUTOCLEAR;
        return Ok(());
    }
    drop(guard);
    dev.unbind();
    Ok(())
}

/// LOOP_SET_STATUS(64): only autoclear and partition scanning change
/// among the flags, and autoclear alone may be cleared.
fn set_status(dev: &LoopDevice, info: &LoopInfo64) -> Result<(), Errno> {
    with_binding(dev, |b| {
        let old_flags = b.flags;
        apply_info(b, info)?;
        b.flags &= LOOP_SET_STATUS_SETTABLE_FLAGS;
        b.flags |= old_flags & !LOOP_SET_STATUS_SETTABLE_FLAGS;
        b.flags |= old_flags & !LOOP_SET_STATUS_CLEARABLE_FLAGS;
        b.sectors = sectors_of(&b.file, b.offset, b.size_limit);
        Ok(())
    })
}

/// LOOP_GET_STATUS64: the device's settings and the file's identity.
fn status(dev: &LoopDevice) -> Result<LoopInfo64, Errno> {
    let guard = dev.binding.lock();
    let b = guard.as_ref().ok_or(Errno::ENXIO)?;
    let mut info = LoopInfo64::zeroed();
    info.lo_number = dev.index;
    info.lo_offset = b.offset;
    info.lo_sizelimit = b.size_limit;
    info.lo_flags = b.flags;
    info.lo_file_name = b.file_name;
    info.lo_crypt_name = b.crypt_name;
    let file = b.file.clone();
    drop(guard);
    let st = file.inode().stat();
    info.lo_device = st.st_dev;
    info.lo_inode = st.st_ino;
    info.lo_rdevice = st.st_rdev;
    Ok(info)
}

/// Linux's loop_info_to_info64: the old structure's narrower fields (a
/// negative offset turns huge, and so EOVERFLOW).
fn info64_from_old(old: &LoopInfo) -> LoopInfo64 {
    let mut info = LoopInfo64::zeroed();
    info.lo_number = old.lo_number as u32;
    info.lo_device = old.lo_device;
    info.lo_inode = old.lo_inode;
    info.lo_rdevice = old.lo_rdevice;
    info.lo_offset = i64::from(old.lo_offset) as u64;
    info.lo_encrypt_type = old.lo_encrypt_type as u32;
    info.lo_encrypt_key_size = old.lo_encrypt_key_size as u32;
    info.lo_flags = old.lo_flags as u32;
    info.lo_init = old.lo_init;
    info.lo_file_name = old.lo_name;
    info.lo_encrypt_key = old.lo_encrypt_key;
    info
}

/// Linux's loop_info64_to_old: EOVERFLOW when the offset does not fit.
fn old_from_info64(info: &LoopInfo64) -> Result<LoopInfo, Errno> {
    let mut old = LoopInfo::zeroed();
    old.lo_number = info.lo_number as i32;
    old.lo_device = info.lo_device;
    old.lo_inode = info.lo_inode;
    old.lo_rdevice = info.lo_rdevice;
    old.lo_offset = i32::try_from(info.lo_offset).map_err(|_| Errno::EOVERFLOW)?;
    old.lo_encrypt_key_size = info.lo_encrypt_key_size as i32;
    old.lo_flags = info.lo_flags as i32;
    old.lo_name = info.lo_file_name;
    Ok(old)
}
