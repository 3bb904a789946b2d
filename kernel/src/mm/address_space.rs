//! A user address space: its page tables and its VMAs. Pages are mapped on
//! first touch (demand-zero) except where exec copies file bytes in.
//!
//! Each user frame belongs to exactly one address space for now (fork
//! copies eagerly); freeing the address space frees its frames.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, ProtFlags};

use super::exec_info::ExecInfo;
use super::frame;
use super::mapped::MappedFile;

/// Why a page of a file mapping could not be mapped.
pub enum FileFault {
    /// Past the end of the file: SIGBUS, as Linux.
    BeyondEnd,
    OutOfMemory,
}
use super::kernel_map::new_user_pml4;
use super::paging::{self, PTE_ADDR_MASK, PTE_PRESENT, PTE_WRITABLE};
use super::phys::{self, PAGE_SIZE};
use super::uaccess::USER_LIMIT;
use super::vma::{Vma, VmaKind};

const PAGE: u64 = PAGE_SIZE as u64;

/// Top of the initial stack (Linux's STACK_TOP without randomisation).
pub const STACK_TOP: u64 = USER_LIMIT;
/// The stack area: RLIMIT_STACK's default of 8 MiB.
pub const STACK_SIZE: u64 = 8 << 20;
/// mmap allocates top-down from here: a 128 MiB gap below the stack top, as
/// Linux's minimum gap.
pub const MMAP_BASE: u64 = STACK_TOP - (128 << 20);
/// Lowest address mmap hands out without a hint (Linux's mmap_min_addr).
pub const MMAP_MIN_ADDR: u64 = 0x10000;

pub const fn page_down(a: u64) -> u64 {
    a & !(PAGE - 1)
}

pub const fn page_up(a: u64) -> u64 {
    (a + PAGE - 1) & !(PAGE - 1)
}

pub struct AddressSpace {
    pml4: u64,
    vmas: BTreeMap<u64, Vma>,
    /// Files mapped by areas, by the id the areas carry.
    files: BTreeMap<u32, Arc<dyn MappedFile>>,
    next_file_id: u32,
    pub brk_start: u64,
    pub brk: u64,
    /// The largest total size the areas have had (/proc's VmPeak).
    peak_size: u64,
    /// What execve recorded for /proc.
    pub exec: ExecInfo,
}

impl AddressSpace {
    pub fn new() -> Result<AddressSpace, Errno> {
        let pml4 = new_user_pml4().ok_or(Errno::ENOMEM)?;
        Ok(AddressSpace {
            pml4,
            vmas: BTreeMap::new(),
            files: BTreeMap::new(),
            next_file_id: 0,
            brk_start: 0,
            brk: 0,
            peak_size: 0,
            exec: ExecInfo::default(),
        })
    }

    /// Physical address of the top-level table, for CR3.
    pub fn page_table_root(&self) -> u64 {
        self.pml4
    }

    pub fn find_vma(&self, addr: u64) -> Option<&Vma> {
        self.vmas.range(..=addr).next_back().map(|(_, v)| v).filter(|v| v.contains(addr))
    }

    /// True when no VMA intersects [start, end).
    pub fn is_free(&self, start: u64, end: u64) -> bool {
        self.vmas.range(..end).next_back().is_none_or(|(_, v)| v.end <= start)
    }

    /// Adds a VMA over a range that must be free.
    pub fn insert_vma(&mut self, vma: Vma) {
        debug_assert!(self.is_free(vma.start, vma.end));
        self.vmas.insert(vma.start, vma);
        self.note_peak();
    }

    fn note_peak(&mut self) {
        self.peak_size = self.peak_size.max(self.total_size());
    }

    /// The largest total size of the areas so far (VmPeak).
    pub fn peak_size(&self) -> u64 {
        self.peak_size.max(self.total_size())
    }

    /// The areas, lowest first.
    pub fn vmas_iter(&self) -> impl Iterator<Item = &Vma> {
        self.vmas.values()
    }

    /// The files that shared areas overlapping [start, end) map (msync).
    pub fn shared_files_in(&self, start: u64, end: u64) -> Vec<Arc<dyn MappedFile>> {
        let mut ids: Vec<u32> =
            self.vmas.range(..end).filter(|(_, v)| v.end > start && v.shared).filter_map(|(_, v)| v.file).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.iter().filter_map(|id| self.files.get(id).cloned()).collect()
    }

    /// The device, inode number and path of the file an area maps.
    pub fn file_id(&self, id: u32) -> Option<super::mapped::FileId> {
        self.files.get(&id).map(|f| f.id())
    }

    /// Reads user memory of this address space (not necessarily the
    /// running one) through the direct map, up to the first page that is
    /// not present; returns the bytes read (/proc's cmdline and environ).
    pub fn read_bytes(&self, mut va: u64, out: &mut [u8]) -> usize {
        let mut done = 0;
        while done < out.len() {
            let Some(entry) = paging::lookup_frame(self.pml4, va) else { break };
            let offset = va % PAGE;
            let n = (out.len() - done).min((PAGE - offset) as usize);
            phys::copy_from((entry & PTE_ADDR_MASK) + offset, &mut out[done..done + n]);
            done += n;
            va += n as u64;
        }
        done
    }

    /// Finds `len` bytes of free space, highest first below MMAP_BASE.
    pub fn find_free_area(&self, len: u64) -> Option<u64> {
        let mut top = MMAP_BASE;
        for (_, v) in self.vmas.range(..MMAP_BASE).rev() {
            if v.end <= top && top - v.end >= len {
                return Some(top - len);
            }
            top = top.min(v.start);
        }
        (top >= MMAP_MIN_ADDR + len).then(|| top - len)
    }

    /// Removes every mapping in [start, end), splitting VMAs at the edges
    /// and freeing the pages.
    pub fn unmap_range(&mut self, start: u64, end: u64) {
        let overlapping: alloc::vec::Vec<u64> =
            self.vmas.range(..end).filter(|(_, v)| v.end > start).map(|(&s, _)| s).collect();
        for s in overlapping {
            let v = self.vmas.remove(&s).expect("listed above");
            if v.start < start {
                self.vmas.insert(v.start, Vma { end: start, ..v });
            }
            if v.end > end {
                self.vmas.insert(end, v.tail_from(end));
            }
            self.free_pages(v.start.max(start), v.end.min(end));
        }
        self.forget_unmapped_files();
    }

    /// Drops the files no area maps any more.
    fn forget_unmapped_files(&mut self) {
        let vmas = &self.vmas;
        self.files.retain(|id, _| vmas.values().any(|v| v.file == Some(*id)));
    }

    /// Registers a file for areas to map; returns the id they carry.
    pub fn add_file(&mut self, file: Arc<dyn MappedFile>) -> u32 {
        let id = self.next_file_id;
        self.next_file_id += 1;
        self.files.insert(id, file);
        id
    }

    /// Maps the file page behind `va` of a file-backed area: shared areas
    /// map the file's own frame; private ones map it read-only, and a
    /// write copies it (copy-on-write). Past the end of the file: SIGBUS.
    pub fn fault_file_page(&mut self, va: u64, vma: &Vma, write: bool) -> Result<(), FileFault> {
        let file = vma.file.and_then(|id| self.files.get(&id)).ok_or(FileFault::OutOfMemory)?;
        let index = vma.file_page(page_down(va));
        if index >= file.size().div_ceil(PAGE) {
            return Err(FileFault::BeyondEnd);
        }
        let frame = file.frame(index).map_err(|_| FileFault::OutOfMemory)?;
        frame::get(frame);
        let mut flags = vma.pte_flags() | PTE_PRESENT;
        if !vma.shared {
            flags &= !PTE_WRITABLE;
        }
        if paging::map_raw(self.pml4, page_down(va), frame | flags).is_err() {
            frame::free(frame);
            return Err(FileFault::OutOfMemory);
        }
        if write && !vma.shared {
            self.write_fault_on_present(va, vma).map_err(|_| FileFault::OutOfMemory)?;
        }
        Ok(())
    }

    fn free_pages(&mut self, start: u64, end: u64) {
        let mut va = start;
        while va < end {
            if let Some(frame) = paging::unmap_page(self.pml4, va) {
                frame::free(frame);
            }
            va += PAGE;
        }
    }

    /// Maps a zeroed page at `va` with the VMA's rights (demand paging).
    pub fn populate_page(&mut self, va: u64, vma: &Vma) -> Result<(), Errno> {
        let frame = frame::alloc_zeroed().ok_or(Errno::ENOMEM)?;
        if let Err(e) = paging::map_page(self.pml4, page_down(va), frame, vma.pte_flags()) {
            frame::free(frame);
            return Err(e);
        }
        Ok(())
    }

    pub fn is_mapped(&self, va: u64) -> bool {
        paging::lookup(self.pml4, va).is_some()
    }

    /// Writes bytes into the address space through the direct map,
    /// allocating pages inside VMAs as needed (exec, initial stack). Works
    /// whichever address space the CPU is running.
    pub fn write_bytes(&mut self, mut va: u64, mut data: &[u8]) -> Result<(), Errno> {
        while !data.is_empty() {
            let vma = *self.find_vma(va).ok_or(Errno::EFAULT)?;
            if !self.is_mapped(va) {
                self.populate_page(va, &vma)?;
            }
            let mut entry = paging::lookup(self.pml4, va).ok_or(Errno::EFAULT)?;
            // A frame shared copy-on-write gets its private copy first.
            if !vma.shared && frame::ref_count(entry & PTE_ADDR_MASK) > 1 {
                let private = vma.pte_flags() | PTE_PRESENT;
                let new = frame::alloc().ok_or(Errno::ENOMEM)?;
                phys::copy_frame(new, entry & PTE_ADDR_MASK);
                frame::free(entry & PTE_ADDR_MASK);
                entry = new | (private & !PTE_WRITABLE) | (entry & PTE_WRITABLE);
                paging::set_leaf(self.pml4, page_down(va), entry);
            }
            let offset = va % PAGE;
            let n = data.len().min((PAGE - offset) as usize);
            phys::copy_to((entry & PTE_ADDR_MASK) + offset, &data[..n]);
            data = &data[n..];
            va += n as u64;
        }
        Ok(())
    }

    /// A copy for fork: the same areas and the same break. Pages are
    /// shared: MAP_SHARED ones as they are, private ones read-only in both
    /// spaces until one writes (copy-on-write, in the fault handler).
    pub fn duplicate(&self) -> Result<AddressSpace, Errno> {
        let mut copy = AddressSpace::new()?;
        copy.brk_start = self.brk_start;
        copy.brk = self.brk;
        copy.peak_size = self.peak_size;
        copy.exec = self.exec.clone();
        copy.files = self.files.clone();
        copy.next_file_id = self.next_file_id;
        let mut result = Ok(());
        for vma in self.vmas.values() {
            copy.vmas.insert(vma.start, *vma);
            let parent = self.pml4;
            let child = copy.pml4;
            paging::for_each_leaf(parent, vma.start, vma.end, &mut |va, entry| {
                if result.is_err() {
                    return;
                }
                let shared_entry = if vma.shared { entry } else { entry & !PTE_WRITABLE };
                if let Err(e) = paging::map_raw(child, va, shared_entry) {
                    result = Err(e);
                    return;
                }
                frame::get(entry & PTE_ADDR_MASK);
                if shared_entry != entry {
                    paging::set_leaf(parent, va, shared_entry);
                }
            });
            result?;
        }
        Ok(copy)
    }

    /// A write to a present, read-only page of a writable area: the
    /// copy-on-write step. The last sharer takes the frame over; others get
    /// a copy.
    pub fn write_fault_on_present(&mut self, va: u64, vma: &Vma) -> Result<(), Errno> {
        let va = page_down(va);
        let entry = paging::lookup(self.pml4, va).ok_or(Errno::EFAULT)?;
        let old = entry & PTE_ADDR_MASK;
        let flags = vma.pte_flags() | PTE_PRESENT;
        if vma.shared || frame::ref_count(old) == 1 {
            paging::set_leaf(self.pml4, va, old | flags);
            return Ok(());
        }
        let new = frame::alloc().ok_or(Errno::ENOMEM)?;
        phys::copy_frame(new, old);
        paging::set_leaf(self.pml4, va, new | flags);
        frame::free(old);
        Ok(())
    }

    /// Grows or shrinks the heap VMA to end at `new_brk` (page-rounded).
    pub fn set_brk(&mut self, new_brk: u64) -> Result<(), Errno> {
        let old_end = page_up(self.brk);
        let new_end = page_up(new_brk);
        if new_end > old_end {
            if !self.is_free(old_end, new_end) || new_end > MMAP_BASE {
                return Err(Errno::ENOMEM);
            }
            let heap = Vma {
                start: old_end,
                end: new_end,
                prot: ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                shared: false,
                kind: VmaKind::Heap,
                grows_down: false,
                file: None,
                pgoff: 0,
            };
            self.insert_vma(heap);
            self.merge_adjacent(old_end);
        } else if new_end < old_end {
            self.unmap_range(new_end, old_end);
        }
        self.brk = new_brk;
        Ok(())
    }

    /// Joins the VMA starting at `at` with the one ending there when they
    /// are alike, so a growing heap stays one area.
    fn merge_adjacent(&mut self, at: u64) {
        let Some(&next) = self.vmas.get(&at) else {
            return;
        };
        let Some((&prev_start, &prev)) = self.vmas.range(..at).next_back() else {
            return;
        };
        let contiguous_file = prev.file == next.file && (prev.file.is_none() || prev.file_page(at) == next.pgoff);
        if prev.end == at
            && prev.prot == next.prot
            && prev.kind == next.kind
            && prev.shared == next.shared
            && prev.grows_down == next.grows_down
            && contiguous_file
        {
            self.vmas.remove(&at);
            self.vmas.insert(prev_start, Vma { end: next.end, ..prev });
        }
    }

    /// Upgrades the rights of an already mapped page (an ELF page shared by
    /// two segments gets the union of their rights).
    pub fn protect_page(&mut self, va: u64, flags: u64) {
        paging::protect_page(self.pml4, va, flags);
    }
}

impl AddressSpace {
    /// Splits VMAs so that `at` is an area boundary (when inside one).
    pub fn split_at(&mut self, at: u64) {
        let Some((&start, &vma)) = self.vmas.range(..at).next_back() else { return };
        if vma.end > at {
            self.vmas.insert(start, Vma { end: at, ..vma });
            self.vmas.insert(at, vma.tail_from(at));
        }
    }

    /// True when [start, end) is covered by areas without holes.
    pub fn fully_mapped(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        for (_, v) in self.vmas.range(..end).filter(|(_, v)| v.end > start) {
            if v.start > at {
                return false;
            }
            at = v.end;
        }
        at >= end
    }

    /// The areas inside [start, end) (after `split_at` both ends).
    pub fn vmas_in(&mut self, start: u64, end: u64) -> impl Iterator<Item = &mut Vma> {
        self.vmas.range_mut(start..end).map(|(_, v)| v)
    }

    /// Joins neighbouring areas that are alike.
    pub fn merge_all(&mut self) {
        let starts: alloc::vec::Vec<u64> = self.vmas.keys().copied().collect();
        for s in starts {
            self.merge_adjacent(s);
        }
    }

    /// How many pages of [start, end) have a frame (resident set size).
    pub fn resident_pages(&self, start: u64, end: u64) -> u64 {
        let mut n = 0;
        paging::for_each_leaf(self.pml4, start, end, &mut |_, _| n += 1);
        n
    }

    /// Every mapped page in [start, end), as (address, entry).
    pub fn pages(&self, start: u64, end: u64) -> alloc::vec::Vec<(u64, u64)> {
        let mut out = alloc::vec::Vec::new();
        paging::for_each_leaf(self.pml4, start, end, &mut |va, e| out.push((va, e)));
        out
    }

    pub fn set_page_entry(&mut self, va: u64, entry: u64) {
        paging::set_leaf(self.pml4, va, entry);
    }

    /// Moves the page at `from` to `to` (mremap), keeping its frame.
    pub fn move_page(&mut self, from: u64, to: u64) -> Result<(), Errno> {
        let Some(table_entry) = paging::lookup_frame(self.pml4, from) else { return Ok(()) };
        paging::map_raw(self.pml4, to, table_entry)?;
        paging::set_leaf(self.pml4, from, 0);
        Ok(())
    }

    /// A fault below a grows-down area extends it to cover `addr`, while
    /// the area stays within `limit` bytes and a guard gap from the area
    /// below (Linux's stack_guard_gap, 256 pages).
    pub fn grow_stack(&mut self, addr: u64, limit: u64) -> Option<Vma> {
        const GUARD_GAP: u64 = 256 * PAGE;
        let (&start, &vma) = self.vmas.range(addr..).next()?;
        if !vma.grows_down {
            return None;
        }
        let new_start = page_down(addr);
        if vma.end - new_start > limit {
            return None;
        }
        let below_end = self.vmas.range(..new_start).next_back().map_or(0, |(_, v)| v.end);
        if new_start < below_end.saturating_add(GUARD_GAP) {
            return None;
        }
        self.vmas.remove(&start);
        let grown = Vma { start: new_start, ..vma };
        self.vmas.insert(new_start, grown);
        self.note_peak();
        Some(grown)
    }

    /// Total bytes of all areas (RLIMIT_AS, /proc's VmSize).
    pub fn total_size(&self) -> u64 {
        self.vmas.values().map(|v| v.end - v.start).sum()
    }

    pub fn remove_vma(&mut self, start: u64) -> Option<Vma> {
        self.vmas.remove(&start)
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        paging::free_user_half(self.pml4);
        frame::free(self.pml4);
    }
}

impl AddressSpace {
    /// For futexes: whether `addr` is in a shared area, and the frame and
    /// entry mapping it (when present).
    pub fn futex_location(&self, addr: u64) -> Option<(bool, Option<u64>)> {
        let vma = self.find_vma(addr)?;
        let frame = paging::lookup_frame(self.pml4, addr).map(|e| e & PTE_ADDR_MASK);
        Some((vma.shared, frame))
    }
}
