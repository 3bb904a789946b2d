//! What the kernel sees of the boot protocol: `BootInfo`. Only `boot::pvh`
//! knows about PVH's `hvm_start_info`.
//!
//! The boot stub enters `machine_start`, which decodes the boot protocol
//! and calls the function the kernel named with `entry_point!`.

pub mod pvh;

use spin::Once;

pub use pvh::PvhError;

static BOOT_INFO: Once<Result<BootInfo, PvhError>> = Once::new();

/// Names the kernel's entry: `machine::entry_point!(path::to::main);`
/// with `fn main(info: Result<&'static BootInfo, PvhError>) -> !`. The boot
/// CPU calls it once, in 64-bit mode on the boot stack, with interrupts
/// off.
#[macro_export]
macro_rules! entry_point {
    ($main:path) => {
        // The symbol `machine_start` calls: defined once, by this macro.
        #[unsafe(no_mangle)]
        extern "Rust" fn __kestrel_kernel_main(
            info: ::core::result::Result<&'static $crate::boot::BootInfo, $crate::boot::PvhError>,
        ) -> ! {
            $main(info)
        }
    };
}

extern "Rust" {
    fn __kestrel_kernel_main(info: Result<&'static BootInfo, PvhError>) -> !;
}

/// Entered from the PVH boot stub in 64-bit mode, on the boot stack, with
/// the physical address of `hvm_start_info`.
#[no_mangle]
extern "C" fn machine_start(start_info: u64) -> ! {
    let info = BOOT_INFO.call_once(|| {
        let mut info = BootInfo::empty();
        pvh::parse(start_info, &mut info).map(|()| info)
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

pub struct BootInfo {
    pub regions: [MemoryRegion; MAX_REGIONS],
    pub region_count: usize,
    pub initrd: Option<Module>,
    cmdline: [u8; MAX_CMDLINE],
    cmdline_len: usize,
    pub rsdp: Option<u64>,
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

    /// The initrd's bytes: reserved from the frame allocator for the
    /// kernel's life, so nothing else writes them.
    pub fn initrd_bytes(&self) -> Option<&'static [u8]> {
        let m = self.initrd?;
        // SAFETY: `frame::init` reserves the initrd's frames for good, and
        // the direct map covers all RAM, so the bytes stay valid and
        // unaliased by writers for the kernel's life.
        Some(unsafe { crate::mm::phys::reserved_slice(m.start, m.len as usize) })
    }

    /// The highest address of usable RAM.
    pub fn ram_end(&self) -> u64 {
        self.memory_regions().iter().filter(|r| r.usable).map(|r| r.start + r.len).max().unwrap_or(0)
    }
}
