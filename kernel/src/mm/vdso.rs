//! The vDSO (kernel/vdso/vdso.c, built by build.rs) and its vvar page:
//! mapped into every program at exec, the vvar page just below the code,
//! so that clock_gettime, gettimeofday, time and getcpu run without
//! entering the kernel. The kernel keeps the clock's parameters in the
//! vvar page (`VvarData`, the layout vdso.c reads) and rewrites them under
//! a sequence count when the wall clock is set. /proc/PID/maps shows the
//! two areas as [vvar] and [vdso], as Linux does.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{compiler_fence, Ordering};

use abi::{Errno, ProtFlags};
use machine::mm::Frame;
use spin::{Mutex, Once};

use super::address_space::AddressSpace;
use super::mapped::{FileId, MappedFile};
use super::vma::{Mlock, Vma, VmaKind};

static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/vdso.so"));
const PAGE: usize = 4096;

/// vdso.c's `struct vvar_data`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct VvarData {
    /// Odd while the kernel rewrites the rest.
    seq: u32,
    flags: u32,
    boot_tsc: u64,
    /// Uptime in ns is ((tsc - boot_tsc) * mult) >> shift.
    mult: u64,
    shift: u32,
    pad: u32,
    realtime_offset_ns: i64,
}

/// `flags`: RDTSCP reads the CPU's number from TSC_AUX.
const VVAR_RDTSCP: u32 = 1;

/// Fixed pages mapped as a file: the vDSO's code, or the vvar page.
struct SpecialPages {
    frames: Vec<Frame>,
    name: &'static [u8],
}

impl MappedFile for SpecialPages {
    fn size(&self) -> u64 {
        (self.frames.len() * PAGE) as u64
    }

    fn frame(&self, index: u64) -> Result<Frame, Errno> {
        self.frames.get(index as usize).cloned().ok_or(Errno::EFAULT)
    }

    fn id(&self) -> FileId {
        FileId { dev: 0, ino: 0, path: self.name.to_vec() }
    }

    fn may_write(&self) -> bool {
        false
    }
}

struct Vdso {
    vvar: Arc<SpecialPages>,
    code: Arc<SpecialPages>,
}

static VDSO: Once<Option<Vdso>> = Once::new();
/// Serialises writers of the vvar page (its sequence count).
static WRITER: Mutex<u32> = Mutex::new(0);

fn frames_holding(bytes: &[u8]) -> Option<Vec<Frame>> {
    bytes
        .chunks(PAGE)
        .map(|chunk| {
            let frame = Frame::alloc_zeroed()?;
            frame.write(0, chunk);
            Some(frame)
        })
        .collect()
}

/// Copies the vDSO into frames and fills the vvar page; after the clock
/// is calibrated. Without memory for them, programs start without one.
pub fn init() {
    VDSO.call_once(|| {
        let code = frames_holding(IMAGE)?;
        let vvar = frames_holding(&[0; PAGE])?;
        Some(Vdso {
            vvar: Arc::new(SpecialPages { frames: vvar, name: b"[vvar]" }),
            code: Arc::new(SpecialPages { frames: code, name: b"[vdso]" }),
        })
    });
    update();
}

/// Rewrites the clock's parameters (at boot, and when the wall clock is
/// set): readers that saw the old ones retry.
pub fn update() {
    let Some(Some(vdso)) = VDSO.get() else { return };
    let page = &vdso.vvar.frames[0];
    let (mult, shift) = crate::time::tsc_scale();
    let flags = if machine::arch::cpu::has_rdtscp() { VVAR_RDTSCP } else { 0 };
    crate::arch::cpu::without_interrupts(|| {
        let mut seq = WRITER.lock();
        *seq = seq.wrapping_add(1);
        page.write(0, &seq.to_le_bytes());
        compiler_fence(Ordering::SeqCst);
        let data = VvarData {
            seq: *seq,
            flags,
            boot_tsc: crate::arch::boot::boot_tsc(),
            mult,
            shift,
            pad: 0,
            realtime_offset_ns: crate::time::realtime_offset_ns(),
        };
        page.write(4, &bytemuck::bytes_of(&data)[4..]);
        compiler_fence(Ordering::SeqCst);
        *seq = seq.wrapping_add(1);
        page.write(0, &seq.to_le_bytes());
    });
}

/// Maps [vvar] and [vdso] into a new program's address space; the
/// vDSO's address (AT_SYSINFO_EHDR), or None without one.
pub fn map(mm: &mut AddressSpace) -> Option<u64> {
    let vdso = VDSO.get()?.as_ref()?;
    let (vvar_len, code_len) = (vdso.vvar.size(), vdso.code.size());
    let base = mm.find_free_area(vvar_len + code_len)?;
    let areas = [
        (&vdso.vvar, base, vvar_len, ProtFlags::PROT_READ),
        (&vdso.code, base + vvar_len, code_len, ProtFlags::PROT_READ | ProtFlags::PROT_EXEC),
    ];
    for (pages, start, len, prot) in areas {
        let file = mm.add_file(pages.clone());
        mm.insert_vma(Vma {
            start,
            end: start + len,
            prot,
            shared: false,
            kind: VmaKind::Special,
            grows_down: false,
            file: Some(file),
            pgoff: 0,
            locked: Mlock::Unlocked,
        });
    }
    Some(base + vvar_len)
}
