//! /proc/PID/smaps: each area's maps line followed by its memory figures
//! (Linux's show_smap), in kB.
//!
//! A page's sharers are estimated from its frame's references: the page
//! tables that map it, plus the page cache's one for a file page (a page
//! of a file area mapped read-only; a writable one is a private copy).

use alloc::format;
use alloc::vec::Vec;

use abi::ProtFlags;
use machine::mm::PteFlags;

use super::maps::area_line;
use crate::mm::address_space::AddressSpace;
use crate::mm::vma::{Mlock, Vma, VmaKind};
use crate::sched::task::Task;

const PAGE: u64 = 4096;
/// Fixed-point shift for the proportional set size, as Linux's PSS_SHIFT.
const PSS_SHIFT: u32 = 12;

#[derive(Default)]
struct Figures {
    rss: u64,
    /// Shifted left by PSS_SHIFT.
    pss: u64,
    shared_clean: u64,
    shared_dirty: u64,
    private_clean: u64,
    private_dirty: u64,
    referenced: u64,
    anonymous: u64,
}

pub fn smaps(task: &Task) -> Vec<u8> {
    let mut out = Vec::new();
    let Some(mm) = task.mm() else { return out };
    let mm = mm.lock();
    for v in mm.vmas_iter() {
        area_line(&mut out, &mm, v);
        let f = figures(&mm, v);
        let locked = if v.locked == Mlock::Unlocked { 0 } else { f.pss };
        let kb = |bytes: u64| bytes / 1024;
        let rows: [(&str, u64); 22] = [
            ("Size:", kb(v.end - v.start)),
            ("KernelPageSize:", 4),
            ("MMUPageSize:", 4),
            ("Rss:", kb(f.rss)),
            ("Pss:", kb(f.pss >> PSS_SHIFT)),
            ("Pss_Dirty:", kb((f.private_dirty << PSS_SHIFT).min(f.pss) >> PSS_SHIFT)),
            ("Shared_Clean:", kb(f.shared_clean)),
            ("Shared_Dirty:", kb(f.shared_dirty)),
            ("Private_Clean:", kb(f.private_clean)),
            ("Private_Dirty:", kb(f.private_dirty)),
            ("Referenced:", kb(f.referenced)),
            ("Anonymous:", kb(f.anonymous)),
            ("LazyFree:", 0),
            ("AnonHugePages:", 0),
            ("ShmemPmdMapped:", 0),
            ("FilePmdMapped:", 0),
            ("Shared_Hugetlb:", 0),
            ("Private_Hugetlb:", 0),
            ("Swap:", 0),
            ("SwapPss:", 0),
            ("Locked:", kb(locked >> PSS_SHIFT)),
            ("THPeligible:", 0),
        ];
        for (name, value) in rows {
            let line = if name == "THPeligible:" {
                format!("{name:<16}{value}\n")
            } else {
                format!("{name:<16}{value:>8} kB\n")
            };
            out.extend_from_slice(line.as_bytes());
        }
        out.extend_from_slice(format!("VmFlags: {}\n", vm_flags(v)).as_bytes());
    }
    out
}

fn figures(mm: &AddressSpace, v: &Vma) -> Figures {
    let mut f = Figures::default();
    for (va, pte) in mm.pages(v.start, v.end) {
        // A writable page of a private file area is the process's copy.
        let private_copy = !v.shared && pte.is_writable();
        let file_page = v.file.is_some() && !private_copy && v.kind != VmaKind::Special;
        let cache_refs = u32::from(file_page || v.kind == VmaKind::Special);
        let sharers = u64::from(mm.frame_refs(va).unwrap_or(1).saturating_sub(cache_refs).max(1));
        let dirty = pte.flags.contains(PteFlags::DIRTY);
        f.rss += PAGE;
        f.pss += (PAGE << PSS_SHIFT) / sharers;
        match (sharers > 1, dirty) {
            (true, true) => f.shared_dirty += PAGE,
            (true, false) => f.shared_clean += PAGE,
            (false, true) => f.private_dirty += PAGE,
            (false, false) => f.private_clean += PAGE,
        }
        if pte.flags.contains(PteFlags::ACCESSED) {
            f.referenced += PAGE;
        }
        if !file_page && !v.shared {
            f.anonymous += PAGE;
        }
    }
    f
}

/// The two-letter flags of an area (Linux's show_smap_vma_flags).
fn vm_flags(v: &Vma) -> alloc::string::String {
    let mut names = Vec::new();
    let prot = [(ProtFlags::PROT_READ, "rd"), (ProtFlags::PROT_WRITE, "wr"), (ProtFlags::PROT_EXEC, "ex")];
    names.extend(prot.iter().filter(|(p, _)| v.prot.contains(*p)).map(|(_, n)| *n));
    if v.shared {
        names.push("sh");
    }
    names.extend(["mr", "mw", "me"]);
    if v.shared {
        names.push("ms");
    }
    if v.grows_down {
        names.push("gd");
    }
    if v.locked != Mlock::Unlocked {
        names.push("lo");
    }
    if !v.shared && (v.prot.contains(ProtFlags::PROT_WRITE) || v.file.is_none()) {
        names.push("ac");
    }
    let mut s = names.join(" ");
    s.push(' ');
    s
}
