/*
 * The demo program: prints its argument vector, environment and auxiliary
 * vector, checks the initial process state that the System V ABI and Linux
 * promise, exercises a large malloc, and exits with the status given by an
 * "exit=N" argument (0 by default).
 *
 * Output (one item per line):
 *   argc=3
 *   argv[0]=/demo
 *   envp[0]=HOME=/
 *   auxv[AT_PHDR]=0x400040
 *   auxv[AT_EXECFN]=0x7ffc... "/demo"
 *   auxv[27]=0x1c            (keys without a name here)
 *   TPASS: ... / TFAIL: ...
 *   malloc 64 MiB: ok
 *   demo: N checks failed    (only when some failed)
 */
#include "common.h"

#include <cpuid.h>
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>

extern char _start[];
extern const Elf64_Ehdr __ehdr_start;

static const char *auxv_name(unsigned long key)
{
	switch (key) {
	case AT_NULL: return "AT_NULL";
	case AT_IGNORE: return "AT_IGNORE";
	case AT_EXECFD: return "AT_EXECFD";
	case AT_PHDR: return "AT_PHDR";
	case AT_PHENT: return "AT_PHENT";
	case AT_PHNUM: return "AT_PHNUM";
	case AT_PAGESZ: return "AT_PAGESZ";
	case AT_BASE: return "AT_BASE";
	case AT_FLAGS: return "AT_FLAGS";
	case AT_ENTRY: return "AT_ENTRY";
	case AT_NOTELF: return "AT_NOTELF";
	case AT_UID: return "AT_UID";
	case AT_EUID: return "AT_EUID";
	case AT_GID: return "AT_GID";
	case AT_EGID: return "AT_EGID";
	case AT_PLATFORM: return "AT_PLATFORM";
	case AT_HWCAP: return "AT_HWCAP";
	case AT_CLKTCK: return "AT_CLKTCK";
	case AT_SECURE: return "AT_SECURE";
	case AT_BASE_PLATFORM: return "AT_BASE_PLATFORM";
	case AT_RANDOM: return "AT_RANDOM";
	case AT_HWCAP2: return "AT_HWCAP2";
	case AT_EXECFN: return "AT_EXECFN";
	case AT_SYSINFO_EHDR: return "AT_SYSINFO_EHDR";
	case AT_MINSIGSTKSZ: return "AT_MINSIGSTKSZ";
	default: return NULL;
	}
}

/* Value of an auxv key; *found tells whether the key was present. */
static unsigned long auxv_get(const Elf64_auxv_t *auxv, unsigned long key, int *found)
{
	for (const Elf64_auxv_t *a = auxv; a->a_type != AT_NULL; a++) {
		if (a->a_type == key) {
			*found = 1;
			return a->a_un.a_val;
		}
	}
	*found = 0;
	return 0;
}

/* Checks that auxv[key] is present and equal to want. */
static void check_auxv_eq(const Elf64_auxv_t *auxv, unsigned long key, unsigned long want,
			  const char *what)
{
	int found;
	unsigned long got = auxv_get(auxv, key, &found);
	if (!found)
		tfail("%s missing from the auxiliary vector (expected %#lx, %s)", auxv_name(key), want,
		      what);
	else if (got != want)
		tfail("%s=%#lx, expected %#lx (%s)", auxv_name(key), got, want, what);
	else
		tpass("%s=%#lx (%s)", auxv_name(key), got, what);
}

static void check_malloc(void)
{
	const size_t size = 64ul << 20;
	unsigned char *p = malloc(size);
	if (!p) {
		tfail("malloc 64 MiB returned NULL");
		return;
	}
	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)(i ^ (i >> 8) ^ (i >> 16) ^ 0x5a);
	/* Make the compiler store every byte before the loop below reads them. */
	__asm__ volatile("" : : "r"(p) : "memory");
	size_t bad = 0, first_bad = 0;
	for (size_t i = 0; i < size; i++) {
		if (p[i] != (unsigned char)(i ^ (i >> 8) ^ (i >> 16) ^ 0x5a)) {
			if (!bad)
				first_bad = i;
			bad++;
		}
	}
	free(p);
	if (bad)
		tfail("malloc 64 MiB: %zu bytes wrong, the first at offset %#zx", bad, first_bad);
	else
		printf("malloc 64 MiB: ok\n");
	fflush(stdout);
}

int main(int argc, char **argv, char **envp)
{
	/* The FPU state as exec left it, before any code could change it. */
	unsigned short fcw;
	unsigned int mxcsr;
	__asm__ volatile("fnstcw %0" : "=m"(fcw));
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));

	int status = 0;

	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++) {
		printf("argv[%d]=%s\n", i, argv[i]);
		if (i > 0 && strncmp(argv[i], "exit=", 5) == 0)
			status = atoi(argv[i] + 5);
	}
	char **e = envp;
	for (int i = 0; *e; e++, i++)
		printf("envp[%d]=%s\n", i, *e);
	const Elf64_auxv_t *auxv = (const Elf64_auxv_t *)(e + 1);
	for (const Elf64_auxv_t *a = auxv; a->a_type != AT_NULL; a++) {
		const char *name = auxv_name(a->a_type);
		if (name)
			printf("auxv[%s]=0x%lx", name, (unsigned long)a->a_un.a_val);
		else
			printf("auxv[%lu]=0x%lx", (unsigned long)a->a_type, (unsigned long)a->a_un.a_val);
		if ((a->a_type == AT_EXECFN || a->a_type == AT_PLATFORM ||
		     a->a_type == AT_BASE_PLATFORM) && a->a_un.a_val)
			printf(" \"%s\"", (const char *)a->a_un.a_val);
		printf("\n");
	}
	fflush(stdout);

	/* The initial stack: argc sits at a 16-byte aligned address. */
	uintptr_t argc_addr = (uintptr_t)argv - sizeof(long);
	if (argc_addr % 16 == 0)
		tpass("argc is at %#lx, 16-byte aligned", (unsigned long)argc_addr);
	else
		tfail("argc is at %#lx, not 16-byte aligned", (unsigned long)argc_addr);
	if (argv[argc] == NULL)
		tpass("argv[argc] is NULL");
	else
		tfail("argv[argc] is %p, not NULL", (void *)argv[argc]);

	if (fcw == 0x37f)
		tpass("FPU control word 0x37f at start");
	else
		tfail("FPU control word %#x at start, expected 0x37f", fcw);
	if (mxcsr == 0x1f80)
		tpass("MXCSR 0x1f80 at start");
	else
		tfail("MXCSR %#x at start, expected 0x1f80", mxcsr);

	check_auxv_eq(auxv, AT_PAGESZ, 4096, "page size");
	check_auxv_eq(auxv, AT_ENTRY, (unsigned long)_start, "address of _start");
	check_auxv_eq(auxv, AT_PHDR, (unsigned long)&__ehdr_start + __ehdr_start.e_phoff,
		      "loaded ELF header + e_phoff");
	check_auxv_eq(auxv, AT_PHNUM, __ehdr_start.e_phnum, "e_phnum");
	check_auxv_eq(auxv, AT_PHENT, sizeof(Elf64_Phdr), "sizeof(Elf64_Phdr)");
	check_auxv_eq(auxv, AT_UID, getuid(), "getuid()");
	check_auxv_eq(auxv, AT_EUID, geteuid(), "geteuid()");
	check_auxv_eq(auxv, AT_GID, getgid(), "getgid()");
	check_auxv_eq(auxv, AT_EGID, getegid(), "getegid()");
	check_auxv_eq(auxv, AT_SECURE, 0, "not setuid");
	check_auxv_eq(auxv, AT_CLKTCK, 100, "USER_HZ");

	unsigned int eax, ebx, ecx, edx;
	if (__get_cpuid(1, &eax, &ebx, &ecx, &edx))
		check_auxv_eq(auxv, AT_HWCAP, edx, "CPUID leaf 1 EDX");
	else
		tfail("CPUID leaf 1 is not available");

	int found;
	unsigned long random = auxv_get(auxv, AT_RANDOM, &found);
	if (!found || !random) {
		tfail("AT_RANDOM missing or NULL");
	} else {
		const volatile unsigned char *r = (const volatile unsigned char *)random;
		unsigned int sum = 0;
		printf("AT_RANDOM bytes:");
		for (int i = 0; i < 16; i++) {
			sum += r[i];
			printf(" %02x", r[i]);
		}
		printf("\n");
		tpass("AT_RANDOM points to 16 readable bytes (sum %u)", sum);
	}

	unsigned long execfn = auxv_get(auxv, AT_EXECFN, &found);
	if (!found || !execfn)
		tfail("AT_EXECFN missing or NULL");
	else if (((const char *)execfn)[0] == '\0')
		tfail("AT_EXECFN is an empty string");
	else
		tpass("AT_EXECFN is \"%s\"", (const char *)execfn);

	check_malloc();

	if (t_failures)
		printf("demo: %d checks failed\n", t_failures);
	printf("demo: exiting with status %d\n", status);
	fflush(stdout);
	return status;
}
