/*
 * Tiny test helpers shared by the conformance programs.
 *
 * Every result is one line on stdout, flushed at once so that the order on the
 * serial console matches the order of the checks:
 *   TPASS: what was checked
 *   TFAIL: what went wrong
 *   TCONF: a check that does not apply in this environment
 * tdone() returns the exit status: 0 only when no TFAIL line was printed.
 */
#ifndef TESTS_COMMON_H
#define TESTS_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define T_UNUSED __attribute__((unused))
#define T_PRINTF(a, b) __attribute__((format(printf, a, b)))

static int t_failures;
static int t_passes;

static void t_line(const char *tag, const char *fmt, va_list ap)
{
	fputs(tag, stdout);
	fputs(": ", stdout);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static T_UNUSED T_PRINTF(1, 2) void tpass(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	t_line("TPASS", fmt, ap);
	va_end(ap);
	t_passes++;
}

static T_UNUSED T_PRINTF(1, 2) void tfail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	t_line("TFAIL", fmt, ap);
	va_end(ap);
	t_failures++;
}

static T_UNUSED T_PRINTF(1, 2) void tconf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	t_line("TCONF", fmt, ap);
	va_end(ap);
}

/* Pins the calling thread to CPU `cpu` alone; sched_setaffinity's result. */
static T_UNUSED int pin_to_cpu(int cpu)
{
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof(one), &one);
}

/* MemFree from /proc/meminfo in kB; -1 without it. */
static T_UNUSED long meminfo_free_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* Exit status for main: 0 only when nothing failed. */
static T_UNUSED int tdone(void)
{
	printf("summary: %d passed, %d failed\n", t_passes, t_failures);
	fflush(stdout);
	return t_failures ? 1 : 0;
}

/* Symbolic name of the errno values these tests meet; "E?" otherwise. */
static T_UNUSED const char *errno_name(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EDEADLK: return "EDEADLK";
	case EOVERFLOW: return "EOVERFLOW";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENOEXEC: return "ENOEXEC";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EEXIST: return "EEXIST";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ESPIPE: return "ESPIPE";
	case ERANGE: return "ERANGE";
	case ENOSYS: return "ENOSYS";
	case ECHILD: return "ECHILD";
	case E2BIG: return "E2BIG";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ELOOP: return "ELOOP";
	case EPIPE: return "EPIPE";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EOWNERDEAD: return "EOWNERDEAD";
	case EMFILE: return "EMFILE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOSPC: return "ENOSPC";
	case ENXIO: return "ENXIO";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case ETXTBSY: return "ETXTBSY";
	case ENOTEMPTY: return "ENOTEMPTY";
	case EFBIG: return "EFBIG";
	case EXDEV: return "EXDEV";
	case EADDRINUSE: return "EADDRINUSE";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET";
	case EDOM: return "EDOM";
	case EISCONN: return "EISCONN";
	case EMSGSIZE: return "EMSGSIZE";
	case ENOPROTOOPT: return "ENOPROTOOPT";
	case ENOTCONN: return "ENOTCONN";
	case ENOTSOCK: return "ENOTSOCK";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case EPROTOTYPE: return "EPROTOTYPE";
	case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
	default: return "E?";
	}
}

/*
 * Checks that a call failed with -1 and the given errno. The call is evaluated
 * once, with errno cleared first, and errno is read right after it.
 */
#define EXPECT_ERRNO(what, call, expected)                                       \
	do {                                                                     \
		errno = 0;                                                       \
		long t_ret_ = (long)(call);                                      \
		int t_err_ = errno;                                              \
		if (t_ret_ == -1 && t_err_ == (expected))                        \
			tpass("%s -> -1 %s", (what), errno_name(expected));      \
		else                                                             \
			tfail("%s -> %ld errno=%d %s, expected -1 %s", (what),   \
			      t_ret_, t_err_, errno_name(t_err_),                \
			      errno_name(expected));                             \
	} while (0)

/* A number for a message: decimal when small, hex when it looks like an address. */
static T_UNUSED const char *t_num(long v)
{
	static char bufs[4][24];
	static int next;
	char *b = bufs[next++ % 4];
	if (v > -65536 && v < 65536)
		snprintf(b, sizeof(bufs[0]), "%ld", v);
	else
		snprintf(b, sizeof(bufs[0]), "%#lx", (unsigned long)v);
	return b;
}

/* Runs f in a forked child; returns its exit status (100 plus the signal
 * when one killed it). */
static T_UNUSED int in_child(int (*f)(void))
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(f());
	int status = -1;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

/* Checks that a call returned exactly the expected value. */
#define EXPECT_RET(what, call, expected)                                         \
	do {                                                                     \
		errno = 0;                                                       \
		long t_ret_ = (long)(call);                                      \
		int t_err_ = errno;                                              \
		long t_exp_ = (long)(expected);                                  \
		if (t_ret_ == t_exp_)                                            \
			tpass("%s -> %s", (what), t_num(t_ret_));                \
		else                                                             \
			tfail("%s -> %s errno=%d %s, expected %s", (what),       \
			      t_num(t_ret_), t_err_, errno_name(t_err_),         \
			      t_num(t_exp_));                                    \
	} while (0)

/*
 * A system call that touches no memory of its own: no errno, no TLS. For the
 * moments when the thread pointer is not musl's (arch_prctl ARCH_SET_FS).
 * Returns the raw kernel result, -errno on failure.
 */
static T_UNUSED long raw_syscall2(long nr, long a1, long a2)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2)
			 : "rcx", "r11", "memory");
	return ret;
}

#endif
