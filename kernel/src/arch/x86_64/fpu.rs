//! Per-task FPU/SSE/AVX state. The kernel itself never uses these
//! registers (soft-float target), so a task's state only needs saving and
//! restoring when the CPU switches tasks. XSAVE where CPUID offers it, else
//! FXSAVE. New tasks start from Linux's initial state (FCW 0x37f, MXCSR
//! 0x1f80), captured once at boot.

use alloc::boxed::Box;
use core::arch::asm;
use spin::Once;

use super::cpu::{cpuid, read_cr0, read_cr4, write_cr0, write_cr4};
use super::cpu::{CR4_OSFXSR, CR4_OSXMMEXCPT, CR4_OSXSAVE};
use super::features::cpu_features;

const XSTATE_X87: u64 = 1 << 0;
const XSTATE_SSE: u64 = 1 << 1;
const XSTATE_AVX: u64 = 1 << 2;

/// Large enough for x87, SSE and AVX in the standard XSAVE format (the size
/// CPUID reports for the enabled components is checked at init).
#[repr(C, align(64))]
#[derive(Clone)]
pub struct FpuState([u8; 4096]);

static INITIAL_STATE: Once<FpuState> = Once::new();

fn use_xsave() -> bool {
    cpu_features().xsave
}

pub fn init() {
    let cr0 = read_cr0();
    write_cr0((cr0 & !(1 << 2) & !(1 << 3)) | (1 << 1) | (1 << 5)); // -EM -TS +MP +NE
    let mut cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
    if use_xsave() {
        cr4 |= CR4_OSXSAVE;
    }
    write_cr4(cr4);
    if use_xsave() {
        let mut xcr0 = XSTATE_X87 | XSTATE_SSE;
        if cpu_features().avx {
            xcr0 |= XSTATE_AVX;
        }
        // SAFETY: OSXSAVE is set and the bits are ones the CPU supports.
        unsafe { asm!("xsetbv", in("ecx") 0, in("eax") xcr0 as u32, in("edx") (xcr0 >> 32) as u32) }
        let size = cpuid(0xD, 0).ebx as usize;
        assert!(size <= core::mem::size_of::<FpuState>(), "XSAVE area of {size} bytes is too large");
    }
    let mxcsr: u32 = 0x1f80;
    // SAFETY: FPU enabled above; loads the architectural reset values.
    unsafe { asm!("fninit", "ldmxcsr [{}]", in(reg) &mxcsr) }
    let mut initial = FpuState([0; 4096]);
    save(&mut initial);
    INITIAL_STATE.call_once(|| initial);
}

impl FpuState {
    /// Linux's initial state for a new process.
    pub fn initial() -> Box<FpuState> {
        Box::new(INITIAL_STATE.get().expect("fpu::init ran").clone())
    }
}

/// Saves the CPU's FPU registers into `state`.
pub fn save(state: &mut FpuState) {
    // SAFETY: the area is 64-byte aligned and large enough (checked at init).
    unsafe {
        if use_xsave() {
            asm!("xsave64 [{}]", in(reg) state.0.as_mut_ptr(), in("eax") u32::MAX, in("edx") u32::MAX);
        } else {
            asm!("fxsave64 [{}]", in(reg) state.0.as_mut_ptr());
        }
    }
}

/// Loads `state` into the CPU's FPU registers.
pub fn restore(state: &FpuState) {
    // SAFETY: the area holds a state saved by `save` (or the initial one), so
    // its header is valid for XRSTOR/FXRSTOR.
    unsafe {
        if use_xsave() {
            asm!("xrstor64 [{}]", in(reg) state.0.as_ptr(), in("eax") u32::MAX, in("edx") u32::MAX);
        } else {
            asm!("fxrstor64 [{}]", in(reg) state.0.as_ptr());
        }
    }
}
