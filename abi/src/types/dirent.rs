//! Directory entries as `getdents64` returns them.
//!
//! `struct linux_dirent64` is `d_ino: u64, d_off: i64, d_reclen: u16,
//! d_type: u8` followed by the NUL-terminated name, each record padded to a
//! multiple of 8. Its fixed part has tail padding, so instead of a `Pod`
//! struct this module encodes records straight into the user buffer.

use super::S_IFMT;

/// Offset of `d_ino` in a record.
pub const DIRENT64_INO_OFFSET: usize = 0;
/// Offset of `d_off` in a record.
pub const DIRENT64_OFF_OFFSET: usize = 8;
/// Offset of `d_reclen` in a record.
pub const DIRENT64_RECLEN_OFFSET: usize = 16;
/// Offset of `d_type` in a record.
pub const DIRENT64_TYPE_OFFSET: usize = 18;
/// Offset of `d_name` in a record.
pub const DIRENT64_NAME_OFFSET: usize = 19;

pub const DT_UNKNOWN: u8 = 0;
pub const DT_FIFO: u8 = 1;
pub const DT_CHR: u8 = 2;
pub const DT_DIR: u8 = 4;
pub const DT_BLK: u8 = 6;
pub const DT_REG: u8 = 8;
pub const DT_LNK: u8 = 10;
pub const DT_SOCK: u8 = 12;
pub const DT_WHT: u8 = 14;

/// The `DT_*` value for an `st_mode` (the type bits shifted down).
pub const fn dt_from_mode(mode: u32) -> u8 {
    ((mode & S_IFMT) >> 12) as u8
}

/// Length of the record for a name of `name_len` bytes: header, name, NUL,
/// rounded up to 8.
pub const fn dirent64_reclen(name_len: usize) -> usize {
    (DIRENT64_NAME_OFFSET + name_len + 1 + 7) & !7
}

/// Encodes one `linux_dirent64` record at the start of `buf` and returns its
/// length (`d_reclen`). Padding after the name is zeroed.
///
/// `off` is the value user space may later pass to `lseek` to resume after
/// this entry. Returns `None`, writing nothing, if the record does not fit
/// in `buf`, the name is empty or contains a NUL byte, or the record would
/// exceed `u16::MAX` bytes. A caller filling a buffer stops at the first
/// `None`; if no record fit at all, `getdents64` fails with `EINVAL`.
pub fn write_dirent64(buf: &mut [u8], ino: u64, off: i64, d_type: u8, name: &[u8]) -> Option<usize> {
    if name.is_empty() || name.contains(&0) {
        return None;
    }
    let reclen = dirent64_reclen(name.len());
    if reclen > buf.len() || reclen > u16::MAX as usize {
        return None;
    }
    let rec = &mut buf[..reclen];
    rec[DIRENT64_INO_OFFSET..DIRENT64_OFF_OFFSET].copy_from_slice(&ino.to_ne_bytes());
    rec[DIRENT64_OFF_OFFSET..DIRENT64_RECLEN_OFFSET].copy_from_slice(&off.to_ne_bytes());
    rec[DIRENT64_RECLEN_OFFSET..DIRENT64_TYPE_OFFSET].copy_from_slice(&(reclen as u16).to_ne_bytes());
    rec[DIRENT64_TYPE_OFFSET] = d_type;
    let name_end = DIRENT64_NAME_OFFSET + name.len();
    rec[DIRENT64_NAME_OFFSET..name_end].copy_from_slice(name);
    rec[name_end..].fill(0);
    Some(reclen)
}
