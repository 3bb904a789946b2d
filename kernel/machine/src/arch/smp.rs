//! Starting the other CPUs (application processors): each one the ACPI
//! MADT lists is sent INIT and two start-up IPIs, begins in real mode at
//! a trampoline copied below 1 MiB, climbs to long mode on the boot page
//! tables, switches to the kernel's tables and a stack of its own, sets up
//! its descriptor tables, per-CPU data and local APIC like the boot CPU,
//! and enters the kernel's function for secondary CPUs.

#[cfg(target_os = "none")]
use core::arch::global_asm;
use core::sync::atomic::{AtomicUsize, Ordering};

use spin::Once;

use super::{apic, percpu};
use crate::mm::{kstack, phys};

/// Where the trampoline is copied: page 8, the start-up IPI's vector. The
/// frame allocator never hands out the first MiB.
const TRAMPOLINE_PHYS: u64 = 0x8000;
/// Stack pages of a CPU's idle context, and of each of its IST stacks.
const IDLE_STACK_PAGES: usize = kstack::KSTACK_PAGES;
const IST_STACK_PAGES: usize = 4;

#[cfg(target_os = "none")]
global_asm!(
    r#"
    .section .rodata.ap_trampoline, "a"
    .balign 16
    .global ap_trampoline_start
    .code16
ap_trampoline_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    lgdtl (ap_gdt_ptr - ap_trampoline_start)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $(ap_protected - ap_trampoline_start + 0x8000)

    .code32
ap_protected:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $(1 << 5), %eax
    movl %eax, %cr4
    movl (ap_boot_cr3 - ap_trampoline_start + 0x8000), %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx
    rdmsr
    orl (ap_efer - ap_trampoline_start + 0x8000), %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80010001, %eax
    movl %eax, %cr0
    ljmpl $0x18, $(ap_long - ap_trampoline_start + 0x8000)

    .code64
ap_long:
    movq (ap_cpu - ap_trampoline_start + 0x8000), %rdi
    movq (ap_stack - ap_trampoline_start + 0x8000), %rsi
    movq (ap_cr3 - ap_trampoline_start + 0x8000), %rdx
    movq (ap_entry - ap_trampoline_start + 0x8000), %rax
    jmpq *%rax

    .balign 8
ap_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff
    .quad 0x00cf92000000ffff
    .quad 0x00af9a000000ffff
ap_gdt_ptr:
    .word ap_gdt_ptr - ap_gdt - 1
    .long ap_gdt - ap_trampoline_start + 0x8000
    .balign 8
    .global ap_boot_cr3, ap_efer, ap_cpu, ap_stack, ap_cr3, ap_entry
ap_boot_cr3: .quad 0
ap_efer: .quad 0
ap_cpu: .quad 0
ap_stack: .quad 0
ap_cr3: .quad 0
ap_entry: .quad 0
    .global ap_trampoline_end
ap_trampoline_end:

    .text
    .global ap_long_mode_entry
ap_long_mode_entry:
    movq %rdx, %cr3
    movq %rsi, %rsp
    xorl %ebp, %ebp
    callq ap_start
    ud2
"#,
    options(att_syntax)
);

extern "C" {
    static ap_trampoline_start: u8;
    static ap_trampoline_end: u8;
    static ap_boot_cr3: u64;
    static ap_efer: u64;
    static ap_cpu: u64;
    static ap_stack: u64;
    static ap_cr3: u64;
    static ap_entry: u64;
    static BOOT_PML4: u8;
    fn ap_long_mode_entry();
}

/// The kernel's function for a secondary CPU, called with its number and
/// interrupts off once the CPU is set up like the boot CPU.
static SECONDARY_MAIN: Once<fn(usize) -> !> = Once::new();
/// What the CPU being started needs besides the trampoline's fields: its
/// data and IST stacks (one start at a time).
static STARTING: spin::Mutex<Option<(usize, u64, [u64; 3])>> = spin::Mutex::new(None);
/// CPUs that reached `ap_start`, for the starter's wait.
static ARRIVED: AtomicUsize = AtomicUsize::new(0);

/// The trampoline's field `field` in the copy below 1 MiB.
fn trampoline_field(field: *const u64) -> u64 {
    let start = core::ptr::addr_of!(ap_trampoline_start) as u64;
    TRAMPOLINE_PHYS + (field as u64 - start)
}

fn write_field(field: *const u64, value: u64) {
    // SAFETY: the trampoline's copy lies in the reserved first MiB, which
    // only this module writes, one start at a time.
    unsafe { phys::write::<u64>(trampoline_field(field), value) };
}

fn copy_trampoline() {
    // SAFETY: the trampoline's bytes in the image (read-only data).
    let code = unsafe {
        let start = core::ptr::addr_of!(ap_trampoline_start);
        let end = core::ptr::addr_of!(ap_trampoline_end);
        core::slice::from_raw_parts(start, end as usize - start as usize)
    };
    assert!(code.len() <= 4096, "the trampoline outgrew its page");
    for (i, chunk) in code.chunks(8).enumerate() {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        // SAFETY: page 8 of the reserved first MiB, the trampoline's own.
        unsafe { phys::write::<u64>(TRAMPOLINE_PHYS + 8 * i as u64, u64::from_le_bytes(word)) };
    }
}

/// Waits `ns` nanoseconds by the TSC.
fn delay(tsc_hz: u64, ns: u64) {
    let start = super::cpu::rdtsc();
    let ticks = (u128::from(tsc_hz) * u128::from(ns) / 1_000_000_000) as u64;
    while super::cpu::rdtsc().wrapping_sub(start) < ticks {
        core::hint::spin_loop();
    }
}

/// Starts every CPU the firmware lists, up to `max_cpus` in all (the boot
/// CPU included); each runs `main` once set up. Returns how many CPUs run.
/// `tsc_hz` times the start-up sequence.
pub fn start_secondary_cpus(max_cpus: usize, tsc_hz: u64, main: fn(usize) -> !) -> usize {
    SECONDARY_MAIN.call_once(|| main);
    let Some(madt) = crate::firmware::madt::get() else { return percpu::online_count() };
    let boot_apic = apic::id();
    let max = max_cpus.min(percpu::MAX_CPUS);
    copy_trampoline();
    let boot_pml4 = core::ptr::addr_of!(BOOT_PML4) as u64 - super::boot::KERNEL_VMA;
    write_field(core::ptr::addr_of!(ap_boot_cr3), boot_pml4);
    let nx = if super::cpu_features().nx { 1 << 11 } else { 0 };
    write_field(core::ptr::addr_of!(ap_efer), (1 << 8) | nx | super::cpu::EFER_SCE);
    write_field(core::ptr::addr_of!(ap_cr3), crate::mm::kernel_map::kernel_pml4());
    write_field(core::ptr::addr_of!(ap_entry), ap_long_mode_entry as *const () as u64);
    for &apic_id in madt.local_apics().iter().filter(|&&id| id != boot_apic) {
        let index = percpu::online_count();
        if index >= max {
            break;
        }
        if !start_one(index, apic_id, tsc_hz) {
            crate::console::emergency_write(format_args!("smp: CPU with APIC id {apic_id} did not start\n"));
        }
    }
    percpu::online_count()
}

/// Starts the CPU with local APIC id `apic_id` as CPU `index`; true once
/// it is online.
fn start_one(index: usize, apic_id: u32, tsc_hz: u64) -> bool {
    let ist = [0; 3].map(|_: u64| kstack::alloc_large(IST_STACK_PAGES));
    let (Some(stack), [Some(a), Some(b), Some(c)]) = (kstack::alloc_large(IDLE_STACK_PAGES), ist) else {
        return false;
    };
    let cpu = percpu::new_cpu(index);
    *STARTING.lock() = Some((index, cpu as u64, [a, b, c]));
    write_field(core::ptr::addr_of!(ap_cpu), index as u64);
    write_field(core::ptr::addr_of!(ap_stack), stack);
    let arrived = ARRIVED.load(Ordering::Acquire);
    apic::send_init(apic_id);
    delay(tsc_hz, 10_000_000);
    for _ in 0..2 {
        apic::send_startup(apic_id, (TRAMPOLINE_PHYS >> 12) as u8);
        delay(tsc_hz, 200_000);
        if ARRIVED.load(Ordering::Acquire) != arrived {
            break;
        }
    }
    // An emulator may take long to run a new CPU's first instructions.
    for _ in 0..2000 {
        if percpu::online_mask() & (1 << index) != 0 {
            return true;
        }
        delay(tsc_hz, 1_000_000);
    }
    false
}

/// A secondary CPU's first Rust code, on its idle stack and the kernel's
/// page tables, interrupts off.
#[no_mangle]
extern "C" fn ap_start(index: u64) -> ! {
    ARRIVED.fetch_add(1, Ordering::AcqRel);
    let (expected, cpu, ist) = STARTING.lock().take().expect("a CPU starts only when asked");
    assert_eq!(expected, index as usize, "the started CPU has the number it was given");
    // SAFETY: `cpu` is the fresh PerCpu made for this CPU alone, and this
    // is its start-up, interrupts off.
    unsafe { super::init_secondary_cpu(cpu as *mut percpu::PerCpu, ist) };
    apic::init_this_cpu();
    percpu::set_online();
    let main = SECONDARY_MAIN.get().expect("set before any CPU starts");
    main(index as usize)
}
