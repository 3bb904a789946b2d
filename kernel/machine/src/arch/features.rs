//! CPU features read once from CPUID at boot.

use spin::Once;

use super::cpu::{cpuid, max_cpuid_leaf};

#[derive(Debug, Clone, Copy)]
pub struct CpuFeatures {
    pub nx: bool,
    pub smep: bool,
    pub smap: bool,
    pub xsave: bool,
    pub avx: bool,
    pub rdrand: bool,
    /// CPUID leaf 1 EDX: what Linux reports as AT_HWCAP on x86.
    pub hwcap: u32,
}

impl CpuFeatures {
    /// The page-table NX flag when the CPU has it, else none.
    pub fn nx_flag(&self) -> crate::mm::PteFlags {
        if self.nx {
            crate::mm::PteFlags::NO_EXECUTE
        } else {
            crate::mm::PteFlags::empty()
        }
    }
}

static FEATURES: Once<CpuFeatures> = Once::new();

pub fn cpu_features() -> &'static CpuFeatures {
    FEATURES.call_once(|| {
        let leaf1 = cpuid(1, 0);
        let leaf7 = if max_cpuid_leaf() >= 7 { cpuid(7, 0).ebx } else { 0 };
        CpuFeatures {
            nx: cpuid(0x8000_0001, 0).edx & (1 << 20) != 0,
            smep: leaf7 & (1 << 7) != 0,
            smap: leaf7 & (1 << 20) != 0,
            xsave: leaf1.ecx & (1 << 26) != 0,
            avx: leaf1.ecx & (1 << 28) != 0,
            rdrand: leaf1.ecx & (1 << 30) != 0,
            hwcap: leaf1.edx,
        }
    })
}
