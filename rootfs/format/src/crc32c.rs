//! CRC-32C (Castagnoli), the checksum of every metadata block, superblock and
//! stored chunk. Reflected polynomial 0x82F63B78, initial value and final XOR
//! 0xFFFFFFFF: the same function as iSCSI, ext4 and btrfs use, so
//! `crc32c(b"123456789") == 0xE306_9283`.
//!
//! Table-driven, slicing by 8: eight tables of 256 entries built at compile
//! time, eight input bytes per step. Fast enough that checksumming never
//! dominates decompression.

const POLY: u32 = 0x82F6_3B78;

const fn make_tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ POLY } else { c >> 1 };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut s = 1;
    while s < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[s - 1][i];
            t[s][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        s += 1;
    }
    t
}

static TABLES: [[u32; 256]; 8] = make_tables();

/// Continues a CRC-32C over `data` from a previous raw state (not finalised).
fn update(mut crc: u32, data: &[u8]) -> u32 {
    let t = &TABLES;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let lo = u32::from_le_bytes([c[0], c[1], c[2], c[3]]) ^ crc;
        let hi = u32::from_le_bytes([c[4], c[5], c[6], c[7]]);
        crc = t[7][(lo & 0xff) as usize]
            ^ t[6][((lo >> 8) & 0xff) as usize]
            ^ t[5][((lo >> 16) & 0xff) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][(hi & 0xff) as usize]
            ^ t[2][((hi >> 8) & 0xff) as usize]
            ^ t[1][((hi >> 16) & 0xff) as usize]
            ^ t[0][(hi >> 24) as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc >> 8) ^ t[0][((crc ^ b as u32) & 0xff) as usize];
    }
    crc
}

/// CRC-32C of `data`.
pub fn crc32c(data: &[u8]) -> u32 {
    !update(!0, data)
}

/// CRC-32C of `data` with the four bytes at `field..field + 4` read as zero:
/// how a structure that stores its own checksum is checksummed.
pub fn crc32c_skipping(data: &[u8], field: usize) -> u32 {
    let (head, rest) = data.split_at(field.min(data.len()));
    let crc = update(!0, head);
    let zeros = rest.len().min(4);
    let crc = update(crc, &[0u8; 4][..zeros]);
    !update(crc, &rest[zeros..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
        // RFC 3720 B.4: 32 bytes of zeros, and of 0xff.
        assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(crc32c(&[0xffu8; 32]), 0x62A8_AB43);
    }

    #[test]
    fn slicing_matches_bytewise() {
        let data: alloc::vec::Vec<u8> = (0..1000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for len in [0, 1, 7, 8, 9, 63, 64, 999, 1000] {
            let mut crc = !0u32;
            for &b in &data[..len] {
                crc = (crc >> 8) ^ TABLES[0][((crc ^ b as u32) & 0xff) as usize];
            }
            assert_eq!(crc32c(&data[..len]), !crc, "len {len}");
        }
    }

    #[test]
    fn skipping_equals_zeroed_field() {
        let mut data = [0x5au8; 40];
        data[8..12].copy_from_slice(&[1, 2, 3, 4]);
        let got = crc32c_skipping(&data, 8);
        data[8..12].fill(0);
        assert_eq!(got, crc32c(&data));
    }
}
