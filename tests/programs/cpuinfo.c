/*
 * /proc/cpuinfo against the CPU itself: vendor_id, cpu family, model,
 * stepping, model name, cpuid level, address sizes and the flags are
 * compared with what CPUID returns here, with Linux's names for the
 * feature bits; cpu MHz with the TSC's rate measured against
 * CLOCK_MONOTONIC. Linux hides some CPUID bits it disabled, so on Linux
 * the flags shown must be a subset of CPUID's; this kernel shows exactly
 * the CPUID flags. A host whose cpu MHz is not the TSC's rate (frequency
 * scaling) gets TCONF for that check; this kernel must match within 5%.
 */
#include "procparse.h"

#include <stdint.h>
#include <sys/utsname.h>
#include <time.h>

static char buf[1 << 16];

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

enum { EAX, EBX, ECX, EDX };

struct flag {
	uint32_t leaf, sub;
	int reg, bit;
	const char *name;
};

/* Linux's names (arch/x86/include/asm/cpufeatures.h) for CPUID bits. */
static const struct flag flags[] = {
	{1, 0, EDX, 0, "fpu"}, {1, 0, EDX, 1, "vme"}, {1, 0, EDX, 2, "de"}, {1, 0, EDX, 3, "pse"},
	{1, 0, EDX, 4, "tsc"}, {1, 0, EDX, 5, "msr"}, {1, 0, EDX, 6, "pae"}, {1, 0, EDX, 7, "mce"},
	{1, 0, EDX, 8, "cx8"}, {1, 0, EDX, 9, "apic"}, {1, 0, EDX, 11, "sep"}, {1, 0, EDX, 12, "mtrr"},
	{1, 0, EDX, 13, "pge"}, {1, 0, EDX, 14, "mca"}, {1, 0, EDX, 15, "cmov"}, {1, 0, EDX, 16, "pat"},
	{1, 0, EDX, 17, "pse36"}, {1, 0, EDX, 19, "clflush"}, {1, 0, EDX, 21, "dts"}, {1, 0, EDX, 22, "acpi"},
	{1, 0, EDX, 23, "mmx"}, {1, 0, EDX, 24, "fxsr"}, {1, 0, EDX, 25, "sse"}, {1, 0, EDX, 26, "sse2"},
	{1, 0, EDX, 27, "ss"}, {1, 0, EDX, 28, "ht"}, {1, 0, EDX, 29, "tm"}, {1, 0, EDX, 31, "pbe"},
	{0x80000001, 0, EDX, 11, "syscall"}, {0x80000001, 0, EDX, 20, "nx"}, {0x80000001, 0, EDX, 22, "mmxext"},
	{0x80000001, 0, EDX, 25, "fxsr_opt"}, {0x80000001, 0, EDX, 26, "pdpe1gb"},
	{0x80000001, 0, EDX, 27, "rdtscp"}, {0x80000001, 0, EDX, 29, "lm"}, {0x80000001, 0, EDX, 30, "3dnowext"},
	{0x80000001, 0, EDX, 31, "3dnow"},
	{1, 0, ECX, 0, "pni"}, {1, 0, ECX, 1, "pclmulqdq"}, {1, 0, ECX, 2, "dtes64"}, {1, 0, ECX, 3, "monitor"},
	{1, 0, ECX, 4, "ds_cpl"}, {1, 0, ECX, 5, "vmx"}, {1, 0, ECX, 6, "smx"}, {1, 0, ECX, 7, "est"},
	{1, 0, ECX, 8, "tm2"}, {1, 0, ECX, 9, "ssse3"}, {1, 0, ECX, 10, "cid"}, {1, 0, ECX, 11, "sdbg"},
	{1, 0, ECX, 12, "fma"}, {1, 0, ECX, 13, "cx16"}, {1, 0, ECX, 14, "xtpr"}, {1, 0, ECX, 15, "pdcm"},
	{1, 0, ECX, 17, "pcid"}, {1, 0, ECX, 18, "dca"}, {1, 0, ECX, 19, "sse4_1"}, {1, 0, ECX, 20, "sse4_2"},
	{1, 0, ECX, 21, "x2apic"}, {1, 0, ECX, 22, "movbe"}, {1, 0, ECX, 23, "popcnt"},
	{1, 0, ECX, 24, "tsc_deadline_timer"}, {1, 0, ECX, 25, "aes"}, {1, 0, ECX, 26, "xsave"},
	{1, 0, ECX, 28, "avx"}, {1, 0, ECX, 29, "f16c"}, {1, 0, ECX, 30, "rdrand"}, {1, 0, ECX, 31, "hypervisor"},
	{0x80000001, 0, ECX, 0, "lahf_lm"}, {0x80000001, 0, ECX, 1, "cmp_legacy"}, {0x80000001, 0, ECX, 2, "svm"},
	{0x80000001, 0, ECX, 3, "extapic"}, {0x80000001, 0, ECX, 4, "cr8_legacy"}, {0x80000001, 0, ECX, 5, "abm"},
	{0x80000001, 0, ECX, 6, "sse4a"}, {0x80000001, 0, ECX, 7, "misalignsse"},
	{0x80000001, 0, ECX, 8, "3dnowprefetch"}, {0x80000001, 0, ECX, 9, "osvw"}, {0x80000001, 0, ECX, 10, "ibs"},
	{0x80000001, 0, ECX, 11, "xop"}, {0x80000001, 0, ECX, 12, "skinit"}, {0x80000001, 0, ECX, 13, "wdt"},
	{0x80000001, 0, ECX, 15, "lwp"}, {0x80000001, 0, ECX, 16, "fma4"}, {0x80000001, 0, ECX, 17, "tce"},
	{0x80000001, 0, ECX, 19, "nodeid_msr"}, {0x80000001, 0, ECX, 21, "tbm"}, {0x80000001, 0, ECX, 22, "topoext"},
	{0x80000001, 0, ECX, 23, "perfctr_core"}, {0x80000001, 0, ECX, 24, "perfctr_nb"},
	{0x80000001, 0, ECX, 26, "bpext"}, {0x80000001, 0, ECX, 27, "ptsc"}, {0x80000001, 0, ECX, 28, "perfctr_llc"},
	{0x80000001, 0, ECX, 29, "mwaitx"},
	{7, 0, EBX, 0, "fsgsbase"}, {7, 0, EBX, 1, "tsc_adjust"}, {7, 0, EBX, 2, "sgx"}, {7, 0, EBX, 3, "bmi1"},
	{7, 0, EBX, 4, "hle"}, {7, 0, EBX, 5, "avx2"}, {7, 0, EBX, 7, "smep"}, {7, 0, EBX, 8, "bmi2"},
	{7, 0, EBX, 9, "erms"}, {7, 0, EBX, 10, "invpcid"}, {7, 0, EBX, 11, "rtm"}, {7, 0, EBX, 12, "cqm"},
	{7, 0, EBX, 14, "mpx"}, {7, 0, EBX, 15, "rdt_a"}, {7, 0, EBX, 16, "avx512f"}, {7, 0, EBX, 17, "avx512dq"},
	{7, 0, EBX, 18, "rdseed"}, {7, 0, EBX, 19, "adx"}, {7, 0, EBX, 20, "smap"}, {7, 0, EBX, 21, "avx512ifma"},
	{7, 0, EBX, 23, "clflushopt"}, {7, 0, EBX, 24, "clwb"}, {7, 0, EBX, 25, "intel_pt"},
	{7, 0, EBX, 26, "avx512pf"}, {7, 0, EBX, 27, "avx512er"}, {7, 0, EBX, 28, "avx512cd"},
	{7, 0, EBX, 29, "sha_ni"}, {7, 0, EBX, 30, "avx512bw"}, {7, 0, EBX, 31, "avx512vl"},
	{0xd, 1, EAX, 0, "xsaveopt"}, {0xd, 1, EAX, 1, "xsavec"}, {0xd, 1, EAX, 2, "xgetbv1"},
	{0xd, 1, EAX, 3, "xsaves"}, {0xd, 1, EAX, 4, "xfd"},
	{7, 1, EAX, 4, "avx_vnni"}, {7, 1, EAX, 5, "avx512_bf16"},
	{0x80000008, 0, EBX, 0, "clzero"}, {0x80000008, 0, EBX, 1, "irperf"}, {0x80000008, 0, EBX, 2, "xsaveerptr"},
	{0x80000008, 0, EBX, 4, "rdpru"}, {0x80000008, 0, EBX, 9, "wbnoinvd"},
	{6, 0, EAX, 0, "dtherm"}, {6, 0, EAX, 1, "ida"}, {6, 0, EAX, 2, "arat"}, {6, 0, EAX, 4, "pln"},
	{6, 0, EAX, 6, "pts"}, {6, 0, EAX, 7, "hwp"}, {6, 0, EAX, 8, "hwp_notify"},
	{6, 0, EAX, 9, "hwp_act_window"}, {6, 0, EAX, 10, "hwp_epp"}, {6, 0, EAX, 11, "hwp_pkg_req"},
	{0x8000000a, 0, EDX, 0, "npt"}, {0x8000000a, 0, EDX, 1, "lbrv"}, {0x8000000a, 0, EDX, 2, "svm_lock"},
	{0x8000000a, 0, EDX, 3, "nrip_save"}, {0x8000000a, 0, EDX, 4, "tsc_scale"},
	{0x8000000a, 0, EDX, 5, "vmcb_clean"}, {0x8000000a, 0, EDX, 6, "flushbyasid"},
	{0x8000000a, 0, EDX, 7, "decodeassists"}, {0x8000000a, 0, EDX, 10, "pausefilter"},
	{0x8000000a, 0, EDX, 12, "pfthreshold"}, {0x8000000a, 0, EDX, 13, "avic"},
	{0x8000000a, 0, EDX, 15, "v_vmsave_vmload"}, {0x8000000a, 0, EDX, 16, "vgif"},
	{7, 0, ECX, 1, "avx512vbmi"}, {7, 0, ECX, 2, "umip"}, {7, 0, ECX, 3, "pku"}, {7, 0, ECX, 4, "ospke"},
	{7, 0, ECX, 5, "waitpkg"}, {7, 0, ECX, 6, "avx512_vbmi2"}, {7, 0, ECX, 8, "gfni"}, {7, 0, ECX, 9, "vaes"},
	{7, 0, ECX, 10, "vpclmulqdq"}, {7, 0, ECX, 11, "avx512_vnni"}, {7, 0, ECX, 12, "avx512_bitalg"},
	{7, 0, ECX, 13, "tme"}, {7, 0, ECX, 14, "avx512_vpopcntdq"}, {7, 0, ECX, 16, "la57"},
	{7, 0, ECX, 22, "rdpid"}, {7, 0, ECX, 24, "bus_lock_detect"}, {7, 0, ECX, 25, "cldemote"},
	{7, 0, ECX, 27, "movdiri"}, {7, 0, ECX, 28, "movdir64b"}, {7, 0, ECX, 29, "enqcmd"},
	{7, 0, ECX, 30, "sgx_lc"},
	{0x80000007, 0, EBX, 0, "overflow_recov"}, {0x80000007, 0, EBX, 1, "succor"},
	{0x80000007, 0, EBX, 3, "smca"},
	{7, 0, EDX, 2, "avx512_4vnniw"}, {7, 0, EDX, 3, "avx512_4fmaps"}, {7, 0, EDX, 4, "fsrm"},
	{7, 0, EDX, 8, "avx512_vp2intersect"}, {7, 0, EDX, 10, "md_clear"}, {7, 0, EDX, 14, "serialize"},
	{7, 0, EDX, 16, "tsxldtrk"}, {7, 0, EDX, 18, "pconfig"}, {7, 0, EDX, 19, "arch_lbr"},
	{7, 0, EDX, 20, "ibt"}, {7, 0, EDX, 22, "amx_bf16"}, {7, 0, EDX, 23, "avx512_fp16"},
	{7, 0, EDX, 24, "amx_tile"}, {7, 0, EDX, 25, "amx_int8"}, {7, 0, EDX, 28, "flush_l1d"},
	{7, 0, EDX, 29, "arch_capabilities"},
};

static int cpu_has(const struct flag *f)
{
	uint32_t r[4];
	cpuid(f->leaf & 0x80000000, 0, r);
	if (f->leaf > r[0])
		return 0;
	if (f->leaf == 7) {
		cpuid(7, 0, r);
		if (f->sub > r[0])
			return 0;
	}
	cpuid(f->leaf, f->sub, r);
	return (r[f->reg] >> f->bit) & 1;
}

/* The value of "key" in the first block of /proc/cpuinfo ("key\t*: value"). */
static const char *field(const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	for (const char *l = buf; *l && *l != '\n'; l = strchr(l, '\n') + 1) {
		if (strncmp(l, key, klen) == 0 && (l[klen] == '\t' || l[klen] == ':')) {
			const char *v = strstr(l, ": ");
			size_t n = v ? strcspn(v + 2, "\n") : 0;
			if (n >= size)
				n = size - 1;
			memcpy(out, v ? v + 2 : "", n);
			out[n] = '\0';
			return out;
		}
		if (!strchr(l, '\n'))
			break;
	}
	return NULL;
}

static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

int main(void)
{
	proc_mount_if_needed();
	struct utsname u;
	uname(&u);
	int kestrel = strstr(u.release, "kestrel") != NULL;
	if (read_file("/proc/cpuinfo", buf, sizeof(buf)) <= 0) {
		tfail("read /proc/cpuinfo: %s", errno_name(errno));
		return tdone();
	}
	EXPECT_RET("first line is \"processor\\t: 0\"", strncmp(buf, "processor\t: 0\n", 14), 0);
	uint32_t r[4];
	char v[4096], want[64];
	cpuid(0, 0, r);
	memcpy(want, &r[1], 4);
	memcpy(want + 4, &r[3], 4);
	memcpy(want + 8, &r[2], 4);
	want[12] = '\0';
	uint32_t max_leaf = r[0];
	if (field("vendor_id", v, sizeof(v)) && strcmp(v, want) == 0)
		tpass("vendor_id %s", v);
	else
		tfail("vendor_id \"%s\", CPUID says %s", v, want);
	if (field("cpuid level", v, sizeof(v)) && strtoul(v, NULL, 10) == max_leaf)
		tpass("cpuid level %u", max_leaf);
	else
		tfail("cpuid level \"%s\", CPUID says %u", v, max_leaf);
	cpuid(1, 0, r);
	unsigned family = (r[0] >> 8) & 0xf, model = (r[0] >> 4) & 0xf, stepping = r[0] & 0xf;
	if (family == 0xf)
		family += (r[0] >> 20) & 0xff;
	if (family >= 6)
		model += ((r[0] >> 16) & 0xf) << 4;
	field("cpu family", v, sizeof(v));
	EXPECT_RET("cpu family", strtoul(v, NULL, 10), family);
	field("model", v, sizeof(v));
	EXPECT_RET("model", strtoul(v, NULL, 10), model);
	field("stepping", v, sizeof(v));
	EXPECT_RET("stepping", strtoul(v, NULL, 10), stepping);

	cpuid(0x80000000, 0, r);
	uint32_t max_ext = r[0];
	if (max_ext >= 0x80000004) {
		char brand[49];
		for (uint32_t i = 0; i < 3; i++) {
			cpuid(0x80000002 + i, 0, r);
			memcpy(brand + 16 * i, r, 16);
		}
		brand[48] = '\0';
		char *b = brand;
		while (*b == ' ')
			b++;
		for (size_t n = strlen(b); n > 0 && b[n - 1] == ' '; n--)
			b[n - 1] = '\0';
		if (field("model name", v, sizeof(v)) && strcmp(v, b) == 0)
			tpass("model name \"%s\"", v);
		else
			tfail("model name \"%s\", CPUID's brand string \"%s\"", v, b);
	}
	if (max_ext >= 0x80000008) {
		cpuid(0x80000008, 0, r);
		snprintf(want, sizeof(want), "%u bits physical, %u bits virtual", r[0] & 0xff, (r[0] >> 8) & 0xff);
		field("address sizes", v, sizeof(v));
		if (strcmp(v, want) == 0)
			tpass("address sizes: %s", v);
		else
			tfail("address sizes \"%s\", CPUID says \"%s\"", v, want);
	}

	if (!field("flags", v, sizeof(v))) {
		tfail("no flags line");
		return tdone();
	}
	int shown = 0, extra = 0, hidden = 0;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		int has = cpu_has(&flags[i]), listed = has_word(v, flags[i].name);
		if (has && listed)
			shown++;
		else if (listed) {
			tfail("flags: %s listed but CPUID says no", flags[i].name);
			extra++;
		} else if (has) {
			hidden++;
			if (kestrel)
				tfail("flags: CPUID has %s, not listed", flags[i].name);
			else
				printf("TINFO: flags: Linux hides %s, which CPUID reports\n", flags[i].name);
		}
	}
	if (!extra && (!kestrel || !hidden))
		tpass("flags: %d CPUID features listed under Linux's names, none CPUID lacks%s", shown,
		      kestrel ? ", none missing" : "");

	/* The TSC's rate against CLOCK_MONOTONIC over 200 ms. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t c0 = rdtsc();
	do
		clock_gettime(CLOCK_MONOTONIC, &t1);
	while ((t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec) < 200000000LL);
	uint64_t c1 = rdtsc();
	double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
	double tsc_mhz = (double)(c1 - c0) / ns * 1000.0;
	double mhz = field("cpu MHz", v, sizeof(v)) ? strtod(v, NULL) : 0;
	int three_decimals = strchr(v, '.') && strlen(strchr(v, '.')) == 4;
	if (mhz > 0 && three_decimals && mhz > tsc_mhz * 0.95 && mhz < tsc_mhz * 1.05)
		tpass("cpu MHz %.3f within 5%% of the TSC's %.1f MHz", mhz, tsc_mhz);
	else if (!kestrel && mhz > 0)
		tconf("cpu MHz %.3f is not the TSC's %.1f MHz on this host (frequency scaling)", mhz, tsc_mhz);
	else
		tfail("cpu MHz \"%s\", the TSC runs at %.1f MHz", v, tsc_mhz);
	return tdone();
}
