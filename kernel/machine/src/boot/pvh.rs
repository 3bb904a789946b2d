//! Decoding of PVH's `hvm_start_info` (Xen's public arch-x86/hvm/start_info.h
//! layout) into `BootInfo`.

use super::{BootInfo, MemoryRegion, Module};
use crate::mm::phys;

const START_INFO_MAGIC: u32 = 0x336e_c578;
const E820_RAM: u32 = 1;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct StartInfo {
    magic: u32,
    version: u32,
    flags: u32,
    nr_modules: u32,
    modlist_paddr: u64,
    cmdline_paddr: u64,
    rsdp_paddr: u64,
    memmap_paddr: u64,
    memmap_entries: u32,
    reserved: u32,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ModlistEntry {
    paddr: u64,
    size: u64,
    cmdline_paddr: u64,
    reserved: u64,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct MemmapEntry {
    addr: u64,
    size: u64,
    kind: u32,
    reserved: u32,
}

#[derive(Clone, Copy, Debug)]
pub enum PvhError {
    BadMagic(u32),
    NoMemoryMap,
}

impl core::fmt::Display for PvhError {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self {
            PvhError::BadMagic(m) => write!(f, "hvm_start_info magic is {m:#x}, not {START_INFO_MAGIC:#x}"),
            PvhError::NoMemoryMap => write!(f, "hvm_start_info has no memory map (version 0)"),
        }
    }
}

pub(super) fn parse(start_info_paddr: u64, info: &mut BootInfo) -> Result<(), PvhError> {
    // SAFETY: (this read and those below) the loader passes the start info's
    // physical address and fills in the addresses it holds; the boot
    // tables map the first 4 GiB, where loaders place these structures.
    let si: StartInfo = unsafe { phys::read(start_info_paddr) };
    if si.magic != START_INFO_MAGIC {
        return Err(PvhError::BadMagic(si.magic));
    }
    if si.cmdline_paddr != 0 {
        let mut buf = [0u8; super::MAX_CMDLINE];
        // SAFETY: as above; the command line is NUL-terminated within it.
        unsafe { phys::copy_from(si.cmdline_paddr, &mut buf) };
        let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        info.set_cmdline(&buf[..len]);
    }
    if si.nr_modules > 0 && si.modlist_paddr != 0 {
        // SAFETY: as above.
        let m: ModlistEntry = unsafe { phys::read(si.modlist_paddr) };
        if m.size > 0 {
            info.initrd = Some(Module { start: m.paddr, len: m.size });
        }
    }
    if si.rsdp_paddr != 0 {
        info.rsdp = Some(si.rsdp_paddr);
    }
    if si.version < 1 || si.memmap_entries == 0 {
        return Err(PvhError::NoMemoryMap);
    }
    for i in 0..u64::from(si.memmap_entries) {
        let at = si.memmap_paddr + i * core::mem::size_of::<MemmapEntry>() as u64;
        // SAFETY: as above; the map has `memmap_entries` entries.
        let e: MemmapEntry = unsafe { phys::read(at) };
        info.push_region(MemoryRegion { start: e.addr, len: e.size, usable: e.kind == E820_RAM });
    }
    Ok(())
}
