/*
 * Processes that exit with an ITIMER_REAL (alarm, setitimer) still armed
 * leave nothing behind that later system calls pay for: getpid costs
 * about what it cost before 1,000 such exits (within 3 times, a bound
 * loose enough for a busy host; the boot test in instruction time holds
 * it to 25%). Also checks that an armed alarm is not inherited by fork
 * and that the last exit's timer never fires anywhere.
 */
#include "common.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#define EXITS 1000
#define BATCHES 21
#define CALLS 5000

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* getpid's cost in ns: the median of BATCHES batches of CALLS calls. */
static double getpid_ns(void)
{
	double batch[BATCHES];
	for (int b = 0; b < BATCHES; b++) {
		double t = now_ns();
		for (int i = 0; i < CALLS; i++)
			syscall(SYS_getpid);
		batch[b] = (now_ns() - t) / CALLS;
	}
	qsort(batch, BATCHES, sizeof batch[0], cmp_double);
	return batch[BATCHES / 2];
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* EXITS children, each arming ITIMER_REAL (alarm or setitimer, in turn)
 * for 100 s and exiting; the number that exited normally. */
static int exit_with_timers(void)
{
	int ok = 0;
	for (int i = 0; i < EXITS; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			if (i % 2) {
				alarm(100);
			} else {
				struct itimerval it = {.it_interval = {1, 0}, .it_value = {100, 0}};
				setitimer(ITIMER_REAL, &it, NULL);
			}
			_exit(0);
		}
		int status;
		if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			ok++;
	}
	return ok;
}

int main(void)
{
	signal(SIGALRM, on_alarm);
	double before = getpid_ns();
	EXPECT_RET("1,000 children exit with an ITIMER_REAL armed", exit_with_timers(), EXITS);
	double after = getpid_ns();
	printf("timerleak: getpid %.1f ns before, %.1f ns after %d exits with a timer armed\n", before, after, EXITS);
	if (after <= 3 * before)
		tpass("getpid after the exits costs what it did before (%.1f ns, was %.1f ns)", after, before);
	else
		tfail("getpid after the exits costs %.1f ns, %.1f ns before", after, before);
	alarm(1);
	EXPECT_RET("our own alarm is the one armed (1 s left)", alarm(0), 1);
	EXPECT_RET("no child's timer reached the parent", alarms, 0);
	return tdone();
}
