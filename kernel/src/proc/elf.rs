//! Loading an ELF executable into an address space, as Linux's binfmt_elf
//! does: segments map the file's pages (private, copy-on-write) and only
//! the headers are read. What the headers say is checked before anything is mapped: a
//! bad header is ENOEXEC from execve. A segment that cannot be mapped is
//! Linux's failure after the point of no return, where the process is
//! killed with SIGSEGV (`Loaded::Fatal`). ET_EXEC programs load at their
//! addresses, ET_DYN ones at a fixed base (Linux without randomisation);
//! a PT_INTERP program's interpreter is loaded beside it and started
//! first. Like Linux, the loader reads e_ident's class and data bytes not
//! at all: the machine says what the file is.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::{Errno, ProtFlags};

use super::exec_file::ExecFile;
use crate::mm::address_space::{page_down, page_up, AddressSpace, MMAP_MIN_ADDR};
use crate::mm::mapped::MappedFile;
use crate::mm::vma::{Mlock, Vma, VmaKind};
use crate::uaccess::USER_LIMIT;

/// Where ET_DYN executables are placed: Linux's ELF_ET_DYN_BASE on x86_64
/// (2/3 of TASK_SIZE, page aligned) with randomisation off.
pub const ET_DYN_BASE: u64 = 0x5555_5555_4000;

const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const EM_X86_64: u16 = 62;
const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;
const PT_PHDR: u32 = 6;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;
/// sizeof(Elf64_Ehdr), sizeof(Elf64_Phdr).
const EHDR: usize = 64;
const PHDR: usize = 56;
/// Linux reads at most 64 KiB of program headers.
const MAX_PHDRS: usize = 65536 / PHDR;
const PAGE: u64 = 4096;
/// Linux's PATH_MAX, the longest PT_INTERP.
const PATH_MAX: u64 = 4096;

/// Segment bytes exec copied rather than mapped (only where two segments
/// share a page): /proc/vmstat's `exec_copied_bytes`.
static COPIED_BYTES: AtomicU64 = AtomicU64::new(0);

/// Segment bytes copied at exec since boot.
pub fn copied_bytes() -> u64 {
    COPIED_BYTES.load(Ordering::Relaxed)
}

/// What the initial stack's auxiliary vector needs to know.
pub struct LoadedImage {
    /// Where the process starts: the interpreter's entry, if any.
    pub entry: u64,
    /// The program's own entry (AT_ENTRY).
    pub program_entry: u64,
    /// Where the interpreter was loaded (AT_BASE; 0 without one).
    pub interp_base: u64,
    /// The vDSO's address (AT_SYSINFO_EHDR; 0 without one), set by exec.
    pub vdso: u64,
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

/// The outcome of a load that passed the header checks.
pub enum Loaded {
    Image(LoadedImage),
    /// A segment could not be mapped: the process dies of SIGSEGV.
    Fatal,
}

pub fn is_elf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x7fELF")
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_default())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default())
}

struct Header {
    e_type: u16,
    e_entry: u64,
    e_phoff: u64,
    e_phnum: usize,
}

#[derive(Clone, Copy)]
struct Segment {
    p_type: u32,
    p_flags: u32,
    p_offset: u64,
    p_vaddr: u64,
    p_filesz: u64,
    p_memsz: u64,
}

/// An executable file whose headers passed the checks.
pub struct Elf {
    file: Arc<ExecFile>,
    size: u64,
    header: Header,
    segments: Vec<Segment>,
}

/// Reads the ELF header and program headers of `file`, checked as Linux
/// does before the point of no return (`refusal` is the errno: ENOEXEC
/// for a program, ELIBBAD for an interpreter).
pub fn parse(file: Arc<ExecFile>, refusal: Errno) -> Result<Elf, Errno> {
    let size = file.size();
    let ehdr = file.read_at(0, EHDR)?;
    if ehdr.len() < EHDR || !is_elf(&ehdr) {
        return Err(refusal);
    }
    let header = Header {
        e_type: u16_at(&ehdr, 16),
        e_entry: u64_at(&ehdr, 24),
        e_phoff: u64_at(&ehdr, 32),
        e_phnum: usize::from(u16_at(&ehdr, 56)),
    };
    let valid = matches!(header.e_type, ET_EXEC | ET_DYN)
        && u16_at(&ehdr, 18) == EM_X86_64
        && usize::from(u16_at(&ehdr, 54)) == PHDR
        && (1..=MAX_PHDRS).contains(&header.e_phnum);
    if !valid {
        return Err(refusal);
    }
    let table = file.read_at(header.e_phoff, header.e_phnum * PHDR)?;
    if table.len() != header.e_phnum * PHDR {
        return Err(refusal);
    }
    let segments = table
        .chunks_exact(PHDR)
        .map(|p| Segment {
            p_type: u32_at(p, 0),
            p_flags: u32_at(p, 4),
            p_offset: u64_at(p, 8),
            p_vaddr: u64_at(p, 16),
            p_filesz: u64_at(p, 32),
            p_memsz: u64_at(p, 40),
        })
        .collect();
    Ok(Elf { file, size, header, segments })
}

/// The interpreter a program names (PT_INTERP), if any: ENOEXEC unless
/// its path is NUL-terminated and of a sane length.
pub fn interpreter(elf: &Elf) -> Result<Option<Vec<u8>>, Errno> {
    let Some(p) = elf.segments.iter().find(|p| p.p_type == PT_INTERP) else { return Ok(None) };
    if !(2..=PATH_MAX).contains(&p.p_filesz) {
        return Err(Errno::ENOEXEC);
    }
    let path = elf.file.read_at(p.p_offset, p.p_filesz as usize)?;
    if path.len() as u64 != p.p_filesz {
        return Err(Errno::ENOEXEC);
    }
    match path.split_last() {
        Some((0, name)) => Ok(Some(name.to_vec())),
        _ => Err(Errno::ENOEXEC),
    }
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

/// Where one file's segments went.
#[derive(Default)]
struct Mapped {
    end: u64,
    start_code: Option<u64>,
    end_code: u64,
    start_data: u64,
    end_data: u64,
    phdr: Option<u64>,
}

/// Why a segment cannot be mapped (Linux: after the point of no return).
struct Unmappable;

/// Maps `elf`'s PT_LOAD segments at `bias`. An `interpreter`'s go over
/// whatever is mapped there (its MAP_FIXED); a program's share a page
/// with the previous segment.
fn map_segments(mm: &mut AddressSpace, elf: &Elf, bias: u64, interpreter: bool) -> Result<Mapped, Unmappable> {
    let privileged = crate::fs::perm::current_cred().is_privileged();
    let ram = crate::mm::frame::total_count() as u64 * PAGE;
    let h = &elf.header;
    let mut m = Mapped::default();
    for ph in elf.segments.iter().filter(|p| p.p_type == PT_LOAD) {
        if ph.p_filesz > ph.p_memsz || (ph.p_vaddr.wrapping_sub(ph.p_offset)) % PAGE != 0 {
            return Err(Unmappable);
        }
        if ph.p_memsz == 0 {
            continue;
        }
        let vaddr = ph.p_vaddr.checked_add(bias).ok_or(Unmappable)?;
        let mem_end = vaddr.checked_add(ph.p_memsz).filter(|&e| e <= USER_LIMIT).ok_or(Unmappable)?;
        let file_end = ph.p_offset.checked_add(ph.p_filesz).filter(|&e| e <= elf.size).ok_or(Unmappable)?;
        let zero_fill = page_up(mem_end).saturating_sub(page_up(vaddr + ph.p_filesz));
        if (page_down(vaddr) < MMAP_MIN_ADDR && !privileged) || zero_fill > ram {
            return Err(Unmappable);
        }
        map_one(mm, elf, ph, vaddr, page_up(mem_end), interpreter).ok_or(Unmappable)?;
        if ph.p_flags & PF_X != 0 {
            m.start_code = Some(m.start_code.map_or(vaddr, |s| s.min(vaddr)));
            m.end_code = m.end_code.max(vaddr + ph.p_filesz);
        }
        m.start_data = m.start_data.max(vaddr);
        m.end_data = m.end_data.max(vaddr + ph.p_filesz);
        if m.phdr.is_none() && (ph.p_offset..file_end).contains(&h.e_phoff) {
            m.phdr = Some(vaddr + (h.e_phoff - ph.p_offset));
        }
        m.end = m.end.max(mem_end);
    }
    Ok(m)
}

/// One segment's areas over [page of `vaddr`, `vma_end`): the file's
/// pages, then zero-filled ones past the file's bytes (the bss).
fn map_one(mm: &mut AddressSpace, elf: &Elf, ph: &Segment, vaddr: u64, vma_end: u64, interpreter: bool) -> Option<()> {
    let first_page = page_down(vaddr);
    let mut start = first_page;
    let file_bytes_end = vaddr + ph.p_filesz;
    if interpreter {
        mm.unmap_range(start, vma_end);
    } else if !mm.is_free(start, start + PAGE) {
        // A page shared with the previous segment stays in that one's
        // area, with the union of both rights, and this segment's bytes
        // are copied into it.
        let prev = *mm.find_vma(start)?;
        let merged = Vma { prot: prev.prot | segment_prot(ph.p_flags), ..prev };
        mm.split_at(start);
        mm.split_at(start + PAGE);
        for page in mm.vmas_in(start, start + PAGE) {
            page.prot = merged.prot;
        }
        if mm.is_mapped(start) {
            mm.protect_page(start, merged.pte_flags());
        }
        start += PAGE;
        let copy_end = file_bytes_end.min(start);
        if copy_end > vaddr {
            let bytes = elf.file.read_at(ph.p_offset, (copy_end - vaddr) as usize).ok()?;
            mm.write_bytes(vaddr, &bytes).ok()?;
            COPIED_BYTES.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        }
    }
    if start >= vma_end {
        return Some(());
    }
    // Later segments replace what earlier ones mapped (MAP_FIXED).
    mm.unmap_range(start, vma_end);
    let area = |start, end, file, pgoff| Vma {
        start,
        end,
        prot: segment_prot(ph.p_flags),
        shared: false,
        kind: VmaKind::Image,
        grows_down: false,
        file,
        pgoff,
        locked: Mlock::Unlocked,
    };
    let file_end = if ph.p_filesz == 0 { start } else { page_up(file_bytes_end).clamp(start, vma_end) };
    if start < file_end {
        let pgoff = page_down(ph.p_offset) / PAGE + (start - first_page) / PAGE;
        let id = mm.add_file(elf.file.clone() as Arc<dyn MappedFile>);
        mm.insert_vma(area(start, file_end, Some(id), pgoff));
    }
    if file_end < vma_end {
        mm.insert_vma(area(file_end, vma_end, None, 0));
    }
    // With a bss, the rest of the last file page reads as zeroes up to the
    // page's end (Linux's padzero), not the file's next bytes: that page
    // becomes a private copy. glibc's loader takes memory past its bss end
    // up to the page's end as zeroed.
    let tail_end = page_up(file_bytes_end);
    if ph.p_memsz > ph.p_filesz && tail_end > file_bytes_end && ph.p_filesz > 0 {
        let zeroes = alloc::vec![0u8; (tail_end - file_bytes_end) as usize];
        mm.write_bytes(file_bytes_end, &zeroes).ok()?;
    }
    Some(())
}

/// Loads `program` (and `interp`, the interpreter it names, if any) into
/// `mm`. Errors are the refusals before the point of no return.
pub fn load(mm: &mut AddressSpace, program: &Elf, interp: Option<&Elf>) -> Result<Loaded, Errno> {
    let h = &program.header;
    let bias = if h.e_type == ET_DYN { ET_DYN_BASE } else { 0 };
    let Ok(m) = map_segments(mm, program, bias, false) else { return Ok(Loaded::Fatal) };
    let phdr = program.segments.iter().find(|p| p.p_type == PT_PHDR).map(|p| p.p_vaddr + bias).or(m.phdr);
    let (entry, interp_base) = match interp {
        None => (h.e_entry + bias, 0),
        Some(interp) => match load_interpreter(mm, interp) {
            Some(base) => (interp.header.e_entry + base, base),
            None => return Ok(Loaded::Fatal),
        },
    };
    Ok(Loaded::Image(LoadedImage {
        entry,
        program_entry: h.e_entry + bias,
        interp_base,
        vdso: 0,
        phdr: phdr.unwrap_or(0),
        phent: PHDR as u64,
        phnum: h.e_phnum as u64,
        end: m.end,
        start_code: m.start_code.unwrap_or(0),
        end_code: m.end_code,
        start_data: m.start_data,
        end_data: m.end_data,
    }))
}

/// Maps an interpreter: an ET_DYN one in a free area below the mmap base,
/// an ET_EXEC one at its own addresses, over what is there. Its bias.
fn load_interpreter(mm: &mut AddressSpace, elf: &Elf) -> Option<u64> {
    let loads = || elf.segments.iter().filter(|p| p.p_type == PT_LOAD && p.p_memsz > 0);
    let bias = if elf.header.e_type == ET_DYN {
        let low = page_down(loads().map(|p| p.p_vaddr).min()?);
        let high = page_up(loads().map(|p| p.p_vaddr.saturating_add(p.p_memsz)).max()?);
        mm.find_free_area(high.checked_sub(low)?)?.checked_sub(low)?
    } else {
        0
    };
    map_segments(mm, elf, bias, true).ok()?;
    Some(bias)
}
