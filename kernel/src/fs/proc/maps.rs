//! /proc/PID/maps, and the memory figures of an address space that stat,
//! statm and status report (Linux's task_mmu.c), counted from the areas
//! and their page tables when asked, and the system-wide ones meminfo
//! reports.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{major, minor, ProtFlags};

use crate::mm::address_space::AddressSpace;
use crate::mm::vma::{Vma, VmaKind};
use crate::sched::task::Task;

const PAGE: u64 = 4096;

/// An address space's sizes, in bytes (Linux's task_mem and statm).
#[derive(Default)]
pub struct MemUsage {
    pub size: u64,
    pub peak: u64,
    pub rss_anon: u64,
    pub rss_file: u64,
    pub rss_shmem: u64,
    /// Private writable areas other than stacks (data_vm).
    pub data: u64,
    pub stack: u64,
    /// The executable's code (end_code - start_code, page-rounded).
    pub exe: u64,
    /// Other executable areas (exec_vm - exe).
    pub lib: u64,
    /// Page-table pages, estimated from the 2 MiB ranges in use.
    pub page_tables: u64,
    /// Locked areas (VmLck).
    pub locked: u64,
}

impl MemUsage {
    pub fn rss(&self) -> u64 {
        self.rss_anon + self.rss_file + self.rss_shmem
    }
}

fn is_stack(v: &Vma) -> bool {
    v.kind == VmaKind::Stack || v.grows_down
}

pub fn usage(mm: &AddressSpace) -> MemUsage {
    let mut u = MemUsage {
        size: mm.total_size(),
        peak: mm.peak_size(),
        locked: crate::mm::mlock::locked_bytes(mm),
        ..MemUsage::default()
    };
    let mut exec_vm = 0;
    let mut tables = BTreeSet::new();
    for v in mm.vmas_iter() {
        let len = v.end - v.start;
        let resident = mm.resident_pages(v.start, v.end) * PAGE;
        if v.file.is_some() {
            u.rss_file += resident;
        } else if v.shared {
            u.rss_shmem += resident;
        } else {
            u.rss_anon += resident;
        }
        if is_stack(v) {
            u.stack += len;
        } else if v.prot.contains(ProtFlags::PROT_WRITE) && !v.shared {
            u.data += len;
        } else if v.prot.contains(ProtFlags::PROT_EXEC) && !v.prot.contains(ProtFlags::PROT_WRITE) {
            exec_vm += len;
        }
        if resident > 0 {
            tables.extend((v.start >> 21)..=((v.end - 1) >> 21));
        }
    }
    let info = &mm.exec;
    if info.end_code > info.start_code {
        u.exe = (info.end_code.next_multiple_of(PAGE)) - (info.start_code & !(PAGE - 1));
    }
    u.lib = exec_vm.saturating_sub(u.exe);
    // One level-1 table per 2 MiB range used, and the tables above them.
    let l2: BTreeSet<u64> = tables.iter().map(|t| t >> 9).collect();
    let l3: BTreeSet<u64> = l2.iter().map(|t| t >> 9).collect();
    u.page_tables = (tables.len() + l2.len() + l3.len() + 1) as u64 * PAGE;
    u
}

/// System-wide user memory, each frame counted once: anonymous pages,
/// file pages mapped by some process, and the committed private
/// writable memory (meminfo's AnonPages, Mapped, Committed_AS).
pub struct GlobalUsage {
    pub anon_pages: u64,
    pub mapped_pages: u64,
    pub committed: u64,
    pub page_tables: u64,
}

pub fn global_usage() -> GlobalUsage {
    let mut seen = Vec::new();
    let mut anon = BTreeSet::new();
    let mut mapped = BTreeSet::new();
    let mut committed = 0;
    let mut page_tables = 0;
    for task in crate::proc::pid::tasks_where(|_| true) {
        let Some(mm) = task.mm() else { continue };
        if seen.iter().any(|m| Arc::ptr_eq(m, &mm)) {
            continue;
        }
        let space = mm.lock();
        for v in space.vmas_iter() {
            let frames = space.pages(v.start, v.end).into_iter().map(|(_, e)| e.paddr);
            if v.file.is_some() {
                mapped.extend(frames);
            } else {
                anon.extend(frames);
            }
            if v.prot.contains(ProtFlags::PROT_WRITE) && (!v.shared || v.file.is_none()) {
                committed += v.end - v.start;
            }
        }
        page_tables += usage(&space).page_tables;
        drop(space);
        seen.push(mm);
    }
    GlobalUsage {
        anon_pages: anon.len() as u64,
        mapped_pages: mapped.len() as u64,
        committed,
        page_tables: page_tables / PAGE,
    }
}

/// One maps line: range, rights, offset, device, inode, then the name
/// padded to column 73 (Linux's show_map_vma).
fn line(out: &mut Vec<u8>, v: &Vma, offset: u64, dev: u64, ino: u64, name: &[u8]) {
    let r = if v.prot.contains(ProtFlags::PROT_READ) { 'r' } else { '-' };
    let w = if v.prot.contains(ProtFlags::PROT_WRITE) { 'w' } else { '-' };
    let x = if v.prot.contains(ProtFlags::PROT_EXEC) { 'x' } else { '-' };
    let s = if v.shared { 's' } else { 'p' };
    let start = out.len();
    out.extend_from_slice(
        format!("{:08x}-{:08x} {r}{w}{x}{s} {offset:08x} {:02x}:{:02x} {ino} ", v.start, v.end, major(dev), minor(dev))
            .as_bytes(),
    );
    if !name.is_empty() {
        while out.len() - start < 73 {
            out.push(b' ');
        }
        out.extend_from_slice(name);
    }
    out.push(b'\n');
}

/// /proc/PID/maps: each area with what it maps. ELF segments and file
/// mappings name their file; the heap and the initial stack are [heap]
/// and [stack].
pub fn maps(task: &Task) -> Vec<u8> {
    let mut out = Vec::new();
    let Some(mm) = task.mm() else { return out };
    let mm = mm.lock();
    for v in mm.vmas_iter() {
        area_line(&mut out, &mm, v);
    }
    out
}

/// The maps line of area `v` of `mm`.
pub(super) fn area_line(out: &mut Vec<u8>, mm: &AddressSpace, v: &Vma) {
    match v.kind {
        VmaKind::Heap => line(out, v, 0, 0, 0, b"[heap]"),
        VmaKind::Stack => line(out, v, 0, 0, 0, b"[stack]"),
        VmaKind::Image | VmaKind::Anonymous | VmaKind::Special => match v.file.and_then(|id| mm.file_id(id)) {
            Some(f) => line(out, v, v.pgoff * PAGE, f.dev, f.ino, &f.path),
            None => line(out, v, 0, 0, 0, b""),
        },
    }
}
