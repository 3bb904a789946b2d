/*
 * Time and CPU accounting: gettimeofday and time agree with CLOCK_REALTIME,
 * getrusage and times charge a busy loop to user time, wait4 and
 * RUSAGE_CHILDREN report a reaped child's time, and reboot's checks.
 */
#include "common.h"

#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>

static long long now_ms(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Spins until this process has been charged `ticks` clock ticks of CPU
 * time (a loaded host may give it less than the wall-clock time), or 10 s
 * passed; returns the ticks charged. */
static long spin_cpu_ticks(long ticks)
{
	struct tms t0, t;
	times(&t0);
	long long give_up = now_ms(CLOCK_MONOTONIC) + 10000;
	long used = 0;
	while (used < ticks && now_ms(CLOCK_MONOTONIC) < give_up) {
		times(&t);
		used = (t.tms_utime + t.tms_stime) - (t0.tms_utime + t0.tms_stime);
	}
	return used;
}

static long tv_ms(struct timeval tv)
{
	return tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int main(void)
{
	struct timeval tv;
	EXPECT_RET("gettimeofday", syscall(SYS_gettimeofday, &tv, NULL), 0);
	long long diff = tv.tv_sec * 1000LL + tv.tv_usec / 1000 - now_ms(CLOCK_REALTIME);
	EXPECT_RET("gettimeofday agrees with CLOCK_REALTIME within 1 s", diff > -1000 && diff < 1000, 1);
	time_t t = 0;
	long r = syscall(SYS_time, &t);
	EXPECT_RET("time() returns what it stores", r == t && r > 1577836800, 1);
	EXPECT_ERRNO("gettimeofday(bad pointer)", syscall(SYS_gettimeofday, (void *)1, NULL), EFAULT);

	struct tms before;
	long c0 = times(&before);
	long used = spin_cpu_ticks(30);
	long c1 = times(NULL);
	EXPECT_RET("times() counts clock ticks forward", c1 > c0, 1);
	EXPECT_RET("times(): a busy loop is charged 30 ticks of CPU time", used >= 30, 1);
	struct rusage ru;
	EXPECT_RET("getrusage(RUSAGE_SELF)", getrusage(RUSAGE_SELF, &ru), 0);
	EXPECT_RET("ru_utime + ru_stime cover the busy loop", tv_ms(ru.ru_utime) + tv_ms(ru.ru_stime) >= 290, 1);
	EXPECT_ERRNO("getrusage(42)", syscall(SYS_getrusage, 42, &ru), EINVAL);

	pid_t pid = fork();
	if (pid == 0)
		_exit(spin_cpu_ticks(30) >= 30 ? 0 : 1);
	struct rusage child;
	int status;
	EXPECT_RET("wait4 with rusage", syscall(SYS_wait4, pid, &status, 0, &child), pid);
	EXPECT_RET("wait4's rusage has the child's busy loop", tv_ms(child.ru_utime) + tv_ms(child.ru_stime) >= 290, 1);
	getrusage(RUSAGE_CHILDREN, &ru);
	EXPECT_RET("RUSAGE_CHILDREN includes the reaped child", tv_ms(ru.ru_utime) + tv_ms(ru.ru_stime) >= 290, 1);

	pid = fork();
	if (pid == 0) {
		if (syscall(SYS_setresuid, 1000, 1000, 1000) != 0)
			_exit(2);
		long rr = syscall(SYS_reboot, 0xfee1dead, 672274793, RB_POWER_OFF, 0);
		_exit(rr == -1 && errno == EPERM ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	EXPECT_RET("reboot as an ordinary user -> EPERM", WIFEXITED(status) && WEXITSTATUS(status) == 0, 1);
	errno = 0;
	long rr = syscall(SYS_reboot, 0x12345678, 672274793, RB_POWER_OFF, 0);
	int reboot_errno = errno;
	if (rr == -1 && reboot_errno == EPERM)
		tconf("reboot: no CAP_SYS_BOOT here, the magic check is not reached");
	else
		EXPECT_RET("reboot with a bad magic -> EINVAL", rr == -1 && reboot_errno == EINVAL, 1);
	return tdone();
}
