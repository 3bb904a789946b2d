//! Four-level x86_64 page tables, edited through the direct map.
//!
//! `PageTable` is a user address space's table: it owns its root, its
//! user-half tables, and one reference to every frame its entries map
//! (present, or kept for PROT_NONE), all released on drop. Its kernel half
//! is the shared kernel mapping (`kernel_map`), copied at creation. The
//! kernel's own tables are edited by `kernel_map` and `kstack` only,
//! through the crate-private functions at the end.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use x86_64::structures::paging::PageTableFlags;

use super::frame::Frame;
use super::phys;
use super::tlb::{shootdown, TlbFlush};
use crate::arch::cpu::invlpg;
use crate::arch::percpu;

/// Entry flags, as the `x86_64` crate names them.
pub type PteFlags = PageTableFlags;

/// Software bit of a not-present entry that still holds its frame: the
/// page of a PROT_NONE area (the hardware ignores every bit of a
/// not-present entry, so the frame address stays in place).
pub const PTE_PROTNONE: PteFlags = PageTableFlags::BIT_9;

/// The flags a user mapping may carry.
const USER_FLAGS: PteFlags = PageTableFlags::PRESENT
    .union(PageTableFlags::WRITABLE)
    .union(PageTableFlags::USER_ACCESSIBLE)
    .union(PageTableFlags::NO_EXECUTE)
    .union(PTE_PROTNONE);

pub(crate) const PTE_ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;
const USER_TOP: u64 = 0x0000_8000_0000_0000;

/// Why a mapping could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfMemory;

/// A level-1 entry that holds a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pte {
    pub paddr: u64,
    pub flags: PteFlags,
}

impl Pte {
    pub fn is_present(&self) -> bool {
        self.flags.contains(PageTableFlags::PRESENT)
    }

    pub fn is_writable(&self) -> bool {
        self.flags.contains(PageTableFlags::WRITABLE)
    }

    fn decode(raw: u64) -> Option<Pte> {
        holds_frame(raw)
            .then(|| Pte { paddr: raw & PTE_ADDR_MASK, flags: PteFlags::from_bits_truncate(raw & !PTE_ADDR_MASK) })
    }
}

/// Index of `vaddr` in the table at `level` (4 = PML4 ... 1 = PT).
pub(crate) const fn table_index(vaddr: u64, level: u32) -> usize {
    ((vaddr >> (12 + 9 * (level - 1))) & 0x1ff) as usize
}

const fn holds_frame(e: u64) -> bool {
    e & (PageTableFlags::PRESENT.bits() | PTE_PROTNONE.bits()) != 0
}

const PRESENT: u64 = PageTableFlags::PRESENT.bits();
const HUGE: u64 = PageTableFlags::HUGE_PAGE.bits();
const TABLE_FLAGS: u64 = PRESENT | PageTableFlags::WRITABLE.bits();

/// Reads entry `index` of the table at `table`.
///
/// # Safety
///
/// `table` must be a page table this module or the boot code built.
pub(crate) unsafe fn entry(table: u64, index: usize) -> u64 {
    // SAFETY: the caller's contract; an entry is an aligned u64 inside it.
    unsafe { phys::read::<u64>(table + index as u64 * 8) }
}

/// Writes entry `index` of the table at `table`.
///
/// # Safety
///
/// As `entry`, and the caller owns what the old entry referenced and
/// vouches for what the new one maps.
pub(crate) unsafe fn set_entry(table: u64, index: usize, value: u64) {
    // SAFETY: the caller's contract.
    unsafe { phys::write::<u64>(table + index as u64 * 8, value) }
}

/// The table an entry points to, creating it when missing. Intermediate
/// entries are permissive (writable, user for user addresses): the leaf
/// entry decides the access rights.
///
/// # Safety
///
/// As `entry`.
unsafe fn next_table_or_create(table: u64, index: usize, user: bool) -> Result<u64, OutOfMemory> {
    // SAFETY: the caller's contract.
    let e = unsafe { entry(table, index) };
    if e & PRESENT != 0 {
        assert!(e & HUGE == 0, "walk into a huge page");
        return Ok(e & PTE_ADDR_MASK);
    }
    let new = Frame::alloc_zeroed().ok_or(OutOfMemory)?.into_raw();
    let user_bit = if user { PageTableFlags::USER_ACCESSIBLE.bits() } else { 0 };
    // SAFETY: the slot was empty; the new table is a zeroed frame whose
    // reference the entry now holds (freed with the table tree).
    unsafe { set_entry(table, index, new | TABLE_FLAGS | user_bit) };
    Ok(new)
}

/// Physical address of the level-1 entry for `vaddr`, creating tables.
///
/// # Safety
///
/// `pml4` must be a root this module or the boot code built.
pub(crate) unsafe fn leaf_slot_or_create(pml4: u64, vaddr: u64) -> Result<u64, OutOfMemory> {
    let user = vaddr < USER_TOP;
    let mut table = pml4;
    for level in (2..=4).rev() {
        // SAFETY: the caller's contract, then tables this walk found.
        table = unsafe { next_table_or_create(table, table_index(vaddr, level), user)? };
    }
    Ok(table + table_index(vaddr, 1) as u64 * 8)
}

/// The level-1 table covering `vaddr`, if every table on the way exists.
///
/// # Safety
///
/// As `leaf_slot_or_create`.
pub(crate) unsafe fn leaf_table(pml4: u64, vaddr: u64) -> Option<u64> {
    let mut table = pml4;
    for level in (2..=4).rev() {
        // SAFETY: the caller's contract, then tables this walk found.
        let e = unsafe { entry(table, table_index(vaddr, level)) };
        if e & PRESENT == 0 || e & HUGE != 0 {
            return None;
        }
        table = e & PTE_ADDR_MASK;
    }
    Some(table)
}

/// The top-level table of a user address space, which the scheduler
/// loads (`activate`) while the `PageTable` that fills it may change or go:
/// a root whose table is gone has an empty user half, and the root's frame
/// is freed only when the last handle goes. A CPU that has the root loaded
/// holds a handle (its per-CPU data), so that is after every CPU left it.
pub struct TableRoot {
    paddr: u64,
    /// The CPUs that have this root loaded, and may cache its entries.
    cpus: AtomicU64,
}

impl TableRoot {
    /// The CPUs that have this root loaded now (a mask by CPU number).
    pub fn loaded_on(&self) -> u64 {
        self.cpus.load(Ordering::SeqCst)
    }

    /// Makes this the CPU's address space.
    pub fn activate(self: &Arc<Self>) {
        let me = 1u64 << percpu::cpu_index();
        crate::arch::cpu::without_interrupts(|| {
            let mut loaded = percpu::this().loaded_root.lock();
            if loaded.as_ref().is_some_and(|r| Arc::ptr_eq(r, self)) {
                return;
            }
            self.cpus.fetch_or(me, Ordering::SeqCst);
            super::kernel_map::load_root(self.paddr);
            if let Some(old) = loaded.replace(self.clone()) {
                old.cpus.fetch_and(!me, Ordering::SeqCst);
            }
        });
    }
}

/// Makes this CPU run on the kernel's own tables, leaving the user
/// address space it had loaded (an exiting task's last steps).
pub fn load_kernel_tables() {
    let me = 1u64 << percpu::cpu_index();
    let old = crate::arch::cpu::without_interrupts(|| {
        super::kernel_map::load_root(super::kernel_map::kernel_pml4());
        percpu::this().loaded_root.lock().take()
    });
    if let Some(old) = old {
        old.cpus.fetch_and(!me, Ordering::SeqCst);
    }
}

impl Drop for TableRoot {
    fn drop(&mut self) {
        assert!(!super::kernel_map::is_loaded(self.paddr), "a loaded table root is freed");
        // SAFETY: the root's reference was given up by `new_user_root`,
        // and no CPU runs on it (each loaded root holds a handle).
        drop(unsafe { Frame::from_raw(self.paddr) });
    }
}

/// A user address space's page table: edits take `&mut self`, so its
/// owner (the address space, under its lock) is the only editor. Edits
/// that remove or narrow a mapping shoot its TLB entries down on every
/// CPU that runs on the table before they return (once for a whole
/// `batch`), and only then release the frames they unmapped.
pub struct PageTable {
    root: u64,
    handle: Arc<TableRoot>,
    flush: TlbFlush,
    /// Frames unmapped, released after the shootdown.
    unmapped: Vec<Frame>,
    batch_depth: u32,
}

impl PageTable {
    /// An empty user half over the shared kernel half.
    pub fn new_user() -> Option<PageTable> {
        let root = super::kernel_map::new_user_root()?;
        Some(PageTable {
            root,
            handle: Arc::new(TableRoot { paddr: root, cpus: AtomicU64::new(0) }),
            flush: TlbFlush::new(),
            unmapped: Vec::new(),
            batch_depth: 0,
        })
    }

    /// Physical address of the root (what CR3 holds while it runs).
    pub fn root_paddr(&self) -> u64 {
        self.root
    }

    /// The root, for the scheduler to load when a task of this address
    /// space runs.
    pub fn root(&self) -> Arc<TableRoot> {
        self.handle.clone()
    }

    /// Makes this table the CPU's address space.
    pub fn activate(&self) {
        self.handle.activate();
    }

    /// Runs `f`'s edits with one shootdown at the end for all of them.
    pub fn batch<R>(&mut self, f: impl FnOnce(&mut PageTable) -> R) -> R {
        self.batch_depth += 1;
        let r = f(self);
        self.batch_depth -= 1;
        self.end_edit();
        r
    }

    /// The end of an edit: outside a batch, the TLB entries it made stale
    /// go from every CPU that runs on the table, then its unmapped frames.
    fn end_edit(&mut self) {
        if self.batch_depth > 0 {
            return;
        }
        shootdown(self.root, &self.handle.cpus, &self.flush);
        self.flush = TlbFlush::new();
        self.unmapped.clear();
    }

    /// A present entry of `va` was removed or narrowed.
    fn stale(&mut self, va: u64) {
        self.flush.add(va);
    }

    fn check_user(va: u64) {
        assert!(va < USER_TOP && va.is_multiple_of(4096), "bad user page address {va:#x}");
    }

    fn slot(&self, va: u64) -> Option<u64> {
        Self::check_user(va);
        // SAFETY: the root and its user-half tables belong to this table.
        let table = unsafe { leaf_table(self.root, va)? };
        Some(table + table_index(va, 1) as u64 * 8)
    }

    fn read_slot(slot: u64) -> u64 {
        // SAFETY: `slot` is a level-1 entry of a table this PageTable owns.
        unsafe { phys::read::<u64>(slot) }
    }

    /// Writes a leaf entry; a present old entry's TLB entries become
    /// stale (dropped at the end of the edit).
    ///
    /// # Safety
    ///
    /// `slot` must be the leaf entry of `va` in this table; the caller has
    /// taken over the old entry's frame reference and gives the new
    /// entry's.
    unsafe fn write_slot(&mut self, slot: u64, va: u64, value: u64) {
        let old = Self::read_slot(slot);
        // SAFETY: the caller's contract.
        unsafe { phys::write::<u64>(slot, value) };
        if old & PRESENT != 0 && !Self::widens(old, value) {
            self.stale(va);
        } else if old & PRESENT != 0 {
            // A wider entry: another CPU's cached narrower one faults,
            // and the fault drops it there.
            invlpg(va);
        }
    }

    /// True when `new` maps the same frame as the present `old` with at
    /// least its rights.
    fn widens(old: u64, new: u64) -> bool {
        let rights = |e: u64| {
            (e & PRESENT != 0, e & PageTableFlags::WRITABLE.bits() != 0, e & PageTableFlags::NO_EXECUTE.bits() == 0)
        };
        let (op, ow, ox) = rights(old);
        let (np, nw, nx) = rights(new);
        old & PTE_ADDR_MASK == new & PTE_ADDR_MASK && np && (nw || !ow) && (nx || !ox) && op
    }

    /// Keeps an unmapped frame until the edit's shootdown is over.
    fn release_later(&mut self, frame: Frame) {
        self.unmapped.push(frame);
    }

    /// Maps `frame` at `va` with `flags` (PRESENT added unless the entry
    /// is a PROT_NONE one). A frame the entry held before is released.
    pub fn map(&mut self, va: u64, frame: Frame, flags: PteFlags) -> Result<(), OutOfMemory> {
        Self::check_user(va);
        // SAFETY: the root belongs to this table.
        let slot = unsafe { leaf_slot_or_create(self.root, va)? };
        let old = Self::read_slot(slot);
        let mut flags = flags & USER_FLAGS;
        if !flags.contains(PTE_PROTNONE) {
            flags |= PageTableFlags::PRESENT;
        }
        // SAFETY: the new entry holds `frame`'s reference; the old one's
        // is taken over below.
        unsafe { self.write_slot(slot, va, frame.into_raw() | flags.bits()) };
        if let Some(pte) = Pte::decode(old) {
            // SAFETY: a frame-holding entry holds one reference, now ours.
            self.release_later(unsafe { Frame::from_raw(pte.paddr) });
        }
        self.end_edit();
        Ok(())
    }

    /// The entry of `va` if it holds a frame, present or not.
    pub fn entry(&self, va: u64) -> Option<Pte> {
        Pte::decode(Self::read_slot(self.slot(va)?))
    }

    /// The frame mapped at `va` (a new reference), present or not.
    pub fn frame(&self, va: u64) -> Option<Frame> {
        let pte = Pte::decode(Self::read_slot(self.slot(va)?))?;
        // SAFETY: the entry holds a reference, so the frame is live.
        Some(unsafe { Frame::clone_raw(pte.paddr) })
    }

    /// Changes the flags of the entry of `va`, keeping its frame; nothing
    /// when it holds none.
    pub fn set_flags(&mut self, va: u64, flags: PteFlags) {
        let Some(slot) = self.slot(va) else { return };
        let Some(pte) = Pte::decode(Self::read_slot(slot)) else { return };
        let mut flags = flags & USER_FLAGS;
        if !flags.contains(PTE_PROTNONE) {
            flags |= PageTableFlags::PRESENT;
        }
        // SAFETY: the same frame and its same reference.
        unsafe { self.write_slot(slot, va, pte.paddr | flags.bits()) };
        self.end_edit();
    }

    /// Moves the entry of `from` to `to` (mremap), keeping its frame and
    /// flags; `to` must hold no frame.
    pub fn move_entry(&mut self, from: u64, to: u64) -> Result<(), OutOfMemory> {
        let Some(pte) = self.slot(from).and_then(|slot| Pte::decode(Self::read_slot(slot))) else { return Ok(()) };
        Self::check_user(to);
        // SAFETY: the root belongs to this table.
        let slot = unsafe { leaf_slot_or_create(self.root, to)? };
        assert!(!holds_frame(Self::read_slot(slot)), "mremap onto a mapped page");
        let from_slot = self.slot(from).expect("entry found above");
        // SAFETY: the reference moves from one entry to the other.
        unsafe {
            self.write_slot(slot, to, pte.paddr | pte.flags.bits());
            self.write_slot(from_slot, from, 0);
        }
        self.end_edit();
        Ok(())
    }

    /// Calls `f(va, entry)` for every entry in [start, end) that holds a
    /// frame, skipping absent tables whole.
    pub fn for_each(&self, start: u64, end: u64, f: &mut impl FnMut(u64, Pte)) {
        assert!(end <= USER_TOP);
        walk_slots(self.root, 4, 0, start, end, &mut |va, slot| {
            f(va, Pte::decode(Self::read_slot(slot)).expect("walk_slots gives frame-holding entries"));
        });
    }

    /// Shares every page of [start, end) with `child` (fork): the child's
    /// entries map the same frames, one more reference each; with
    /// `private`, both lose write access (copy-on-write). One walk of this
    /// table and one shootdown.
    pub fn share_into(
        &mut self,
        child: &mut PageTable,
        start: u64,
        end: u64,
        private: bool,
    ) -> Result<(), OutOfMemory> {
        assert!(end <= USER_TOP && !core::ptr::eq(self, child));
        let mut result = Ok(());
        let mut flush = core::mem::replace(&mut self.flush, TlbFlush::new());
        walk_slots(self.root, 4, 0, start, end, &mut |va, slot| {
            if result.is_err() {
                return;
            }
            let e = Self::read_slot(slot);
            let shared = if private { e & !PageTableFlags::WRITABLE.bits() } else { e };
            // SAFETY: the child's root belongs to the child, locked above.
            let child_slot = match unsafe { leaf_slot_or_create(child.root, va) } {
                Ok(slot) => slot,
                Err(e) => {
                    result = Err(e);
                    return;
                }
            };
            // SAFETY: the entry holds a reference, so the frame is live;
            // the child's entry takes the new reference.
            let frame = unsafe { Frame::clone_raw(e & PTE_ADDR_MASK) };
            // SAFETY: an empty slot of the child gets the frame's new
            // reference; the parent's entry keeps its frame and reference.
            unsafe {
                phys::write::<u64>(child_slot, frame.into_raw() | (shared & !PTE_ADDR_MASK));
                if shared != e {
                    phys::write::<u64>(slot, shared);
                    if e & PRESENT != 0 {
                        flush.add(va);
                    }
                }
            }
        });
        self.flush = flush;
        self.end_edit();
        result
    }

    /// Removes every mapping in [start, end), dropping the frames'
    /// references; visits only the tables that exist.
    pub fn unmap_range(&mut self, start: u64, end: u64) {
        assert!(end <= USER_TOP);
        let mut slots = Vec::new();
        walk_slots(self.root, 4, 0, start, end, &mut |va, slot| slots.push((va, slot)));
        for (va, slot) in slots {
            let e = Self::read_slot(slot);
            // SAFETY: the entry's reference is taken over just below.
            unsafe { self.write_slot(slot, va, 0) };
            // SAFETY: the cleared entry held one reference to this frame.
            self.release_later(unsafe { Frame::from_raw(e & PTE_ADDR_MASK) });
        }
        self.end_edit();
    }

    /// A write to the present, read-only page at `va` of a private area
    /// (copy-on-write): the page's only user takes it over writable; a
    /// shared frame is copied into a new one first. `flags` are the
    /// area's rights.
    pub fn make_private_writable(&mut self, va: u64, flags: PteFlags) -> Result<(), OutOfMemory> {
        let slot = self.slot(va).ok_or(OutOfMemory)?;
        let pte = Pte::decode(Self::read_slot(slot)).filter(Pte::is_present).ok_or(OutOfMemory)?;
        let flags = (flags & USER_FLAGS) | PageTableFlags::PRESENT;
        // SAFETY: the entry holds a reference, so the frame is live.
        let old = unsafe { Frame::clone_raw(pte.paddr) };
        // The entry's reference and `old` make two when it is alone.
        if old.ref_count() == 2 {
            // SAFETY: the same frame and its same reference.
            unsafe { self.write_slot(slot, va, pte.paddr | flags.bits()) };
            self.end_edit();
            return Ok(());
        }
        let new = Frame::alloc().ok_or(OutOfMemory)?;
        new.copy_from(&old);
        // SAFETY: the entry takes the new frame's reference; the old
        // entry's reference is given back below.
        unsafe { self.write_slot(slot, va, new.into_raw() | flags.bits()) };
        // SAFETY: the replaced entry held one reference to the old frame.
        self.release_later(unsafe { Frame::from_raw(pte.paddr) });
        self.end_edit();
        Ok(())
    }
}

/// Calls `f(va, slot)` for every level-1 entry in [start, end) that holds
/// a frame, with the entry's physical address; skips absent tables whole.
fn walk_slots(table: u64, level: u32, base: u64, start: u64, end: u64, f: &mut impl FnMut(u64, u64)) {
    if start >= end {
        return;
    }
    let span = 1u64 << (12 + 9 * (level - 1));
    // Only the entries that overlap [start, end): a small range of a
    // large table visits a few of its 512 entries.
    let first = (start.max(base) - base) / span;
    let last = ((end - 1).min(base + 512 * span - 1) - base) / span;
    for i in first..=last {
        let lo = base + i * span;
        // SAFETY: `table` is the root of a PageTable or a table below it.
        let e = unsafe { entry(table, i as usize) };
        if level == 1 {
            if holds_frame(e) {
                f(lo, table + i * 8);
            }
        } else if e & PRESENT != 0 && e & HUGE == 0 {
            walk_slots(e & PTE_ADDR_MASK, level - 1, lo, start, end, f);
        }
    }
}

/// Frees a table and everything below it: the frames of its leaf entries
/// (one reference each) and the tables themselves.
///
/// # Safety
///
/// The table must belong to a user address space being dropped.
unsafe fn free_table(table: u64, level: u32) {
    for i in 0..512 {
        // SAFETY: the caller's contract.
        let e = unsafe { entry(table, i) };
        if level == 1 {
            if holds_frame(e) {
                // SAFETY: the entry held one reference.
                drop(unsafe { Frame::from_raw(e & PTE_ADDR_MASK) });
            }
        } else if e & PRESENT != 0 {
            // SAFETY: a table below one of ours.
            unsafe { free_table(e & PTE_ADDR_MASK, level - 1) };
        }
    }
    // SAFETY: the table's frame reference was given up by `into_raw`.
    drop(unsafe { Frame::from_raw(table) });
}

impl Drop for PageTable {
    /// Empties the user half; the root itself goes with its last handle.
    fn drop(&mut self) {
        let mut tables = Vec::new();
        for i in 0..256 {
            // SAFETY: the root's user half belongs to this table.
            let e = unsafe { entry(self.root, i) };
            if e & PRESENT != 0 {
                // SAFETY: the slot's table is freed below; a root a handle
                // still loads later sees an empty user half.
                unsafe { set_entry(self.root, i, 0) };
                tables.push(e & PTE_ADDR_MASK);
            }
        }
        // No CPU may walk or cache the tables once they are freed.
        self.batch_depth = 0;
        self.flush.add_all();
        self.end_edit();
        for table in tables {
            // SAFETY: a user-half table of this address space, unlinked
            // and flushed from every CPU above.
            unsafe { free_table(table, 3) };
        }
    }
}
