//! What the kernel sees of the boot protocol: `BootInfo`. Only `boot::pvh`
//! knows about PVH's `hvm_start_info`, and only `boot::multiboot2` about
//! GRUB's multiboot2 information.
//!
//! The boot stub enters `machine_start`, which decodes the boot protocol
//! and calls the function the kernel named with `entry_point!`.

pub mod multiboot2;
pub mod pvh;

use spin::Once;

pub use multiboot2::Multiboot2Error;
pub use pvh::PvhError;

/// Boot information the kernel cannot start from.
#[derive(Clone, Copy, Debug)]
pub enum BootError {
    Pvh(PvhError),
    Multiboot2(Multiboot2Error),
}

impl core::fmt::Display for BootError {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self {
            BootError::Pvh(e) => e.fmt(f),
            BootError::Multiboot2(e) => e.fmt(f),
        }
    }
}

static BOOT_INFO: Once<Result<BootInfo, BootError>> = Once::new();
/// Set once the initrd's frames went back to the allocator.
static INITRD_RELEASED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Names the kernel's entry: `machine::entry_point!(path::to::main);`
/// with `fn main(info: Result<&'static BootInfo, BootError>) -> !`. The boot
/// CPU calls it once, in 64-bit mode on the boot stack, with interrupts
/// off.
#[macro_export]
macro_rules! entry_point {
    ($main:path) => {
        // The symbol `machine_start` calls: defined once, by this macro.
        #[unsafe(no_mangle)]
        extern "Rust" fn __kestrel_kernel_main(
            info: ::core::result::Result<&'static $crate::boot::BootInfo, $crate::boot::BootError>,
        ) -> ! {
            $main(info)
        }
    };
}

extern "Rust" {
    fn __kestrel_kernel_main(info: Result<&'static BootInfo, BootError>) -> !;
}

/// Entered from the boot stub in 64-bit mode, on the boot stack, with the
/// physical address of the loader's information and what the loader left
/// in `eax` (multiboot2's magic; PVH leaves nothing meaningful there).
#[no_mangle]
extern "C" fn machine_start(info_paddr: u64, eax: u64) -> ! {
    let info = BOOT_INFO.call_once(|| {
        let mut info = BootInfo::empty();
        let parsed = if eax == u64::from(multiboot2::MAGIC) {
            multiboot2::parse(info_paddr, &mut info).map_err(BootError::Multiboot2)
        } else {
            pvh::parse(info_paddr, &mut info).map_err(BootError::Pvh)
        };
        parsed.map(|()| info)
    });
    // SAFETY: `entry_point!` defines the symbol with this signature, and
    // the kernel cannot link without it.
    unsafe { __kestrel_kernel_main(info.as_ref().map_err(|e| *e)) }
}

/// The boot information, once `machine_start` decoded it.
pub fn boot_info() -> Option<&'static BootInfo> {
    BOOT_INFO.get().and_then(|r| r.as_ref().ok())
}

pub const MAX_REGIONS: usize = 64;
pub const MAX_CMDLINE: usize = 4096;

#[derive(Clone, Copy, Debug, Default)]
pub struct MemoryRegion {
    pub start: u64,
    pub len: u64,
    pub usable: bool,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Module {
    pub start: u64,
    pub len: u64,
}

/// How the framebuffer's pixels (or text cells) are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FramebufferKind {
    /// Direct colour: each channel's (bit position, bit count).
    Rgb { red: (u8, u8), green: (u8, u8), blue: (u8, u8) },
    /// VGA text mode: 16-bit cells of character and attribute.
    EgaText,
}

/// The display the loader set up (multiboot2 only: PVH has none).
#[derive(Clone, Copy, Debug)]
pub struct Framebuffer {
    pub addr: u64,
    /// Bytes from one row (of pixels, or of text cells) to the next.
    pub pitch: u32,
    /// In pixels, or in characters for text mode.
    pub width: u32,
    pub height: u32,
    pub bpp: u8,
    pub kind: FramebufferKind,
}

pub struct BootInfo {
    pub regions: [MemoryRegion; MAX_REGIONS],
    pub region_count: usize,
    pub initrd: Option<Module>,
    cmdline: [u8; MAX_CMDLINE],
    cmdline_len: usize,
    pub rsdp: Option<u64>,
    pub framebuffer: Option<Framebuffer>,
}

impl BootInfo {
    pub const fn empty() -> Self {
        BootInfo {
            regions: [MemoryRegion { start: 0, len: 0, usable: false }; MAX_REGIONS],
            region_count: 0,
            initrd: None,
            cmdline: [0; MAX_CMDLINE],
            cmdline_len: 0,
            rsdp: None,
            framebuffer: None,
        }
    }

    pub fn memory_regions(&self) -> &[MemoryRegion] {
        &self.regions[..self.region_count]
    }

    pub fn push_region(&mut self, region: MemoryRegion) {
        if self.region_count < MAX_REGIONS {
            self.regions[self.region_count] = region;
            self.region_count += 1;
        }
    }

    pub fn cmdline(&self) -> &str {
        core::str::from_utf8(&self.cmdline[..self.cmdline_len]).unwrap_or("")
    }

    pub fn set_cmdline(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(MAX_CMDLINE);
        self.cmdline[..n].copy_from_slice(&bytes[..n]);
        // Keep only a valid UTF-8 prefix: the command line is ASCII in practice.
        self.cmdline_len = match core::str::from_utf8(&self.cmdline[..n]) {
            Ok(_) => n,
            Err(e) => e.valid_up_to(),
        };
    }

    /// Hands the initrd's bytes to `f`, then gives its frames to the
    /// frame allocator (Linux's "Freeing initrd memory"): the bytes are
    /// reachable only inside `f`. None without an initrd, or the second
    /// time.
    pub fn consume_initrd<R>(&self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let m = self.initrd?;
        if INITRD_RELEASED.swap(true, core::sync::atomic::Ordering::AcqRel) {
            return None;
        }
        // SAFETY: `frame::init` reserved the initrd's frames and nothing
        // else writes them; the slice lives only during `f` (its lifetime
        // cannot outlast the call), and the frames are released after.
        let bytes = unsafe { crate::mm::phys::reserved_slice(m.start, m.len as usize) };
        let result = f(bytes);
        crate::mm::frame::release_boot_range(m.start, m.start + m.len);
        Some(result)
    }

    /// The highest address of usable RAM.
    pub fn ram_end(&self) -> u64 {
        self.memory_regions().iter().filter(|r| r.usable).map(|r| r.start + r.len).max().unwrap_or(0)
    }
}
