/*
 * Conformance of the first system calls: uname, getpid/gettid/set_tid_address,
 * clock_gettime, brk, mmap/munmap, arch_prctl, write/writev, ioctl and the
 * answer to an unknown system call. Results are checked as Linux gives them;
 * syscall(2) is used wherever musl's wrapper would check or mend arguments.
 */
#include "common.h"

#include <asm/prctl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>

#define PAGE 4096ul

static void test_uname(void)
{
	struct utsname u;
	memset(&u, 0xff, sizeof(u));
	long r = syscall(SYS_uname, &u);
	if (r != 0) {
		tfail("uname -> %ld errno=%d %s", r, errno, errno_name(errno));
		return;
	}
	printf("uname: sysname=%.65s nodename=%.65s release=%.65s version=%.65s machine=%.65s\n",
	       u.sysname, u.nodename, u.release, u.version, u.machine);
	if (strcmp(u.sysname, "Linux") == 0)
		tpass("uname sysname is \"Linux\"");
	else
		tfail("uname sysname is \"%.65s\", expected \"Linux\"", u.sysname);
	if (strcmp(u.machine, "x86_64") == 0)
		tpass("uname machine is \"x86_64\"");
	else
		tfail("uname machine is \"%.65s\", expected \"x86_64\"", u.machine);
	if (u.release[0] && memchr(u.release, 0, sizeof(u.release)))
		tpass("uname release is a non-empty string");
	else
		tfail("uname release is empty or not terminated");
}

static void test_ids(void)
{
	long pid = syscall(SYS_getpid);
	long tid = syscall(SYS_gettid);
	if (pid > 0)
		tpass("getpid -> %ld", pid);
	else
		tfail("getpid -> %ld, expected > 0", pid);
	if (tid == pid)
		tpass("gettid -> %ld, equal to the pid in a single-threaded process", tid);
	else
		tfail("gettid -> %ld, expected the pid %ld", tid, pid);
	/* The word the kernel clears at thread exit; static so it outlives main. */
	static int clear_tid;
	long r = syscall(SYS_set_tid_address, &clear_tid);
	if (r == tid)
		tpass("set_tid_address -> %ld, the tid", r);
	else
		tfail("set_tid_address -> %ld, expected the tid %ld", r, tid);
}

static long long ts_ns(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000ll + t->tv_nsec;
}

static void test_clocks(void)
{
	struct timespec a, b, rt;
	long r1 = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a);
	long r2 = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b);
	if (r1 || r2) {
		tfail("clock_gettime(CLOCK_MONOTONIC) -> %ld, %ld errno=%d %s", r1, r2, errno,
		      errno_name(errno));
	} else if (a.tv_nsec < 0 || a.tv_nsec >= 1000000000 || b.tv_nsec < 0 ||
		   b.tv_nsec >= 1000000000) {
		tfail("clock_gettime(CLOCK_MONOTONIC) tv_nsec out of range: %ld, %ld", a.tv_nsec,
		      b.tv_nsec);
	} else if (ts_ns(&b) < ts_ns(&a)) {
		tfail("CLOCK_MONOTONIC went back: %lld.%09ld then %lld.%09ld", (long long)a.tv_sec,
		      a.tv_nsec, (long long)b.tv_sec, b.tv_nsec);
	} else {
		tpass("CLOCK_MONOTONIC %lld.%09ld then %lld.%09ld, not decreasing",
		      (long long)a.tv_sec, a.tv_nsec, (long long)b.tv_sec, b.tv_nsec);
	}

	long r = syscall(SYS_clock_gettime, CLOCK_REALTIME, &rt);
	if (r)
		tfail("clock_gettime(CLOCK_REALTIME) -> %ld errno=%d %s", r, errno,
		      errno_name(errno));
	else if (rt.tv_sec < 1577836800) /* 2020-01-01T00:00:00Z */
		tfail("CLOCK_REALTIME is %lld, before 2020-01-01", (long long)rt.tv_sec);
	else if (rt.tv_nsec < 0 || rt.tv_nsec >= 1000000000)
		tfail("CLOCK_REALTIME tv_nsec out of range: %ld", rt.tv_nsec);
	else
		tpass("CLOCK_REALTIME is %lld, after 2020-01-01", (long long)rt.tv_sec);

	EXPECT_ERRNO("clock_gettime(1000, &ts)", syscall(SYS_clock_gettime, 1000, &rt), EINVAL);
}

/* Index of the first non-zero byte in [p, p+n), or -1. */
static long first_nonzero(const volatile unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return (long)i;
	return -1;
}

static void test_brk(void)
{
	const unsigned long grow = 64 * 1024;
	unsigned long cur = (unsigned long)syscall(SYS_brk, 0);
	if (cur == 0 || cur == (unsigned long)-1) {
		tfail("brk(0) -> %#lx", cur);
		return;
	}
	tpass("brk(0) -> %#lx, the current break", cur);
	EXPECT_RET("brk(0) again", syscall(SYS_brk, 0), cur);

	unsigned long r = (unsigned long)syscall(SYS_brk, cur + grow);
	if (r != cur + grow) {
		tfail("brk(cur + 64 KiB) -> %#lx, expected %#lx", r, cur + grow);
		return;
	}
	tpass("brk(cur + 64 KiB) -> %#lx", r);
	volatile unsigned char *p = (volatile unsigned char *)cur;
	long nz = first_nonzero(p, grow);
	if (nz < 0)
		tpass("the 64 KiB added by brk read as zero");
	else
		tfail("the memory added by brk is not zero at offset %#lx", (unsigned long)nz);
	for (unsigned long i = 0; i < grow; i++)
		p[i] = (unsigned char)(i * 7 + 1);
	unsigned long bad = 0;
	for (unsigned long i = 0; i < grow; i++)
		bad += p[i] != (unsigned char)(i * 7 + 1);
	if (bad)
		tfail("the memory added by brk lost %lu written bytes", bad);
	else
		tpass("the memory added by brk is writable");

	EXPECT_RET("brk(cur) shrinks back", syscall(SYS_brk, cur), cur);
	EXPECT_RET("brk(0) after shrinking", syscall(SYS_brk, 0), cur);

	/* Growing again must give fresh zero pages, not the old contents. */
	unsigned long aligned = (cur + PAGE - 1) & ~(PAGE - 1);
	r = (unsigned long)syscall(SYS_brk, cur + grow);
	if (r != cur + grow) {
		tfail("brk(cur + 64 KiB) again -> %#lx, expected %#lx", r, cur + grow);
	} else {
		nz = first_nonzero((volatile unsigned char *)aligned, cur + grow - aligned);
		if (nz < 0)
			tpass("brk memory given back and taken again reads as zero");
		else
			tfail("brk memory taken again holds old data at %#lx", aligned + nz);
		EXPECT_RET("brk(cur) shrinks back again", syscall(SYS_brk, cur), cur);
	}

	/* Failures leave the break alone and return it. */
	EXPECT_RET("brk(0xffffffff80000000) fails, returning the break",
		   syscall(SYS_brk, 0xffffffff80000000ul), cur);
	EXPECT_RET("brk(4096), below the start, fails, returning the break",
		   syscall(SYS_brk, 4096), cur);
}

static void *raw_mmap(void *addr, size_t len, int prot, int flags)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, -1, 0);
}

static void test_mmap(void)
{
	const size_t mib = 1 << 20;
	unsigned char *p = raw_mmap(NULL, mib, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	if (p == MAP_FAILED) {
		tfail("mmap 1 MiB anonymous -> errno=%d %s", errno, errno_name(errno));
	} else {
		if ((uintptr_t)p % PAGE)
			tfail("mmap 1 MiB -> %p, not page-aligned", (void *)p);
		long nz = first_nonzero(p, mib);
		if (nz < 0)
			tpass("mmap 1 MiB anonymous at %p reads as zero", (void *)p);
		else
			tfail("mmap 1 MiB anonymous: byte %#lx is not zero", (unsigned long)nz);
		for (size_t i = 0; i < mib; i++)
			p[i] = (unsigned char)(i >> 3);
		__asm__ volatile("" : : "r"(p) : "memory");
		size_t bad = 0;
		for (size_t i = 0; i < mib; i++)
			bad += p[i] != (unsigned char)(i >> 3);
		if (bad)
			tfail("mmap 1 MiB: %zu bytes did not keep what was written", bad);
		else
			tpass("mmap 1 MiB anonymous is writable");
		EXPECT_RET("munmap of the 1 MiB mapping", syscall(SYS_munmap, p, mib), 0);
	}

	EXPECT_ERRNO("mmap(len 0)", raw_mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS),
		     EINVAL);
	EXPECT_ERRNO("mmap(MAP_ANONYMOUS without MAP_PRIVATE or MAP_SHARED)",
		     raw_mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS), EINVAL);
	/* Linux's order: the offset, then the descriptor, then the rest. */
	EXPECT_ERRNO("mmap(len 0) of a closed descriptor",
		     syscall(SYS_mmap, NULL, 0, PROT_WRITE, MAP_SHARED, 99, 0), EBADF);
	EXPECT_ERRNO("mmap(no map type) of a closed descriptor",
		     syscall(SYS_mmap, NULL, PAGE, PROT_READ, 0, 99, 0), EBADF);
	EXPECT_ERRNO("mmap(an unaligned offset) of a closed descriptor",
		     syscall(SYS_mmap, NULL, PAGE, PROT_READ, MAP_SHARED, 99, 1), EINVAL);
	void *odd = raw_mmap(NULL, PAGE, PROT_READ | 0x100, MAP_PRIVATE | MAP_ANONYMOUS);
	EXPECT_RET("mmap ignores unknown protection bits", odd != MAP_FAILED, 1);
	if (odd != MAP_FAILED)
		munmap(odd, PAGE);

	/* Three pages, then work inside them. */
	unsigned char *q =
		raw_mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	if (q == MAP_FAILED) {
		tfail("mmap 3 pages -> errno=%d %s", errno, errno_name(errno));
		return;
	}
	EXPECT_ERRNO("munmap(unaligned address)", syscall(SYS_munmap, q + 1, PAGE), EINVAL);
	EXPECT_ERRNO("munmap(len 0)", syscall(SYS_munmap, q, 0), EINVAL);

	q[0] = 1;
	q[PAGE] = 2;
	q[2 * PAGE] = 3;
	EXPECT_RET("munmap of the middle page of 3", syscall(SYS_munmap, q + PAGE, PAGE), 0);
	q[0] += 10;
	q[2 * PAGE + PAGE - 1] = 4;
	if (q[0] == 11 && q[2 * PAGE] == 3 && q[3 * PAGE - 1] == 4)
		tpass("the outer pages stay usable after unmapping the middle one");
	else
		tfail("the outer pages changed: %d %d %d, expected 11 3 4", q[0], q[2 * PAGE],
		      q[3 * PAGE - 1]);
	/* The middle page is gone: the kernel cannot write there either. */
	EXPECT_ERRNO("clock_gettime into the unmapped middle page",
		     syscall(SYS_clock_gettime, CLOCK_MONOTONIC, q + PAGE), EFAULT);

	/* MAP_FIXED at an address known to be free (the middle page). */
	unsigned char *f = raw_mmap(q + PAGE, PAGE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	if (f == q + PAGE) {
		tpass("mmap(MAP_FIXED) at the free address %p returns it", (void *)f);
		if (f[0] == 0 && first_nonzero(f, PAGE) < 0)
			tpass("the MAP_FIXED page reads as zero");
		else
			tfail("the MAP_FIXED page is not zero");
		f[0] = 5;
		if (q[0] == 11 && f[0] == 5 && q[2 * PAGE] == 3)
			tpass("all three pages usable again");
		else
			tfail("pages after MAP_FIXED: %d %d %d, expected 11 5 3", q[0], f[0],
			      q[2 * PAGE]);
	} else {
		tfail("mmap(MAP_FIXED, %p) -> %p errno=%d %s", (void *)(q + PAGE), (void *)f, errno,
		      errno_name(errno));
	}
	/* MAP_FIXED over an existing mapping replaces it with zero pages. */
	f = raw_mmap(q, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	if (f == q && q[0] == 0)
		tpass("mmap(MAP_FIXED) over a mapped page replaces it with a zero page");
	else
		tfail("mmap(MAP_FIXED) over %p -> %p, first byte %d", (void *)q, (void *)f,
		      f == MAP_FAILED ? -1 : f[0]);
	EXPECT_RET("munmap of all 3 pages, partly unmapped before",
		   syscall(SYS_munmap, q, 3 * PAGE), 0);
	EXPECT_RET("munmap of pages no longer mapped", syscall(SYS_munmap, q, 3 * PAGE), 0);
}

static void test_arch_prctl(void)
{
	unsigned long old_fs = 0, fs = 0;
	const unsigned long probe = 0x12345000ul;

	/* No libc code between setting FS and restoring it: TLS lives there. */
	long r_get = raw_syscall2(SYS_arch_prctl, ARCH_GET_FS, (long)&old_fs);
	long r_set = raw_syscall2(SYS_arch_prctl, ARCH_SET_FS, (long)probe);
	long r_get2 = raw_syscall2(SYS_arch_prctl, ARCH_GET_FS, (long)&fs);
	long r_restore = raw_syscall2(SYS_arch_prctl, ARCH_SET_FS, (long)old_fs);
	unsigned long seen = fs;
	long r_get3 = raw_syscall2(SYS_arch_prctl, ARCH_GET_FS, (long)&fs);

	if (r_get || r_set || r_get2 || r_restore || r_get3)
		tfail("arch_prctl FS round trip results: %ld %ld %ld %ld %ld, expected all 0", r_get,
		      r_set, r_get2, r_restore, r_get3);
	else if (old_fs == 0)
		tfail("ARCH_GET_FS gave 0, but musl has set a thread pointer");
	else if (seen != probe)
		tfail("ARCH_GET_FS after ARCH_SET_FS %#lx gave %#lx", probe, seen);
	else if (fs != old_fs)
		tfail("ARCH_GET_FS after restoring %#lx gave %#lx", old_fs, fs);
	else
		tpass("ARCH_SET_FS/ARCH_GET_FS round trip (%#lx, then back to %#lx)", probe, old_fs);

	/* The thread pointer points to itself in musl (and any TLS ABI). */
	unsigned long self;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(self));
	if (self == old_fs)
		tpass("%%fs:0 is the thread pointer %#lx after restoring FS", self);
	else
		tfail("%%fs:0 is %#lx, expected %#lx", self, old_fs);

	unsigned long old_gs = 0, gs = 0;
	long g1 = syscall(SYS_arch_prctl, ARCH_GET_GS, &old_gs);
	long g2 = syscall(SYS_arch_prctl, ARCH_SET_GS, probe);
	long g3 = syscall(SYS_arch_prctl, ARCH_GET_GS, &gs);
	long g4 = syscall(SYS_arch_prctl, ARCH_SET_GS, old_gs);
	if (g1 || g2 || g3 || g4)
		tfail("arch_prctl GS round trip results: %ld %ld %ld %ld, expected all 0", g1, g2,
		      g3, g4);
	else if (gs != probe)
		tfail("ARCH_GET_GS after ARCH_SET_GS %#lx gave %#lx", probe, gs);
	else
		tpass("ARCH_SET_GS/ARCH_GET_GS round trip (%#lx)", gs);

	/*
	 * Addresses outside user space are refused (loading one would fault).
	 * The bad values lie outside user space with 4- and 5-level paging alike.
	 * Should the kernel accept one, FS is restored before any libc code runs.
	 */
	static const unsigned long bad_fs[] = { 0xffff800000000000ul, 0xffffffff80000000ul,
						0x0100000000000000ul };
	for (unsigned i = 0; i < sizeof(bad_fs) / sizeof(bad_fs[0]); i++) {
		long r = raw_syscall2(SYS_arch_prctl, ARCH_SET_FS, (long)bad_fs[i]);
		if (r == 0)
			raw_syscall2(SYS_arch_prctl, ARCH_SET_FS, (long)old_fs);
		if (r == -EPERM)
			tpass("ARCH_SET_FS %#lx -> -1 EPERM", bad_fs[i]);
		else
			tfail("ARCH_SET_FS %#lx -> %ld, expected -EPERM (%d)", bad_fs[i], r, -EPERM);
	}

	EXPECT_ERRNO("arch_prctl(0x9999, 0)", syscall(SYS_arch_prctl, 0x9999, 0), EINVAL);
}

static void test_write(void)
{
	static char a[] = "basic: writev ", b[] = "of three ", c[] = "iovecs\n";
	struct iovec iov[3] = {
		{ .iov_base = a, .iov_len = sizeof(a) - 1 },
		{ .iov_base = b, .iov_len = sizeof(b) - 1 },
		{ .iov_base = c, .iov_len = sizeof(c) - 1 },
	};
	fflush(stdout);
	EXPECT_RET("writev(1, 3 iovecs) returns the total length", syscall(SYS_writev, 1, iov, 3),
		   sizeof(a) + sizeof(b) + sizeof(c) - 3);
	iov[0].iov_len = 0;
	iov[1].iov_len = 0;
	EXPECT_RET("writev(1, 2 empty iovecs and one of 7 bytes)",
		   syscall(SYS_writev, 1, iov, 3), sizeof(c) - 1);
	EXPECT_RET("writev(1, iov, 0)", syscall(SYS_writev, 1, iov, 0), 0);
	EXPECT_ERRNO("writev(1, iov, -1)", syscall(SYS_writev, 1, iov, -1), EINVAL);
	EXPECT_ERRNO("writev(1, iov, 1025)", syscall(SYS_writev, 1, iov, 1025), EINVAL);
	static const char line[] = "basic: write\n";
	EXPECT_RET("write(1, 13 bytes)", syscall(SYS_write, 1, line, sizeof(line) - 1),
		   sizeof(line) - 1);
	EXPECT_RET("write(1, buf, 0)", syscall(SYS_write, 1, line, 0), 0);
	EXPECT_ERRNO("write(99, buf, 1)", syscall(SYS_write, 99, line, 1), EBADF);
	EXPECT_ERRNO("write(-1, buf, 1)", syscall(SYS_write, -1, line, 1), EBADF);
	EXPECT_ERRNO("writev(99, iov, 1)", syscall(SYS_writev, 99, iov, 1), EBADF);
}

static void test_misc(void)
{
	EXPECT_ERRNO("syscall(1000)", syscall(1000, 0, 0, 0), ENOSYS);
	EXPECT_ERRNO("syscall(-1)", syscall(-1, 0, 0, 0), ENOSYS);

	struct winsize ws;
	memset(&ws, 0, sizeof(ws));
	errno = 0;
	long r = syscall(SYS_ioctl, 1, TIOCGWINSZ, &ws);
	int e = errno;
	if (r == 0)
		tpass("ioctl(1, TIOCGWINSZ): %u rows, %u columns", ws.ws_row, ws.ws_col);
	else if (r == -1 && e == ENOTTY)
		tconf("ioctl(1, TIOCGWINSZ) -> ENOTTY: stdout is not a terminal");
	else
		tfail("ioctl(1, TIOCGWINSZ) -> %ld errno=%d %s", r, e, errno_name(e));
	EXPECT_ERRNO("ioctl(99, TIOCGWINSZ)", syscall(SYS_ioctl, 99, TIOCGWINSZ, &ws), EBADF);
}

/* getrandom(2): bytes for every flag Linux knows, EINVAL for others and
 * for GRND_RANDOM with GRND_INSECURE, EFAULT for an unmapped buffer. */
static void test_getrandom(void)
{
	unsigned char a[64] = {0}, b[64] = {0};
	EXPECT_RET("getrandom 64 bytes", syscall(SYS_getrandom, a, sizeof a, 0), 64);
	EXPECT_RET("getrandom GRND_NONBLOCK", syscall(SYS_getrandom, b, sizeof b, 1), 64);
	EXPECT_RET("two draws differ", memcmp(a, b, sizeof a) != 0, 1);
	EXPECT_RET("getrandom GRND_RANDOM", syscall(SYS_getrandom, a, sizeof a, 2), 64);
	EXPECT_RET("getrandom GRND_INSECURE", syscall(SYS_getrandom, a, sizeof a, 4), 64);
	EXPECT_ERRNO("getrandom GRND_RANDOM|GRND_INSECURE", syscall(SYS_getrandom, a, sizeof a, 6), EINVAL);
	EXPECT_ERRNO("getrandom with an unknown flag", syscall(SYS_getrandom, a, sizeof a, 8), EINVAL);
	EXPECT_ERRNO("getrandom into NULL", syscall(SYS_getrandom, NULL, 10, 0), EFAULT);
	EXPECT_RET("getrandom of 0 bytes into NULL", syscall(SYS_getrandom, NULL, 0, 0), 0);
}

int main(void)
{
	test_getrandom();
	test_uname();
	test_ids();
	test_clocks();
	test_brk();
	test_mmap();
	test_arch_prctl();
	test_write();
	test_misc();
	return tdone();
}
