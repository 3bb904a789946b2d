//! What the kernel sees of the boot protocol: `BootInfo`. Only `boot::pvh`
//! knows about PVH's `hvm_start_info`.

pub mod pvh;

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

    /// The highest address of usable RAM.
    pub fn ram_end(&self) -> u64 {
        self.memory_regions().iter().filter(|r| r.usable).map(|r| r.start + r.len).max().unwrap_or(0)
    }
}
