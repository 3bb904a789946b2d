/*
 * timerfd: timerfd_create (the clocks, TFD_NONBLOCK and TFD_CLOEXEC, bad
 * clocks and flags), timerfd_settime and timerfd_gettime (bad flags, bad
 * timespecs, descriptors that are not timerfds, TFD_TIMER_CANCEL_ON_SET
 * accepted where it means nothing, the old value, disarming, expirations
 * dropped by a new setting), reading (a one-shot relative timer blocks then
 * reads 1, EAGAIN before expiry, short buffers, the count of a periodic
 * timer, absolute deadlines in the past and their missed periods), poll
 * readiness, the /proc/self/fd link, and a timer shared across fork.
 */
#include "common.h"
#include "procparse.h"
#include "socktest.h"

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

#define MS 1000000L

static int short_poll(int fd, short events)
{
	struct pollfd pf = {fd, events, 0};
	return poll(&pf, 1, 0) == 1 ? pf.revents : 0;
}

static struct itimerspec its(long value_ns, long interval_ns)
{
	struct itimerspec t = {
		.it_value = {value_ns / 1000000000L, value_ns % 1000000000L},
		.it_interval = {interval_ns / 1000000000L, interval_ns % 1000000000L},
	};
	return t;
}

static long long ns(struct timespec t)
{
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Reads the expiration count; returns it, or (uint64_t)-1 with errno set. */
static uint64_t ticks(int fd)
{
	uint64_t v = 0;
	if (read(fd, &v, sizeof v) != sizeof v)
		return (uint64_t)-1;
	return v;
}

static int reaped_ok(pid_t pid)
{
	int status = -1;
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_create(void)
{
	static const struct {
		int clock;
		const char *name;
	} clocks[] = {
		{CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
		{CLOCK_REALTIME, "CLOCK_REALTIME"},
		{CLOCK_BOOTTIME, "CLOCK_BOOTTIME"},
	};
	for (unsigned i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		long fd = syscall(SYS_timerfd_create, clocks[i].clock, 0);
		if (fd >= 0)
			tpass("timerfd_create(%s, 0) -> a descriptor", clocks[i].name);
		else
			tfail("timerfd_create(%s, 0) -> errno=%d %s", clocks[i].name, errno, errno_name(errno));
		close(fd);
	}
	EXPECT_ERRNO("timerfd_create(CLOCK_PROCESS_CPUTIME_ID)",
		     syscall(SYS_timerfd_create, CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
	EXPECT_ERRNO("timerfd_create(CLOCK_THREAD_CPUTIME_ID)",
		     syscall(SYS_timerfd_create, CLOCK_THREAD_CPUTIME_ID, 0), EINVAL);
	EXPECT_ERRNO("timerfd_create(CLOCK_MONOTONIC_RAW)", syscall(SYS_timerfd_create, CLOCK_MONOTONIC_RAW, 0),
		     EINVAL);
	EXPECT_ERRNO("timerfd_create(CLOCK_MONOTONIC_COARSE)",
		     syscall(SYS_timerfd_create, CLOCK_MONOTONIC_COARSE, 0), EINVAL);
	EXPECT_ERRNO("timerfd_create(CLOCK_TAI)", syscall(SYS_timerfd_create, CLOCK_TAI, 0), EINVAL);
	EXPECT_ERRNO("timerfd_create(clock 99)", syscall(SYS_timerfd_create, 99, 0), EINVAL);
	EXPECT_ERRNO("timerfd_create(clock -1)", syscall(SYS_timerfd_create, -1, 0), EINVAL);
	EXPECT_ERRNO("timerfd_create with flag 1", syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 1), EINVAL);
	EXPECT_ERRNO("timerfd_create with TFD_TIMER_ABSTIME as a flag",
		     syscall(SYS_timerfd_create, CLOCK_MONOTONIC, TFD_TIMER_ABSTIME), EINVAL);
	EXPECT_ERRNO("timerfd_create with O_RDWR", syscall(SYS_timerfd_create, CLOCK_MONOTONIC, O_RDWR), EINVAL);

	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	EXPECT_RET("a plain timerfd is not close-on-exec", fcntl(fd, F_GETFD), 0);
	EXPECT_RET("a plain timerfd is O_RDWR, blocking", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR);
	close(fd);
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	EXPECT_RET("TFD_CLOEXEC sets FD_CLOEXEC", fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_RET("TFD_NONBLOCK sets O_NONBLOCK", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR | O_NONBLOCK);
	close(fd);
}

static void test_settime_errors(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	int rt = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	struct itimerspec t = its(10000 * MS, 0), cur;
	EXPECT_ERRNO("settime with flag 4", syscall(SYS_timerfd_settime, fd, 4, &t, NULL), EINVAL);
	EXPECT_ERRNO("settime with flag 0x80", syscall(SYS_timerfd_settime, fd, 0x80, &t, NULL), EINVAL);
	struct itimerspec bad = t;
	bad.it_value.tv_nsec = 1000000000;
	EXPECT_ERRNO("settime with it_value.tv_nsec 1e9", syscall(SYS_timerfd_settime, fd, 0, &bad, NULL), EINVAL);
	bad = t;
	bad.it_value.tv_nsec = -1;
	EXPECT_ERRNO("settime with it_value.tv_nsec -1", syscall(SYS_timerfd_settime, fd, 0, &bad, NULL), EINVAL);
	bad = t;
	bad.it_value.tv_sec = -1;
	EXPECT_ERRNO("settime with it_value.tv_sec -1", syscall(SYS_timerfd_settime, fd, 0, &bad, NULL), EINVAL);
	bad = t;
	bad.it_interval.tv_nsec = 1000000000;
	EXPECT_ERRNO("settime with it_interval.tv_nsec 1e9", syscall(SYS_timerfd_settime, fd, 0, &bad, NULL),
		     EINVAL);
	bad = its(0, 0);
	bad.it_interval.tv_nsec = 1000000000;
	EXPECT_ERRNO("an invalid interval is refused even when disarming",
		     syscall(SYS_timerfd_settime, fd, 0, &bad, NULL), EINVAL);
	EXPECT_ERRNO("settime with a NULL new value", syscall(SYS_timerfd_settime, fd, 0, NULL, NULL), EFAULT);
	EXPECT_ERRNO("settime with an old-value pointer that is bad",
		     syscall(SYS_timerfd_settime, fd, 0, &t, (void *)1), EFAULT);
	EXPECT_ERRNO("settime on a closed descriptor", syscall(SYS_timerfd_settime, 999, 0, &t, NULL), EBADF);
	EXPECT_ERRNO("gettime on a closed descriptor", syscall(SYS_timerfd_gettime, 999, &cur), EBADF);
	int p[2];
	pipe(p);
	EXPECT_ERRNO("settime on a pipe", syscall(SYS_timerfd_settime, p[0], 0, &t, NULL), EINVAL);
	EXPECT_ERRNO("gettime on a pipe", syscall(SYS_timerfd_gettime, p[0], &cur), EINVAL);
	EXPECT_ERRNO("gettime into a bad pointer", syscall(SYS_timerfd_gettime, fd, (void *)1), EFAULT);
	close(p[0]);
	close(p[1]);

	/* TFD_TIMER_CANCEL_ON_SET means something only on REALTIME with ABSTIME; elsewhere it is accepted. */
	EXPECT_RET("CANCEL_ON_SET without ABSTIME on MONOTONIC: accepted",
		   syscall(SYS_timerfd_settime, fd, TFD_TIMER_CANCEL_ON_SET, &t, NULL), 0);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	struct itimerspec abs = {.it_value = {now.tv_sec + 100, 0}};
	EXPECT_RET("CANCEL_ON_SET|ABSTIME on MONOTONIC: accepted",
		   syscall(SYS_timerfd_settime, fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &abs, NULL), 0);
	EXPECT_RET("CANCEL_ON_SET without ABSTIME on REALTIME: accepted",
		   syscall(SYS_timerfd_settime, rt, TFD_TIMER_CANCEL_ON_SET, &t, NULL), 0);
	clock_gettime(CLOCK_REALTIME, &now);
	abs.it_value.tv_sec = now.tv_sec + 100;
	EXPECT_RET("CANCEL_ON_SET|ABSTIME on REALTIME: accepted",
		   syscall(SYS_timerfd_settime, rt, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &abs, NULL), 0);
	uint64_t v;
	EXPECT_ERRNO("read of the armed cancel-on-set timer: EAGAIN", read(rt, &v, sizeof v), EAGAIN);

	EXPECT_ERRNO("write to a timerfd", write(fd, &v, sizeof v), EINVAL);
	close(fd);
	close(rt);
}

static void test_gettime(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct itimerspec cur, old, t;
	memset(&cur, 0xff, sizeof cur);
	EXPECT_RET("gettime of a new timer", timerfd_gettime(fd, &cur), 0);
	EXPECT_RET("a new timer is disarmed: all zero",
		   ns(cur.it_value) == 0 && ns(cur.it_interval) == 0, 1);
	uint64_t v;
	EXPECT_ERRNO("read of a disarmed timer: EAGAIN", read(fd, &v, sizeof v), EAGAIN);

	t = its(10000 * MS, 250 * MS);
	memset(&old, 0xff, sizeof old);
	EXPECT_RET("settime 10 s, every 250 ms, old value wanted", timerfd_settime(fd, 0, &t, &old), 0);
	EXPECT_RET("the old value of a disarmed timer is zero", ns(old.it_value) == 0 && ns(old.it_interval) == 0, 1);
	timerfd_gettime(fd, &cur);
	long long left = ns(cur.it_value);
	if (left > 0 && left <= 10000 * MS)
		tpass("gettime: it_value is in (0, 10 s] (%lld ns)", left);
	else
		tfail("gettime: it_value %lld ns, expected in (0, 10 s]", left);
	EXPECT_RET("gettime: it_interval is 250 ms", ns(cur.it_interval), 250 * MS);

	t = its(20000 * MS, 0);
	EXPECT_RET("settime 20 s one-shot, old value wanted", timerfd_settime(fd, 0, &t, &old), 0);
	left = ns(old.it_value);
	if (left > 0 && left <= 10000 * MS)
		tpass("old value: it_value is in (0, 10 s] (%lld ns)", left);
	else
		tfail("old value: it_value %lld ns, expected in (0, 10 s]", left);
	EXPECT_RET("old value: it_interval is 250 ms", ns(old.it_interval), 250 * MS);

	/* ABSTIME: gettime still reports the time left, relative. */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	t = (struct itimerspec){.it_value = {now.tv_sec + 30, now.tv_nsec}};
	EXPECT_RET("settime ABSTIME now + 30 s", timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL), 0);
	timerfd_gettime(fd, &cur);
	left = ns(cur.it_value);
	if (left > 20000 * MS && left <= 30000 * MS)
		tpass("gettime of an absolute timer is relative: in (20 s, 30 s] (%lld ns)", left);
	else
		tfail("gettime of an absolute timer: %lld ns, expected in (20 s, 30 s]", left);

	t = its(0, 0);
	EXPECT_RET("disarm with a zero it_value", timerfd_settime(fd, 0, &t, &old), 0);
	left = ns(old.it_value);
	if (left > 20000 * MS && left <= 30000 * MS)
		tpass("the old value is the time that was left (%lld ns)", left);
	else
		tfail("old value %lld ns, expected in (20 s, 30 s]", left);
	timerfd_gettime(fd, &cur);
	EXPECT_RET("gettime after disarming: all zero", ns(cur.it_value) == 0 && ns(cur.it_interval) == 0, 1);
	t = its(0, 10 * MS);
	EXPECT_RET("a zero it_value with an interval", timerfd_settime(fd, 0, &t, NULL), 0);
	timerfd_gettime(fd, &cur);
	EXPECT_RET("disarms too: gettime's it_value is zero", ns(cur.it_value), 0);
	EXPECT_RET("but gettime reports the interval as set (10 ms)", ns(cur.it_interval), 10 * MS);
	usleep(30000);
	EXPECT_ERRNO("nothing fires", read(fd, &v, sizeof v), EAGAIN);
	close(fd);
}

static void test_read(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec t = its(20 * MS, 0), cur;
	uint64_t v = 0;
	char small[8];
	timerfd_settime(fd, 0, &t, NULL);
	EXPECT_ERRNO("read of 7 bytes", read(fd, small, 7), EINVAL);
	EXPECT_ERRNO("read of 0 bytes", read(fd, small, 0), EINVAL);
	EXPECT_RET("a blocking read of a 20 ms one-shot timer waits and returns 8 bytes", read(fd, &v, sizeof v), 8);
	EXPECT_RET("the count is 1", v, 1);
	timerfd_gettime(fd, &cur);
	EXPECT_RET("an expired one-shot timer: gettime all zero", ns(cur.it_value) == 0 && ns(cur.it_interval) == 0,
		   1);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	EXPECT_ERRNO("read again: EAGAIN", read(fd, &v, sizeof v), EAGAIN);

	t = its(10000 * MS, 0);
	timerfd_settime(fd, 0, &t, NULL);
	EXPECT_ERRNO("nonblocking read before expiry", read(fd, &v, sizeof v), EAGAIN);
	EXPECT_RET("poll before expiry: nothing", short_poll(fd, POLLIN | POLLOUT), 0);

	t = its(10 * MS, 0);
	timerfd_settime(fd, 0, &t, NULL);
	struct pollfd pf = {fd, POLLIN, 0};
	EXPECT_RET("poll waits for a 10 ms timer", poll(&pf, 1, 5000), 1);
	EXPECT_RET("poll after expiry: POLLIN only", short_poll(fd, POLLIN | POLLOUT), POLLIN);
	EXPECT_ERRNO("a short read of an expired timer is still EINVAL", read(fd, small, 4), EINVAL);
	uint64_t two[2] = {0, 1000};
	EXPECT_RET("read of 16 bytes reads 8", read(fd, two, sizeof two), 8);
	EXPECT_RET("the count is 1, the rest untouched", two[0] == 1 && two[1] == 1000, 1);

	/* A new setting drops expirations not yet read. */
	t = its(1 * MS, 0);
	timerfd_settime(fd, 0, &t, NULL);
	poll(&pf, 1, 5000);
	t = its(10000 * MS, 0);
	timerfd_settime(fd, 0, &t, NULL);
	EXPECT_ERRNO("an expiry not read before a new settime is dropped", read(fd, &v, sizeof v), EAGAIN);
	t = its(1 * MS, 0);
	timerfd_settime(fd, 0, &t, NULL);
	poll(&pf, 1, 5000);
	t = its(0, 0);
	timerfd_settime(fd, 0, &t, NULL);
	EXPECT_ERRNO("and by disarming", read(fd, &v, sizeof v), EAGAIN);
	EXPECT_RET("poll after disarming: nothing", short_poll(fd, POLLIN), 0);
	close(fd);
}

static void test_periodic(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct itimerspec t = its(10 * MS, 10 * MS), cur;
	timerfd_settime(fd, 0, &t, NULL);
	usleep(55000);
	uint64_t n = ticks(fd);
	if (n != (uint64_t)-1 && n >= 4 && n < 1000)
		tpass("a 10 ms periodic timer read after 55 ms counts at least 4 (%llu)", (unsigned long long)n);
	else
		tfail("a 10 ms periodic timer after 55 ms: %llu (errno %s)", (unsigned long long)n, errno_name(errno));
	timerfd_gettime(fd, &cur);
	EXPECT_RET("gettime: it_interval is 10 ms", ns(cur.it_interval), 10 * MS);
	long long left = ns(cur.it_value);
	if (left >= 0 && left <= 10 * MS)
		tpass("gettime: it_value is within one period (%lld ns)", left);
	else
		tfail("gettime: it_value %lld ns, expected in [0, 10 ms]", left);
	struct pollfd pf = {fd, POLLIN, 0};
	EXPECT_RET("it keeps firing: poll wakes", poll(&pf, 1, 5000), 1);
	n = ticks(fd);
	if (n != (uint64_t)-1 && n >= 1)
		tpass("read again: at least 1 (%llu)", (unsigned long long)n);
	else
		tfail("read again: %llu (errno %s)", (unsigned long long)n, errno_name(errno));
	close(fd);

	/* A blocking read of a periodic timer. */
	fd = timerfd_create(CLOCK_MONOTONIC, 0);
	timerfd_settime(fd, 0, &t, NULL);
	n = ticks(fd);
	EXPECT_RET("a blocking read of a 10 ms periodic timer returns at least 1", n >= 1 && n < 1000, 1);
	n = ticks(fd);
	EXPECT_RET("and blocks again for the next period", n >= 1 && n < 1000, 1);
	close(fd);
}

/*
 * A CLOCK_MONOTONIC time up to 1 s before now (less when the system has been
 * up for less than that), never zero; *ago is how far before now it is.
 */
static struct timespec monotonic_past(long long *ago)
{
	struct timespec now, past;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec >= 1)
		past = (struct timespec){now.tv_sec - 1, now.tv_nsec};
	else
		past = (struct timespec){0, 1};
	*ago = ns(now) - ns(past);
	return past;
}

static void test_abstime(void)
{
	struct timespec now;
	struct itimerspec t, cur;
	uint64_t v = 0;
	long long ago;

	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	t = (struct itimerspec){.it_value = monotonic_past(&ago)};
	EXPECT_RET("ABSTIME with a MONOTONIC deadline in the past", timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL), 0);
	EXPECT_RET("it fires at once: a blocking read returns 8", read(fd, &v, sizeof v), 8);
	EXPECT_RET("the count is 1", v, 1);

	t = (struct itimerspec){.it_value = monotonic_past(&ago), .it_interval = {0, 100 * MS}};
	timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL);
	v = ticks(fd);
	uint64_t least = ago / (100 * MS) > 0 ? ago / (100 * MS) : 1;
	if (v != (uint64_t)-1 && v >= least && v < least + 100)
		tpass("a deadline %lld ms past with a 100 ms period counts the missed periods (%llu >= %llu)",
		      ago / MS, (unsigned long long)v, (unsigned long long)least);
	else
		tfail("a deadline %lld ms past with a 100 ms period: count %llu, expected >= %llu", ago / MS,
		      (unsigned long long)v, (unsigned long long)least);
	timerfd_gettime(fd, &cur);
	EXPECT_RET("the next expiry is within one period", ns(cur.it_value) >= 0 && ns(cur.it_value) <= 100 * MS, 1);

	/* A zero absolute time is a disarm, not a deadline in the past. */
	t = its(0, 0);
	timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	usleep(10000);
	EXPECT_ERRNO("ABSTIME with a zero it_value disarms", read(fd, &v, sizeof v), EAGAIN);
	close(fd);

	fd = timerfd_create(CLOCK_REALTIME, 0);
	clock_gettime(CLOCK_REALTIME, &now);
	now.tv_nsec += 20 * MS;
	if (now.tv_nsec >= 1000000000L) {
		now.tv_sec++;
		now.tv_nsec -= 1000000000L;
	}
	t = (struct itimerspec){.it_value = now};
	EXPECT_RET("ABSTIME on CLOCK_REALTIME, 20 ms ahead", timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL), 0);
	v = ticks(fd);
	EXPECT_RET("a blocking read returns 1 when it fires", v, 1);
	close(fd);

	fd = timerfd_create(CLOCK_BOOTTIME, 0);
	t = its(10 * MS, 0);
	timerfd_settime(fd, 0, &t, NULL);
	EXPECT_RET("a relative 10 ms CLOCK_BOOTTIME timer fires: read returns 1", ticks(fd), 1);
	close(fd);
}

static void test_fork_and_proc(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec t = its(20 * MS, 0);
	timerfd_settime(fd, 0, &t, NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(ticks(fd) == 1 ? 0 : 1);
	EXPECT_RET("a child reads the parent's timer, armed before fork: 1", reaped_ok(pid), 1);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	uint64_t v;
	EXPECT_ERRNO("the parent then finds it read", read(fd, &v, sizeof v), EAGAIN);

	char path[64], link[64] = {0};
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	long n = readlink(path, link, sizeof link - 1);
	if (n > 0 && strcmp(link, "anon_inode:[timerfd]") == 0)
		tpass("readlink %s is anon_inode:[timerfd]", path);
	else
		tfail("readlink %s -> %ld \"%s\" errno=%s", path, n, link, errno_name(errno));
	close(fd);
}

int main(void)
{
	proc_mount_if_needed();
	run(test_create);
	run(test_settime_errors);
	run(test_gettime);
	run(test_read);
	run(test_periodic);
	run(test_abstime);
	run(test_fork_and_proc);
	return tdone();
}
