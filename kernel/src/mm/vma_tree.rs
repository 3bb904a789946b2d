//! The areas of an address space, ordered by start: lookups, free-space
//! search, splitting at a boundary, merging alike neighbours, and stack
//! growth. Pure bookkeeping over addresses; the address space applies the
//! page-table side (address_space.rs).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::vma::Vma;

const PAGE: u64 = 4096;
/// Linux's stack_guard_gap: 256 pages between a growing stack and the area
/// below it.
const STACK_GUARD_GAP: u64 = 256 * PAGE;

#[derive(Clone, Default)]
pub struct VmaTree {
    areas: BTreeMap<u64, Vma>,
}

impl VmaTree {
    pub fn new() -> VmaTree {
        VmaTree { areas: BTreeMap::new() }
    }

    /// The area containing `addr`.
    pub fn find(&self, addr: u64) -> Option<&Vma> {
        self.areas.range(..=addr).next_back().map(|(_, v)| v).filter(|v| v.contains(addr))
    }

    /// True when no area intersects [start, end).
    pub fn is_free(&self, start: u64, end: u64) -> bool {
        self.areas.range(..end).next_back().is_none_or(|(_, v)| v.end <= start)
    }

    /// Adds an area over a range that must be free.
    pub fn insert(&mut self, vma: Vma) {
        debug_assert!(self.is_free(vma.start, vma.end));
        self.areas.insert(vma.start, vma);
    }

    pub fn remove(&mut self, start: u64) -> Option<Vma> {
        self.areas.remove(&start)
    }

    /// The areas, lowest first.
    pub fn iter(&self) -> impl Iterator<Item = &Vma> {
        self.areas.values()
    }

    /// The areas that intersect [start, end).
    pub fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = &Vma> {
        self.areas.range(..end).map(|(_, v)| v).filter(move |v| v.end > start)
    }

    /// Total bytes of all areas.
    pub fn total_size(&self) -> u64 {
        self.areas.values().map(|v| v.end - v.start).sum()
    }

    /// `len` bytes of free space below `top`, highest first, not below
    /// `floor`.
    pub fn find_free_area(&self, len: u64, top: u64, floor: u64) -> Option<u64> {
        let mut top = top;
        for (_, v) in self.areas.range(..top).rev() {
            if v.end <= top && top - v.end >= len {
                return Some(top - len);
            }
            top = top.min(v.start);
        }
        (top >= floor + len).then(|| top - len)
    }

    /// Takes [start, end) out of every area, splitting the areas at its
    /// edges; returns the parts removed, as (start, end, area).
    pub fn remove_range(&mut self, start: u64, end: u64) -> Vec<(u64, u64, Vma)> {
        let starts: Vec<u64> = self.overlapping(start, end).map(|v| v.start).collect();
        let mut removed = Vec::new();
        for s in starts {
            let v = self.areas.remove(&s).expect("listed above");
            if v.start < start {
                self.areas.insert(v.start, Vma { end: start, ..v });
            }
            if v.end > end {
                self.areas.insert(end, v.tail_from(end));
            }
            removed.push((v.start.max(start), v.end.min(end), v));
        }
        removed
    }

    /// Splits the area around `at`, if any, so that `at` is a boundary.
    pub fn split_at(&mut self, at: u64) {
        let Some((&start, &vma)) = self.areas.range(..at).next_back() else { return };
        if vma.end > at {
            self.areas.insert(start, Vma { end: at, ..vma });
            self.areas.insert(at, vma.tail_from(at));
        }
    }

    /// True when [start, end) is covered by areas without holes.
    pub fn fully_mapped(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        for v in self.overlapping(start, end) {
            if v.start > at {
                return false;
            }
            at = v.end;
        }
        at >= end
    }

    /// The areas that start inside [start, end) (after `split_at` of both
    /// ends: exactly those inside).
    pub fn areas_in(&mut self, start: u64, end: u64) -> impl Iterator<Item = &mut Vma> {
        self.areas.range_mut(start..end).map(|(_, v)| v)
    }

    /// Joins the area starting at `at` with the one ending there when they
    /// are alike (same rights, kind, sharing and growth, and contiguous in
    /// the same file), so a growing heap stays one area.
    pub fn merge_at(&mut self, at: u64) {
        let Some(&next) = self.areas.get(&at) else { return };
        let Some((&prev_start, &prev)) = self.areas.range(..at).next_back() else { return };
        let contiguous_file = prev.file == next.file && (prev.file.is_none() || prev.file_page(at) == next.pgoff);
        if prev.end == at
            && prev.prot == next.prot
            && prev.kind == next.kind
            && prev.shared == next.shared
            && prev.grows_down == next.grows_down
            && prev.locked == next.locked
            && contiguous_file
        {
            self.areas.remove(&at);
            self.areas.insert(prev_start, Vma { end: next.end, ..prev });
        }
    }

    /// Joins every pair of alike neighbours.
    pub fn merge_all(&mut self) {
        let starts: Vec<u64> = self.areas.keys().copied().collect();
        for s in starts {
            self.merge_at(s);
        }
    }

    /// A fault at `addr` below a grows-down area extends it to cover the
    /// page, while it stays within `limit` bytes and a guard gap above the
    /// area below. Returns the grown area.
    pub fn grow_stack(&mut self, addr: u64, limit: u64) -> Option<Vma> {
        let (&start, &vma) = self.areas.range(addr..).next()?;
        if !vma.grows_down {
            return None;
        }
        let new_start = addr & !(PAGE - 1);
        if vma.end - new_start > limit {
            return None;
        }
        let below_end = self.areas.range(..new_start).next_back().map_or(0, |(_, v)| v.end);
        if new_start < below_end.saturating_add(STACK_GUARD_GAP) {
            return None;
        }
        self.areas.remove(&start);
        let grown = Vma { start: new_start, ..vma };
        self.areas.insert(new_start, grown);
        Some(grown)
    }
}

#[cfg(test)]
mod tests {
    use abi::{MapFlags, ProtFlags};

    use super::*;

    const RW: ProtFlags = ProtFlags::PROT_READ.union(ProtFlags::PROT_WRITE);

    fn anon(start: u64, end: u64, prot: ProtFlags) -> Vma {
        Vma::from_mmap(start, end, prot, MapFlags::MAP_PRIVATE)
    }

    fn bounds(t: &VmaTree) -> Vec<(u64, u64)> {
        t.iter().map(|v| (v.start, v.end)).collect()
    }

    #[test]
    fn unmapping_the_middle_splits_an_area_in_two() {
        let mut t = VmaTree::new();
        t.insert(anon(0x10000, 0x40000, RW));
        let removed = t.remove_range(0x20000, 0x30000);
        assert_eq!(removed.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(), [(0x20000, 0x30000)]);
        assert_eq!(bounds(&t), [(0x10000, 0x20000), (0x30000, 0x40000)]);
        assert!(t.is_free(0x20000, 0x30000));
        assert!(!t.fully_mapped(0x10000, 0x40000));
    }

    #[test]
    fn a_split_keeps_the_file_offset_and_merging_undoes_it() {
        let mut t = VmaTree::new();
        t.insert(Vma { file: Some(3), pgoff: 5, ..anon(0x10000, 0x20000, RW) });
        t.split_at(0x14000);
        assert_eq!(bounds(&t), [(0x10000, 0x14000), (0x14000, 0x20000)]);
        assert_eq!(t.find(0x15000).unwrap().pgoff, 9);
        t.merge_all();
        assert_eq!(bounds(&t), [(0x10000, 0x20000)]);
    }

    #[test]
    fn neighbours_that_differ_stay_apart() {
        let mut t = VmaTree::new();
        t.insert(anon(0x10000, 0x20000, RW));
        t.insert(anon(0x20000, 0x30000, ProtFlags::PROT_READ));
        t.insert(Vma { file: Some(1), pgoff: 0, ..anon(0x30000, 0x40000, ProtFlags::PROT_READ) });
        t.merge_all();
        assert_eq!(t.iter().count(), 3);
        for v in t.areas_in(0x20000, 0x40000) {
            v.prot = RW;
        }
        t.merge_all();
        assert_eq!(bounds(&t), [(0x10000, 0x30000), (0x30000, 0x40000)], "a file area never joins an anonymous one");
    }

    #[test]
    fn free_space_is_found_top_down() {
        let mut t = VmaTree::new();
        t.insert(anon(0x7000_0000, 0x7000_4000, RW));
        assert_eq!(t.find_free_area(0x2000, 0x7000_5000, 0x10000), Some(0x6fff_e000));
        assert_eq!(t.find_free_area(0x1000, 0x7000_5000, 0x10000), Some(0x7000_4000));
        assert_eq!(t.find_free_area(0x7000_0000, 0x7000_0000, 0x10000), None);
    }

    #[test]
    fn a_stack_grows_down_to_its_limit_and_keeps_a_guard_gap() {
        let mut t = VmaTree::new();
        t.insert(Vma { grows_down: true, ..anon(0x7fff_0000, 0x8000_0000, RW) });
        let grown = t.grow_stack(0x7ffe_f123, 1 << 20).unwrap();
        assert_eq!(grown.start, 0x7ffe_f000);
        assert!(t.grow_stack(0x7fe0_0000, 1 << 20).is_none(), "past the limit");
        t.insert(anon(0x7fd0_0000, 0x7fe0_0000, RW));
        assert!(t.grow_stack(0x7fe0_0000 + 255 * PAGE, 16 << 20).is_none(), "inside the guard gap");
        assert_eq!(t.grow_stack(0x7fe0_0000 + 256 * PAGE, 16 << 20).map(|v| v.start), Some(0x7ff0_0000));
    }
}
