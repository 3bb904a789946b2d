//! The local APIC (xAPIC, memory-mapped) and its timer, which drives the
//! scheduler tick. The legacy 8259 PICs are remapped out of the way and
//! masked.

use spin::Once;

use super::cpu::{rdmsr, MSR_APIC_BASE};
use super::traps::{SPURIOUS_VECTOR, TIMER_VECTOR};
use crate::io::{inb, outb};
use crate::mmio::Mmio;

const REG_ID: u64 = 0x20;
const REG_EOI: u64 = 0xB0;
const REG_SPURIOUS: u64 = 0xF0;
const REG_ICR_LOW: u64 = 0x300;
const REG_ICR_HIGH: u64 = 0x310;
const REG_LVT_TIMER: u64 = 0x320;
const REG_TIMER_INITIAL: u64 = 0x380;
const REG_TIMER_CURRENT: u64 = 0x390;
const REG_TIMER_DIVIDE: u64 = 0x3E0;

const TIMER_PERIODIC: u32 = 1 << 17;
const LVT_MASKED: u32 = 1 << 16;
const DIVIDE_BY_16: u32 = 0x3;

static REGISTERS: Once<Mmio> = Once::new();

fn registers() -> &'static Mmio {
    REGISTERS.get().expect("apic::init ran")
}

fn read(reg: u64) -> u32 {
    registers().read32(reg)
}

fn write(reg: u64, value: u32) {
    registers().write32(reg, value)
}

fn mask_legacy_pic() {
    // Remap to vectors 0xF0..0xFF (ICW1..ICW4) so a spurious PIC interrupt
    // never looks like an exception, then mask every line.
    for (cmd, data, base, cascade) in [(0x20u16, 0x21u16, 0xF0u8, 4u8), (0xA0, 0xA1, 0xF8, 2)] {
        // SAFETY: the PICs' own ports, in their initialisation sequence.
        unsafe {
            outb(cmd, 0x11);
            outb(data, base);
            outb(data, cascade);
            outb(data, 0x01);
            outb(data, 0xFF);
        }
    }
    // SAFETY: reads the master PIC's mask register.
    let _ = unsafe { inb(0x21) };
}

pub fn init() {
    mask_legacy_pic();
    let base = rdmsr(MSR_APIC_BASE) & 0x000f_ffff_ffff_f000;
    // SAFETY: APIC_BASE names the local APIC's 4 KiB register page, in
    // the uncached hole; only this module touches it.
    REGISTERS.call_once(|| unsafe { Mmio::new(base, 4096) });
    init_this_cpu();
}

/// Enables this CPU's local APIC, its timer masked (every CPU; the boot
/// CPU through `init`).
pub fn init_this_cpu() {
    write(REG_SPURIOUS, 0x100 | SPURIOUS_VECTOR as u32);
    write(REG_LVT_TIMER, LVT_MASKED);
}

const ICR_DELIVERY_PENDING: u32 = 1 << 12;
const ICR_LEVEL_ASSERT: u32 = 1 << 14;
const ICR_INIT: u32 = 5 << 8;
const ICR_STARTUP: u32 = 6 << 8;

/// Writes the interrupt command register: `low` to the CPU whose local
/// APIC id is `apic_id`, after the previous command left.
fn send_command(apic_id: u32, low: u32) {
    crate::arch::cpu::without_interrupts(|| {
        while read(REG_ICR_LOW) & ICR_DELIVERY_PENDING != 0 {
            core::hint::spin_loop();
        }
        write(REG_ICR_HIGH, apic_id << 24);
        write(REG_ICR_LOW, low);
    });
}

/// Sends fixed interrupt `vector` to the CPU with local APIC id `apic_id`.
pub fn send_ipi(apic_id: u32, vector: u8) {
    send_command(apic_id, u32::from(vector) | ICR_LEVEL_ASSERT);
}

/// The INIT of the INIT-SIPI-SIPI start-up sequence.
pub(crate) fn send_init(apic_id: u32) {
    send_command(apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
}

/// A start-up IPI: the CPU starts in real mode at `page` * 4 KiB.
pub(crate) fn send_startup(apic_id: u32, page: u8) {
    send_command(apic_id, ICR_STARTUP | u32::from(page));
}

/// This CPU's local APIC id (the destination I/O APIC entries name).
pub fn id() -> u32 {
    read(REG_ID) >> 24
}

pub fn end_of_interrupt() {
    write(REG_EOI, 0);
}

/// Starts the timer counting down from its maximum (for calibration).
pub fn timer_start_oneshot_max() {
    write(REG_TIMER_DIVIDE, DIVIDE_BY_16);
    write(REG_LVT_TIMER, LVT_MASKED);
    write(REG_TIMER_INITIAL, u32::MAX);
}

pub fn timer_current() -> u32 {
    read(REG_TIMER_CURRENT)
}

/// One timer interrupt after `ticks` timer counts (divided by 16); the
/// periodic interrupts stop until `timer_start_periodic`.
pub fn timer_start_oneshot(ticks: u32) {
    write(REG_TIMER_DIVIDE, DIVIDE_BY_16);
    write(REG_LVT_TIMER, TIMER_VECTOR as u32);
    write(REG_TIMER_INITIAL, ticks.max(1));
}

/// Periodic timer interrupts, `ticks` timer counts (divided by 16) apart.
pub fn timer_start_periodic(ticks: u32) {
    write(REG_TIMER_DIVIDE, DIVIDE_BY_16);
    write(REG_LVT_TIMER, TIMER_VECTOR as u32 | TIMER_PERIODIC);
    write(REG_TIMER_INITIAL, ticks.max(1));
}
