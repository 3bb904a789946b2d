//! /proc/cpuinfo's flags: Linux's names for CPUID feature bits
//! (arch/x86/include/asm/cpufeatures.h), in Linux's order, which is that
//! of its capability words. Bits Linux does not name, or hides (names
//! given as ""), are left out, and so are the words Linux fills from
//! other sources (its own synthetic flags, VIA, virtualization MSRs).

use crate::arch::cpu::cpuid;

/// Where a capability word comes from: CPUID leaf, subleaf and register.
#[derive(Clone, Copy)]
pub enum Reg {
    Eax,
    Ebx,
    Ecx,
    Edx,
}

pub struct Word {
    pub leaf: u32,
    pub subleaf: u32,
    pub reg: Reg,
    /// (bit, name), lowest bit first.
    pub names: &'static [(u32, &'static str)],
}

const fn word(leaf: u32, subleaf: u32, reg: Reg, names: &'static [(u32, &'static str)]) -> Word {
    Word { leaf, subleaf, reg, names }
}

/// The capability words in Linux's order (word 0, 1, 4, 6, 9, 10, 12..18).
/// Linux's synthetic word 3 comes after word 1; see `synthetic`.
#[rustfmt::skip]
pub static WORDS: [Word; 13] = [
    word(1, 0, Reg::Edx, &[
        (0, "fpu"), (1, "vme"), (2, "de"), (3, "pse"), (4, "tsc"), (5, "msr"), (6, "pae"), (7, "mce"),
        (8, "cx8"), (9, "apic"), (11, "sep"), (12, "mtrr"), (13, "pge"), (14, "mca"), (15, "cmov"),
        (16, "pat"), (17, "pse36"), (18, "pn"), (19, "clflush"), (21, "dts"), (22, "acpi"), (23, "mmx"),
        (24, "fxsr"), (25, "sse"), (26, "sse2"), (27, "ss"), (28, "ht"), (29, "tm"), (30, "ia64"), (31, "pbe"),
    ]),
    word(0x8000_0001, 0, Reg::Edx, &[
        (11, "syscall"), (19, "mp"), (20, "nx"), (22, "mmxext"), (25, "fxsr_opt"), (26, "pdpe1gb"),
        (27, "rdtscp"), (29, "lm"), (30, "3dnowext"), (31, "3dnow"),
    ]),
    word(1, 0, Reg::Ecx, &[
        (0, "pni"), (1, "pclmulqdq"), (2, "dtes64"), (3, "monitor"), (4, "ds_cpl"), (5, "vmx"), (6, "smx"),
        (7, "est"), (8, "tm2"), (9, "ssse3"), (10, "cid"), (11, "sdbg"), (12, "fma"), (13, "cx16"),
        (14, "xtpr"), (15, "pdcm"), (17, "pcid"), (18, "dca"), (19, "sse4_1"), (20, "sse4_2"),
        (21, "x2apic"), (22, "movbe"), (23, "popcnt"), (24, "tsc_deadline_timer"), (25, "aes"),
        (26, "xsave"), (28, "avx"), (29, "f16c"), (30, "rdrand"), (31, "hypervisor"),
    ]),
    word(0x8000_0001, 0, Reg::Ecx, &[
        (0, "lahf_lm"), (1, "cmp_legacy"), (2, "svm"), (3, "extapic"), (4, "cr8_legacy"), (5, "abm"),
        (6, "sse4a"), (7, "misalignsse"), (8, "3dnowprefetch"), (9, "osvw"), (10, "ibs"), (11, "xop"),
        (12, "skinit"), (13, "wdt"), (15, "lwp"), (16, "fma4"), (17, "tce"), (19, "nodeid_msr"),
        (21, "tbm"), (22, "topoext"), (23, "perfctr_core"), (24, "perfctr_nb"), (26, "bpext"),
        (27, "ptsc"), (28, "perfctr_llc"), (29, "mwaitx"),
    ]),
    word(7, 0, Reg::Ebx, &[
        (0, "fsgsbase"), (1, "tsc_adjust"), (2, "sgx"), (3, "bmi1"), (4, "hle"), (5, "avx2"), (7, "smep"),
        (8, "bmi2"), (9, "erms"), (10, "invpcid"), (11, "rtm"), (12, "cqm"), (14, "mpx"), (15, "rdt_a"),
        (16, "avx512f"), (17, "avx512dq"), (18, "rdseed"), (19, "adx"), (20, "smap"), (21, "avx512ifma"),
        (23, "clflushopt"), (24, "clwb"), (25, "intel_pt"), (26, "avx512pf"), (27, "avx512er"),
        (28, "avx512cd"), (29, "sha_ni"), (30, "avx512bw"), (31, "avx512vl"),
    ]),
    word(0xd, 1, Reg::Eax, &[(0, "xsaveopt"), (1, "xsavec"), (2, "xgetbv1"), (3, "xsaves"), (4, "xfd")]),
    word(7, 1, Reg::Eax, &[(4, "avx_vnni"), (5, "avx512_bf16")]),
    word(0x8000_0008, 0, Reg::Ebx, &[
        (0, "clzero"), (1, "irperf"), (2, "xsaveerptr"), (4, "rdpru"), (9, "wbnoinvd"), (23, "amd_ppin"),
        (25, "virt_ssbd"), (27, "cppc"), (31, "brs"),
    ]),
    word(6, 0, Reg::Eax, &[
        (0, "dtherm"), (1, "ida"), (2, "arat"), (4, "pln"), (6, "pts"), (7, "hwp"), (8, "hwp_notify"),
        (9, "hwp_act_window"), (10, "hwp_epp"), (11, "hwp_pkg_req"), (19, "hfi"),
    ]),
    word(0x8000_000a, 0, Reg::Edx, &[
        (0, "npt"), (1, "lbrv"), (2, "svm_lock"), (3, "nrip_save"), (4, "tsc_scale"), (5, "vmcb_clean"),
        (6, "flushbyasid"), (7, "decodeassists"), (10, "pausefilter"), (12, "pfthreshold"), (13, "avic"),
        (15, "v_vmsave_vmload"), (16, "vgif"), (18, "x2avic"), (20, "v_spec_ctrl"), (28, "svme_addr_chk"),
    ]),
    word(7, 0, Reg::Ecx, &[
        (1, "avx512vbmi"), (2, "umip"), (3, "pku"), (4, "ospke"), (5, "waitpkg"), (6, "avx512_vbmi2"),
        (8, "gfni"), (9, "vaes"), (10, "vpclmulqdq"), (11, "avx512_vnni"), (12, "avx512_bitalg"),
        (13, "tme"), (14, "avx512_vpopcntdq"), (16, "la57"), (22, "rdpid"), (24, "bus_lock_detect"),
        (25, "cldemote"), (27, "movdiri"), (28, "movdir64b"), (29, "enqcmd"), (30, "sgx_lc"),
    ]),
    word(0x8000_0007, 0, Reg::Ebx, &[(0, "overflow_recov"), (1, "succor"), (3, "smca")]),
    word(7, 0, Reg::Edx, &[
        (2, "avx512_4vnniw"), (3, "avx512_4fmaps"), (4, "fsrm"), (8, "avx512_vp2intersect"), (10, "md_clear"),
        (14, "serialize"), (16, "tsxldtrk"), (18, "pconfig"), (19, "arch_lbr"), (20, "ibt"), (22, "amx_bf16"),
        (23, "avx512_fp16"), (24, "amx_tile"), (25, "amx_int8"), (28, "flush_l1d"), (29, "arch_capabilities"),
    ]),
];

/// True when the CPU has the leaf (basic or extended range), and for
/// leaf 7 the subleaf.
fn has_leaf(leaf: u32, subleaf: u32) -> bool {
    let max = cpuid(leaf & 0x8000_0000, 0).eax;
    if leaf > max {
        return false;
    }
    leaf != 7 || subleaf <= cpuid(7, 0).eax
}

/// The register a word is read from, 0 when the CPU lacks the leaf.
pub fn read(w: &Word) -> u32 {
    if !has_leaf(w.leaf, w.subleaf) {
        return 0;
    }
    let r = cpuid(w.leaf, w.subleaf);
    match w.reg {
        Reg::Eax => r.eax,
        Reg::Ebx => r.ebx,
        Reg::Ecx => r.ecx,
        Reg::Edx => r.edx,
    }
}

/// Linux's own flags (word 3) that follow from CPUID here: an invariant
/// TSC is constant and non-stop; leaf 0xB describes the topology; the
/// CPU has CPUID.
pub fn synthetic() -> alloc::vec::Vec<&'static str> {
    let mut out = alloc::vec::Vec::new();
    let invariant_tsc = has_leaf(0x8000_0007, 0) && cpuid(0x8000_0007, 0).edx & (1 << 8) != 0;
    let topology = has_leaf(0xb, 0) && cpuid(0xb, 0).ebx != 0;
    for (on, name) in
        [(invariant_tsc, "constant_tsc"), (topology, "xtopology"), (invariant_tsc, "nonstop_tsc"), (true, "cpuid")]
    {
        if on {
            out.push(name);
        }
    }
    out
}
