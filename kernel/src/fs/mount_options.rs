//! The `data` argument of mount(2): comma-separated options, parsed as
//! Linux's legacy mount path does (generic_parse_monolithic). The VFS's
//! own words come first (`ro`, `rw`, `sync`...); then the filesystem's:
//! tmpfs knows `size=`, `nr_blocks=`, `nr_inodes=`, `mode=`, `uid=`,
//! `gid=`, `huge=`, `inode32`, `inode64` and `noswap`, and refuses
//! anything else (EINVAL); ramfs knows `mode=` and ignores the rest.

use abi::Errno;

use super::super_block::{SB_DIRSYNC, SB_LAZYTIME, SB_MANDLOCK, SB_RDONLY, SB_SYNCHRONOUS};
use crate::mm::frame;

pub const PAGE: u64 = 4096;
/// tmpfs's root directory mode when `mode=` is not given.
pub const TMPFS_DEFAULT_MODE: u32 = 0o1777;
/// ramfs's (RAMFS_DEFAULT_MODE).
pub const RAMFS_DEFAULT_MODE: u32 = 0o755;

/// What the options asked for; None is "not given".
#[derive(Default)]
pub struct Options {
    /// Superblock flags the options set and cleared (`ro`, `rw`...).
    pub sb_set: u32,
    pub sb_clear: u32,
    /// tmpfs's page limit (0: none).
    pub blocks: Option<u64>,
    /// tmpfs's inode limit (0: none).
    pub inodes: Option<u64>,
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub noswap: bool,
}

/// tmpfs's default size and inode limit: half of RAM, in pages, and as
/// many inodes (shmem_default_max_blocks and _inodes).
pub fn tmpfs_default_limits() -> (u64, u64) {
    let half = (frame::total_count() as u64 / 2).max(1);
    (half, half)
}

/// Parses `data` for tmpfs or (`tmpfs` false) ramfs. A remount takes the same
/// words; tmpfs refuses `noswap` there, as Linux does.
pub fn parse(tmpfs: bool, data: Option<&[u8]>, remount: bool) -> Result<Options, Errno> {
    let mut opts = Options::default();
    let Some(data) = data else { return Ok(opts) };
    for word in data.split(|&b| b == b',').filter(|w| !w.is_empty()) {
        let (key, value) = match word.iter().position(|&b| b == b'=') {
            Some(eq) => (&word[..eq], Some(&word[eq + 1..])),
            None => (word, None),
        };
        if value.is_none() && sb_flag(&mut opts, key) {
            continue;
        }
        if tmpfs {
            tmpfs_option(&mut opts, key, value, remount)?;
        } else {
            ramfs_option(&mut opts, key, value)?;
        }
    }
    Ok(opts)
}

/// The VFS's words (vfs_parse_sb_flag).
fn sb_flag(opts: &mut Options, key: &[u8]) -> bool {
    let (set, flag) = match key {
        b"ro" => (true, SB_RDONLY),
        b"rw" => (false, SB_RDONLY),
        b"sync" => (true, SB_SYNCHRONOUS),
        b"async" => (false, SB_SYNCHRONOUS),
        b"dirsync" => (true, SB_DIRSYNC),
        b"lazytime" => (true, SB_LAZYTIME),
        b"nolazytime" => (false, SB_LAZYTIME),
        b"mand" => (true, SB_MANDLOCK),
        b"nomand" => (false, SB_MANDLOCK),
        b"silent" => return true,
        _ => return false,
    };
    if set {
        opts.sb_set |= flag;
        opts.sb_clear &= !flag;
    } else {
        opts.sb_clear |= flag;
        opts.sb_set &= !flag;
    }
    true
}

/// A word's value, which it must have.
fn needs(value: Option<&[u8]>) -> Result<&[u8], Errno> {
    value.ok_or(Errno::EINVAL)
}

fn tmpfs_option(opts: &mut Options, key: &[u8], value: Option<&[u8]>, remount: bool) -> Result<(), Errno> {
    match key {
        b"size" => {
            let (mut size, rest) = memparse(needs(value)?)?;
            let rest = match rest {
                b"%" => {
                    size = size.saturating_mul(frame::total_count() as u64 * PAGE) / 100;
                    &[][..]
                }
                r => r,
            };
            if !rest.is_empty() {
                return Err(Errno::EINVAL);
            }
            opts.blocks = Some(size.div_ceil(PAGE));
        }
        b"nr_blocks" => opts.blocks = Some(memparse_all(needs(value)?)?),
        b"nr_inodes" => opts.inodes = Some(memparse_all(needs(value)?)?),
        b"mode" => opts.mode = Some(parse_u32(needs(value)?, 8)? & 0o7777),
        b"uid" => opts.uid = Some(valid_id(parse_u32(needs(value)?, 0)?)?),
        b"gid" => opts.gid = Some(valid_id(parse_u32(needs(value)?, 0)?)?),
        // No transparent huge pages here: only "never" is possible.
        b"huge" if needs(value)? == b"never" => {}
        b"inode32" | b"inode64" if value.is_none() => {}
        b"noswap" if value.is_none() && !remount => opts.noswap = true,
        _ => return Err(Errno::EINVAL),
    }
    Ok(())
}

/// ramfs parses `mode=` and, traditionally, ignores every other word.
fn ramfs_option(opts: &mut Options, key: &[u8], value: Option<&[u8]>) -> Result<(), Errno> {
    if key == b"mode" {
        opts.mode = Some(parse_u32(value.ok_or(Errno::EINVAL)?, 8)? & 0o7777);
    }
    Ok(())
}

/// (uid_t)-1 is no user.
fn valid_id(id: u32) -> Result<u32, Errno> {
    if id == u32::MAX {
        Err(Errno::EINVAL)
    } else {
        Ok(id)
    }
}

/// An unsigned number in `base` (0: C's prefixes pick it), all of `s`
/// (kstrtouint).
fn parse_u32(s: &[u8], base: u32) -> Result<u32, Errno> {
    let s = s.strip_prefix(b"+").unwrap_or(s);
    let (n, rest) = parse_number(s, base)?;
    if !rest.is_empty() {
        return Err(Errno::EINVAL);
    }
    u32::try_from(n).map_err(|_| Errno::EINVAL)
}

/// The digits at the start of `s` (at least one), and what follows.
fn parse_number(s: &[u8], base: u32) -> Result<(u64, &[u8]), Errno> {
    let (base, digits) = match base {
        0 if s.len() > 1 && s[0] == b'0' && (s[1] | 0x20) == b'x' => (16, &s[2..]),
        0 if s.len() > 1 && s[0] == b'0' => (8, &s[1..]),
        0 => (10, s),
        16 if s.len() > 1 && s[0] == b'0' && (s[1] | 0x20) == b'x' => (16, &s[2..]),
        b => (b, s),
    };
    let len = digits.iter().take_while(|&&b| (b as char).is_digit(base)).count();
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    let mut n: u64 = 0;
    for &b in &digits[..len] {
        let d = u64::from((b as char).to_digit(base).unwrap_or(0));
        n = n.checked_mul(u64::from(base)).and_then(|n| n.checked_add(d)).ok_or(Errno::EINVAL)?;
    }
    Ok((n, &digits[len..]))
}

/// Linux's memparse: a number with C's base prefixes and an optional
/// K, M, G, T, P or E suffix; returns it and what follows.
fn memparse(s: &[u8]) -> Result<(u64, &[u8]), Errno> {
    let (n, rest) = parse_number(s, 0)?;
    let shift = match rest.first().map(u8::to_ascii_uppercase) {
        Some(b'K') => 10,
        Some(b'M') => 20,
        Some(b'G') => 30,
        Some(b'T') => 40,
        Some(b'P') => 50,
        Some(b'E') => 60,
        _ => return Ok((n, rest)),
    };
    Ok((n.checked_shl(shift).filter(|v| v >> shift == n).unwrap_or(u64::MAX), &rest[1..]))
}

fn memparse_all(s: &[u8]) -> Result<u64, Errno> {
    match memparse(s)? {
        (n, []) => Ok(n),
        _ => Err(Errno::EINVAL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vfs_words_set_and_clear_superblock_flags() {
        let o = parse(true, Some(b"ro,sync"), false).unwrap();
        assert_eq!(o.sb_set, SB_RDONLY | SB_SYNCHRONOUS);
        let o = parse(true, Some(b"rw"), false).unwrap();
        assert_eq!(o.sb_clear & SB_RDONLY, SB_RDONLY);
    }

    #[test]
    fn tmpfs_sizes_take_memparse_suffixes() {
        let o = parse(true, Some(b"size=1m,nr_inodes=2k,mode=700,uid=5"), false).unwrap();
        assert_eq!(o.blocks, Some((1 << 20) / PAGE));
        assert_eq!(o.inodes, Some(2048));
        assert_eq!(o.mode, Some(0o700));
        assert_eq!(o.uid, Some(5));
    }

    #[test]
    fn tmpfs_refuses_unknown_words_and_noswap_on_remount() {
        assert_eq!(parse(true, Some(b"colour=blue"), false).err(), Some(Errno::EINVAL));
        assert_eq!(parse(true, Some(b"size=12q"), false).err(), Some(Errno::EINVAL));
        assert!(parse(true, Some(b"noswap"), false).unwrap().noswap);
        assert_eq!(parse(true, Some(b"noswap"), true).err(), Some(Errno::EINVAL));
    }

    #[test]
    fn ramfs_takes_mode_and_ignores_the_rest() {
        let o = parse(false, Some(b"mode=711,colour=blue"), false).unwrap();
        assert_eq!(o.mode, Some(0o711));
    }
}
