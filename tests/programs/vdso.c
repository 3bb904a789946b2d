/*
 * The vDSO: AT_SYSINFO_EHDR names an ELF object mapped as [vdso] (with
 * [vvar] beside it) whose LINUX_2.6 symbols give the same clocks, time of
 * day and CPU number as the system calls; and they make no system call:
 * under seccomp's strict mode, where any call but read, write, exit and
 * rt_sigreturn kills the caller, the vDSO's clock_gettime still works
 * (and libc's, which goes through it), while getpid() is fatal.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);
typedef int (*getcpu_fn)(unsigned *, unsigned *, void *);

/* The vDSO's dynamic symbol `name` of version LINUX_2.6, found as a
 * dynamic loader does: through PT_DYNAMIC's symbol, string, hash and
 * version tables. */
static void *vdso_symbol(uintptr_t base, const char *name)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	const Elf64_Dyn *dyn = NULL;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_DYNAMIC)
			dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
	if (!dyn)
		return NULL;
	const Elf64_Sym *syms = NULL;
	const char *strings = NULL;
	const uint32_t *hash = NULL;
	const Elf64_Half *versym = NULL;
	const Elf64_Verdef *verdef = NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		uintptr_t at = base + dyn->d_un.d_ptr;
		if (dyn->d_tag == DT_SYMTAB)
			syms = (const Elf64_Sym *)at;
		else if (dyn->d_tag == DT_STRTAB)
			strings = (const char *)at;
		else if (dyn->d_tag == DT_HASH)
			hash = (const uint32_t *)at;
		else if (dyn->d_tag == DT_VERSYM)
			versym = (const Elf64_Half *)at;
		else if (dyn->d_tag == DT_VERDEF)
			verdef = (const Elf64_Verdef *)at;
	}
	if (!syms || !strings || !hash || !versym || !verdef)
		return NULL;
	for (uint32_t i = 0; i < hash[1]; i++) {
		if (ELF64_ST_TYPE(syms[i].st_info) != STT_FUNC || syms[i].st_shndx == SHN_UNDEF)
			continue;
		if (strcmp(strings + syms[i].st_name, name) != 0)
			continue;
		/* Its version's name must be LINUX_2.6. */
		const Elf64_Verdef *d = verdef;
		for (;;) {
			if (d->vd_ndx == (versym[i] & 0x7fff)) {
				const Elf64_Verdaux *aux = (const Elf64_Verdaux *)((const char *)d + d->vd_aux);
				if (strcmp(strings + aux->vda_name, "LINUX_2.6") == 0)
					return (void *)(base + syms[i].st_value);
				break;
			}
			if (!d->vd_next)
				break;
			d = (const Elf64_Verdef *)((const char *)d + d->vd_next);
		}
	}
	return NULL;
}

static long long ns_of(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* The [vdso] and [vvar] lines of /proc/self/maps: whether [vdso] starts
 * at `base` and is r-xp, and whether [vvar] is there. */
static void check_maps(uintptr_t base)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int vdso_ok = 0, vvar = 0;
	while (f && fgets(line, sizeof line, f)) {
		unsigned long start, end;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3)
			continue;
		if (strstr(line, "[vdso]"))
			vdso_ok = start == base && strcmp(perms, "r-xp") == 0;
		if (strstr(line, "[vvar]"))
			vvar = 1;
	}
	if (f)
		fclose(f);
	EXPECT_RET("/proc/self/maps: [vdso] r-xp at AT_SYSINFO_EHDR", vdso_ok, 1);
	EXPECT_RET("/proc/self/maps: a [vvar] area", vvar, 1);
}

static void check_clock(clock_gettime_fn vdso_gettime, clockid_t clock, const char *name)
{
	struct timespec before, mid, after;
	int ok = 1;
	for (int i = 0; i < 1000 && ok; i++) {
		syscall(SYS_clock_gettime, clock, &before);
		ok = vdso_gettime(clock, &mid) == 0;
		syscall(SYS_clock_gettime, clock, &after);
		ok = ok && ns_of(&before) <= ns_of(&mid) && ns_of(&mid) <= ns_of(&after) && mid.tv_nsec < 1000000000;
	}
	char what[96];
	snprintf(what, sizeof what, "vDSO %s lies between two system calls' readings, 1000 times", name);
	EXPECT_RET(what, ok, 1);
}

enum strict_action { VDSO_CLOCK, LIBC_CLOCK, GETPID, WRITE };

/* How a child ends that enters seccomp's strict mode and then does
 * `action`. Strict mode allows read, write, exit and rt_sigreturn and
 * takes the TSC away (as PR_SET_TSC's PR_TSC_SIGSEGV does): a system
 * call ends in SIGKILL, reading the TSC in SIGSEGV. */
static int strict_child(clock_gettime_fn vdso_gettime, enum strict_action action)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts;
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0)
			syscall(SYS_exit, 3);
		if (action == VDSO_CLOCK)
			vdso_gettime(CLOCK_MONOTONIC, &ts);
		else if (action == LIBC_CLOCK)
			clock_gettime(CLOCK_MONOTONIC, &ts);
		else if (action == GETPID)
			getpid();
		else
			write(1, "", 0);
		syscall(SYS_exit, 0);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	return status;
}

static int killed_by(int status, int sig)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

int main(void)
{
	uintptr_t base = getauxval(AT_SYSINFO_EHDR);
	EXPECT_RET("AT_SYSINFO_EHDR names an ELF object", base && memcmp((void *)base, ELFMAG, SELFMAG) == 0, 1);
	if (!base)
		return tdone();
	check_maps(base);

	clock_gettime_fn vdso_gettime = (clock_gettime_fn)vdso_symbol(base, "__vdso_clock_gettime");
	gettimeofday_fn vdso_tod = (gettimeofday_fn)vdso_symbol(base, "__vdso_gettimeofday");
	time_fn vdso_time = (time_fn)vdso_symbol(base, "__vdso_time");
	getcpu_fn vdso_getcpu = (getcpu_fn)vdso_symbol(base, "__vdso_getcpu");
	EXPECT_RET("the vDSO has __vdso_clock_gettime, __vdso_gettimeofday, __vdso_time, __vdso_getcpu (LINUX_2.6)",
		   vdso_gettime && vdso_tod && vdso_time && vdso_getcpu, 1);
	if (!vdso_gettime || !vdso_tod || !vdso_time || !vdso_getcpu)
		return tdone();

	check_clock(vdso_gettime, CLOCK_MONOTONIC, "CLOCK_MONOTONIC");
	check_clock(vdso_gettime, CLOCK_REALTIME, "CLOCK_REALTIME");
	check_clock(vdso_gettime, CLOCK_BOOTTIME, "CLOCK_BOOTTIME");

	struct timespec cpu_sys, cpu_vdso;
	long sys_ret = syscall(SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, &cpu_sys);
	EXPECT_RET("vDSO clock_gettime(CLOCK_PROCESS_CPUTIME_ID) answers as the system call",
		   vdso_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_vdso) == 0, sys_ret == 0);
	EXPECT_RET("vDSO clock_gettime of an invalid clock fails with -EINVAL", vdso_gettime(1000, &cpu_vdso),
		   -EINVAL);

	struct timeval tv_sys, tv_vdso;
	syscall(SYS_gettimeofday, &tv_sys, NULL);
	EXPECT_RET("vDSO gettimeofday", vdso_tod(&tv_vdso, NULL), 0);
	long long diff_us = (tv_vdso.tv_sec - tv_sys.tv_sec) * 1000000LL + (tv_vdso.tv_usec - tv_sys.tv_usec);
	EXPECT_RET("vDSO gettimeofday is within a second after the system call's", diff_us >= 0 && diff_us < 1000000,
		   1);
	time_t t_sys = syscall(SYS_time, NULL), t_out = 0;
	time_t t_vdso = vdso_time(&t_out);
	EXPECT_RET("vDSO time() agrees with the system call (and stores it)",
		   t_vdso >= t_sys && t_vdso - t_sys <= 1 && t_out == t_vdso, 1);

	int cpus_agree = 1;
	for (int cpu = 0; cpu < 2 && cpus_agree; cpu++) {
		if (pin_to_cpu(cpu) != 0)
			break;
		unsigned sys_cpu = 99, vdso_cpu = 98, node = 97;
		syscall(SYS_getcpu, &sys_cpu, NULL, NULL);
		cpus_agree = vdso_getcpu(&vdso_cpu, &node, NULL) == 0 && vdso_cpu == sys_cpu && sys_cpu == (unsigned)cpu &&
			     node == 0;
	}
	EXPECT_RET("vDSO getcpu gives the CPU the thread is pinned to, node 0", cpus_agree, 1);

	EXPECT_RET("prctl(PR_GET_SECCOMP) outside strict mode", prctl(PR_GET_SECCOMP), 0);
	int status = strict_child(vdso_gettime, WRITE);
	EXPECT_RET("strict seccomp: write and exit are allowed", WIFEXITED(status) && WEXITSTATUS(status) == 0, 1);
	status = strict_child(vdso_gettime, GETPID);
	EXPECT_RET("strict seccomp: getpid() kills with SIGKILL", killed_by(status, SIGKILL), 1);
	status = strict_child(vdso_gettime, VDSO_CLOCK);
	EXPECT_RET("strict seccomp: the vDSO's clock_gettime reads the TSC (SIGSEGV), no system call (SIGKILL)",
		   killed_by(status, SIGSEGV), 1);
	status = strict_child(vdso_gettime, LIBC_CLOCK);
	EXPECT_RET("strict seccomp: libc's clock_gettime goes through the vDSO too (SIGSEGV)", killed_by(status, SIGSEGV),
		   1);

	int mode = 0;
	EXPECT_RET("PR_GET_TSC: the TSC is readable", prctl(PR_GET_TSC, &mode) == 0 && mode == PR_TSC_ENABLE, 1);
	EXPECT_ERRNO("PR_SET_TSC with an unknown mode", prctl(PR_SET_TSC, 3), EINVAL);
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts;
		if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV) != 0 || prctl(PR_GET_TSC, &mode) != 0 || mode != PR_TSC_SIGSEGV)
			_exit(3);
		if (fork() == 0) {
			/* Inherited: the grandchild cannot read it either. */
			vdso_gettime(CLOCK_MONOTONIC, &ts);
			_exit(0);
		}
		int inner = 0;
		wait(&inner);
		if (!killed_by(inner, SIGSEGV))
			_exit(4);
		prctl(PR_SET_TSC, PR_TSC_ENABLE);
		vdso_gettime(CLOCK_MONOTONIC, &ts);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	EXPECT_RET("PR_TSC_SIGSEGV: the vDSO's clock faults, in a forked child too; PR_TSC_ENABLE gives the TSC back",
		   WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	EXPECT_ERRNO("seccomp(SECCOMP_SET_MODE_STRICT) with flags", syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 1, NULL),
		     EINVAL);
	return tdone();
}
