//! Per-task FPU/SSE/AVX state. The kernel itself never uses these
//! registers (soft-float target), so a task's state only needs saving and
//! restoring when the CPU switches tasks. XSAVE where CPUID offers it, else
//! FXSAVE. New tasks start from Linux's initial state (FCW 0x37f, MXCSR
//! 0x1f80), captured once at boot.

use alloc::boxed::Box;
use core::arch::asm;
use spin::Once;

use x86_64::registers::control::{Cr0Flags, Cr4Flags};

use super::cpu::{cpuid, read_cr0, read_cr4, write_cr0, write_cr4};
use super::features::cpu_features;

const XSTATE_X87: u64 = 1 << 0;
const XSTATE_SSE: u64 = 1 << 1;
const XSTATE_AVX: u64 = 1 << 2;

/// Large enough for x87, SSE and AVX in the standard XSAVE format (832
/// bytes; the size CPUID reports for the enabled components is checked at
/// init). Every task has one, so it is no larger.
#[repr(C, align(64))]
#[derive(Clone)]
pub struct FpuState([u8; AREA_SIZE]);

/// The save area's size.
const AREA_SIZE: usize = 1024;

static INITIAL_STATE: Once<FpuState> = Once::new();
/// Bytes of the save area for the enabled components (512 with FXSAVE).
static XSTATE_SIZE: Once<usize> = Once::new();
/// The XCR0 value in force (0 without XSAVE).
static XCR0: Once<u64> = Once::new();

fn use_xsave() -> bool {
    cpu_features().xsave
}

pub fn init() {
    let cr0 = (read_cr0() - Cr0Flags::EMULATE_COPROCESSOR - Cr0Flags::TASK_SWITCHED)
        | Cr0Flags::MONITOR_COPROCESSOR
        | Cr0Flags::NUMERIC_ERROR;
    let mut cr4 = read_cr4() | Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE;
    if use_xsave() {
        cr4 |= Cr4Flags::OSXSAVE;
    }
    // SAFETY: enables the FPU and SSE (no emulation, no lazy switching,
    // native error reporting) and XSAVE only when CPUID offers it; paging
    // and protection bits are kept.
    unsafe {
        write_cr0(cr0);
        write_cr4(cr4);
    }
    if use_xsave() {
        let mut xcr0 = XSTATE_X87 | XSTATE_SSE;
        if cpu_features().avx {
            xcr0 |= XSTATE_AVX;
        }
        // SAFETY: OSXSAVE is set and the bits are ones the CPU supports.
        unsafe { asm!("xsetbv", in("ecx") 0, in("eax") xcr0 as u32, in("edx") (xcr0 >> 32) as u32) }
        let size = cpuid(0xD, 0).ebx as usize;
        assert!(size <= core::mem::size_of::<FpuState>(), "XSAVE area of {size} bytes is too large");
        XSTATE_SIZE.call_once(|| size);
        XCR0.call_once(|| xcr0);
    } else {
        XSTATE_SIZE.call_once(|| 512);
        XCR0.call_once(|| 0);
    }
    let mxcsr: u32 = 0x1f80;
    // SAFETY: FPU enabled above; loads the architectural reset values.
    unsafe { asm!("fninit", "ldmxcsr [{}]", in(reg) &mxcsr) }
    let mut initial = FpuState([0; AREA_SIZE]);
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

pub fn xstate_size() -> usize {
    *XSTATE_SIZE.get().unwrap_or(&512)
}

/// The enabled XSAVE components (0 when only FXSAVE is used).
pub fn xfeatures() -> u64 {
    *XCR0.get().unwrap_or(&0)
}

/// The CPU's FPU registers in save-area format (for a signal frame).
pub fn current_state_bytes() -> alloc::vec::Vec<u8> {
    let mut state = FpuState([0; AREA_SIZE]);
    save(&mut state);
    state.0[..xstate_size()].to_vec()
}

/// Loads registers from a save area that user memory provided (sigreturn).
/// Only the legacy x87/SSE part and the AVX upper halves are taken, over
/// a header this kernel wrote, and MXCSR is masked to its valid bits, so
/// nothing the user wrote can make XRSTOR fault.
pub fn load_user_image(image: &[u8]) {
    const LEGACY: usize = 512;
    const MXCSR: usize = 24;
    const MXCSR_MASK: usize = 28;
    const XSTATE_BV: usize = 512;
    const YMM_HI: core::ops::Range<usize> = 576..832;
    let mut state = FpuState([0; AREA_SIZE]);
    save(&mut state);
    let valid_mxcsr = match u32::from_le_bytes(state.0[MXCSR_MASK..MXCSR_MASK + 4].try_into().unwrap()) {
        0 => 0xffbf,
        m => m,
    };
    let n = image.len().min(LEGACY);
    state.0[..n].copy_from_slice(&image[..n]);
    // The mask field is read-only state; keep the CPU's.
    state.0[MXCSR_MASK..MXCSR_MASK + 4].copy_from_slice(&valid_mxcsr.to_le_bytes());
    let mxcsr = u32::from_le_bytes(state.0[MXCSR..MXCSR + 4].try_into().unwrap()) & valid_mxcsr;
    state.0[MXCSR..MXCSR + 4].copy_from_slice(&mxcsr.to_le_bytes());
    if use_xsave() {
        let mut bv = XSTATE_X87 | XSTATE_SSE;
        if xfeatures() & XSTATE_AVX != 0 && image.len() >= YMM_HI.end {
            state.0[YMM_HI].copy_from_slice(&image[YMM_HI]);
            bv |= XSTATE_AVX;
        }
        let old = u64::from_le_bytes(state.0[XSTATE_BV..XSTATE_BV + 8].try_into().unwrap());
        state.0[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&(old | bv).to_le_bytes());
    }
    restore(&state);
}

/// Puts the CPU's FPU registers in Linux's initial state (signal handlers
/// start with it).
pub fn reset_to_initial() {
    restore(INITIAL_STATE.get().expect("fpu::init ran"));
}
