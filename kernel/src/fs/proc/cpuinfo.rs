//! /proc/cpuinfo: one block per online CPU, with Linux's fields,
//! labels and tabs (arch/x86/kernel/cpu/proc.c), everything read from
//! CPUID except the clock, which is the TSC's as calibrated at boot.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use super::cpuflags::{read, synthetic, WORDS};
use crate::arch::cpu::cpuid;

/// Linux's x86_power_flags: CPUID 0x80000007 EDX bits ("" = not shown).
const POWER_FLAGS: [&str; 13] = [
    "ts",
    "fid",
    "vid",
    "ttp",
    "tm",
    "stc",
    "100mhzsteps",
    "hwpstate",
    "",
    "cpb",
    "eff_freq_ro",
    "proc_feedback",
    "acc_power",
];

fn regs_text(regs: &[u32]) -> String {
    let bytes: Vec<u8> = regs.iter().flat_map(|r| r.to_le_bytes()).take_while(|&b| b != 0).collect();
    String::from_utf8_lossy(&bytes).into()
}

/// Family, model and stepping as Linux computes them (x86_family,
/// x86_model: the extended fields count from family 15 and 6).
pub fn signature(eax: u32) -> (u32, u32, u32) {
    let mut family = (eax >> 8) & 0xf;
    if family == 0xf {
        family += (eax >> 20) & 0xff;
    }
    let mut model = (eax >> 4) & 0xf;
    if family >= 6 {
        model += ((eax >> 16) & 0xf) << 4;
    }
    (family, model, eax & 0xf)
}

fn max_extended() -> u32 {
    cpuid(0x8000_0000, 0).eax
}

/// The processor's brand string (leaves 0x80000002-4), trimmed.
fn model_name() -> String {
    if max_extended() < 0x8000_0004 {
        return String::from("unknown");
    }
    let mut regs = Vec::new();
    for leaf in 0x8000_0002..=0x8000_0004 {
        let r = cpuid(leaf, 0);
        regs.extend([r.eax, r.ebx, r.ecx, r.edx]);
    }
    String::from(regs_text(&regs).trim())
}

/// The cache size Linux shows: Intel's last-level cache from the
/// deterministic cache leaf 4, others' L2 from leaf 0x80000006 (KiB).
fn cache_size_kb(vendor: &str) -> u32 {
    if vendor == "GenuineIntel" && cpuid(0, 0).eax >= 4 {
        let mut best = (0, 0);
        for i in 0..16 {
            let r = cpuid(4, i);
            if r.eax & 0x1f == 0 {
                break;
            }
            let level = (r.eax >> 5) & 7;
            let ways = (r.ebx >> 22) + 1;
            let partitions = ((r.ebx >> 12) & 0x3ff) + 1;
            let line = (r.ebx & 0xfff) + 1;
            let size = ways * partitions * line * (r.ecx + 1) / 1024;
            if r.eax & 0x1f != 1 && level >= best.0 {
                best = (level, size);
            }
        }
        return best.1;
    }
    if max_extended() >= 0x8000_0006 {
        cpuid(0x8000_0006, 0).ecx >> 16
    } else {
        0
    }
}

/// The CPU vulnerabilities Linux would list (no mitigation is applied
/// here): the speculation bugs of every Intel and AMD design.
fn bugs(vendor: &str) -> &'static str {
    match vendor {
        "GenuineIntel" | "AuthenticAMD" | "HygonGenuine" => " spectre_v1 spectre_v2 spec_store_bypass",
        _ => "",
    }
}

/// How APIC ids split into package, core and thread (CPUID leaves 1 and
/// 0xB): the bits below `package_shift` number the logical CPUs of one
/// package, those below `smt_shift` the threads of one core.
struct Topology {
    package_shift: u32,
    smt_shift: u32,
}

fn topology() -> Topology {
    let leaf1 = cpuid(1, 0);
    let bits = |n: u32| if n <= 1 { 0 } else { 32 - (n - 1).leading_zeros() };
    // HTT: leaf 1 counts the logical CPUs a package may hold.
    let package_shift = if leaf1.edx & (1 << 28) != 0 { bits((leaf1.ebx >> 16) & 0xff) } else { 0 };
    let smt_shift =
        if cpuid(0, 0).eax >= 0xb && cpuid(0xb, 0).ebx & 0xffff != 0 { cpuid(0xb, 0).eax & 0x1f } else { 0 };
    Topology { package_shift, smt_shift: smt_shift.min(package_shift) }
}

/// The online CPUs' numbers and APIC ids.
fn online_cpus() -> Vec<(usize, u32)> {
    crate::sched::stats::online_cpus().filter_map(|c| machine::arch::percpu::apic_id_of(c).map(|id| (c, id))).collect()
}

pub fn cpuinfo() -> String {
    let cpus = online_cpus();
    let topo = topology();
    let mut s = String::new();
    for &(cpu, apicid) in &cpus {
        let package = apicid >> topo.package_shift;
        let siblings = cpus.iter().filter(|(_, id)| id >> topo.package_shift == package).count();
        let cores = cpus
            .iter()
            .filter(|(_, id)| id >> topo.package_shift == package && id & ((1 << topo.smt_shift) - 1) == 0)
            .count();
        let core = (apicid & ((1 << topo.package_shift) - 1)) >> topo.smt_shift;
        cpu_block(&mut s, cpu, apicid, [package, core], siblings, cores);
    }
    s
}

/// One CPU's block: its number, APIC id, package and core ids, and its
/// package's online logical CPUs and cores.
fn cpu_block(s: &mut String, cpu: usize, apicid: u32, [package, core]: [u32; 2], siblings: usize, cores: usize) {
    let leaf0 = cpuid(0, 0);
    let vendor = regs_text(&[leaf0.ebx, leaf0.edx, leaf0.ecx]);
    let leaf1 = cpuid(1, 0);
    let (family, model, stepping) = signature(leaf1.eax);
    let khz = crate::time::tsc_hz() / 1000;
    let _ = write!(s, "processor\t: {cpu}\nvendor_id\t: {vendor}\ncpu family\t: {family}\nmodel\t\t: {model}\n");
    let _ = write!(s, "model name\t: {}\nstepping\t: {stepping}\n", model_name());
    if leaf1.edx & (1 << 4) != 0 {
        let _ = writeln!(s, "cpu MHz\t\t: {}.{:03}", khz / 1000, khz % 1000);
    }
    let cache = cache_size_kb(&vendor);
    if cache != 0 {
        let _ = writeln!(s, "cache size\t: {cache} KB");
    }
    let _ = write!(s, "physical id\t: {package}\nsiblings\t: {siblings}\ncore id\t\t: {core}\ncpu cores\t: {cores}\n");
    let _ = write!(s, "apicid\t\t: {apicid}\ninitial apicid\t: {apicid}\n");
    let fpu = if leaf1.edx & 1 != 0 { "yes" } else { "no" };
    let _ = write!(s, "fpu\t\t: {fpu}\nfpu_exception\t: {fpu}\ncpuid level\t: {}\nwp\t\t: yes\n", leaf0.eax);
    s.push_str("flags\t\t:");
    for (i, w) in WORDS.iter().enumerate() {
        let bits = read(w);
        for (bit, name) in w.names {
            if bits & (1 << bit) != 0 {
                s.push(' ');
                s.push_str(name);
            }
        }
        if i == 1 {
            // Linux's word 3, between the AMD feature word and leaf 1's ECX.
            for name in synthetic() {
                s.push(' ');
                s.push_str(name);
            }
        }
    }
    let _ = write!(s, "\nbugs\t\t:{}\n", bugs(&vendor));
    // Linux's loops_per_jiffy from the TSC: bogomips = 2 * MHz.
    let _ = writeln!(s, "bogomips\t: {}.{:02}", khz / 500, (khz / 5) % 100);
    let clflush = ((leaf1.ebx >> 8) & 0xff) * 8;
    let _ = write!(s, "clflush size\t: {clflush}\ncache_alignment\t: {clflush}\n");
    let (phys, virt) = if max_extended() >= 0x8000_0008 {
        let a = cpuid(0x8000_0008, 0).eax;
        (a & 0xff, (a >> 8) & 0xff)
    } else {
        (36, 48)
    };
    let _ = writeln!(s, "address sizes\t: {phys} bits physical, {virt} bits virtual");
    s.push_str("power management:");
    if max_extended() >= 0x8000_0007 {
        let power = cpuid(0x8000_0007, 0).edx;
        for bit in (0..32).filter(|b| power & (1 << b) != 0) {
            match POWER_FLAGS.get(bit) {
                Some(&"") => {}
                Some(name) => {
                    s.push(' ');
                    s.push_str(name);
                }
                None => {
                    let _ = write!(s, " [{bit}]");
                }
            }
        }
    }
    s.push_str("\n\n");
}
