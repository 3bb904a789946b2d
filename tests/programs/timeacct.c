/*
 * Time and CPU accounting: gettimeofday and time agree with CLOCK_REALTIME,
 * getrusage and times charge a busy loop to user time, wait4 and
 * RUSAGE_CHILDREN report a reaped child's time, ITIMER_VIRTUAL and
 * ITIMER_PROF fire on CPU time (SIGVTALRM, SIGPROF) and reload, a child
 * does not inherit them, RLIMIT_CPU sends SIGXCPU then SIGKILL, and
 * reboot's checks.
 */
#include "common.h"

#include <signal.h>
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

static volatile int vtalrms, profs, xcpus;

static void on_signal(int sig)
{
	if (sig == SIGVTALRM)
		vtalrms++;
	else if (sig == SIGPROF)
		profs++;
	else if (sig == SIGXCPU)
		xcpus++;
}

static void check_cpu_itimers(void)
{
	signal(SIGVTALRM, on_signal);
	signal(SIGPROF, on_signal);
	struct itimerval every_20ms = {{0, 20000}, {0, 20000}}, got, off = {{0, 0}, {0, 0}};
	EXPECT_RET("setitimer(ITIMER_VIRTUAL)", setitimer(ITIMER_VIRTUAL, &every_20ms, NULL), 0);
	EXPECT_RET("setitimer(ITIMER_PROF)", setitimer(ITIMER_PROF, &every_20ms, NULL), 0);
	EXPECT_RET("getitimer(ITIMER_VIRTUAL)", getitimer(ITIMER_VIRTUAL, &got), 0);
	EXPECT_RET("it keeps its interval", got.it_interval.tv_usec, 20000);
	EXPECT_RET("and counts down from its value", got.it_value.tv_sec == 0 && got.it_value.tv_usec > 0 && got.it_value.tv_usec <= 40000, 1);
	pid_t pid = fork();
	if (pid == 0) {
		struct itimerval c;
		getitimer(ITIMER_PROF, &c);
		_exit(c.it_value.tv_sec == 0 && c.it_value.tv_usec == 0 ? 0 : 1);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("a fork's child has no CPU-time timer", status, 0);
	spin_cpu_ticks(100);
	setitimer(ITIMER_VIRTUAL, &off, &got);
	setitimer(ITIMER_PROF, &off, NULL);
	EXPECT_RET("a second of CPU time brings SIGVTALRM again and again", vtalrms >= 2, 1);
	EXPECT_RET("and SIGPROF", profs >= 2, 1);
	EXPECT_RET("the old value comes back when disarming", got.it_interval.tv_usec, 20000);
	getitimer(ITIMER_VIRTUAL, &got);
	EXPECT_RET("disarmed", got.it_value.tv_sec == 0 && got.it_value.tv_usec == 0, 1);
	EXPECT_ERRNO("getitimer(42)", getitimer(42, &got), EINVAL);
	EXPECT_ERRNO("getitimer into a bad pointer", syscall(SYS_getitimer, ITIMER_PROF, (void *)1), EFAULT);

	pid = fork();
	if (pid == 0) {
		signal(SIGXCPU, on_signal);
		struct rlimit cpu = {1, 3};
		setrlimit(RLIMIT_CPU, &cpu);
		for (;;) {
			spin_cpu_ticks(10);
			if (xcpus >= 2) {
				struct rlimit now;
				getrlimit(RLIMIT_CPU, &now);
				/* Each SIGXCPU moves the soft limit a second on. */
				_exit(now.rlim_cur == 3 ? 42 : 43);
			}
		}
	}
	waitpid(pid, &status, 0);
	EXPECT_RET("RLIMIT_CPU: SIGXCPU at the soft limit, then each second", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		   42);
	pid = fork();
	if (pid == 0) {
		signal(SIGXCPU, SIG_IGN);
		struct rlimit cpu = {1, 2};
		setrlimit(RLIMIT_CPU, &cpu);
		for (;;)
			spin_cpu_ticks(10);
	}
	waitpid(pid, &status, 0);
	EXPECT_RET("RLIMIT_CPU: SIGKILL at the hard limit", WIFSIGNALED(status) ? WTERMSIG(status) : -1, SIGKILL);
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
	/* The alarm clocks need a real-time clock device (EINVAL without one,
	 * as on a machine with no RTC); with one they read as their plain
	 * clocks. */
	struct timespec boot, alarm;
	clock_gettime(CLOCK_BOOTTIME, &boot);
	if (clock_gettime(CLOCK_BOOTTIME_ALARM, &alarm) == 0) {
		EXPECT_RET("CLOCK_BOOTTIME_ALARM reads as CLOCK_BOOTTIME",
			   alarm.tv_sec - boot.tv_sec >= 0 && alarm.tv_sec - boot.tv_sec <= 1, 1);
		EXPECT_RET("CLOCK_REALTIME_ALARM reads as the wall clock",
			   clock_gettime(CLOCK_REALTIME_ALARM, &alarm) == 0 && alarm.tv_sec - time(NULL) <= 1, 1);
	} else {
		int e = errno;
		EXPECT_RET("without an RTC the alarm clocks are EINVAL", e, EINVAL);
	}

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
	check_cpu_itimers();

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
