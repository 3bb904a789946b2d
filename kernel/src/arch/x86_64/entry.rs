//! Entry and exit paths between user mode, interrupts and the kernel:
//! the 256 interrupt stubs, the SYSCALL entry, the return paths (SYSRET when
//! safe, IRETQ otherwise), the context switch, and the stacks for IST.
//!
//! Every entry builds the same `TrapFrame` on the kernel stack.

use core::arch::global_asm;

/// Registers saved on entry, in the order the entry code pushes them.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    /// Interrupt vector, or 0x100 for the SYSCALL instruction.
    pub vector: u64,
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

impl TrapFrame {
    pub fn came_from_user(&self) -> bool {
        self.cs & 3 == 3
    }
}

const _: () = assert!(core::mem::size_of::<TrapFrame>() == 176);

global_asm!(
    r#"
    /* The general registers of a TrapFrame, pushed and popped in its order. */
    .macro PUSH_GPRS
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    .endm
    .macro POP_GPRS
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    .endm

    .text
    .balign 16
    .global trap_stubs
trap_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if !((vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30))
    pushq $0
    .endif
    pushq $vec
    jmp trap_common
    .set vec, vec + 1
    .endr

trap_common:
    testb $3, 24(%rsp)
    jz 1f
    swapgs
1:
    PUSH_GPRS
    movq %rsp, %rdi
    cld
    call trap_handler
    jmp trap_return

    /* Returns to the context in the TrapFrame at %rsp. */
    .global trap_return
trap_return:
    cli
    POP_GPRS
    addq $16, %rsp
    testb $3, 8(%rsp)
    jz 2f
    swapgs
2:
    iretq

    .global syscall_entry
syscall_entry:
    swapgs
    movq %rsp, %gs:16
    movq %gs:8, %rsp
    pushq $0x2b
    pushq %gs:16
    pushq %r11
    pushq $0x33
    pushq %rcx
    pushq $0
    pushq $0x100
    PUSH_GPRS
    movq %rsp, %rdi
    cld
    sti
    call syscall_handler
    cli

    /* SYSRET only when it restores exactly the frame: RCX/R11 hold RIP and
       RFLAGS, RIP is below the top user page (SYSRET with a non-canonical
       RCX would fault in ring 0 on Intel CPUs), the selectors are the
       64-bit user ones and no trap/resume flag is set. Else IRETQ. */
    movq 96(%rsp), %rcx
    cmpq 136(%rsp), %rcx
    jne trap_return
    movq 32(%rsp), %r11
    cmpq 152(%rsp), %r11
    jne trap_return
    movabsq $0x7ffffffff000, %rax
    cmpq %rax, %rcx
    jae trap_return
    cmpq $0x33, 144(%rsp)
    jne trap_return
    cmpq $0x2b, 168(%rsp)
    jne trap_return
    testq $0x10100, %r11
    jnz trap_return
    POP_GPRS
    movq 40(%rsp), %rsp
    swapgs
    sysretq

    /* switch_context(prev_rsp: *mut u64, next_rsp: u64) */
    .global switch_context
switch_context:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    .global switch_context_load
switch_context_load:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

    /* First code of a new task: its stack holds a TrapFrame to return to. */
    .global task_entry
task_entry:
    call schedule_tail
    jmp trap_return

    .section .bss.ist, "aw", @nobits
    .balign 4096
    .skip 16384
ist1_top:
    .skip 16384
ist2_top:
    .skip 16384
ist3_top:

    .section .rodata.ist, "a"
    .balign 8
    .global IST_STACKS_TOP
IST_STACKS_TOP:
    .quad ist1_top
    .quad ist2_top
    .quad ist3_top
    .text
"#,
    options(att_syntax)
);

#[no_mangle]
extern "C" fn syscall_handler(frame: &mut TrapFrame) {
    crate::syscall::handle_syscall(frame);
}

#[no_mangle]
extern "C" fn schedule_tail() {
    crate::sched::schedule_tail();
}

extern "C" {
    pub fn trap_stubs();
    pub fn syscall_entry();
    pub fn task_entry();
    fn switch_context(prev_rsp: *mut u64, next_rsp: u64);
    fn switch_context_load();
}

/// Saves the callee-saved registers on the current stack, stores the stack
/// pointer in `*prev_rsp`, and resumes the context saved at `next_rsp`.
pub fn context_switch(prev_rsp: &core::sync::atomic::AtomicU64, next_rsp: u64) {
    // SAFETY: `next_rsp` was produced by a previous context_switch or by
    // `prepare_new_task_stack`, so it points at a valid saved context on a
    // live kernel stack; the current context is saved before leaving it.
    unsafe { switch_context(prev_rsp.as_ptr(), next_rsp) }
}

/// Resumes the context saved at `next_rsp`, abandoning the current one (an
/// exiting task's last switch).
pub fn context_switch_final(next_rsp: u64) -> ! {
    // SAFETY: as context_switch; nothing of the current context is kept, so
    // nothing needs saving.
    unsafe { core::arch::asm!("mov rsp, {}", "jmp {}", in(reg) next_rsp, sym switch_context_load, options(noreturn)) }
}

/// Lays out a new task's kernel stack so that switching to it enters
/// `task_entry`, which returns to user mode through `frame`. Returns the
/// saved stack pointer to switch to.
pub fn prepare_new_task_stack(stack_top: u64, frame: &TrapFrame) -> u64 {
    let frame_addr = stack_top - core::mem::size_of::<TrapFrame>() as u64;
    let ret_addr = frame_addr - 8;
    let saved_regs = ret_addr - 6 * 8;
    // SAFETY: the range [saved_regs, stack_top) lies inside the new task's
    // own, mapped, not yet running kernel stack.
    unsafe {
        core::ptr::write(frame_addr as *mut TrapFrame, *frame);
        core::ptr::write(ret_addr as *mut u64, task_entry as *const () as u64);
        core::ptr::write_bytes(saved_regs as *mut u8, 0, 6 * 8);
    }
    saved_regs
}
