//! `linux_dirent64` encoding against `libc::dirent64`.

use core::mem::offset_of;

use abi::*;

#[test]
fn offsets_match_libc() {
    assert_eq!(DIRENT64_INO_OFFSET, offset_of!(libc::dirent64, d_ino));
    assert_eq!(DIRENT64_OFF_OFFSET, offset_of!(libc::dirent64, d_off));
    assert_eq!(DIRENT64_RECLEN_OFFSET, offset_of!(libc::dirent64, d_reclen));
    assert_eq!(DIRENT64_TYPE_OFFSET, offset_of!(libc::dirent64, d_type));
    assert_eq!(DIRENT64_NAME_OFFSET, offset_of!(libc::dirent64, d_name));
    assert_eq!(DIRENT64_NAME_OFFSET, 19);
}

#[test]
fn dt_values_match_libc() {
    let ours = [DT_UNKNOWN, DT_FIFO, DT_CHR, DT_DIR, DT_BLK, DT_REG, DT_LNK, DT_SOCK];
    let theirs = [
        libc::DT_UNKNOWN,
        libc::DT_FIFO,
        libc::DT_CHR,
        libc::DT_DIR,
        libc::DT_BLK,
        libc::DT_REG,
        libc::DT_LNK,
        libc::DT_SOCK,
    ];
    assert_eq!(ours, theirs);
    assert_eq!(DT_WHT, 14);
    assert_eq!(dt_from_mode(S_IFDIR | 0o755), DT_DIR);
    assert_eq!(dt_from_mode(S_IFREG), DT_REG);
    assert_eq!(dt_from_mode(S_IFLNK), DT_LNK);
    assert_eq!(dt_from_mode(S_IFCHR), DT_CHR);
    assert_eq!(dt_from_mode(S_IFBLK), DT_BLK);
    assert_eq!(dt_from_mode(S_IFIFO), DT_FIFO);
    assert_eq!(dt_from_mode(S_IFSOCK), DT_SOCK);
}

#[test]
fn reclen_rounding() {
    // 19 + 1 + NUL = 21 -> 24; 19 + 5 + NUL = 25 -> 32; 19 + 4 + NUL = 24.
    assert_eq!(dirent64_reclen(1), 24);
    assert_eq!(dirent64_reclen(4), 24);
    assert_eq!(dirent64_reclen(5), 32);
    for len in 1..300 {
        let r = dirent64_reclen(len);
        assert_eq!(r % 8, 0);
        assert!(r > DIRENT64_NAME_OFFSET + len && r <= DIRENT64_NAME_OFFSET + len + 8);
    }
}

/// Reads records back the way a C library would, through `libc::dirent64`.
#[test]
fn encoded_records_decode_with_libc_layout() {
    let mut buf = [0xAAu8; 256];
    let mut pos = 0;
    let entries: [(u64, &[u8], u8); 3] = [(1, b".", DT_DIR), (2, b"..", DT_DIR), (77, b"hello.txt", DT_REG)];
    for (i, (ino, name, ty)) in entries.iter().enumerate() {
        let n = write_dirent64(&mut buf[pos..], *ino, i as i64 + 1, *ty, name).unwrap();
        pos += n;
    }
    assert_eq!(pos, 24 + 24 + 32);

    let mut off = 0;
    for (i, (ino, name, ty)) in entries.iter().enumerate() {
        let mut ent: libc::dirent64 = unsafe { core::mem::zeroed() };
        let reclen = u16::from_ne_bytes([buf[off + 16], buf[off + 17]]) as usize;
        let copy = reclen.min(core::mem::size_of::<libc::dirent64>());
        // SAFETY: copying at most size_of::<dirent64>() plain bytes.
        unsafe {
            core::ptr::copy_nonoverlapping(buf[off..].as_ptr(), &mut ent as *mut _ as *mut u8, copy);
        }
        assert_eq!(ent.d_ino, *ino);
        assert_eq!(ent.d_off, i as i64 + 1);
        assert_eq!(ent.d_reclen as usize, reclen);
        assert_eq!(ent.d_type, *ty);
        let got: Vec<u8> = ent.d_name.iter().take_while(|c| **c != 0).map(|c| *c as u8).collect();
        assert_eq!(&got[..], *name);
        // Padding after the NUL is zeroed.
        assert!(buf[off + DIRENT64_NAME_OFFSET + name.len()..off + reclen].iter().all(|b| *b == 0));
        off += reclen;
    }
    assert!(buf[off..].iter().all(|b| *b == 0xAA), "nothing written past the records");
}

#[test]
fn rejects_bad_input() {
    let mut buf = [0u8; 64];
    assert_eq!(write_dirent64(&mut buf, 1, 1, DT_REG, b""), None);
    assert_eq!(write_dirent64(&mut buf, 1, 1, DT_REG, b"a\0b"), None);
    // Exactly fits / one byte short.
    assert_eq!(write_dirent64(&mut buf[..24], 1, 1, DT_REG, b"abcd"), Some(24));
    let mut short = [0x55u8; 23];
    assert_eq!(write_dirent64(&mut short, 1, 1, DT_REG, b"abcd"), None);
    assert!(short.iter().all(|b| *b == 0x55));
    let long = vec![b'x'; 70000];
    let mut big = vec![0u8; 80000];
    assert_eq!(write_dirent64(&mut big, 1, 1, DT_REG, &long), None);
}
