//! Links the bare-metal kernel with its linker script, turns the console
//! font into the table the framebuffer console draws from, and builds the
//! vDSO (vdso/vdso.c, with the machine's gcc) that every process maps.

use std::path::Path;

/// GNU Unifont, as GRUB ships it for its own menus (Debian's grub-common,
/// which `scripts/setup` installs): 8x16 cells for the characters below.
const FONT: &str = "/usr/share/grub/unicode.pf2";
/// The characters kept: ASCII, Latin-1, box drawing and block elements.
const RANGES: [(u32, u32); 3] = [(0x20, 0x7e), (0xa0, 0xff), (0x2500, 0x259f)];
const CELL_WIDTH: i32 = 8;
const CELL_HEIGHT: i32 = 16;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let target = std::env::var("TARGET").unwrap_or_default();
    if target == "x86_64-unknown-none" {
        println!("cargo:rustc-link-arg-bins=-T{dir}/linker.ld");
        println!("cargo:rustc-link-arg-bins=--no-pie");
        println!("cargo:rustc-link-arg-bins=-z");
        println!("cargo:rustc-link-arg-bins=max-page-size=4096");
    }
    println!("cargo:rerun-if-changed=linker.ld");
    println!("cargo:rerun-if-changed={FONT}");
    let pf2 = std::fs::read(FONT)
        .unwrap_or_else(|e| panic!("{FONT}: {e}: the console font comes from grub-common (run scripts/setup)"));
    let table = font_table(&pf2).unwrap_or_else(|e| panic!("{FONT}: {e}"));
    let out = std::env::var("OUT_DIR").unwrap();
    std::fs::write(Path::new(&out).join("font.bin"), table).unwrap();
    build_vdso(&dir, &out);
}

/// The vDSO: a shared object of position-independent code and no
/// relocations, which the kernel copies into frames at boot.
fn build_vdso(dir: &str, out: &str) {
    println!("cargo:rerun-if-changed=vdso/vdso.c");
    println!("cargo:rerun-if-changed=vdso/vdso.lds");
    let so = Path::new(out).join("vdso.so");
    let status = std::process::Command::new("gcc")
        .args(["-O2", "-fPIC", "-shared", "-nostdlib", "-fno-stack-protector", "-fno-asynchronous-unwind-tables"])
        .args(["-fno-builtin", "-Wall", "-Werror"])
        .arg(format!("-Wl,-T,{dir}/vdso/vdso.lds"))
        .args(["-Wl,--hash-style=both", "-Wl,-soname=linux-vdso.so.1", "-Wl,--build-id=none", "-Wl,--no-undefined"])
        .args(["-Wl,-z,max-page-size=4096", "-o"])
        .arg(&so)
        .arg(format!("{dir}/vdso/vdso.c"))
        .status()
        .unwrap_or_else(|e| panic!("gcc: {e}: the vDSO is built with gcc (run scripts/setup)"));
    assert!(status.success(), "building the vDSO failed");
    let elf = std::fs::read(&so).unwrap();
    if let Some(kind) = relocation_section(&elf) {
        panic!("the vDSO has a relocation section (type {kind}): it must be position-independent without one");
    }
}

/// The type of the first REL or RELA section of an ELF64 file, if any.
fn relocation_section(elf: &[u8]) -> Option<u32> {
    let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().unwrap());
    let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]);
    let (shoff, shentsize, shnum) = (u64_at(0x28) as usize, usize::from(u16_at(0x3a)), usize::from(u16_at(0x3c)));
    (0..shnum)
        .map(|i| u32::from_le_bytes(elf[shoff + i * shentsize + 4..][..4].try_into().unwrap()))
        .find(|&kind| kind == 4 || kind == 9)
}

/// The PF2 file's sections: a 4-byte name, a big-endian length, the body.
fn section<'a>(pf2: &'a [u8], name: &[u8; 4]) -> Result<&'a [u8], String> {
    let mut at = 0;
    while at + 8 <= pf2.len() {
        let len = u32::from_be_bytes(pf2[at + 4..at + 8].try_into().unwrap()) as usize;
        if &pf2[at..at + 4] == name {
            return pf2.get(at + 8..at + 8 + len).ok_or_else(|| "truncated section".into());
        }
        if &pf2[at..at + 4] == b"DATA" {
            break;
        }
        at += 8 + len;
    }
    Err(format!("no {} section", String::from_utf8_lossy(name)))
}

fn be16(b: &[u8], at: usize) -> i32 {
    i32::from(i16::from_be_bytes([b[at], b[at + 1]]))
}

/// Entries of 4 bytes of code point (little-endian) and 16 rows of 8
/// pixels (bit 7 leftmost), sorted by code point.
fn font_table(pf2: &[u8]) -> Result<Vec<u8>, String> {
    let ascent = be16(section(pf2, b"ASCE")?, 0);
    let index = section(pf2, b"CHIX")?;
    let mut table = Vec::new();
    for entry in index.chunks_exact(9) {
        let code = u32::from_be_bytes(entry[..4].try_into().unwrap());
        if !RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&code)) {
            continue;
        }
        let at = u32::from_be_bytes(entry[5..9].try_into().unwrap()) as usize;
        if let Some(rows) = glyph(pf2, at, ascent) {
            table.extend_from_slice(&code.to_le_bytes());
            table.extend_from_slice(&rows);
        }
    }
    if table.is_empty() {
        return Err("no glyphs in the wanted ranges".into());
    }
    Ok(table)
}

/// One glyph placed in an 8x16 cell with its baseline `ascent` rows down;
/// None for glyphs wider than the cell.
fn glyph(pf2: &[u8], at: usize, ascent: i32) -> Option<[u8; 16]> {
    let head = pf2.get(at..at + 10)?;
    let (width, height) = (be16(head, 0), be16(head, 2));
    let (x_offset, y_offset) = (be16(head, 4), be16(head, 6));
    if width + x_offset.max(0) > CELL_WIDTH {
        return None;
    }
    let bits = pf2.get(at + 10..)?;
    let mut rows = [0u8; 16];
    let top = ascent - (y_offset + height);
    for y in 0..height {
        for x in 0..width {
            let n = (y * width + x) as usize;
            if bits.get(n / 8)? & (0x80 >> (n % 8)) == 0 {
                continue;
            }
            let (row, col) = (top + y, x + x_offset);
            if (0..CELL_HEIGHT).contains(&row) && (0..CELL_WIDTH).contains(&col) {
                rows[row as usize] |= 0x80 >> col;
            }
        }
    }
    Some(rows)
}
