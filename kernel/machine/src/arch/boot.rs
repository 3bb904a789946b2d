//! The entry from both boot protocols. PVH (QEMU, Firecracker,
//! cloud-hypervisor) and multiboot2 (GRUB) both start the kernel in 32-bit
//! protected mode with paging off and `ebx` pointing at their boot
//! information; multiboot2 also puts its magic in `eax`. This stub builds
//! boot page tables (identity, direct map and kernel image for the first
//! 4 GiB, 2 MiB pages), enters long mode and jumps to `machine_start` in
//! the higher half with both registers. All else is Rust.

#[cfg(target_os = "none")]
use core::arch::global_asm;

/// Virtual base of the kernel image: physical address 0 maps here.
pub const KERNEL_VMA: u64 = 0xffff_ffff_8000_0000;

// The bare-metal build only: host builds (the kernel's unit tests) never
// run this code, and its absolute relocations do not link into a PIE.
#[cfg(target_os = "none")]
global_asm!(
    r#"
    .set KERNEL_VMA, 0xffffffff80000000

    .section .note.pvh, "a"
    .balign 4
    .long 4
    .long 4
    .long 18
    .asciz "Xen"
    .balign 4
    .long pvh_start
    .balign 4

    /* The multiboot2 header: GRUB looks for it, 8-byte aligned, in the
       first 32 KiB of the file; the linker script puts it first. Its tags
       ask for a linear framebuffer (optional: GRUB may leave text mode)
       and for page-aligned modules; GRUB loads the ELF segments at their
       physical addresses and enters at the ELF entry, pvh_start. */
    .section .multiboot2, "a"
    .balign 8
multiboot2_header:
    .long 0xe85250d6
    .long 0
    .long multiboot2_header_end - multiboot2_header
    .long -(0xe85250d6 + (multiboot2_header_end - multiboot2_header))
    .balign 8
    .word 5, 1
    .long 20
    .long 1024, 768, 32
    .balign 8
    .word 6, 0
    .long 8
    .balign 8
    .word 0, 0
    .long 8
multiboot2_header_end:

    .section .boot.text, "ax"
    .code32
    .global pvh_start
pvh_start:
    cli
    cld
    mov esi, ebx
    mov ebp, eax

    /* Zero .bss: it holds the boot page tables and stacks. */
    mov edi, offset __bss_start - KERNEL_VMA
    mov ecx, offset __bss_end - KERNEL_VMA
    sub ecx, edi
    shr ecx, 2
    xor eax, eax
    rep stosd

    /* The TSC at entry, for the kernel's own boot-time figure. */
    rdtsc
    mov [BOOT_TSC - KERNEL_VMA], eax
    mov [BOOT_TSC - KERNEL_VMA + 4], edx

    /* 2048 PD entries of 2 MiB: physical 0..4 GiB. */
    mov edi, offset BOOT_PD - KERNEL_VMA
    mov eax, 0x83
    xor ecx, ecx
2:
    mov [edi + ecx * 8], eax
    mov dword ptr [edi + ecx * 8 + 4], 0
    add eax, 0x200000
    inc ecx
    cmp ecx, 2048
    jb 2b

    /* Low PDPT: four page directories, identity and direct map. */
    mov edi, offset BOOT_PDPT_LOW - KERNEL_VMA
    mov eax, offset BOOT_PD - KERNEL_VMA
    or eax, 3
    mov [edi], eax
    add eax, 4096
    mov [edi + 8], eax
    add eax, 4096
    mov [edi + 16], eax
    add eax, 4096
    mov [edi + 24], eax

    /* High PDPT: entry 510 maps the kernel image (first GiB). */
    mov edi, offset BOOT_PDPT_HIGH - KERNEL_VMA
    mov eax, offset BOOT_PD - KERNEL_VMA
    or eax, 3
    mov [edi + 510 * 8], eax

    mov edi, offset BOOT_PML4 - KERNEL_VMA
    mov eax, offset BOOT_PDPT_LOW - KERNEL_VMA
    or eax, 3
    mov [edi], eax
    mov [edi + 256 * 8], eax
    mov eax, offset BOOT_PDPT_HIGH - KERNEL_VMA
    or eax, 3
    mov [edi + 511 * 8], eax

    /* PAE, then CR3, then EFER.LME (+NXE when the CPU has NX), then paging. */
    mov eax, cr4
    or eax, 1 << 5
    mov cr4, eax
    mov eax, offset BOOT_PML4 - KERNEL_VMA
    mov cr3, eax

    mov eax, 0x80000001
    cpuid
    mov ebx, 1 << 8
    test edx, 1 << 20
    jz 5f
    or ebx, 1 << 11
5:
    mov ecx, 0xC0000080
    rdmsr
    or eax, ebx
    wrmsr

    mov eax, cr0
    or eax, (1 << 31) | (1 << 16) | 1
    mov cr0, eax

    lgdt [boot_gdt_ptr]
    /* ljmp 0x08:long_mode_entry (ptr16:32 far jump) */
    .byte 0xEA
    .long long_mode_entry
    .word 0x08

    .code64
long_mode_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    movabs rsp, offset BOOT_STACK_TOP
    mov edi, esi
    mov esi, ebp
    xor ebp, ebp
    movabs rax, offset machine_start
    call rax
6:
    hlt
    jmp 6b

    .section .boot.data, "a"
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff
    .quad 0x00cf92000000ffff
boot_gdt_ptr:
    .word boot_gdt_ptr - boot_gdt - 1
    .long boot_gdt

    .section .bss.boot, "aw", @nobits
    .balign 4096
    .global BOOT_PML4
BOOT_PML4: .skip 4096
BOOT_PDPT_LOW: .skip 4096
BOOT_PDPT_HIGH: .skip 4096
BOOT_PD: .skip 4096 * 4
    .balign 16
BOOT_STACK: .skip 65536
    .global BOOT_STACK_TOP
BOOT_STACK_TOP:
    .balign 8
    .global BOOT_TSC
BOOT_TSC: .quad 0
    .text
"#
);

extern "C" {
    static BOOT_TSC: u64;
}

/// The TSC value read at the first instruction of the kernel.
pub fn boot_tsc() -> u64 {
    // SAFETY: written once by the boot stub before any Rust code runs and
    // never written again; reading a u64 from the image is sound.
    unsafe { core::ptr::addr_of!(BOOT_TSC).read_volatile() }
}
