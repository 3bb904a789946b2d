//! Loading a static ELF executable (ET_EXEC, or static-PIE ET_DYN at a fixed
//! base as Linux does without randomisation) into an address space. Any
//! malformation is ENOEXEC; nothing is mapped outside the user half.

use abi::{Errno, ProtFlags};
use goblin::elf::header::{EM_X86_64, ET_DYN, ET_EXEC};
use goblin::elf::program_header::{PF_R, PF_W, PF_X, PT_INTERP, PT_LOAD, PT_PHDR};
use goblin::elf::Elf;

use crate::mm::address_space::{page_down, page_up, AddressSpace};
use crate::mm::vma::{Vma, VmaKind};
use crate::uaccess::USER_LIMIT;

/// Where ET_DYN executables are placed: Linux's ELF_ET_DYN_BASE on x86_64
/// (2/3 of TASK_SIZE, page aligned) with randomisation off.
pub const ET_DYN_BASE: u64 = 0x5555_5555_4000;

/// What the initial stack's auxiliary vector needs to know.
pub struct LoadedImage {
    pub entry: u64,
    pub phdr: u64,
    pub phent: u64,
    pub phnum: u64,
    /// First address after the highest segment: the program break starts here.
    pub end: u64,
    /// Linux's start_code/end_code (executable segments) and
    /// start_data/end_data (the highest segment's start, the highest
    /// file-backed end), for /proc.
    pub start_code: u64,
    pub end_code: u64,
    pub start_data: u64,
    pub end_data: u64,
}

pub fn is_elf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x7fELF")
}

fn segment_prot(flags: u32) -> ProtFlags {
    let mut p = ProtFlags::empty();
    if flags & PF_R != 0 {
        p |= ProtFlags::PROT_READ;
    }
    if flags & PF_W != 0 {
        p |= ProtFlags::PROT_WRITE;
    }
    if flags & PF_X != 0 {
        p |= ProtFlags::PROT_EXEC;
    }
    p
}

pub fn load(mm: &mut AddressSpace, bytes: &[u8]) -> Result<LoadedImage, Errno> {
    if !is_elf(bytes) {
        return Err(Errno::ENOEXEC);
    }
    let elf = Elf::parse(bytes).map_err(|_| Errno::ENOEXEC)?;
    let h = &elf.header;
    if !elf.is_64 || !elf.little_endian || h.e_machine != EM_X86_64 {
        return Err(Errno::ENOEXEC);
    }
    let bias = match h.e_type {
        ET_EXEC => 0,
        ET_DYN => ET_DYN_BASE,
        _ => return Err(Errno::ENOEXEC),
    };
    if elf.program_headers.iter().any(|p| p.p_type == PT_INTERP) {
        // Dynamically linked programs need their interpreter loaded too.
        crate::pr_warn!("exec: dynamically linked executables are not supported yet");
        return Err(Errno::ENOEXEC);
    }
    let mut end = 0;
    let (mut start_code, mut end_code, mut start_data, mut end_data) = (u64::MAX, 0, 0, 0);
    let mut phdr = elf.program_headers.iter().find(|p| p.p_type == PT_PHDR).map(|p| p.p_vaddr + bias);
    let mut loaded_any = false;
    for ph in elf.program_headers.iter().filter(|p| p.p_type == PT_LOAD && p.p_memsz > 0) {
        let file_end = ph.p_offset.checked_add(ph.p_filesz).ok_or(Errno::ENOEXEC)?;
        let vaddr = ph.p_vaddr.checked_add(bias).ok_or(Errno::ENOEXEC)?;
        let mem_end = vaddr.checked_add(ph.p_memsz).ok_or(Errno::ENOEXEC)?;
        if ph.p_filesz > ph.p_memsz || file_end > bytes.len() as u64 || mem_end > USER_LIMIT {
            return Err(Errno::ENOEXEC);
        }
        let mut start = page_down(vaddr);
        let vma_end = page_up(mem_end);
        // A page shared with the previous segment stays in that one's area,
        // with the union of both rights.
        if !mm.is_free(start, start + 4096) {
            let prev = *mm.find_vma(start).ok_or(Errno::ENOEXEC)?;
            let merged = Vma { prot: prev.prot | segment_prot(ph.p_flags), ..prev };
            if mm.is_mapped(start) {
                mm.protect_page(start, merged.pte_flags());
            }
            start += 4096;
        }
        if start < vma_end {
            if !mm.is_free(start, vma_end) {
                return Err(Errno::ENOEXEC);
            }
            let prot = segment_prot(ph.p_flags);
            mm.insert_vma(Vma {
                start,
                end: vma_end,
                prot,
                shared: false,
                kind: VmaKind::Image,
                grows_down: false,
                file: None,
                // The file page it came from, for /proc/PID/maps.
                pgoff: (ph.p_offset + start).saturating_sub(vaddr) / 4096,
            });
        }
        if ph.p_flags & PF_X != 0 {
            start_code = start_code.min(vaddr);
            end_code = end_code.max(vaddr + ph.p_filesz);
        }
        start_data = start_data.max(vaddr);
        end_data = end_data.max(vaddr + ph.p_filesz);
        mm.write_bytes(vaddr, &bytes[ph.p_offset as usize..file_end as usize]).map_err(|_| Errno::ENOEXEC)?;
        if phdr.is_none() && (ph.p_offset..file_end).contains(&h.e_phoff) {
            phdr = Some(vaddr + (h.e_phoff - ph.p_offset));
        }
        end = end.max(mem_end);
        loaded_any = true;
    }
    if !loaded_any {
        return Err(Errno::ENOEXEC);
    }
    Ok(LoadedImage {
        entry: h.e_entry + bias,
        phdr: phdr.unwrap_or(0),
        phent: u64::from(h.e_phentsize),
        phnum: u64::from(h.e_phnum),
        end,
        start_code: if start_code == u64::MAX { 0 } else { start_code },
        end_code,
        start_data,
        end_data,
    })
}
