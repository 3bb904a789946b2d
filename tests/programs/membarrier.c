/*
 * membarrier(2): the commands QUERY reports, the errors (unknown command,
 * flags, an expedited barrier before registering, registration kept by
 * a forked child), and what the barrier does: the other CPUs running the
 * process take an interrupt (/proc/interrupts' CAL line grows; on a busy
 * host the spinning thread is not always on its CPU, so not once per
 * barrier), and
 * in a store-buffering race between a thread that uses only a compiler
 * barrier and one that uses membarrier, never do both threads miss the
 * other's store. The median round trip of an expedited barrier to one
 * spinning thread is printed.
 * The barrier checks need two CPUs.
 */
#include "common.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <linux/membarrier.h>

/* The commands every kernel with membarrier has (rseq's are optional). */
#define BASE_COMMANDS                                                             \
	(MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED |                \
	 MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED | \
	 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED |                               \
	 MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE |                              \
	 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE)
/* Barriers sent to the spinning thread while its CPU's CAL count is read. */
#define CAL_ROUNDS 200
/* Rounds of the store-buffering race. */
#define RACE_ROUNDS 3000
/* Round trips timed for the printed median. */
#define TIMED_ROUNDS 101

static long membarrier(int cmd, unsigned flags, int cpu)
{
	return syscall(SYS_membarrier, cmd, flags, cpu);
}

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void check_commands(void)
{
	long q = membarrier(MEMBARRIER_CMD_QUERY, 0, 0);
	if (q >= 0 && (q & BASE_COMMANDS) == BASE_COMMANDS)
		tpass("QUERY reports the global, private and sync-core commands (%#lx)", q);
	else
		tfail("QUERY -> %ld (errno %s), expected at least %#x", q, errno_name(errno), BASE_COMMANDS);
	EXPECT_ERRNO("QUERY with flags 1", membarrier(MEMBARRIER_CMD_QUERY, 1, 0), EINVAL);
	EXPECT_ERRNO("an unknown command (1 << 20)", membarrier(1 << 20, 0, 0), EINVAL);
	EXPECT_ERRNO("a negative command", membarrier(-1, 0, 0), EINVAL);
	EXPECT_ERRNO("PRIVATE_EXPEDITED before registering", membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0),
		     EPERM);
	EXPECT_ERRNO("PRIVATE_EXPEDITED_SYNC_CORE before registering",
		     membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), EPERM);
	EXPECT_RET("GLOBAL", membarrier(MEMBARRIER_CMD_GLOBAL, 0, 0), 0);
	EXPECT_RET("GLOBAL_EXPEDITED (no registration needed)", membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0), 0);
	EXPECT_RET("REGISTER_GLOBAL_EXPEDITED", membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0), 0);
	EXPECT_RET("REGISTER_PRIVATE_EXPEDITED", membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0), 0);
	EXPECT_RET("REGISTER_PRIVATE_EXPEDITED again", membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0), 0);
	EXPECT_RET("PRIVATE_EXPEDITED once registered", membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), 0);
	EXPECT_ERRNO("PRIVATE_EXPEDITED with flags 1", membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 1, 0), EINVAL);
	EXPECT_ERRNO("SYNC_CORE still unregistered", membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0),
		     EPERM);
	EXPECT_RET("REGISTER_PRIVATE_EXPEDITED_SYNC_CORE",
		   membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), 0);
	EXPECT_RET("PRIVATE_EXPEDITED_SYNC_CORE once registered",
		   membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0), 0);
}

/* A forked child's address space keeps the parent's registrations. */
static void check_fork(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0 ? 0 : 1);
	int status = -1;
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		tpass("a forked child keeps the registration (PRIVATE_EXPEDITED -> 0)");
	else
		tfail("a forked child's PRIVATE_EXPEDITED failed (status %#x)", status);
}

/* The second CPU's thread: spins until told to stop, or plays its side of
 * the race. */
static volatile int stop;
static volatile int spinning;
static volatile int race_x, race_y;
static volatile int round_go, round_done;
static int race_r1;

static void *other_side(void *arg)
{
	pin_to_cpu((int)(intptr_t)arg);
	spinning = 1;
	int seen = 0;
	while (!stop) {
		int go = round_go;
		if (go == seen)
			continue;
		seen = go;
		race_x = 1;
		__asm__ volatile("" ::: "memory");
		race_r1 = race_y;
		__atomic_store_n(&round_done, go, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* The CAL (function call interrupts) count of CPU `cpu`; -1 if unread. */
static long cal_count(int cpu)
{
	FILE *f = fopen("/proc/interrupts", "r");
	if (!f)
		return -1;
	char line[4096];
	long result = -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line;
		while (*p == ' ')
			p++;
		if (strncmp(p, "CAL:", 4) != 0)
			continue;
		p += 4;
		for (int i = 0; i <= cpu; i++) {
			char *end;
			long v = strtol(p, &end, 10);
			if (end == p)
				break;
			p = end;
			if (i == cpu)
				result = v;
		}
	}
	fclose(f);
	return result;
}

static void check_ipis(int cpu)
{
	long before = cal_count(cpu);
	for (int i = 0; i < CAL_ROUNDS; i++)
		membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
	long after = cal_count(cpu);
	if (before >= 0 && after > before)
		tpass("%d barriers interrupted the spinning thread's CPU %d times", CAL_ROUNDS,
		      (int)(after - before));
	else
		tfail("%d barriers: CPU %d's CAL count went from %ld to %ld", CAL_ROUNDS, cpu, before, after);
}

static void check_race(void)
{
	int both_missed = 0;
	for (int i = 1; i <= RACE_ROUNDS; i++) {
		race_x = 0;
		race_y = 0;
		__atomic_store_n(&round_go, i, __ATOMIC_SEQ_CST);
		race_y = 1;
		membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
		int r2 = race_x;
		while (__atomic_load_n(&round_done, __ATOMIC_ACQUIRE) != i)
			;
		if (race_r1 == 0 && r2 == 0)
			both_missed++;
	}
	if (both_missed == 0)
		tpass("store-buffering race, %d rounds: never did both sides miss the other's store", RACE_ROUNDS);
	else
		tfail("store-buffering race: both sides missed the other's store in %d of %d rounds", both_missed,
		      RACE_ROUNDS);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static void print_round_trip(void)
{
	long long t[TIMED_ROUNDS];
	for (int i = 0; i < TIMED_ROUNDS; i++) {
		long long start = now_ns();
		membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
		t[i] = now_ns() - start;
	}
	qsort(t, TIMED_ROUNDS, sizeof(t[0]), cmp_ll);
	printf("membarrier: expedited barrier to one spinning thread, median %.1f us\n", t[TIMED_ROUNDS / 2] / 1000.0);
}

static void check_barriers(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0 || CPU_COUNT(&set) < 2) {
		tconf("one CPU: the barrier checks need two");
		return;
	}
	int first = -1, second = -1;
	for (int c = 0; c < CPU_SETSIZE && second < 0; c++)
		if (CPU_ISSET(c, &set)) {
			if (first < 0)
				first = c;
			else
				second = c;
		}
	pin_to_cpu(first);
	pthread_t t;
	pthread_create(&t, NULL, other_side, (void *)(intptr_t)second);
	while (!spinning)
		;
	check_ipis(second);
	check_race();
	print_round_trip();
	stop = 1;
	pthread_join(t, NULL);
}

int main(void)
{
	struct stat st;
	if (stat("/proc/self", &st) != 0) {
		mkdir("/proc", 0555);
		mount("proc", "/proc", "proc", 0, NULL);
	}
	check_commands();
	check_fork();
	check_barriers();
	return tdone();
}
