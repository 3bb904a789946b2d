//! Dispatch of interrupts and exceptions. Kernel-mode exceptions (other than
//! faults on user memory inside the user-copy routines) are kernel bugs:
//! they print the registers, CR2, the error code and a backtrace, then panic.
//! User-mode exceptions, device interrupts and system calls go to the
//! handlers the kernel registers (`set_hooks`).

use spin::Once;

use super::cpu::read_cr2;
use super::entry::TrapFrame;
use super::extable;
use crate::console::emergency_write;

pub const TIMER_VECTOR: u64 = 0x20;
/// ISA IRQ n arrives at vector ISA_IRQ_BASE + n (Linux's ISA_IRQ_VECTOR).
pub const ISA_IRQ_BASE: u64 = 0x30;
/// COM1, ISA IRQ 4.
pub const COM1_VECTOR: u64 = ISA_IRQ_BASE + 4;
/// The i8042 keyboard, ISA IRQ 1.
pub const KEYBOARD_VECTOR: u64 = ISA_IRQ_BASE + 1;
/// The virtio devices' PCI interrupts (INTx lines, which they may share).
pub const VIRTIO_VECTOR: u64 = 0x50;
/// Inter-processor interrupts: a reschedule request (Linux's
/// RESCHEDULE_VECTOR), and a TLB shootdown and a synchronising function
/// call, which this crate answers.
pub const RESCHEDULE_VECTOR: u64 = 0xE0;
pub const TLB_SHOOTDOWN_VECTOR: u64 = 0xE1;
pub const CALL_FUNCTION_VECTOR: u64 = 0xE2;
pub const SPURIOUS_VECTOR: u64 = 0xFF;

static EXCEPTION_NAMES: [&str; 32] = [
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

/// What the kernel does on traps: set once at boot, before interrupts are
/// enabled or user mode is entered.
pub struct TrapHooks {
    /// A SYSCALL instruction from user mode.
    pub syscall: fn(&mut TrapFrame),
    /// A device or timer interrupt (vectors 32..255 but the spurious one).
    /// The handler sends the end of interrupt itself.
    pub interrupt: fn(&mut TrapFrame),
    /// An exception in user mode (vector 0..31); for page faults with the
    /// faulting address (CR2).
    pub user_exception: fn(&mut TrapFrame, u64),
    /// A page fault on user memory inside a user-copy routine: true when
    /// the fault was resolved (the page is mapped now), false to make the
    /// copy fail.
    pub user_copy_fault: fn(u64, u64) -> bool,
    /// Work at every return to user mode (signals, preemption), after
    /// system calls and traps alike.
    pub return_to_user: fn(&mut TrapFrame),
    /// Run by a new task on its first switch-in.
    pub schedule_tail: fn(),
}

static HOOKS: Once<TrapHooks> = Once::new();

/// Installs the kernel's trap handlers (once).
pub fn set_hooks(hooks: TrapHooks) {
    HOOKS.call_once(|| hooks);
}

#[inline]
pub(crate) fn hooks() -> &'static TrapHooks {
    HOOKS.get().expect("trap hooks are set before the first trap")
}

/// Linux's name of exception `vector`, for reports.
pub fn exception_name(vector: u64) -> &'static str {
    EXCEPTION_NAMES.get(vector as usize).copied().unwrap_or("?")
}

#[no_mangle]
extern "C" fn trap_handler(frame: &mut TrapFrame) {
    match frame.vector {
        14 => {
            restore_interrupts(frame);
            page_fault(frame)
        }
        2 | 8 | 18 => exception(frame),
        0..=31 => {
            restore_interrupts(frame);
            exception(frame)
        }
        SPURIOUS_VECTOR => {}
        TLB_SHOOTDOWN_VECTOR => {
            crate::mm::tlb::answer_pending();
            super::apic::end_of_interrupt();
        }
        CALL_FUNCTION_VECTOR => {
            super::ipi::answer_pending();
            super::apic::end_of_interrupt();
        }
        _ => (hooks().interrupt)(frame),
    }
    if frame.came_from_user() {
        return_to_user(frame);
    }
}

/// An exception handler runs with interrupts on when the code it
/// interrupted had them on (as Linux): a page fault may wait for the
/// address space's lock while its holder waits for this CPU to answer a
/// TLB shootdown. The exit path turns them off again.
fn restore_interrupts(frame: &TrapFrame) {
    const IF: u64 = 1 << 9;
    if frame.rflags & IF != 0 {
        super::cpu::enable_interrupts();
    }
}

/// The user-mode flags a frame may carry back (CF, PF, AF, ZF, SF, TF,
/// DF, OF, RF, AC, ID); IF and the reserved bit 1 are always set, so no
/// IOPL, NT or VM reaches user mode whatever the kernel wrote.
const USER_RFLAGS: u64 = 0x25_0dd5;
const RFLAGS_FIXED: u64 = (1 << 9) | (1 << 1);

fn is_canonical_user(addr: u64) -> bool {
    addr < 0x0000_8000_0000_0000
}

/// The kernel's work before a return to user mode, then a frame that
/// returns to user mode whatever the kernel left in it: user selectors,
/// user flags, and a canonical user RIP. IRETQ to a non-canonical RIP
/// faults in the kernel on real CPUs (a sigreturn can ask for one): the
/// process gets that general protection fault instead, as on Linux.
pub(crate) fn return_to_user(frame: &mut TrapFrame) {
    let hooks = hooks();
    (hooks.return_to_user)(frame);
    for _ in 0..3 {
        if is_canonical_user(frame.rip) {
            break;
        }
        frame.vector = 13;
        frame.error_code = 0;
        (hooks.user_exception)(frame, 0);
        (hooks.return_to_user)(frame);
    }
    sanitize_user_frame(frame);
}

/// Makes `frame` one that IRETQ returns to user mode with: user selectors
/// and flags, and a canonical user RIP (0 when it is not, where the
/// process faults; the signal for the bad RIP did not end it).
pub(crate) fn sanitize_user_frame(frame: &mut TrapFrame) {
    if !is_canonical_user(frame.rip) {
        frame.rip = 0;
    }
    frame.cs = u64::from(super::gdt::USER_CS);
    frame.ss = u64::from(super::gdt::USER_DS);
    frame.rflags = (frame.rflags & USER_RFLAGS) | RFLAGS_FIXED;
}

fn page_fault(frame: &mut TrapFrame) {
    let addr = read_cr2();
    if frame.came_from_user() {
        (hooks().user_exception)(frame, addr);
        return;
    }
    if let Some(fixup) = extable::fixup_for(frame.rip) {
        // A user-copy routine touched user memory: map it if the address
        // space allows, else make the copy return early (EFAULT).
        if !(hooks().user_copy_fault)(addr, frame.error_code) {
            frame.rip = fixup;
        }
        return;
    }
    kernel_oops(frame, Some(addr));
}

fn exception(frame: &mut TrapFrame) {
    if frame.came_from_user() {
        (hooks().user_exception)(frame, 0);
        return;
    }
    if let Some(fixup) = extable::fixup_for(frame.rip) {
        // A #GP inside a user copy: a non-canonical user address.
        if frame.vector == 13 {
            frame.rip = fixup;
            return;
        }
    }
    kernel_oops(frame, None);
}

/// Prints the state of a kernel exception and panics.
fn kernel_oops(frame: &TrapFrame, cr2: Option<u64>) -> ! {
    let name = EXCEPTION_NAMES.get(frame.vector as usize).copied().unwrap_or("?");
    emergency_write(format_args!(
        "\nkernel exception: {} (vector {}, error code {:#x})\n",
        name, frame.vector, frame.error_code
    ));
    if let Some(addr) = cr2 {
        emergency_write(format_args!("CR2: {addr:#018x}\n"));
    }
    dump_registers(frame);
    backtrace(frame.rbp, frame.rsp);
    panic!("fatal kernel exception: {name}");
}

pub fn dump_registers(f: &TrapFrame) {
    emergency_write(format_args!(
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
    emergency_write(format_args!("Call Trace:\n"));
    for _ in 0..32 {
        if rbp < rsp || rbp >= rsp + 64 * 1024 || !rbp.is_multiple_of(8) {
            break;
        }
        // SAFETY: two aligned reads inside the 64 KiB above the stack
        // pointer in use (checked above), on the stack being reported; a
        // wild chain can at worst fault again while the kernel is already
        // reporting a fatal error. Nothing is written.
        let (next, ret) = unsafe { (core::ptr::read(rbp as *const u64), core::ptr::read((rbp + 8) as *const u64)) };
        if ret == 0 {
            break;
        }
        emergency_write(format_args!("  [<{ret:016x}>]\n"));
        rbp = next;
    }
}

/// The backtrace of the caller (the panic handler's report).
#[inline(always)]
pub fn backtrace_here() {
    let (rbp, rsp): (u64, u64);
    // SAFETY: reads two registers; no memory is touched.
    unsafe { core::arch::asm!("mov {}, rbp", "mov {}, rsp", out(reg) rbp, out(reg) rsp) };
    backtrace(rbp, rsp);
}
