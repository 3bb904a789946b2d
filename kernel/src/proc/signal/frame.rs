//! The signal frame on the user stack, in Linux's x86_64 `rt_sigframe`
//! layout: the return address (sa_restorer), a `ucontext` (flags, link,
//! stack, `sigcontext`, signal mask), the `siginfo`, and the FPU state in
//! XSAVE (or FXSAVE) format. rt_sigreturn reads it back.

use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use abi::signal::{SA_ONSTACK, SA_RESTORER, SS_DISABLE, SS_ONSTACK};
use abi::{Errno, KernelSigaction, Siginfo, StackT};

use crate::arch::entry::TrapFrame;
use crate::arch::fpu;
use crate::arch::gdt::{USER_CS, USER_DS};
use crate::sched::current;
use crate::uaccess::{copy_from_user, copy_to_user, read_user};

const UC_FP_XSTATE: u64 = 1;
const UC_SIGCONTEXT_SS: u64 = 2;
const UC_STRICT_RESTORE_SS: u64 = 4;
const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
/// Bytes below the user stack pointer that leaf functions may use.
const RED_ZONE: u64 = 128;

const SIGCONTEXT_SIZE: usize = 256;
/// uc_flags, uc_link, uc_stack (24), uc_mcontext, uc_sigmask.
const UCONTEXT_SIZE: usize = 8 + 8 + 24 + SIGCONTEXT_SIZE + 8;
const UC_OFFSET: u64 = 8;
const INFO_OFFSET: u64 = UC_OFFSET + UCONTEXT_SIZE as u64;
const FRAME_SIZE: u64 = INFO_OFFSET + 128;
/// Offsets inside the ucontext.
const UC_STACK: usize = 16;
const UC_MCONTEXT: usize = 40;
const UC_SIGMASK: usize = UC_MCONTEXT + SIGCONTEXT_SIZE;

/// RFLAGS bits a signal handler may change through sigreturn (Linux's
/// FIX_EFLAGS): AC, OF, DF, TF, SF, ZF, AF, PF, CF and RF.
const FIX_EFLAGS: u64 = 0x40DD5 | (1 << 16);

fn put(buf: &mut [u8], at: usize, value: u64) {
    buf[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

fn get(buf: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(buf[at..at + 8].try_into().unwrap())
}

/// The sigcontext's general registers, in Linux's order.
fn registers(f: &TrapFrame) -> [u64; 18] {
    [
        f.r8, f.r9, f.r10, f.r11, f.r12, f.r13, f.r14, f.r15, f.rdi, f.rsi, f.rbp, f.rbx, f.rdx, f.rax, f.rcx, f.rsp,
        f.rip, f.rflags,
    ]
}

fn altstack_flags(stack: &StackT, sp: u64) -> i32 {
    if stack.ss_flags & SS_DISABLE != 0 {
        SS_DISABLE
    } else if sp > stack.ss_sp && sp <= stack.ss_sp + stack.ss_size {
        SS_ONSTACK
    } else {
        0
    }
}

/// True when `sp` is on the task's alternate signal stack.
pub fn on_altstack(stack: &StackT, sp: u64) -> bool {
    altstack_flags(stack, sp) == SS_ONSTACK
}

fn fpstate_image() -> Vec<u8> {
    let size = fpu::xstate_size();
    let mut image = fpu::current_state_bytes();
    if fpu::xfeatures() != 0 {
        // The software-reserved bytes of the legacy area describe the
        // extended state to user space, as Linux writes them.
        put(&mut image, 464, u64::from(FP_XSTATE_MAGIC1) | (((size + 4) as u64) << 32));
        put(&mut image, 472, fpu::xfeatures());
        image[480..484].copy_from_slice(&(size as u32).to_le_bytes());
        image.extend_from_slice(&FP_XSTATE_MAGIC2.to_le_bytes());
    }
    image
}

/// Builds the frame and points the registers at the handler.
pub fn setup(
    frame: &mut TrapFrame,
    sig: i32,
    info: &Siginfo,
    action: &KernelSigaction,
    old_mask: u64,
) -> Result<(), Errno> {
    if action.flags & SA_RESTORER == 0 {
        return Err(Errno::EFAULT);
    }
    let altstack = *current().altstack.lock();
    let stack_flags = altstack_flags(&altstack, frame.rsp);
    let mut sp = if action.flags & SA_ONSTACK != 0 && stack_flags == 0 {
        altstack.ss_sp + altstack.ss_size
    } else {
        frame.rsp - RED_ZONE
    };
    let fp = fpstate_image();
    sp = (sp - fp.len() as u64) & !63;
    let fp_addr = sp;
    let frame_addr = ((sp - FRAME_SIZE) & !15) - 8;

    let mut bytes = alloc::vec![0u8; FRAME_SIZE as usize];
    put(&mut bytes, 0, action.restorer);
    let uc = UC_OFFSET as usize;
    let xstate = if fpu::xfeatures() != 0 { UC_FP_XSTATE } else { 0 };
    put(&mut bytes, uc, xstate | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
    let stack = StackT { ss_sp: altstack.ss_sp, ss_flags: stack_flags, _pad: 0, ss_size: altstack.ss_size };
    bytes[uc + UC_STACK..uc + UC_STACK + 24].copy_from_slice(bytemuck::bytes_of(&stack));
    let mc = uc + UC_MCONTEXT;
    for (i, r) in registers(frame).iter().enumerate() {
        put(&mut bytes, mc + i * 8, *r);
    }
    let selectors = u64::from(USER_CS) | (u64::from(USER_DS) << 48);
    put(&mut bytes, mc + 144, selectors);
    put(&mut bytes, mc + 152, frame.error_code);
    put(&mut bytes, mc + 160, frame.vector & 0xff);
    put(&mut bytes, mc + 168, old_mask);
    put(&mut bytes, mc + 176, info.si_addr());
    put(&mut bytes, mc + 184, fp_addr);
    put(&mut bytes, uc + UC_SIGMASK, old_mask);
    bytes[INFO_OFFSET as usize..].copy_from_slice(bytemuck::bytes_of(info));

    copy_to_user(fp_addr, &fp)?;
    copy_to_user(frame_addr, &bytes)?;

    fpu::reset_to_initial();
    *frame = TrapFrame {
        rdi: sig as u64,
        rsi: frame_addr + INFO_OFFSET,
        rdx: frame_addr + UC_OFFSET,
        rax: 0,
        rip: action.handler,
        rsp: frame_addr,
        rflags: frame.rflags & !(0x400 | 0x100 | (1 << 16)),
        cs: u64::from(USER_CS),
        ss: u64::from(USER_DS),
        vector: frame.vector,
        ..TrapFrame::default()
    };
    Ok(())
}

/// rt_sigreturn(2): restores the state saved in the frame at the stack
/// pointer. A frame that cannot be read kills the process with SIGSEGV.
pub fn sys_rt_sigreturn(frame: &mut TrapFrame) -> Result<usize, Errno> {
    match restore(frame) {
        Ok(rax) => Ok(rax as usize),
        Err(_) => crate::proc::exit::do_exit(crate::sched::task::ExitStatus::Signaled(abi::signal::SIGSEGV)),
    }
}

fn restore(frame: &mut TrapFrame) -> Result<u64, Errno> {
    let uc_addr = frame.rsp - 8 + UC_OFFSET;
    let mut uc = alloc::vec![0u8; UCONTEXT_SIZE];
    copy_from_user(&mut uc, uc_addr)?;
    let mc = UC_MCONTEXT;
    let r = |i: usize| get(&uc, mc + i * 8);
    let mut f = *frame;
    (f.r8, f.r9, f.r10, f.r11, f.r12, f.r13, f.r14, f.r15) = (r(0), r(1), r(2), r(3), r(4), r(5), r(6), r(7));
    (f.rdi, f.rsi, f.rbp, f.rbx, f.rdx, f.rax, f.rcx, f.rsp, f.rip) =
        (r(8), r(9), r(10), r(11), r(12), r(13), r(14), r(15), r(16));
    f.rflags = (frame.rflags & !FIX_EFLAGS) | (r(17) & FIX_EFLAGS);
    f.cs = u64::from(USER_CS);
    f.ss = u64::from(USER_DS);
    // Not a system call any more: nothing to restart.
    f.vector = u64::MAX;

    let fp_addr = get(&uc, mc + 184);
    if fp_addr != 0 {
        let mut image = alloc::vec![0u8; fpu::xstate_size()];
        copy_from_user(&mut image, fp_addr)?;
        fpu::load_user_image(&image);
    } else {
        fpu::reset_to_initial();
    }
    let mask = get(&uc, UC_SIGMASK);
    let stack: StackT = read_user(uc_addr + UC_STACK as u64)?;
    let task = current();
    task.signal_mask.store(mask & !super::UNBLOCKABLE, Ordering::Relaxed);
    // The alternate stack is restored only when not running on it, as
    // sigaltstack itself would allow.
    let mut altstack = task.altstack.lock();
    if !on_altstack(&altstack, f.rsp) && stack.ss_flags & !SS_DISABLE == 0 {
        *altstack = StackT { ss_flags: stack.ss_flags & SS_DISABLE, ..stack };
    }
    drop(altstack);
    *frame = f;
    Ok(f.rax)
}
