//! Dispatch of interrupts and exceptions. Kernel-mode exceptions (other than
//! faults on user memory inside the user-copy routines) are kernel bugs:
//! they print the registers, CR2, the error code and a backtrace, then panic.
//! User-mode exceptions become Linux's signals.

use abi::signal::*;

use super::cpu::read_cr2;
use super::entry::TrapFrame;
use super::{apic, extable};

pub const TIMER_VECTOR: u64 = 0x20;
/// ISA IRQ n arrives at vector ISA_IRQ_BASE + n (Linux's ISA_IRQ_VECTOR).
pub const ISA_IRQ_BASE: u64 = 0x30;
/// COM1, ISA IRQ 4.
pub const COM1_VECTOR: u64 = ISA_IRQ_BASE + 4;
pub const SPURIOUS_VECTOR: u64 = 0xFF;

const EXCEPTION_NAMES: [&str; 32] = [
    "divide error",
    "debug",
    "NMI",
    "breakpoint",
    "overflow",
    "bound range exceeded",
    "invalid opcode",
    "device not available",
    "double fault",
    "coprocessor segment overrun",
    "invalid TSS",
    "segment not present",
    "stack segment fault",
    "general protection fault",
    "page fault",
    "reserved",
    "x87 floating-point error",
    "alignment check",
    "machine check",
    "SIMD floating-point exception",
    "virtualization exception",
    "control protection exception",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "hypervisor injection",
    "VMM communication",
    "security exception",
    "reserved",
];

#[no_mangle]
extern "C" fn trap_handler(frame: &mut TrapFrame) {
    match frame.vector {
        14 => page_fault(frame),
        0..=31 => exception(frame),
        TIMER_VECTOR => {
            apic::end_of_interrupt();
            crate::sched::timer_tick(frame.came_from_user());
        }
        COM1_VECTOR => {
            crate::drivers::uart16550::interrupt();
            apic::end_of_interrupt();
        }
        SPURIOUS_VECTOR => {}
        v => {
            apic::end_of_interrupt();
            crate::pr_warn!("unexpected interrupt vector {v:#x}");
        }
    }
    if frame.came_from_user() {
        crate::sched::return_to_user_work(frame);
    }
}

fn page_fault(frame: &mut TrapFrame) {
    let addr = read_cr2();
    let access = crate::mm::fault::Access::from_error_code(frame.error_code);
    if frame.came_from_user() {
        if let Err((signal, code)) = crate::mm::fault::handle_user_fault(addr, access) {
            user_fault(frame, signal, code, addr);
        }
        return;
    }
    if let Some(fixup) = extable::fixup_for(frame.rip) {
        // A user-copy routine touched user memory: map it if the address
        // space allows, else make the copy return early (EFAULT).
        if crate::mm::fault::handle_user_fault(addr, access).is_err() {
            frame.rip = fixup;
        }
        return;
    }
    kernel_oops(frame, Some(addr));
}

fn exception(frame: &mut TrapFrame) {
    if !frame.came_from_user() {
        if let Some(fixup) = extable::fixup_for(frame.rip) {
            // A #GP inside a user copy: a non-canonical user address.
            if frame.vector == 13 {
                frame.rip = fixup;
                return;
            }
        }
        kernel_oops(frame, None);
    }
    let (signal, code) = match frame.vector {
        0 => (SIGFPE, FPE_INTDIV),
        1 => (SIGTRAP, TRAP_TRACE),
        3 => (SIGTRAP, SI_KERNEL),
        4 | 5 | 10 | 11 | 13 => (SIGSEGV, SI_KERNEL),
        6 => (SIGILL, ILL_ILLOPN),
        12 => (SIGBUS, SI_KERNEL),
        16 | 19 => (SIGFPE, 0),
        17 => (SIGBUS, BUS_ADRALN),
        _ => (SIGSEGV, SI_KERNEL),
    };
    user_fault(frame, signal, code, 0);
}

/// A user-mode fault that the process did not survive.
fn user_fault(frame: &TrapFrame, signal: i32, code: i32, addr: u64) {
    let (pid, comm) = crate::sched::current_pid_comm();
    // Linux reports only the faults no handler will see.
    let handled = !crate::sched::current().signals.lock().action(signal).is_default();
    if handled {
        crate::proc::signal::force_signal(signal, code, addr);
        return;
    }
    if signal == SIGSEGV && frame.vector == 14 {
        crate::pr_info!(
            "{}[{}]: segfault at {:x} ip {:016x} sp {:016x} error {:x}",
            comm.as_str(),
            pid,
            addr,
            frame.rip,
            frame.rsp,
            frame.error_code
        );
    } else {
        let name = EXCEPTION_NAMES.get(frame.vector as usize).copied().unwrap_or("?");
        crate::pr_info!(
            "traps: {}[{}] {} ip:{:x} sp:{:x} error:{:x}",
            comm.as_str(),
            pid,
            name,
            frame.rip,
            frame.rsp,
            frame.error_code
        );
    }
    crate::proc::signal::force_signal(signal, code, addr);
}

/// Prints the state of a kernel exception and panics.
fn kernel_oops(frame: &TrapFrame, cr2: Option<u64>) -> ! {
    let name = EXCEPTION_NAMES.get(frame.vector as usize).copied().unwrap_or("?");
    crate::printk::emergency_write(format_args!(
        "\nkernel exception: {} (vector {}, error code {:#x})\n",
        name, frame.vector, frame.error_code
    ));
    if let Some(addr) = cr2 {
        crate::printk::emergency_write(format_args!("CR2: {addr:#018x}\n"));
    }
    dump_registers(frame);
    backtrace(frame.rbp, frame.rsp);
    panic!("fatal kernel exception: {name}");
}

pub fn dump_registers(f: &TrapFrame) {
    crate::printk::emergency_write(format_args!(
        "RIP: {:04x}:{:016x} RSP: {:04x}:{:016x} RFLAGS: {:08x}\n\
         RAX: {:016x} RBX: {:016x} RCX: {:016x}\n\
         RDX: {:016x} RSI: {:016x} RDI: {:016x}\n\
         RBP: {:016x} R08: {:016x} R09: {:016x}\n\
         R10: {:016x} R11: {:016x} R12: {:016x}\n\
         R13: {:016x} R14: {:016x} R15: {:016x}\n",
        f.cs,
        f.rip,
        f.ss,
        f.rsp,
        f.rflags,
        f.rax,
        f.rbx,
        f.rcx,
        f.rdx,
        f.rsi,
        f.rdi,
        f.rbp,
        f.r8,
        f.r9,
        f.r10,
        f.r11,
        f.r12,
        f.r13,
        f.r14,
        f.r15
    ));
}

/// Walks the frame-pointer chain. Only frames on the same stack, above the
/// faulting stack pointer, are followed, so a corrupt chain cannot fault.
pub fn backtrace(mut rbp: u64, rsp: u64) {
    crate::printk::emergency_write(format_args!("Call Trace:\n"));
    for _ in 0..32 {
        if rbp < rsp || rbp >= rsp + 64 * 1024 || !rbp.is_multiple_of(8) {
            break;
        }
        let (next, ret) = super::stack_read_pair(rbp);
        if ret == 0 {
            break;
        }
        crate::printk::emergency_write(format_args!("  [<{ret:016x}>]\n"));
        rbp = next;
    }
}
