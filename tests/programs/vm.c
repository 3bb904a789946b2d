/*
 * Virtual memory: copy-on-write fork, MAP_SHARED anonymous memory across
 * fork, mprotect (SIGSEGV with SEGV_ACCERR and the faulting si_addr),
 * PROT_NONE guard pages keeping their data, munmap holes (SEGV_MAPERR),
 * mremap, madvise(MADV_DONTNEED), mincore, msync's checks, stack growth,
 * RLIMIT_AS, overcommit refusal and MAP_FIXED_NOREPLACE.
 */
#include "common.h"

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define PAGE 4096

static sigjmp_buf escape;
static volatile int fault_code;
static volatile uintptr_t fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_code = si->si_code;
	fault_addr = (uintptr_t)si->si_addr;
	siglongjmp(escape, 1);
}

/* Touches *p (write or read); returns 1 if it faulted. */
static int faults(volatile char *p, int write)
{
	fault_code = 0;
	fault_addr = 0;
	if (sigsetjmp(escape, 1) == 0) {
		if (write)
			*p = 1;
		else
			(void)*p;
		return 0;
	}
	return 1;
}

static char *map(size_t len, int prot, int flags)
{
	char *p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void check_cow(void)
{
	size_t len = 10 << 20;
	char *p = map(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	for (size_t i = 0; i < len; i += PAGE)
		p[i] = (char)(i / PAGE);
	int pipefd[2];
	pipe(pipefd);
	pid_t pid = fork();
	if (pid == 0) {
		int bad = 0;
		for (size_t i = 0; i < len; i += PAGE)
			if (p[i] != (char)(i / PAGE))
				bad++;
		for (size_t i = 0; i < len; i += PAGE)
			p[i] = 'c';
		char go;
		read(pipefd[0], &go, 1); /* the parent has written by now */
		for (size_t i = 0; i < len; i += PAGE)
			if (p[i] != 'c')
				bad++;
		_exit(bad ? 1 : 0);
	}
	for (size_t i = 0; i < len; i += 2 * PAGE)
		p[i] = 'p';
	write(pipefd[1], "g", 1);
	int status = 0;
	waitpid(pid, &status, 0);
	int bad = 0;
	for (size_t i = 0; i < len; i += PAGE)
		if (p[i] != ((i / PAGE) % 2 == 0 ? 'p' : (char)(i / PAGE)))
			bad++;
	EXPECT_RET("fork: the child sees the parent's 10 MiB, then its own writes only", WEXITSTATUS(status), 0);
	EXPECT_RET("fork: the parent never sees the child's writes", bad, 0);
	munmap(p, len);
	close(pipefd[0]);
	close(pipefd[1]);
}

static void check_shared_anonymous(void)
{
	volatile int *shared = (volatile int *)map(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
	*shared = 1;
	pid_t pid = fork();
	if (pid == 0) {
		*shared = 42;
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	EXPECT_RET("MAP_SHARED|MAP_ANONYMOUS: the child's write is seen after fork", *shared, 42);
	munmap((void *)shared, PAGE);

	/* A page neither touched before fork is still one page for both. */
	shared = (volatile int *)map(2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
	pid = fork();
	if (pid == 0) {
		shared[PAGE / sizeof(int)] = 7;
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	EXPECT_RET("MAP_SHARED|MAP_ANONYMOUS: a page first touched by the child after fork is shared", shared[PAGE / sizeof(int)], 7);
	EXPECT_RET("MAP_SHARED|MAP_ANONYMOUS: an untouched page reads zero", shared[0], 0);
	munmap((void *)shared, 2 * PAGE);
}

static void check_mprotect(void)
{
	char *p = map(3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	p[PAGE + 100] = 'x';
	EXPECT_RET("mprotect(middle page, PROT_READ)", mprotect(p + PAGE, PAGE, PROT_READ), 0);
	EXPECT_RET("a write to it faults", faults(p + PAGE + 123, 1), 1);
	EXPECT_RET("... with SEGV_ACCERR", fault_code, SEGV_ACCERR);
	EXPECT_RET("... and si_addr the faulting address", fault_addr == (uintptr_t)(p + PAGE + 123), 1);
	EXPECT_RET("reading it still works", faults(p + PAGE + 100, 0), 0);
	EXPECT_RET("the pages beside stay writable", faults(p, 1) + faults(p + 2 * PAGE, 1), 0);
	EXPECT_RET("mprotect(PROT_NONE)", mprotect(p + PAGE, PAGE, PROT_NONE), 0);
	EXPECT_RET("a PROT_NONE guard page faults on read", faults(p + PAGE, 0), 1);
	EXPECT_RET("... with SEGV_ACCERR", fault_code, SEGV_ACCERR);
	mprotect(p + PAGE, PAGE, PROT_READ | PROT_WRITE);
	EXPECT_RET("its data is back with PROT_READ|PROT_WRITE", p[PAGE + 100], 'x');
	EXPECT_ERRNO("mprotect of an unaligned address", syscall(SYS_mprotect, p + 1, PAGE, PROT_READ), EINVAL);
	EXPECT_ERRNO("mprotect with unknown bits", syscall(SYS_mprotect, p, PAGE, 0x100), EINVAL);
	munmap(p + PAGE, PAGE);
	EXPECT_RET("a hole made by munmap faults", faults(p + PAGE, 0), 1);
	EXPECT_RET("... with SEGV_MAPERR", fault_code, SEGV_MAPERR);
	EXPECT_ERRNO("mprotect over the hole", mprotect(p, 3 * PAGE, PROT_READ), ENOMEM);
	munmap(p, 3 * PAGE);
}

static void check_mremap(void)
{
	char *p = map(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	strcpy(p, "keep me");
	strcpy(p + PAGE, "second");
	char *q = mremap(p, 2 * PAGE, 64 * PAGE, MREMAP_MAYMOVE);
	EXPECT_RET("mremap grows to 64 pages", q != MAP_FAILED, 1);
	EXPECT_RET("the data moves along", strcmp(q, "keep me") == 0 && strcmp(q + PAGE, "second") == 0, 1);
	q[63 * PAGE] = 'z';
	char *r = mremap(q, 64 * PAGE, PAGE, 0);
	EXPECT_RET("mremap shrinks in place", r == q, 1);
	EXPECT_RET("the shrunk tail is gone", faults(q + 2 * PAGE, 0), 1);
	EXPECT_ERRNO("mremap with an unknown flag", syscall(SYS_mremap, q, PAGE, PAGE, 0x100, 0), EINVAL);
	EXPECT_ERRNO("MREMAP_FIXED without MREMAP_MAYMOVE", syscall(SYS_mremap, q, PAGE, PAGE, MREMAP_FIXED, q),
		     EINVAL);
	EXPECT_ERRNO("mremap to new length 0", syscall(SYS_mremap, q, PAGE, 0, 0, 0), EINVAL);
	munmap(q, PAGE);
	EXPECT_ERRNO("mremap of an unmapped range", syscall(SYS_mremap, q, PAGE, 2 * PAGE, 0, 0), EFAULT);
}

static void check_madvise_mincore_msync(void)
{
	char *p = map(4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	p[0] = 'a';
	unsigned char vec[4] = {9, 9, 9, 9};
	EXPECT_RET("mincore", mincore(p, 4 * PAGE, vec), 0);
	EXPECT_RET("mincore: the touched page is resident, an untouched one is not",
		   (vec[0] & 1) == 1 && (vec[2] & 1) == 0, 1);
	EXPECT_RET("madvise(MADV_DONTNEED)", madvise(p, PAGE, MADV_DONTNEED), 0);
	EXPECT_RET("after MADV_DONTNEED a private page reads as zero", p[0], 0);
	EXPECT_ERRNO("madvise with an unknown advice", madvise(p, PAGE, 999), EINVAL);
	EXPECT_RET("msync(MS_SYNC) of anonymous memory", msync(p, PAGE, MS_SYNC), 0);
	EXPECT_ERRNO("msync(MS_ASYNC|MS_SYNC)", msync(p, PAGE, MS_ASYNC | MS_SYNC), EINVAL);
	EXPECT_ERRNO("msync of an unaligned address", msync(p + 1, PAGE, MS_SYNC), EINVAL);
	munmap(p, 4 * PAGE);
	EXPECT_ERRNO("msync of unmapped memory", msync(p, PAGE, MS_SYNC), ENOMEM);
	EXPECT_ERRNO("mincore of unmapped memory", mincore(p, PAGE, vec), ENOMEM);
}

static int deep(int n)
{
	volatile char frame[1024];
	frame[0] = (char)n;
	return n == 0 ? frame[0] : deep(n - 1) + frame[0];
}

static void check_limits(void)
{
	EXPECT_RET("a 2 MiB-deep recursion grows the stack", deep(2000) >= 0, 1);
	EXPECT_ERRNO("mmap of 1 PiB", mmap(NULL, 1ull << 50, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		     ENOMEM);
	char *p = map(PAGE, PROT_READ, MAP_PRIVATE);
	EXPECT_ERRNO("MAP_FIXED_NOREPLACE over a mapping",
		     mmap(p, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
	munmap(p, PAGE);
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit as = {256 << 20, 256 << 20};
		setrlimit(RLIMIT_AS, &as);
		void *big = mmap(NULL, 300 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		_exit(big == MAP_FAILED && errno == ENOMEM ? 0 : 1);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_RET("RLIMIT_AS 256 MiB refuses a 300 MiB mapping", WEXITSTATUS(status), 0);
}

int main(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	check_cow();
	check_shared_anonymous();
	check_mprotect();
	check_mremap();
	check_madvise_mincore_msync();
	check_limits();
	return tdone();
}
