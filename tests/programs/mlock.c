/*
 * Memory locks: mlock, mlock2 (MLOCK_ONFAULT), munlock, mlockall,
 * munlockall and MAP_LOCKED; pages faulted in at once, VmLck in
 * /proc/self/status and Locked/VmFlags in /proc/self/smaps, locks not
 * counted twice and not inherited by fork, RLIMIT_MEMLOCK for the
 * unprivileged (EPERM, ENOMEM, EAGAIN), madvise refusing to drop locked
 * pages, and the errnos for bad ranges and flags.
 */
#include "common.h"
#include "procparse.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define PAGE 4096
#define MLOCK_ONFAULT_FLAG 1

/* VmLck in kB, or -1. */
static long vm_locked_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* The value of field `name` (e.g. "Locked:") in the smaps block of the area
 * holding p, in kB; for "VmFlags:" 1 when the flag "lo" is there. -1 if
 * not found. */
static long smaps_field(void *p, const char *name)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in_area = 0;
	long value = -1;
	unsigned long start, end;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in_area = start <= (unsigned long)p && (unsigned long)p < end;
			continue;
		}
		if (!in_area || strncmp(line, name, strlen(name)) != 0)
			continue;
		if (strcmp(name, "VmFlags:") == 0)
			value = strstr(line, " lo ") != NULL;
		else
			sscanf(line + strlen(name), "%ld", &value);
		break;
	}
	if (f)
		fclose(f);
	return value;
}

static int resident_pages(void *p, size_t len)
{
	unsigned char vec[64];
	int n = 0;
	if (mincore(p, len, vec) != 0)
		return -1;
	for (size_t i = 0; i < len / PAGE; i++)
		n += vec[i] & 1;
	return n;
}

static char *map(size_t len, int flags)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void check_mlock(void)
{
	char *p = map(16 * PAGE, 0);
	long before = vm_locked_kb();
	EXPECT_RET("mlock of 16 untouched pages", mlock(p, 16 * PAGE), 0);
	EXPECT_RET("mlock faults every page in", resident_pages(p, 16 * PAGE), 16);
	EXPECT_RET("VmLck grows by 64 kB", vm_locked_kb() - before, 64);
	EXPECT_RET("smaps: Locked is 64 kB", smaps_field(p, "Locked:"), 64);
	EXPECT_RET("smaps: Rss is 64 kB", smaps_field(p, "Rss:"), 64);
	EXPECT_RET("smaps: VmFlags has lo", smaps_field(p, "VmFlags:"), 1);
	EXPECT_RET("mlock of an unaligned range inside", mlock(p + 100, 2 * PAGE), 0);
	EXPECT_RET("locking again counts nothing twice", vm_locked_kb() - before, 64);
	EXPECT_ERRNO("madvise(MADV_DONTNEED) of locked pages", madvise(p, PAGE, MADV_DONTNEED), EINVAL);
	EXPECT_ERRNO("msync(MS_INVALIDATE) of locked pages", msync(p, PAGE, MS_INVALIDATE), EBUSY);
	EXPECT_RET("munlock of the middle", munlock(p + 4 * PAGE, 8 * PAGE), 0);
	EXPECT_RET("VmLck keeps the two ends", vm_locked_kb() - before, 32);
	EXPECT_RET("munlock of the rest", munlock(p, 16 * PAGE), 0);
	EXPECT_RET("VmLck is back", vm_locked_kb(), before);
	EXPECT_RET("smaps: Locked is 0", smaps_field(p, "Locked:"), 0);
	EXPECT_RET("smaps: VmFlags has no lo", smaps_field(p, "VmFlags:"), 0);
	munmap(p + 8 * PAGE, PAGE);
	EXPECT_ERRNO("mlock over a hole", mlock(p, 16 * PAGE), ENOMEM);
	EXPECT_ERRNO("munlock over a hole", munlock(p, 16 * PAGE), ENOMEM);
	munmap(p, 16 * PAGE);
	EXPECT_ERRNO("mlock of unmapped memory", mlock(p, PAGE), ENOMEM);
}

static void check_mlock2_and_map_locked(void)
{
	char *p = map(8 * PAGE, 0);
	long before = vm_locked_kb();
	EXPECT_ERRNO("mlock2 with an unknown flag", syscall(SYS_mlock2, p, PAGE, 2), EINVAL);
	EXPECT_RET("mlock2(MLOCK_ONFAULT)", syscall(SYS_mlock2, p, 8 * PAGE, MLOCK_ONFAULT_FLAG), 0);
	EXPECT_RET("MLOCK_ONFAULT faults nothing in", resident_pages(p, 8 * PAGE), 0);
	EXPECT_RET("MLOCK_ONFAULT counts in VmLck", vm_locked_kb() - before, 32);
	munmap(p, 8 * PAGE);
	EXPECT_RET("munmap drops the lock", vm_locked_kb(), before);
	p = map(4 * PAGE, MAP_LOCKED);
	EXPECT_RET("MAP_LOCKED maps resident pages", resident_pages(p, 4 * PAGE), 4);
	EXPECT_RET("MAP_LOCKED counts in VmLck", vm_locked_kb() - before, 16);
	pid_t pid = fork();
	if (pid == 0)
		_exit(vm_locked_kb() == 0 ? 0 : 1);
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("a fork's child inherits no lock", status, 0);
	munmap(p, 4 * PAGE);
}

static void check_mlockall(void)
{
	EXPECT_ERRNO("mlockall(0)", mlockall(0), EINVAL);
	EXPECT_ERRNO("mlockall(MCL_ONFAULT) alone", mlockall(MCL_ONFAULT), EINVAL);
	EXPECT_ERRNO("mlockall with an unknown flag", mlockall(MCL_CURRENT | 8), EINVAL);
	pid_t pid = fork();
	if (pid == 0) {
		/* In a child, so the parent's memory stays unlocked. */
		if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
			_exit(1);
		if (vm_locked_kb() <= 0)
			_exit(2);
		char *p = map(4 * PAGE, 0);
		if (!p || resident_pages(p, 4 * PAGE) != 4)
			_exit(3);
		if (munlockall() != 0 || vm_locked_kb() != 0)
			_exit(4);
		char *q = map(4 * PAGE, 0);
		if (!q || resident_pages(q, 4 * PAGE) != 0)
			_exit(5);
		_exit(0);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("mlockall(MCL_CURRENT|MCL_FUTURE) locks what is and what comes; munlockall undoes it",
		   WEXITSTATUS(status), 0);
}

/* Runs f in a child as user 65534 with RLIMIT_MEMLOCK `limit`; returns its
 * exit code. */
static int unprivileged(rlim_t limit, int (*f)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = {limit, limit};
		if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0 || seteuid(65534) != 0)
			_exit(100);
		_exit(f());
	}
	int status = -1;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 101;
}

static int lock_with_zero_limit(void)
{
	char *p = map(PAGE, 0);
	if (mlock(p, PAGE) != -1 || errno != EPERM)
		return 1;
	if (mlockall(MCL_CURRENT) != -1 || errno != EPERM)
		return 2;
	/* The raw call: musl's mmap reports this EPERM as ENOMEM. */
	long r = syscall(SYS_mmap, NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	return r == -1 && errno == EPERM ? 0 : 3;
}

static int lock_past_one_page(void)
{
	char *p = map(2 * PAGE, 0);
	if (mlock(p, PAGE) != 0)
		return 1;
	if (mlock(p, PAGE) != 0)
		return 2; /* the same page again fits */
	if (mlock(p, 2 * PAGE) != -1 || errno != ENOMEM)
		return 3;
	if (mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0) != MAP_FAILED ||
	    errno != EAGAIN)
		return 4;
	return mlockall(MCL_CURRENT) == -1 && errno == ENOMEM ? 0 : 5;
}

int main(void)
{
	proc_mount_if_needed();
	check_mlock();
	check_mlock2_and_map_locked();
	check_mlockall();
	EXPECT_RET("unprivileged, RLIMIT_MEMLOCK 0: mlock, mlockall and MAP_LOCKED are EPERM",
		   unprivileged(0, lock_with_zero_limit), 0);
	EXPECT_RET("unprivileged, RLIMIT_MEMLOCK one page: a second page is ENOMEM, MAP_LOCKED EAGAIN",
		   unprivileged(PAGE, lock_past_one_page), 0);
	return tdone();
}
