//! Decoding of the multiboot2 boot information (GRUB's; the layout of the
//! Multiboot2 specification, version 2.0) into `BootInfo`: the command
//! line, the first module (the initramfs), the memory map, the ACPI RSDP
//! and the framebuffer.
//!
//! The information lives in RAM the memory map calls usable, so
//! everything kept is copied out here, before the frame allocator runs:
//! the RSDP into the kernel image, the rest into `BootInfo`.

use spin::Mutex;

use super::{BootInfo, Framebuffer, FramebufferKind, MemoryRegion, Module};
use crate::arch::boot::KERNEL_VMA;
use crate::mm::phys;

/// What the loader leaves in `eax`.
pub const MAGIC: u32 = 0x36d7_6289;

const TAG_END: u32 = 0;
const TAG_CMDLINE: u32 = 1;
const TAG_MODULE: u32 = 3;
const TAG_MMAP: u32 = 6;
const TAG_FRAMEBUFFER: u32 = 8;
const TAG_ACPI_OLD: u32 = 14;
const TAG_ACPI_NEW: u32 = 15;

const MMAP_AVAILABLE: u32 = 1;
const FB_TYPE_RGB: u8 = 1;
const FB_TYPE_EGA_TEXT: u8 = 2;

/// The biggest boot information believed: GRUB's is a few KiB.
const MAX_INFO: u32 = 1 << 20;
/// An ACPI 2.0 RSDP's length.
const RSDP_LEN: usize = 36;

#[derive(Clone, Copy, Debug)]
pub enum Multiboot2Error {
    /// total_size smaller than its own header, or absurdly large.
    BadSize(u32),
    NoMemoryMap,
}

impl core::fmt::Display for Multiboot2Error {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self {
            Multiboot2Error::BadSize(n) => write!(f, "multiboot2 information of {n} bytes"),
            Multiboot2Error::NoMemoryMap => write!(f, "multiboot2 information without a memory map tag"),
        }
    }
}

/// The RSDP copied out of the boot information, which lives in RAM that
/// is handed out later; ACPI finds it here by physical address.
/// (The ACPI 2.0 tag replaces an ACPI 1.0 one seen before it.)
static RSDP_COPY: Mutex<[u8; RSDP_LEN]> = Mutex::new([0; RSDP_LEN]);

/// A tag: its type, and the physical address and length of its body.
struct Tag {
    kind: u32,
    body: u64,
    len: u32,
}

pub(super) fn parse(info_paddr: u64, info: &mut BootInfo) -> Result<(), Multiboot2Error> {
    // SAFETY: (this read and those below) the loader passes the address of
    // its information, below 4 GiB, which the boot tables map; each tag
    // lies inside the total size the header gives.
    let total: u32 = unsafe { phys::read(info_paddr) };
    if !(8..=MAX_INFO).contains(&total) {
        return Err(Multiboot2Error::BadSize(total));
    }
    let end = info_paddr + u64::from(total);
    let mut at = info_paddr + 8;
    let mut have_map = false;
    while at + 8 <= end {
        // SAFETY: as above.
        let (kind, size): (u32, u32) = unsafe { (phys::read(at), phys::read(at + 4)) };
        if kind == TAG_END || size < 8 || at + u64::from(size) > end {
            break;
        }
        let tag = Tag { kind, body: at + 8, len: size - 8 };
        have_map |= decode(&tag, info);
        at = (at + u64::from(size)).next_multiple_of(8);
    }
    if have_map {
        Ok(())
    } else {
        Err(Multiboot2Error::NoMemoryMap)
    }
}

/// Takes what `tag` says into `info`; true for the memory map.
fn decode(tag: &Tag, info: &mut BootInfo) -> bool {
    match tag.kind {
        TAG_CMDLINE => copy_cmdline(tag, info),
        TAG_MODULE if tag.len >= 8 && info.initrd.is_none() => {
            // SAFETY: as in `parse`.
            let (start, end): (u32, u32) = unsafe { (phys::read(tag.body), phys::read(tag.body + 4)) };
            if end > start {
                info.initrd = Some(Module { start: start.into(), len: u64::from(end - start) });
            }
        }
        TAG_MMAP => return decode_memory_map(tag, info),
        TAG_FRAMEBUFFER => info.framebuffer = decode_framebuffer(tag),
        TAG_ACPI_NEW => keep_rsdp(tag, info),
        TAG_ACPI_OLD if info.rsdp.is_none() => keep_rsdp(tag, info),
        _ => {}
    }
    false
}

/// The command line: NUL-terminated, cut at `MAX_CMDLINE` bytes.
fn copy_cmdline(tag: &Tag, info: &mut BootInfo) {
    let mut buf = [0u8; super::MAX_CMDLINE];
    let n = (tag.len as usize).min(buf.len());
    // SAFETY: as in `parse`.
    unsafe { phys::copy_from(tag.body, &mut buf[..n]) };
    let len = buf[..n].iter().position(|&b| b == 0).unwrap_or(n);
    info.set_cmdline(&buf[..len]);
}

fn decode_memory_map(tag: &Tag, info: &mut BootInfo) -> bool {
    if tag.len < 8 {
        return false;
    }
    // SAFETY: as in `parse`.
    let entry_size: u32 = unsafe { phys::read(tag.body) };
    if entry_size < 24 {
        return false;
    }
    let mut at = tag.body + 8;
    let end = tag.body + u64::from(tag.len);
    while at + 24 <= end {
        // SAFETY: as in `parse`; an entry is base, length, type.
        let (base, len, kind): (u64, u64, u32) = unsafe { (phys::read(at), phys::read(at + 8), phys::read(at + 16)) };
        info.push_region(MemoryRegion { start: base, len, usable: kind == MMAP_AVAILABLE });
        at += u64::from(entry_size);
    }
    true
}

fn decode_framebuffer(tag: &Tag) -> Option<Framebuffer> {
    if tag.len < 24 {
        return None;
    }
    // SAFETY: as in `parse`: address, pitch, width, height, bpp, type.
    let (addr, pitch, width, height): (u64, u32, u32, u32) = unsafe {
        (phys::read(tag.body), phys::read(tag.body + 8), phys::read(tag.body + 12), phys::read(tag.body + 16))
    };
    // SAFETY: as above.
    let (bpp, kind): (u8, u8) = unsafe { (phys::read(tag.body + 20), phys::read(tag.body + 21)) };
    let kind = match kind {
        FB_TYPE_RGB if tag.len >= 30 => {
            let mut c = [0u8; 6];
            // SAFETY: as above; the colour layout follows the common part.
            unsafe { phys::copy_from(tag.body + 24, &mut c) };
            FramebufferKind::Rgb { red: (c[0], c[1]), green: (c[2], c[3]), blue: (c[4], c[5]) }
        }
        FB_TYPE_EGA_TEXT => FramebufferKind::EgaText,
        _ => return None,
    };
    Some(Framebuffer { addr, pitch, width, height, bpp, kind })
}

fn keep_rsdp(tag: &Tag, info: &mut BootInfo) {
    let mut bytes = [0u8; RSDP_LEN];
    let n = (tag.len as usize).min(RSDP_LEN);
    // SAFETY: as in `parse`: the tag's body is a copy of the RSDP.
    unsafe { phys::copy_from(tag.body, &mut bytes[..n]) };
    let mut copy = RSDP_COPY.lock();
    *copy = bytes;
    info.rsdp = Some(copy.as_ptr() as u64 - KERNEL_VMA);
}
