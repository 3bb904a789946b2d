//! Entry and exit paths between user mode, interrupts and the kernel:
//! the 256 interrupt stubs, the SYSCALL entry, the return paths (SYSRET when
//! safe, IRETQ otherwise), the context switch, and the stacks for IST.
//!
//! Every entry builds the same `TrapFrame` on the kernel stack.

use alloc::sync::Arc;
#[cfg(target_os = "none")]
use core::arch::global_asm;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::percpu::this;
use crate::mm::kstack::KernelStack;

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

// The bare-metal build only: host builds (the kernel's unit tests) never
// run this code, and its absolute relocations do not link into a PIE.
#[cfg(target_os = "none")]
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

    /* First code of a kernel thread: its function never returns. */
    .global kernel_task_entry
kernel_task_entry:
    call schedule_tail
    call kernel_thread_main
    ud2

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
    (super::traps::hooks().syscall)(frame);
    super::traps::return_to_user(frame);
}

#[no_mangle]
extern "C" fn schedule_tail() {
    finish_switch();
    (super::traps::hooks().schedule_tail)();
}

/// A kernel thread's first Rust code: its context's function.
#[no_mangle]
extern "C" fn kernel_thread_main() -> ! {
    let entry = this().running.lock().as_ref().and_then(|ctx| ctx.kernel_entry);
    match entry {
        Some(entry) => entry(),
        None => panic!("a kernel thread without a function"),
    }
}

extern "C" {
    fn trap_stubs();
    fn syscall_entry();
    fn task_entry();
    fn kernel_task_entry();
    fn switch_context(prev_rsp: *mut u64, next_rsp: u64);
    fn switch_context_load();
}

pub(crate) fn trap_stubs_address() -> u64 {
    trap_stubs as *const () as u64
}

pub(crate) fn syscall_entry_address() -> u64 {
    syscall_entry as *const () as u64
}

/// A task's saved kernel context: its own kernel stack (none for a CPU's
/// idle task, which keeps the stack the CPU started on) and, while it is
/// switched out, the stack pointer at which its callee-saved registers
/// wait. Only `new_user` and the switches store saved stack pointers, so a
/// switch always resumes a context this module saved. The context a CPU
/// runs is held in its per-CPU data, so it cannot be freed under the CPU;
/// `on_cpu` stays set until its registers are saved and the CPU left its
/// stack, and no other CPU resumes it before.
pub struct TaskContext {
    stack: Option<KernelStack>,
    saved_rsp: AtomicU64,
    on_cpu: AtomicBool,
    /// A kernel thread's function.
    kernel_entry: Option<fn() -> !>,
}

impl TaskContext {
    /// A context whose first run enters `task_entry`: the kernel's
    /// `schedule_tail` hook, then a return to user mode through `frame`.
    pub fn new_user(stack: KernelStack, frame: &TrapFrame) -> Arc<TaskContext> {
        let top = stack.top();
        let frame_addr = top - core::mem::size_of::<TrapFrame>() as u64;
        let ret_addr = frame_addr - 8;
        let saved_regs = ret_addr - 6 * 8;
        // The new task enters user mode through this frame, whatever the
        // caller put in it.
        let mut frame = *frame;
        super::traps::sanitize_user_frame(&mut frame);
        // SAFETY: [saved_regs, top) lies inside `stack`, which this
        // function owns and nothing runs on yet; the addresses are 8-byte
        // aligned (the stack top is page-aligned, TrapFrame is 176 bytes).
        unsafe {
            core::ptr::write(frame_addr as *mut TrapFrame, frame);
            core::ptr::write(ret_addr as *mut u64, task_entry as *const () as u64);
            core::ptr::write_bytes(saved_regs as *mut u8, 0, 6 * 8);
        }
        Arc::new(TaskContext {
            stack: Some(stack),
            saved_rsp: AtomicU64::new(saved_regs),
            on_cpu: AtomicBool::new(false),
            kernel_entry: None,
        })
    }

    /// A kernel thread's context: its first run calls the kernel's
    /// `schedule_tail` hook, then `entry`, in kernel mode on `stack`.
    pub fn new_kernel(stack: KernelStack, entry: fn() -> !) -> Arc<TaskContext> {
        // After the switch's `ret` the stack pointer is the (16-byte
        // aligned) top, so the stub's calls enter with the ABI's alignment.
        let ret_addr = stack.top() - 8;
        let saved_regs = ret_addr - 6 * 8;
        // SAFETY: [saved_regs, top) lies inside `stack`, which this
        // function owns and nothing runs on yet.
        unsafe {
            core::ptr::write(ret_addr as *mut u64, kernel_task_entry as *const () as u64);
            core::ptr::write_bytes(saved_regs as *mut u8, 0, 6 * 8);
        }
        Arc::new(TaskContext {
            stack: Some(stack),
            saved_rsp: AtomicU64::new(saved_regs),
            on_cpu: AtomicBool::new(false),
            kernel_entry: Some(entry),
        })
    }

    /// The context of the code this CPU started with, on the stack it
    /// started on (its idle task): the same one on every call on one CPU.
    pub fn boot() -> Arc<TaskContext> {
        let mut running = this().running.lock();
        running
            .get_or_insert_with(|| {
                Arc::new(TaskContext {
                    stack: None,
                    saved_rsp: AtomicU64::new(0),
                    on_cpu: AtomicBool::new(true),
                    kernel_entry: None,
                })
            })
            .clone()
    }

    /// True while a CPU runs this context (or is still leaving it).
    pub fn is_on_cpu(&self) -> bool {
        self.on_cpu.load(Ordering::Acquire)
    }

    /// Waits until no CPU runs this context any more (a task that just
    /// left another CPU, whose registers and FPU state are saved once it
    /// is off).
    pub fn wait_off_cpu(&self) {
        while self.on_cpu.load(Ordering::Acquire) {
            core::hint::spin_loop();
        }
    }

    /// The top of the kernel stack, where entries from user mode land;
    /// None on the boot stack.
    pub fn stack_top(&self) -> Option<u64> {
        self.stack.as_ref().map(KernelStack::top)
    }

    fn saved_rsp_checked(&self) -> u64 {
        let rsp = self.saved_rsp.load(Ordering::Acquire);
        assert!(rsp != 0, "switch to a context that never ran");
        if let Some(stack) = &self.stack {
            assert!((stack.bottom()..stack.top()).contains(&rsp), "saved stack pointer outside its stack");
        }
        rsp
    }
}

/// Makes `next` this CPU's running context once no other CPU runs it any
/// more (it may still be leaving another CPU's stack); returns the context
/// running until now.
fn install(next: Arc<TaskContext>) -> Arc<TaskContext> {
    assert!(!super::cpu::interrupts_enabled(), "context switch with interrupts on");
    while next.on_cpu.load(Ordering::Acquire) {
        core::hint::spin_loop();
    }
    next.on_cpu.store(true, Ordering::Relaxed);
    super::percpu::use_kernel_stack_of(&next);
    this().running.lock().replace(next).expect("TaskContext::boot ran")
}

/// The first thing a context does once it runs on its own stack after a
/// switch: the context switched away from is released (another CPU may
/// now resume it, or free it if it exited).
pub fn finish_switch() {
    if let Some(prev) = this().finishing.lock().take() {
        prev.on_cpu.store(false, Ordering::Release);
    }
}

/// Saves the running context and resumes `next` (with interrupts off);
/// returns when something switches back.
pub fn switch_to(next: Arc<TaskContext>) {
    if this().running.lock().as_ref().is_some_and(|running| Arc::ptr_eq(running, &next)) {
        return;
    }
    let prev = install(next.clone());
    let next_rsp = next.saved_rsp_checked();
    drop(next);
    let prev_rsp = prev.saved_rsp.as_ptr();
    *this().finishing.lock() = Some(prev);
    // SAFETY: `next_rsp` was stored by an earlier switch (or by new_user)
    // on `next`'s stack, which the per-CPU data now keeps alive, and no
    // other CPU runs it (`install` waited), so it points at saved
    // callee-saved registers and a return address; the running context is
    // saved into `prev`, which `finishing` keeps alive until the switch is
    // over.
    unsafe { switch_context(prev_rsp, next_rsp) };
    finish_switch();
}

/// Resumes `next`, abandoning the running context (an exiting task's last
/// switch; its stack is freed later, by whoever drops its context, which
/// `finishing` keeps until this CPU left the stack).
pub fn switch_final(next: Arc<TaskContext>) -> ! {
    let prev = install(next.clone());
    let next_rsp = next.saved_rsp_checked();
    drop(next);
    *this().finishing.lock() = Some(prev);
    // SAFETY: as switch_to; nothing of the running context is kept.
    unsafe { core::arch::asm!("mov rsp, {}", "jmp {}", in(reg) next_rsp, sym switch_context_load, options(noreturn)) }
}
