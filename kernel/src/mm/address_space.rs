//! A user address space: its page table and its VMAs. Pages are mapped on
//! first touch (demand-zero, or the file's page for file mappings) except
//! where exec copies file bytes in.
//!
//! Frames are shared and counted (`machine::mm::Frame`): fork shares every
//! page, private ones read-only until a write copies them (copy-on-write);
//! MAP_SHARED pages and file pages stay shared. The page table holds one
//! reference per mapped page, so dropping the address space frees what no
//! one else holds.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, ProtFlags};

use machine::mm::{Frame, PageTable, Pte, PteFlags, TableRoot, PAGE_SIZE, PTE_PROTNONE};

use super::exec_info::ExecInfo;
use super::mapped::MappedFile;

/// Why a page of a file mapping could not be mapped.
pub enum FileFault {
    /// Past the end of the file: SIGBUS, as Linux.
    BeyondEnd,
    OutOfMemory,
}
use super::vma::{Mlock, Vma, VmaKind};
use super::vma_tree::VmaTree;
use crate::uaccess::USER_LIMIT;

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

/// `a` rounded up to a page; an address in the last page of the 64-bit
/// space stays in it (it cannot wrap to 0), so range checks refuse it.
pub const fn page_up(a: u64) -> u64 {
    a.saturating_add(PAGE - 1) & !(PAGE - 1)
}

pub struct AddressSpace {
    table: PageTable,
    vmas: VmaTree,
    /// Files mapped by areas, by the id the areas carry.
    files: BTreeMap<u32, Arc<dyn MappedFile>>,
    next_file_id: u32,
    pub brk_start: u64,
    pub brk: u64,
    /// The largest total size the areas have had (/proc's VmPeak).
    peak_size: u64,
    /// What execve recorded for /proc.
    pub exec: ExecInfo,
    /// The membarrier(2) commands this address space registered for
    /// (their MEMBARRIER_CMD_REGISTER_* bits): a fork's copy keeps them,
    /// exec's new space has none.
    pub membarrier_registered: u32,
    /// How areas mapped from now on are locked (mlockall's MCL_FUTURE;
    /// Linux's def_flags). Neither fork nor exec passes it on.
    pub lock_future: Mlock,
}

impl AddressSpace {
    pub fn new() -> Result<AddressSpace, Errno> {
        let table = PageTable::new_user().ok_or(Errno::ENOMEM)?;
        Ok(AddressSpace {
            table,
            vmas: VmaTree::new(),
            files: BTreeMap::new(),
            next_file_id: 0,
            brk_start: 0,
            brk: 0,
            peak_size: 0,
            exec: ExecInfo::default(),
            membarrier_registered: 0,
            lock_future: Mlock::Unlocked,
        })
    }

    /// Makes this the CPU's address space.
    pub fn activate(&self) {
        self.table.activate();
    }

    /// The page table's root, for the scheduler to load when the task runs.
    pub fn page_table(&self) -> Arc<TableRoot> {
        self.table.root()
    }

    pub fn find_vma(&self, addr: u64) -> Option<&Vma> {
        self.vmas.find(addr)
    }

    /// True when no VMA intersects [start, end).
    pub fn is_free(&self, start: u64, end: u64) -> bool {
        self.vmas.is_free(start, end)
    }

    /// Adds a VMA over a range that must be free.
    pub fn insert_vma(&mut self, vma: Vma) {
        self.vmas.insert(vma);
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
        self.vmas.iter()
    }

    /// The files that shared areas overlapping [start, end) map (msync).
    pub fn shared_files_in(&self, start: u64, end: u64) -> Vec<Arc<dyn MappedFile>> {
        let mut ids: Vec<u32> = self.vmas.overlapping(start, end).filter(|v| v.shared).filter_map(|v| v.file).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.iter().filter_map(|id| self.files.get(id).cloned()).collect()
    }

    /// The file that areas carrying `id` map.
    pub fn mapped_file(&self, id: u32) -> Option<Arc<dyn MappedFile>> {
        self.files.get(&id).cloned()
    }

    /// The device, inode number and path of the file an area maps.
    pub fn file_id(&self, id: u32) -> Option<super::mapped::FileId> {
        self.files.get(&id).map(|f| f.id())
    }

    /// Reads user memory for another process (process_vm_readv) or
    /// /proc/PID/mem, faulting pages in as a read would. With `force`
    /// (/proc/PID/mem, Linux's FOLL_FORCE) a page of an area without
    /// rights is read if it is there; without, such areas end the read.
    /// Returns the bytes read, up to the first that cannot be.
    pub fn read_remote(&mut self, va: u64, out: &mut [u8], force: bool) -> usize {
        let mut done = 0;
        while done < out.len() {
            let at = va + done as u64;
            let Some(vma) = self.find_vma(at).copied() else { break };
            if !force && !vma.prot.contains(ProtFlags::PROT_READ) {
                break;
            }
            if !vma.prot.is_empty() && self.fault_in(at, &vma, false).is_err() {
                break;
            }
            let Some(frame) = self.table.frame(page_down(at)) else { break };
            let offset = at % PAGE;
            let n = (out.len() - done).min((PAGE - offset) as usize);
            frame.read(offset as usize, &mut out[done..done + n]);
            done += n;
        }
        done
    }

    /// Writes user memory for process_vm_writev or /proc/PID/mem. With
    /// `force` (/proc/PID/mem) private pages are written in the process's
    /// own copy even where the area is read-only (the file behind stays as
    /// it is); shared areas, and all areas without `force`, must be
    /// writable. Returns the bytes written.
    pub fn write_remote(&mut self, va: u64, data: &[u8], force: bool) -> usize {
        let mut done = 0;
        while done < data.len() {
            let at = va + done as u64;
            let Some(vma) = self.find_vma(at).copied() else { break };
            let writable = vma.prot.contains(ProtFlags::PROT_WRITE);
            if vma.prot.is_empty() || (!writable && (vma.shared || !force)) {
                break;
            }
            let n = (data.len() - done).min((PAGE - at % PAGE) as usize);
            if self.write_bytes(at, &data[done..done + n]).is_err() {
                break;
            }
            done += n;
        }
        done
    }

    /// Reads user memory of this address space (not necessarily the
    /// running one) through the direct map, up to the first page that is
    /// not present; returns the bytes read (/proc's cmdline and environ).
    pub fn read_bytes(&self, mut va: u64, out: &mut [u8]) -> usize {
        let mut done = 0;
        while done < out.len() {
            let Some(frame) = self.table.frame(page_down(va)) else { break };
            let offset = va % PAGE;
            let n = (out.len() - done).min((PAGE - offset) as usize);
            frame.read(offset as usize, &mut out[done..done + n]);
            done += n;
            va += n as u64;
        }
        done
    }

    /// Finds `len` bytes of free space, highest first below MMAP_BASE.
    pub fn find_free_area(&self, len: u64) -> Option<u64> {
        self.vmas.find_free_area(len, MMAP_BASE, MMAP_MIN_ADDR)
    }

    /// Removes every mapping in [start, end), splitting VMAs at the edges
    /// and freeing the pages.
    pub fn unmap_range(&mut self, start: u64, end: u64) {
        for (from, to, _) in self.vmas.remove_range(start, end) {
            self.free_pages(from, to);
        }
        self.forget_unmapped_files();
    }

    /// Drops the files no area maps any more.
    fn forget_unmapped_files(&mut self) {
        let vmas = &self.vmas;
        self.files.retain(|id, _| vmas.iter().any(|v| v.file == Some(*id)));
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
        let mut flags = vma.pte_flags();
        if !vma.shared {
            flags.remove(PteFlags::WRITABLE);
        }
        self.table.map(page_down(va), frame, flags).map_err(|_| FileFault::OutOfMemory)?;
        if write && !vma.shared {
            self.write_fault_on_present(va, vma).map_err(|_| FileFault::OutOfMemory)?;
        }
        Ok(())
    }

    fn free_pages(&mut self, start: u64, end: u64) {
        self.table.unmap_range(start, end);
    }

    /// Faults in every page of [start, end) inside areas that allow some
    /// access, as a first touch would: a write for private writable areas
    /// (so no page stays shared copy-on-write), a read otherwise
    /// (MAP_POPULATE, mlock). A page past the end of a mapped file is
    /// EFAULT, as Linux's get_user_pages gives.
    pub fn populate(&mut self, start: u64, end: u64) -> Result<(), Errno> {
        let areas: Vec<Vma> = self.vmas.overlapping(start, end).copied().collect();
        for vma in areas.iter().filter(|v| !v.prot.is_empty()) {
            let write = vma.prot.contains(ProtFlags::PROT_WRITE) && !vma.shared;
            let mut va = vma.start.max(page_down(start));
            while va < vma.end.min(end) {
                self.fault_in(va, vma, write)?;
                va += PAGE;
            }
        }
        Ok(())
    }

    fn fault_in(&mut self, va: u64, vma: &Vma, write: bool) -> Result<(), Errno> {
        if self.is_mapped(va) {
            if write && !self.is_mapped_writable(va) {
                self.write_fault_on_present(va, vma)?;
            }
            return Ok(());
        }
        if vma.file.is_none() {
            return self.populate_page(va, vma);
        }
        self.fault_file_page(va, vma, write).map_err(|e| match e {
            FileFault::BeyondEnd => Errno::EFAULT,
            FileFault::OutOfMemory => Errno::ENOMEM,
        })
    }

    /// Maps a zeroed page at `va` with the VMA's rights (demand paging).
    pub fn populate_page(&mut self, va: u64, vma: &Vma) -> Result<(), Errno> {
        let frame = Frame::alloc_zeroed().ok_or(Errno::ENOMEM)?;
        self.table.map(page_down(va), frame, vma.pte_flags()).map_err(|_| Errno::ENOMEM)?;
        Ok(())
    }

    /// The entry of a present page.
    fn present(&self, va: u64) -> Option<Pte> {
        self.table.entry(page_down(va)).filter(Pte::is_present)
    }

    pub fn is_mapped(&self, va: u64) -> bool {
        self.present(va).is_some()
    }

    /// Whether a present page is mapped writable at `va`.
    pub fn is_mapped_writable(&self, va: u64) -> bool {
        self.present(va).is_some_and(|pte| pte.is_writable())
    }

    /// Writes bytes into the address space through the direct map,
    /// allocating pages inside VMAs as needed (exec, initial stack). Works
    /// whichever address space the CPU is running.
    pub fn write_bytes(&mut self, mut va: u64, mut data: &[u8]) -> Result<(), Errno> {
        while !data.is_empty() {
            let vma = *self.find_vma(va).ok_or(Errno::EFAULT)?;
            if !self.is_mapped(va) && vma.file.is_some() {
                self.fault_file_page(va, &vma, true).map_err(|_| Errno::EFAULT)?;
            } else if !self.is_mapped(va) {
                self.populate_page(va, &vma)?;
            }
            let entry = self.present(va).ok_or(Errno::EFAULT)?;
            let mut frame = self.table.frame(page_down(va)).ok_or(Errno::EFAULT)?;
            // A frame shared copy-on-write gets its private copy first (the
            // page table's reference and ours make two when it is alone).
            if !vma.shared && frame.ref_count() > 2 {
                let copy = Frame::alloc().ok_or(Errno::ENOMEM)?;
                copy.copy_from(&frame);
                let mut flags = vma.pte_flags();
                if !entry.is_writable() {
                    flags.remove(PteFlags::WRITABLE);
                }
                self.table.map(page_down(va), copy.clone(), flags).map_err(|_| Errno::ENOMEM)?;
                frame = copy;
            }
            let offset = va % PAGE;
            let n = data.len().min((PAGE - offset) as usize);
            frame.write(offset as usize, &data[..n]);
            data = &data[n..];
            va += n as u64;
        }
        Ok(())
    }

    /// A copy for fork: the same areas and the same break. Pages are
    /// shared: MAP_SHARED ones as they are, private ones read-only in both
    /// spaces until one writes (copy-on-write, in the fault handler).
    pub fn duplicate(&mut self) -> Result<AddressSpace, Errno> {
        let mut copy = AddressSpace::new()?;
        copy.brk_start = self.brk_start;
        copy.brk = self.brk;
        copy.peak_size = self.peak_size;
        copy.exec = self.exec.clone();
        copy.files = self.files.clone();
        copy.next_file_id = self.next_file_id;
        copy.membarrier_registered = self.membarrier_registered;
        copy.vmas = self.vmas.clone();
        for vma in self.vmas.iter() {
            self.table.share_into(&mut copy.table, vma.start, vma.end, !vma.shared).map_err(|_| Errno::ENOMEM)?;
        }
        // Memory locks are not inherited by a fork's child.
        for vma in copy.vmas.areas_in(0, u64::MAX) {
            vma.locked = Mlock::Unlocked;
        }
        copy.vmas.merge_all();
        Ok(copy)
    }

    /// A write to a present, read-only page of a writable area: the
    /// copy-on-write step. The last sharer takes the frame over; others get
    /// a copy.
    pub fn write_fault_on_present(&mut self, va: u64, vma: &Vma) -> Result<(), Errno> {
        let va = page_down(va);
        if vma.shared {
            self.present(va).ok_or(Errno::EFAULT)?;
            self.table.set_flags(va, vma.pte_flags());
            return Ok(());
        }
        self.table.make_private_writable(va, vma.pte_flags()).map_err(|_| Errno::ENOMEM)
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
                locked: self.lock_future,
            };
            self.insert_vma(heap);
            self.vmas.merge_at(old_end);
        } else if new_end < old_end {
            self.unmap_range(new_end, old_end);
        }
        self.brk = new_brk;
        Ok(())
    }

    /// Upgrades the rights of an already mapped page (an ELF page shared by
    /// two segments gets the union of their rights).
    pub fn protect_page(&mut self, va: u64, flags: PteFlags) {
        if self.is_mapped(va) {
            self.table.set_flags(page_down(va), flags);
        }
    }
}

impl AddressSpace {
    /// Splits VMAs so that `at` is an area boundary (when inside one).
    pub fn split_at(&mut self, at: u64) {
        self.vmas.split_at(at);
    }

    /// True when [start, end) is covered by areas without holes.
    pub fn fully_mapped(&self, start: u64, end: u64) -> bool {
        self.vmas.fully_mapped(start, end)
    }

    /// The areas inside [start, end) (after `split_at` both ends).
    pub fn vmas_in(&mut self, start: u64, end: u64) -> impl Iterator<Item = &mut Vma> {
        self.vmas.areas_in(start, end)
    }

    /// Joins neighbouring areas that are alike.
    pub fn merge_all(&mut self) {
        self.vmas.merge_all();
    }

    /// How many pages of [start, end) have a frame (resident set size).
    pub fn resident_pages(&self, start: u64, end: u64) -> u64 {
        let mut n = 0;
        self.table.for_each(start, end, &mut |_, _| n += 1);
        n
    }

    /// Every page in [start, end) that holds a frame, as (address, entry).
    pub fn pages(&self, start: u64, end: u64) -> Vec<(u64, Pte)> {
        let mut out = Vec::new();
        self.table.for_each(start, end, &mut |va, e| out.push((va, e)));
        out
    }

    /// The references held on the frame mapped at `va` (page tables,
    /// the page cache, other holders), when one is.
    pub fn frame_refs(&self, va: u64) -> Option<u32> {
        // Less the one the lookup itself holds.
        self.table.frame(page_down(va)).map(|f| f.ref_count() - 1)
    }

    /// The /proc/PID/pagemap entry of the page at `va`: bit 63 present
    /// (with the frame number in bits 0-54 when `show_frame`), 61 a file
    /// or shared page, 56 mapped by this space alone, 55 soft-dirty (every
    /// page of an area: areas start soft-dirty and nothing clears it).
    pub fn pagemap_entry(&self, va: u64, show_frame: bool) -> u64 {
        let Some(vma) = self.find_vma(va) else { return 0 };
        let mut entry = 1 << 55;
        if let Some(pte) = self.present(va) {
            entry |= 1 << 63;
            if show_frame {
                entry |= (pte.paddr / PAGE) & ((1 << 55) - 1);
            }
            let private_copy = !vma.shared && pte.is_writable();
            let file_page = (vma.file.is_some() && !private_copy) || vma.shared;
            if file_page {
                entry |= 1 << 61;
            }
            let page_table_refs = self.frame_refs(va).unwrap_or(1) - u32::from(file_page);
            if page_table_refs <= 1 {
                entry |= 1 << 56;
            }
        }
        entry
    }

    /// Moves the page at `from` to `to` (mremap), keeping its frame.
    pub fn move_page(&mut self, from: u64, to: u64) -> Result<(), Errno> {
        self.table.move_entry(from, to).map_err(|_| Errno::ENOMEM)
    }

    /// Gives every page of [start, end) its area's rights again after
    /// mprotect changed them: PROT_NONE keeps the frame in a not-present
    /// entry; a private page still shared copy-on-write stays read-only.
    pub fn protect(&mut self, start: u64, end: u64, prot: ProtFlags) -> Result<(), Errno> {
        if !self.fully_mapped(start, end) {
            return Err(Errno::ENOMEM);
        }
        if prot.contains(ProtFlags::PROT_WRITE) && !self.may_write(start, end) {
            return Err(Errno::EACCES);
        }
        self.split_at(start);
        self.split_at(end);
        let mut areas = Vec::new();
        for vma in self.vmas_in(start, end) {
            vma.prot = prot;
            areas.push(*vma);
        }
        for vma in areas {
            for (va, entry) in self.pages(vma.start, vma.end) {
                let flags = if prot.is_empty() {
                    PTE_PROTNONE
                } else if !vma.shared && self.table.frame(va).is_some_and(|f| f.ref_count() > 2) {
                    // Still shared copy-on-write: the first write copies it.
                    vma.pte_flags() - PteFlags::WRITABLE
                } else {
                    vma.pte_flags()
                };
                if flags != entry.flags {
                    self.table.set_flags(va, flags);
                }
            }
        }
        self.merge_all();
        Ok(())
    }

    /// True unless a shared file mapping in [start, end) may not be made
    /// writable (MappedFile::may_write).
    fn may_write(&self, start: u64, end: u64) -> bool {
        let files = &self.files;
        self.vmas
            .overlapping(start, end)
            .filter(|v| v.shared)
            .all(|v| v.file.and_then(|id| files.get(&id)).is_none_or(|f| f.may_write()))
    }

    /// Drops the pages of [start, end) (madvise's DONTNEED and FREE): the
    /// next touch maps zeroes, or the file's or other sharers' page again.
    pub fn zap_pages(&mut self, start: u64, end: u64) {
        self.table.unmap_range(start, end);
    }

    /// A fault below a grows-down area extends it to cover `addr`, while
    /// the area stays within `limit` bytes and a guard gap from the area
    /// below (Linux's stack_guard_gap, 256 pages).
    pub fn grow_stack(&mut self, addr: u64, limit: u64) -> Option<Vma> {
        let grown = self.vmas.grow_stack(addr, limit)?;
        self.note_peak();
        Some(grown)
    }

    /// Total bytes of all areas (RLIMIT_AS, /proc's VmSize).
    pub fn total_size(&self) -> u64 {
        self.vmas.total_size()
    }

    pub fn remove_vma(&mut self, start: u64) -> Option<Vma> {
        self.vmas.remove(start)
    }
}

impl AddressSpace {
    /// For futexes: whether `addr` is in a shared area, and the frame and
    /// entry mapping it (when present).
    pub fn futex_location(&self, addr: u64) -> Option<(bool, Option<u64>)> {
        let vma = self.find_vma(addr)?;
        let frame = self.table.entry(page_down(addr)).map(|e| e.paddr);
        Some((vma.shared, frame))
    }
}
