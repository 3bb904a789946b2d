/*
 * Scheduling policies and priorities: getpriority/setpriority (nice) for a
 * process, a process group and a user, with Linux's clamping and errors;
 * the sched_* calls for SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH and
 * SCHED_IDLE, sched_setattr and sched_getattr (struct sizes, flags); the values in /proc/self/stat (priority, nice, rt_priority,
 * policy); SCHED_RESET_ON_FORK; an unprivileged user's limits (EPERM,
 * EACCES); and fairness: two CPU-bound processes on one CPU at nice 0 and
 * nice 10 share it about 9.3 to 1, as their weights (1024 and 110) say;
 * a SCHED_FIFO task that wakes while a SCHED_OTHER one spins runs at
 * once; two SCHED_RR tasks of one priority take turns; nanosleep(100 us)
 * wakes well within a tick of its deadline (one-shot timers); and
 * /proc/PID/schedstat's CPU time, run-queue wait and switch count, and
 * /proc/PID/sched's layout and figures; a vfork parent's uninterruptible
 * sleep (D); the CPU-time clocks; /proc/stat's nice column.
 * The raw system calls are used where musl's wrappers change the answer.
 */
#include "common.h"
#include "procparse.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static long raw_getpriority(int which, int who)
{
	return syscall(SYS_getpriority, which, who);
}

static void stat_of_self(struct pstat *s)
{
	char buf[4096];
	read_file("/proc/self/stat", buf, sizeof(buf));
	parse_stat(buf, s);
}

static void check_nice(void)
{
	EXPECT_RET("setpriority(PRIO_PROCESS, 0, 5)", setpriority(PRIO_PROCESS, 0, 5), 0);
	EXPECT_RET("raw getpriority is 20 - nice", raw_getpriority(PRIO_PROCESS, 0), 15);
	EXPECT_RET("getpriority(PRIO_PROCESS, getpid())", getpriority(PRIO_PROCESS, getpid()), 5);
	struct pstat s;
	stat_of_self(&s);
	EXPECT_RET("stat: priority (18) is 20 + nice", s.f[18], 25);
	EXPECT_RET("stat: nice (19)", s.f[19], 5);
	EXPECT_RET("nice(1) returns the new nice value", nice(1), 6);
	EXPECT_RET("setpriority(.., 100) clamps to 19", setpriority(PRIO_PROCESS, 0, 100), 0);
	EXPECT_RET("getpriority after clamping", getpriority(PRIO_PROCESS, 0), 19);
	EXPECT_RET("setpriority(.., -100) as root clamps to -20", setpriority(PRIO_PROCESS, 0, -100), 0);
	EXPECT_RET("getpriority is -20", getpriority(PRIO_PROCESS, 0), -20);
	EXPECT_RET("back to nice 0", setpriority(PRIO_PROCESS, 0, 0), 0);
	EXPECT_RET("PRIO_PGRP of the caller's group", raw_getpriority(PRIO_PGRP, 0), 20);
	EXPECT_RET("PRIO_USER of the caller", raw_getpriority(PRIO_USER, 0) >= 1, 1);
	EXPECT_ERRNO("getpriority(3, 0)", raw_getpriority(3, 0), EINVAL);
	EXPECT_ERRNO("setpriority(-1, 0, 0)", setpriority(-1, 0, 0), EINVAL);
	EXPECT_ERRNO("getpriority(PRIO_USER, no such user)", raw_getpriority(PRIO_USER, 54321), ESRCH);
	pid_t gone = fork();
	if (gone == 0)
		_exit(0);
	waitpid(gone, NULL, 0);
	EXPECT_ERRNO("getpriority of a reaped pid", raw_getpriority(PRIO_PROCESS, gone), ESRCH);
	EXPECT_ERRNO("setpriority of a reaped pid", setpriority(PRIO_PROCESS, gone, 1), ESRCH);
}

static void check_policies(void)
{
	struct sched_param p = {0};
	EXPECT_RET("sched_getscheduler(0) is SCHED_OTHER", syscall(SYS_sched_getscheduler, 0), SCHED_OTHER);
	EXPECT_RET("max priority of SCHED_FIFO", sched_get_priority_max(SCHED_FIFO), 99);
	EXPECT_RET("min priority of SCHED_RR", sched_get_priority_min(SCHED_RR), 1);
	EXPECT_RET("max priority of SCHED_OTHER", sched_get_priority_max(SCHED_OTHER), 0);
	/* SCHED_DEADLINE (6) has no static priority. */
	EXPECT_RET("max and min priority of SCHED_DEADLINE", sched_get_priority_max(6) == 0 && sched_get_priority_min(6) == 0, 1);
	EXPECT_RET("min priority of SCHED_IDLE", sched_get_priority_min(SCHED_IDLE), 0);
	EXPECT_ERRNO("max priority of policy 42", sched_get_priority_max(42), EINVAL);
	p.sched_priority = 10;
	EXPECT_RET("sched_setscheduler(SCHED_FIFO, 10)", syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &p), 0);
	EXPECT_RET("sched_getscheduler is SCHED_FIFO", syscall(SYS_sched_getscheduler, 0), SCHED_FIFO);
	p.sched_priority = 0;
	EXPECT_RET("sched_getparam", syscall(SYS_sched_getparam, 0, &p), 0);
	EXPECT_RET("sched_getparam's priority", p.sched_priority, 10);
	struct pstat s;
	stat_of_self(&s);
	EXPECT_RET("stat: priority (18) is -1 - rt_priority", s.f[18], -11);
	EXPECT_RET("stat: rt_priority (40)", s.f[40], 10);
	EXPECT_RET("stat: policy (41)", s.f[41], SCHED_FIFO);
	struct timespec ts = {1, 1};
	EXPECT_RET("sched_rr_get_interval of SCHED_FIFO", syscall(SYS_sched_rr_get_interval, 0, &ts), 0);
	EXPECT_RET("SCHED_FIFO's interval is 0", ts.tv_sec == 0 && ts.tv_nsec == 0, 1);
	p.sched_priority = 20;
	EXPECT_RET("sched_setparam(20)", syscall(SYS_sched_setparam, 0, &p), 0);
	EXPECT_RET("sched_setscheduler(SCHED_RR, 20)", syscall(SYS_sched_setscheduler, 0, SCHED_RR, &p), 0);
	EXPECT_RET("sched_rr_get_interval of SCHED_RR", syscall(SYS_sched_rr_get_interval, 0, &ts), 0);
	EXPECT_RET("SCHED_RR's quantum is 100 ms", ts.tv_sec == 0 && ts.tv_nsec == 100000000, 1);
	p.sched_priority = 0;
	EXPECT_ERRNO("SCHED_FIFO with priority 0", syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &p), EINVAL);
	p.sched_priority = 100;
	EXPECT_ERRNO("SCHED_RR with priority 100", syscall(SYS_sched_setscheduler, 0, SCHED_RR, &p), EINVAL);
	p.sched_priority = 1;
	EXPECT_ERRNO("SCHED_OTHER with priority 1", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &p), EINVAL);
	p.sched_priority = 0;
	EXPECT_ERRNO("policy 42", syscall(SYS_sched_setscheduler, 0, 42, &p), EINVAL);
	EXPECT_ERRNO("pid -1", syscall(SYS_sched_setscheduler, -1, SCHED_OTHER, &p), EINVAL);
	EXPECT_ERRNO("a NULL param", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL), EINVAL);
	EXPECT_ERRNO("sched_getparam(0, NULL)", syscall(SYS_sched_getparam, 0, NULL), EINVAL);
	EXPECT_ERRNO("sched_getscheduler(-1)", syscall(SYS_sched_getscheduler, -1), EINVAL);
	EXPECT_RET("SCHED_BATCH", syscall(SYS_sched_setscheduler, 0, SCHED_BATCH, &p), 0);
	EXPECT_RET("SCHED_IDLE", syscall(SYS_sched_setscheduler, 0, SCHED_IDLE, &p), 0);
	EXPECT_RET("sched_getscheduler is SCHED_IDLE", syscall(SYS_sched_getscheduler, 0), SCHED_IDLE);
	EXPECT_RET("back to SCHED_OTHER", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &p), 0);
	EXPECT_RET("sched_yield", sched_yield(), 0);
}

/* struct sched_attr, version 1 (56 bytes). */
struct attr {
	unsigned size, policy;
	unsigned long long flags;
	int nice;
	unsigned priority;
	unsigned long long runtime, deadline, period;
	unsigned util_min, util_max;
};

static long setattr(struct attr *a, unsigned flags)
{
	return syscall(SYS_sched_setattr, 0, a, flags);
}

static void check_attr(void)
{
	struct attr a = {0};
	EXPECT_RET("sched_getattr(0, 56 bytes)", syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0), 0);
	EXPECT_RET("its size is 56", a.size, 56);
	EXPECT_RET("its policy is SCHED_OTHER", a.policy, SCHED_OTHER);
	EXPECT_ERRNO("sched_getattr with 40 bytes", syscall(SYS_sched_getattr, 0, &a, 40, 0), EINVAL);
	EXPECT_ERRNO("sched_getattr with flags", syscall(SYS_sched_getattr, 0, &a, sizeof(a), 1), EINVAL);
	EXPECT_ERRNO("sched_getattr(-1)", syscall(SYS_sched_getattr, -1, &a, sizeof(a), 0), EINVAL);
	EXPECT_ERRNO("sched_getattr into NULL", syscall(SYS_sched_getattr, 0, NULL, sizeof(a), 0), EINVAL);
	struct attr nice7 = {.size = 48, .policy = SCHED_OTHER, .nice = 7};
	EXPECT_RET("sched_setattr: SCHED_OTHER at nice 7", setattr(&nice7, 0), 0);
	EXPECT_RET("getpriority says 7", getpriority(PRIO_PROCESS, 0), 7);
	struct attr fifo = {.size = 48, .policy = SCHED_FIFO, .priority = 12};
	EXPECT_RET("sched_setattr: SCHED_FIFO at 12", setattr(&fifo, 0), 0);
	memset(&a, 0, sizeof(a));
	EXPECT_RET("sched_getattr after it", syscall(SYS_sched_getattr, 0, &a, 48, 0), 0);
	EXPECT_RET("policy and priority read back", a.policy == SCHED_FIFO && a.priority == 12 && a.size == 48, 1);
	struct attr keep = {.size = 48, .flags = 0x08 | 0x10};
	EXPECT_RET("SCHED_FLAG_KEEP_POLICY | KEEP_PARAMS changes nothing", setattr(&keep, 0), 0);
	EXPECT_RET("still SCHED_FIFO", syscall(SYS_sched_getscheduler, 0), SCHED_FIFO);
	struct attr small = {.size = 32, .policy = SCHED_OTHER};
	EXPECT_ERRNO("sched_setattr with 32 bytes", setattr(&small, 0), E2BIG);
	EXPECT_RET("the kernel's size is written back", small.size, 56);
	struct {
		struct attr a;
		unsigned long long extra;
	} big = {.a = {.size = 64, .policy = SCHED_OTHER}, .extra = 1};
	EXPECT_ERRNO("a larger structure with a nonzero tail", setattr(&big.a, 0), E2BIG);
	struct attr bad = {.size = 48, .policy = SCHED_FIFO, .priority = 0};
	EXPECT_ERRNO("SCHED_FIFO at priority 0", setattr(&bad, 0), EINVAL);
	bad = (struct attr){.size = 48, .policy = SCHED_OTHER, .priority = 3};
	EXPECT_ERRNO("SCHED_OTHER at priority 3", setattr(&bad, 0), EINVAL);
	bad = (struct attr){.size = 48, .policy = SCHED_OTHER, .flags = 0x1000};
	EXPECT_ERRNO("an unknown sched_flags bit", setattr(&bad, 0), EINVAL);
	EXPECT_ERRNO("sched_setattr's flags argument", setattr(&nice7, 1), EINVAL);
	struct attr normal = {.size = 0, .policy = SCHED_OTHER, .nice = 0};
	EXPECT_RET("size 0 is version 0: back to SCHED_OTHER at nice 0", setattr(&normal, 0), 0);
	EXPECT_RET("nice is 0 again", getpriority(PRIO_PROCESS, 0), 0);
}

static void check_reset_on_fork(void)
{
	struct sched_param p = {.sched_priority = 5};
	EXPECT_RET("SCHED_RR | SCHED_RESET_ON_FORK",
		   syscall(SYS_sched_setscheduler, 0, SCHED_RR | SCHED_RESET_ON_FORK, &p), 0);
	EXPECT_RET("the flag shows in sched_getscheduler", syscall(SYS_sched_getscheduler, 0),
		   SCHED_RR | SCHED_RESET_ON_FORK);
	EXPECT_RET("nice -5 with it", setpriority(PRIO_PROCESS, 0, -5), 0);
	pid_t pid = fork();
	if (pid == 0) {
		int ok = syscall(SYS_sched_getscheduler, 0) == SCHED_OTHER && getpriority(PRIO_PROCESS, 0) == 0;
		_exit(ok ? 0 : 1);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("a child starts SCHED_OTHER at nice 0", WIFEXITED(status) && WEXITSTATUS(status) == 0, 1);
	p.sched_priority = 0;
	EXPECT_RET("back to SCHED_OTHER", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &p), 0);
	EXPECT_RET("back to nice 0", setpriority(PRIO_PROCESS, 0, 0), 0);
}

/*
 * In a child that dropped root: 0 when every refusal is Linux's. With
 * `raised`, RLIMIT_NICE's hard limit is 15, so nice 5 (20 - 15) is
 * allowed once the soft limit says so.
 */
static int unprivileged_checks(int raised)
{
	int bad = 0;
	struct sched_param p = {.sched_priority = 1};
	if (setpriority(PRIO_PROCESS, 0, 10) != 0)
		bad |= 1;
	errno = 0;
	if (setpriority(PRIO_PROCESS, 0, 5) != -1 || errno != EACCES)
		bad |= 2; /* lowering nice past RLIMIT_NICE */
	errno = 0;
	if (setpriority(PRIO_PROCESS, 1, 10) != -1 || errno != EPERM)
		bad |= 4; /* another user's process */
	errno = 0;
	if (syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &p) != -1 || errno != EPERM)
		bad |= 8; /* a real-time policy without RLIMIT_RTPRIO */
	struct rlimit rl = {.rlim_cur = 15, .rlim_max = 15};
	if (raised && (setrlimit(RLIMIT_NICE, &rl) != 0 || setpriority(PRIO_PROCESS, 0, 5) != 0))
		bad |= 16; /* 20 - 15 = 5 is allowed now */
	return bad;
}

static void check_unprivileged(void)
{
	/* Root may raise the hard limit unless it lacks CAP_SYS_RESOURCE (as
	 * in some containers): the RLIMIT_NICE check then does not apply. */
	struct rlimit rl = {.rlim_cur = 0, .rlim_max = 15};
	int raised = setrlimit(RLIMIT_NICE, &rl) == 0;
	if (!raised)
		tconf("cannot raise RLIMIT_NICE here: the allowance it gives is not checked");
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(100);
		_exit(unprivileged_checks(raised));
	}
	int status = -1;
	waitpid(pid, &status, 0);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (code == 0)
		tpass("unprivileged: EACCES below RLIMIT_NICE, EPERM for others' tasks and SCHED_FIFO");
	else
		tfail("unprivileged checks: exit %d (bits: 2 EACCES, 4 EPERM other, 8 EPERM FIFO, 16 limit)", code);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Spins on CPU 0 at `nice` until `until`; writes its CPU seconds to `fd`. */
static void spinner(int nice_value, double until, int fd)
{
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	setpriority(PRIO_PROCESS, 0, nice_value);
	volatile unsigned long n = 0;
	while (now_s() < until)
		for (int i = 0; i < 10000; i++)
			n++;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	if (write(fd, &cpu, sizeof(cpu)) != sizeof(cpu))
		_exit(1);
	_exit(0);
}

static void check_fairness(void)
{
	int fds[2];
	if (pipe(fds) != 0) {
		tfail("pipe: %s", errno_name(errno));
		return;
	}
	double until = now_s() + 2.0;
	pid_t a = fork();
	if (a == 0)
		spinner(0, until, fds[1]);
	pid_t b = fork();
	if (b == 0)
		spinner(10, until, fds[1]);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	double cpu[2] = {0, 0};
	if (read(fds[0], &cpu[0], sizeof(double)) != sizeof(double) || read(fds[0], &cpu[1], sizeof(double)) != sizeof(double)) {
		tfail("the spinners did not report");
		return;
	}
	double hi = cpu[0] > cpu[1] ? cpu[0] : cpu[1], lo = cpu[0] > cpu[1] ? cpu[1] : cpu[0];
	double ratio = lo > 0 ? hi / lo : 0;
	/* Linux: 1024 / 110 = 9.3; within 20%. */
	if (ratio > 9.3 * 0.8 && ratio < 9.3 * 1.2)
		tpass("nice 0 and nice 10 on one CPU share it %.2f : 1 (%.3f s and %.3f s)", ratio, hi, lo);
	else
		tfail("nice 0 and nice 10 share the CPU %.2f : 1 (%.3f s and %.3f s), not about 9.3 : 1", ratio, hi, lo);
}

static void pin_to_cpu0(void)
{
	pin_to_cpu(0);
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* A SCHED_FIFO process sleeping 2 ms at a time on CPU 0: how late its
 * wake-ups are, the median of 51, in tenths of a ms (255: it could not
 * run). The median, not the mean: the host running the emulator may
 * pause it now and then, which would weigh on a mean. */
static int fifo_lateness(void)
{
	pid_t rt = fork();
	if (rt == 0) {
		pin_to_cpu0();
		struct sched_param p = {.sched_priority = 50};
		if (syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &p) != 0)
			_exit(255);
		double late[51];
		for (int i = 0; i < 51; i++) {
			double before = now_s();
			struct timespec ts = {0, 2000000};
			nanosleep(&ts, NULL);
			late[i] = now_s() - before - 0.002;
		}
		qsort(late, 51, sizeof late[0], compare_doubles);
		int tenths = (int)(late[25] * 1e4);
		_exit(tenths > 254 ? 254 : tenths < 0 ? 0 : tenths);
	}
	int status = -1;
	waitpid(rt, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

/* The same beside a SCHED_OTHER process spinning on that CPU: the
 * real-time task runs as soon as it wakes, not after the spinner's slice
 * (in one of three tries),
 * so it is at most 2 ms later than alone (medians) (Linux: no later at all; an
 * emulated CPU takes its interrupts late while it runs a busy loop). */
static void check_fifo_wakeup(void)
{
	int alone = 0, busy = 255;
	/* Up to three tries: a scheduler that lets the spinner finish its
	 * slice is late every time, a busy host only now and then. */
	for (int attempt = 0; attempt < 3 && busy > alone + 20; attempt++) {
		alone = fifo_lateness();
		pid_t spin = fork();
		if (spin == 0) {
			pin_to_cpu0();
			for (;;)
				;
		}
		busy = fifo_lateness();
		kill(spin, SIGKILL);
		waitpid(spin, NULL, 0);
	}
	if (busy <= alone + 20)
		tpass("a SCHED_FIFO task wakes %d.%d ms late beside a spinning SCHED_OTHER one (%d.%d ms alone)",
		      busy / 10, busy % 10, alone / 10, alone % 10);
	else
		tfail("a SCHED_FIFO task wakes %d.%d ms late beside a spinner, %d.%d ms alone", busy / 10, busy % 10,
		      alone / 10, alone % 10);
}

/* Two SCHED_RR processes of one priority spinning on one CPU for 0.6 s:
 * both get a share (turns of 100 ms each). A middle process pins itself
 * and takes SCHED_RR first, so both spinners start with them. */
static void rr_spinners(int fd)
{
	pin_to_cpu0();
	struct sched_param p = {.sched_priority = 10};
	if (syscall(SYS_sched_setscheduler, 0, SCHED_RR, &p) != 0)
		_exit(1);
	double until = now_s() + 0.8;
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			volatile unsigned long n = 0;
			while (now_s() < until)
				n++;
			struct rusage ru;
			getrusage(RUSAGE_SELF, &ru);
			double cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
				     (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
			_exit(write(fd, &cpu, sizeof(cpu)) == sizeof(cpu) ? 0 : 1);
		}
	}
	waitpid(kids[0], NULL, 0);
	waitpid(kids[1], NULL, 0);
	_exit(0);
}

static void check_rr_turns(void)
{
	int fds[2];
	if (pipe(fds) != 0)
		return;
	pid_t middle = fork();
	if (middle == 0)
		rr_spinners(fds[1]);
	waitpid(middle, NULL, 0);
	double cpu[2] = {0, 0};
	if (read(fds[0], &cpu[0], sizeof(double)) != sizeof(double) || read(fds[0], &cpu[1], sizeof(double)) != sizeof(double)) {
		tfail("the SCHED_RR spinners did not report");
		return;
	}
	/* Judged by their shares, not by seconds: a loaded host may run the
	 * emulated CPU for less than the window's wall time. Without turns
	 * one would get it all; with them neither gets twice the other. */
	double lo = cpu[0] < cpu[1] ? cpu[0] : cpu[1], hi = cpu[0] < cpu[1] ? cpu[1] : cpu[0];
	if (lo > 0.05 && lo >= hi / 2)
		tpass("two SCHED_RR spinners of one priority take turns (%.3f s and %.3f s)", cpu[0], cpu[1]);
	else
		tfail("two SCHED_RR spinners: %.3f s and %.3f s, not turns", cpu[0], cpu[1]);
}

/* nanosleep(100 us), 201 times: how late it returns, the median. Linux
 * answers in tens of microseconds; one-shot timers must keep it well under
 * a 1 ms tick (emulated CPUs take longer to wake than real ones). The
 * median, not the mean: the emulator's host pauses it now and then. */
static void check_nanosleep_precision(void)
{
	double late[201];
	for (int i = 0; i < 201; i++) {
		double before = now_s();
		struct timespec ts = {0, 100000};
		nanosleep(&ts, NULL);
		late[i] = now_s() - before - 100e-6;
	}
	qsort(late, 201, sizeof late[0], compare_doubles);
	double us = late[100] * 1e6;
	if (us < 500)
		tpass("nanosleep(100 us) returns %.1f us after its deadline (median)", us);
	else
		tfail("nanosleep(100 us) returns %.1f us after its deadline (median)", us);
}

/* /proc/self/schedstat: CPU time (ns), run-queue wait (ns), times run. */
static int read_schedstat(const char *path, unsigned long long v[3])
{
	char buf[256];
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	return sscanf(buf, "%llu %llu %llu", &v[0], &v[1], &v[2]) == 3;
}

static void spin_for(double seconds)
{
	volatile unsigned long n = 0;
	double until = now_s() + seconds;
	while (now_s() < until)
		for (int i = 0; i < 10000; i++)
			n++;
}

/* Alone, spinning counts as CPU time; sleeping counts switches in; beside
 * a spinner on the same CPU about half the time is spent waiting. */
static void check_schedstat(void)
{
	unsigned long long a[3], b[3], c[3], d[3], t[3];
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%ld/schedstat", (long)syscall(SYS_gettid));
	if (!read_schedstat("/proc/self/schedstat", a) || !read_schedstat(path, t)) {
		tfail("/proc/self/schedstat and %s do not hold three numbers", path);
		return;
	}
	tpass("/proc/self/schedstat and task/TID/schedstat hold three numbers");
	cpu_set_t all;
	sched_getaffinity(0, sizeof(all), &all);
	pin_to_cpu0();
	double start = now_s();
	spin_for(0.2);
	double wall = now_s() - start;
	read_schedstat("/proc/self/schedstat", b);
	double ran = (b[0] - a[0]) / 1e9;
	if (ran > wall * 0.5 && ran < wall + 0.02)
		tpass("schedstat: spinning %.3f s alone ran %.3f s", wall, ran);
	else
		tfail("schedstat: spinning %.3f s alone ran %.3f s", wall, ran);
	/* 10 ms each: long enough that the sleep has not ended before the
	 * task leaves the CPU, even on an emulator's busy host. */
	for (int i = 0; i < 5; i++) {
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	read_schedstat("/proc/self/schedstat", c);
	if (c[2] >= b[2] + 5)
		tpass("schedstat: five sleeps add %llu runs", c[2] - b[2]);
	else
		tfail("schedstat: five sleeps add %llu runs", c[2] - b[2]);
	pid_t spin = fork();
	if (spin == 0) {
		spin_for(10);
		_exit(0);
	}
	start = now_s();
	spin_for(0.4);
	wall = now_s() - start;
	read_schedstat("/proc/self/schedstat", d);
	kill(spin, SIGKILL);
	waitpid(spin, NULL, 0);
	double waited = (d[1] - c[1]) / 1e9;
	if (waited > wall * 0.2 && waited < wall)
		tpass("schedstat: %.3f s beside a spinner on one CPU waited %.3f s", wall, waited);
	else
		tfail("schedstat: %.3f s beside a spinner on one CPU waited %.3f s", wall, waited);
	sched_setaffinity(0, sizeof(all), &all);
}

/* The value of line `name` of a /proc/PID/sched text (-1: absent). */
static double sched_field(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, name, n) != 0 || (line[n] != ' ' && line[n] != ':'))
			continue;
		const char *colon = strchr(line, ':');
		return colon ? atof(colon + 1) : -1;
	}
	return -1;
}

/* /proc/self/sched: the header, Linux's layout, switch counts that add
 * up, and the policy, priority and weight a nice value gives. */
static void check_proc_sched(void)
{
	char text[4096], comm[32], header[96], path[64];
	read_file("/proc/self/comm", comm, sizeof(comm));
	comm[strcspn(comm, "\n")] = '\0';
	struct timespec ts = {0, 1000000};
	nanosleep(&ts, NULL);
	if (read_file("/proc/self/sched", text, sizeof(text)) <= 0) {
		tfail("/proc/self/sched cannot be read");
		return;
	}
	snprintf(header, sizeof(header), "%s (%d, #threads: 1)\n", comm, getpid());
	const char *second = strchr(text, '\n') ? strchr(text, '\n') + 1 : "";
	if (strncmp(text, header, strlen(header)) == 0 && strspn(second, "-") == 67 && second[67] == '\n')
		tpass("/proc/self/sched starts with \"%s (pid, #threads: 1)\" and 67 dashes", comm);
	else
		tfail("/proc/self/sched starts %.80s", text);
	if (strstr(text, "\nse.sum_exec_runtime                          :") &&
	    strstr(text, "\nnr_switches                                  :"))
		tpass("/proc/self/sched: names padded to 45 columns");
	else
		tfail("/proc/self/sched: not Linux's layout");
	double all = sched_field(text, "nr_switches"), vol = sched_field(text, "nr_voluntary_switches"),
	       invol = sched_field(text, "nr_involuntary_switches");
	if (vol >= 1 && invol >= 0 && all == vol + invol)
		tpass("/proc/self/sched: %.0f switches, %.0f voluntary and %.0f involuntary", all, vol, invol);
	else
		tfail("/proc/self/sched: %.0f switches, %.0f voluntary and %.0f involuntary", all, vol, invol);
	unsigned long long stat[3];
	double runtime = sched_field(text, "se.sum_exec_runtime");
	if (read_schedstat("/proc/self/schedstat", stat) && runtime > 0 && runtime <= stat[0] / 1e6)
		tpass("/proc/self/sched: se.sum_exec_runtime %.6f ms, within schedstat's", runtime);
	else
		tfail("/proc/self/sched: se.sum_exec_runtime %.6f ms against schedstat's %llu ns", runtime, stat[0]);
	pid_t child = fork();
	if (child == 0) {
		setpriority(PRIO_PROCESS, 0, 5);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/sched", getpid(), getpid());
		read_file(path, text, sizeof(text));
		_exit(sched_field(text, "policy") == 0 && sched_field(text, "prio") == 125 &&
		      sched_field(text, "se.load.weight") == 335 * 1024 ? 0 : 1);
	}
	int status = -1;
	waitpid(child, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		tpass("/proc/PID/task/TID/sched at nice 5: policy 0, prio 125, se.load.weight 343040");
	else
		tfail("/proc/PID/task/TID/sched at nice 5: wrong policy, prio or weight");
}

static volatile char vfork_parent_state;

/* A vfork parent waits for its child uninterruptibly: "D" in /proc. */
static void check_uninterruptible(void)
{
	pid_t parent = getpid();
	vfork_parent_state = '?';
	if (vfork() == 0) {
		struct timespec ts = {0, 50000000};
		nanosleep(&ts, NULL);
		char path[64], buf[512];
		snprintf(path, sizeof(path), "/proc/%d/stat", parent);
		if (read_file(path, buf, sizeof(buf)) > 0 && strrchr(buf, ')'))
			vfork_parent_state = strrchr(buf, ')')[2];
		_exit(0);
	}
	if (vfork_parent_state == 'D')
		tpass("a vfork parent waiting for its child is in state D");
	else
		tfail("a vfork parent waiting for its child is in state %c, not D", vfork_parent_state);
}

/* /proc/stat's CPU time of niced tasks (its "cpu" line's second column),
 * in clock ticks. */
static long long nice_ticks(void)
{
	char buf[4096];
	long long user = -1, nice = -1;
	if (read_file("/proc/stat", buf, sizeof(buf)) > 0)
		sscanf(buf, "cpu %lld %lld", &user, &nice);
	return nice;
}

/* A process at nice 10 that uses 0.2 s of CPU adds it to /proc/stat's
 * nice column (top's "nic"), not to user. */
static void check_nice_time(void)
{
	long long before = nice_ticks();
	pid_t child = fork();
	if (child == 0) {
		setpriority(PRIO_PROCESS, 0, 10);
		struct timespec cpu;
		double give_up = now_s() + 10;
		volatile unsigned long n = 0;
		do {
			for (int i = 0; i < 100000; i++)
				n++;
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
		} while (cpu.tv_sec * 1e9 + cpu.tv_nsec < 0.2e9 && now_s() < give_up);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	long long added = nice_ticks() - before;
	long hz = sysconf(_SC_CLK_TCK);
	if (before >= 0 && added >= hz * 15 / 100)
		tpass("/proc/stat: 0.2 s of CPU at nice 10 adds %lld ticks to the nice column", added);
	else
		tfail("/proc/stat: 0.2 s of CPU at nice 10 adds %lld ticks to the nice column (from %lld)", added, before);
}

static double cpu_clock_s(clockid_t clock)
{
	struct timespec ts = {-1, 0};
	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Spins until the thread has run `*arg` seconds of CPU time (a loaded
 * host gives it less per wall second), at most ten times that in wall time. */
static void *spin_thread(void *arg)
{
	double want = *(double *)arg, start = cpu_clock_s(CLOCK_THREAD_CPUTIME_ID), give_up = now_s() + 10 * want;
	while (cpu_clock_s(CLOCK_THREAD_CPUTIME_ID) - start < want && now_s() < give_up)
		spin_for(0.001);
	return NULL;
}

/* CLOCK_THREAD_CPUTIME_ID and CLOCK_PROCESS_CPUTIME_ID count CPU time to
 * the nanosecond; the process's keeps the time of its exited threads. */
static void check_cpu_clocks(void)
{
	struct timespec res = {0, 0};
	EXPECT_RET("clock_getres(CLOCK_THREAD_CPUTIME_ID) is 1 ns",
		   clock_getres(CLOCK_THREAD_CPUTIME_ID, &res) == 0 && res.tv_sec == 0 && res.tv_nsec == 1, 1);
	EXPECT_RET("clock() works (CLOCK_PROCESS_CPUTIME_ID)", clock() != (clock_t)-1, 1);
	double thread0 = cpu_clock_s(CLOCK_THREAD_CPUTIME_ID), process0 = cpu_clock_s(CLOCK_PROCESS_CPUTIME_ID);
	double start = now_s();
	spin_for(0.1);
	double wall = now_s() - start;
	double ran = cpu_clock_s(CLOCK_THREAD_CPUTIME_ID) - thread0;
	if (thread0 >= 0 && ran > wall * 0.5 && ran < wall + 0.02)
		tpass("CLOCK_THREAD_CPUTIME_ID: spinning %.3f s counts %.3f s", wall, ran);
	else
		tfail("CLOCK_THREAD_CPUTIME_ID: spinning %.3f s counts %.3f s (from %.3f)", wall, ran, thread0);
	pthread_t t;
	double seconds = 0.1;
	double before = cpu_clock_s(CLOCK_PROCESS_CPUTIME_ID);
	pthread_create(&t, NULL, spin_thread, &seconds);
	pthread_join(t, NULL);
	double mine = cpu_clock_s(CLOCK_THREAD_CPUTIME_ID) - thread0;
	double added = cpu_clock_s(CLOCK_PROCESS_CPUTIME_ID) - before;
	if (process0 >= thread0 && added > 0.05 && mine < ran + 0.05)
		tpass("CLOCK_PROCESS_CPUTIME_ID keeps a joined thread's %.3f s", added);
	else
		tfail("CLOCK_PROCESS_CPUTIME_ID: a joined thread added %.3f s (process %.3f, thread %.3f)", added,
		      process0, thread0);
}

/* The clocks clock_getcpuclockid and pthread_getcpuclockid name: the
 * caller's own, another process's, and Linux's errors. */
static void check_cpu_clock_ids(void)
{
	clockid_t mine, self;
	EXPECT_RET("pthread_getcpuclockid(pthread_self())", pthread_getcpuclockid(pthread_self(), &mine), 0);
	double a = cpu_clock_s(CLOCK_THREAD_CPUTIME_ID), b = cpu_clock_s(mine), c = cpu_clock_s(CLOCK_THREAD_CPUTIME_ID);
	EXPECT_RET("the thread's clock id reads its CPU time", a <= b && b <= c, 1);
	EXPECT_RET("clock_getcpuclockid(getpid())", clock_getcpuclockid(getpid(), &self), 0);
	a = cpu_clock_s(CLOCK_PROCESS_CPUTIME_ID), b = cpu_clock_s(self), c = cpu_clock_s(CLOCK_PROCESS_CPUTIME_ID);
	EXPECT_RET("the process's clock id reads its CPU time", a <= b && b <= c, 1);
	int fds[2];
	if (pipe(fds) != 0)
		return;
	pid_t child = fork();
	if (child == 0) {
		struct timespec cpu;
		do
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
		while (cpu.tv_sec * 1e9 + cpu.tv_nsec < 0.1e9);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	char x;
	clockid_t other;
	double used = -1;
	if (read(fds[0], &x, 1) == 1 && clock_getcpuclockid(child, &other) == 0)
		used = cpu_clock_s(other);
	if (used >= 0.1 && used < 1)
		tpass("another process's clock reads its %.3f s of CPU", used);
	else
		tfail("another process's clock reads %.3f s, not its 0.1 s of CPU", used);
	struct timespec ts;
	/* A thread clock of another process's thread: EINVAL. */
	clockid_t foreign = (clockid_t)((~(unsigned)child << 3) | 6);
	EXPECT_ERRNO("a thread clock of another process's thread", clock_gettime(foreign, &ts), EINVAL);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	EXPECT_RET("clock_getcpuclockid of a process that does not exist (the kernel says EINVAL)",
		   clock_getcpuclockid(0x3ffffff0, &other), EINVAL);
	EXPECT_ERRNO("a CPU clock id counting nothing (3)", clock_gettime((clockid_t)((~0u << 3) | 3), &ts), EINVAL);
	close(fds[0]);
	close(fds[1]);
}

/* ioprio_set/ioprio_get: a class and level kept per thread. */
static void check_ioprio(void)
{
#define IOPRIO(class, level) (((class) << 13) | (level))
	EXPECT_RET("ioprio_set(best-effort 5)", syscall(SYS_ioprio_set, 1, 0, IOPRIO(2, 5)), 0);
	EXPECT_RET("ioprio_get gives it back", syscall(SYS_ioprio_get, 1, 0), IOPRIO(2, 5));
	pid_t pid = fork();
	if (pid == 0)
		_exit(syscall(SYS_ioprio_get, 1, 0) == IOPRIO(2, 5) ? 0 : 1);
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("a fork's child inherits it", status, 0);
	EXPECT_ERRNO("an unknown class", syscall(SYS_ioprio_set, 1, 0, IOPRIO(5, 0)), EINVAL);
	EXPECT_ERRNO("an unknown target kind", syscall(SYS_ioprio_get, 9, 0), EINVAL);
	EXPECT_ERRNO("a process that does not exist", syscall(SYS_ioprio_get, 1, 999999), ESRCH);
	pid = fork();
	if (pid == 0) {
		setresuid(65534, 65534, 65534);
		_exit(syscall(SYS_ioprio_set, 1, 0, IOPRIO(1, 0)) == -1 && errno == EPERM ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	EXPECT_RET("the real-time class takes privilege (EPERM)", status, 0);
	EXPECT_RET("idle class", syscall(SYS_ioprio_set, 1, 0, IOPRIO(3, 0)), 0);
	syscall(SYS_ioprio_set, 1, 0, IOPRIO(2, 4));
}

int main(void)
{
	proc_mount_if_needed();
	check_ioprio();
	check_nice();
	check_policies();
	check_attr();
	check_reset_on_fork();
	check_unprivileged();
	check_fairness();
	check_fifo_wakeup();
	check_rr_turns();
	check_nanosleep_precision();
	check_schedstat();
	check_proc_sched();
	check_uninterruptible();
	check_cpu_clocks();
	check_cpu_clock_ids();
	check_nice_time();
	return tdone();
}
