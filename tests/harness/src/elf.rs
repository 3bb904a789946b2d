//! The few ELF header fields the tests compare with what the kernel reports,
//! read by hand from the 64-bit little-endian header.

use std::path::Path;

/// Fields of an ELF64 file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElfHeader {
    /// `e_type` (2 = ET_EXEC, 3 = ET_DYN).
    pub e_type: u16,
    /// `e_entry`, the entry point address.
    pub e_entry: u64,
    /// `e_phoff`, the file offset of the program headers.
    pub e_phoff: u64,
    /// `e_phentsize`, the size of one program header.
    pub e_phentsize: u16,
    /// `e_phnum`, the number of program headers.
    pub e_phnum: u16,
}

/// Size of the ELF64 file header.
const EHDR_SIZE: usize = 64;

fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(v)
}

impl ElfHeader {
    /// Parses the header at the start of `bytes`, which must be a 64-bit
    /// little-endian ELF file.
    pub fn parse(bytes: &[u8]) -> Result<ElfHeader, String> {
        if bytes.len() < EHDR_SIZE {
            return Err(format!("{} bytes, too short for an ELF64 header", bytes.len()));
        }
        if &bytes[..4] != b"\x7fELF" {
            return Err("no ELF magic".to_string());
        }
        if bytes[4] != 2 {
            return Err(format!("EI_CLASS is {}, not 2 (ELFCLASS64)", bytes[4]));
        }
        if bytes[5] != 1 {
            return Err(format!("EI_DATA is {}, not 1 (little-endian)", bytes[5]));
        }
        Ok(ElfHeader {
            e_type: u16_at(bytes, 16),
            e_entry: u64_at(bytes, 24),
            e_phoff: u64_at(bytes, 32),
            e_phentsize: u16_at(bytes, 54),
            e_phnum: u16_at(bytes, 56),
        })
    }

    /// Reads and parses the header of the file at `path`.
    pub fn read(path: &Path) -> Result<ElfHeader, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        ElfHeader::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(entry: u64, phnum: u16) -> Vec<u8> {
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[6] = 1;
        b[16..18].copy_from_slice(&2u16.to_le_bytes());
        b[24..32].copy_from_slice(&entry.to_le_bytes());
        b[32..40].copy_from_slice(&64u64.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&phnum.to_le_bytes());
        b
    }

    #[test]
    fn parses_the_fields() {
        let h = ElfHeader::parse(&header(0x401785, 6)).unwrap();
        assert_eq!(h, ElfHeader { e_type: 2, e_entry: 0x401785, e_phoff: 64, e_phentsize: 56, e_phnum: 6 });
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(ElfHeader::parse(&header(1, 1)[..63]).is_err());
        let mut b = header(1, 1);
        b[0] = b'x';
        assert!(ElfHeader::parse(&b).is_err());
        let mut b = header(1, 1);
        b[4] = 1;
        assert!(ElfHeader::parse(&b).unwrap_err().contains("ELFCLASS64"));
        assert!(ElfHeader::parse(b"this is not an executable\n").is_err());
    }

    #[test]
    fn reads_this_test_binary() {
        // The test executable itself is an ELF64 file on an x86_64 Linux host.
        let exe = std::env::current_exe().unwrap();
        let h = ElfHeader::read(&exe).unwrap();
        assert_eq!(h.e_phentsize, 56);
        assert!(h.e_phnum > 0);
    }
}
