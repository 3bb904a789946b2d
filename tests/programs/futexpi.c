/*
 * Priority-inheritance futexes: FUTEX_LOCK_PI, FUTEX_TRYLOCK_PI and
 * FUTEX_UNLOCK_PI on the word's owner id and FUTEX_WAITERS bit, with
 * Linux's errors (EDEADLK, EAGAIN, EPERM, ESRCH, EINVAL, ETIMEDOUT); the
 * hand-over to a waiter; and the inheritance itself: a SCHED_OTHER thread
 * holding a PTHREAD_PRIO_INHERIT mutex that a SCHED_FIFO thread wants runs
 * at that thread's priority, so a spinning SCHED_FIFO thread of a middle
 * priority cannot keep the lock from being released (all on one CPU);
 * and an owner's exit, which hands the futex to a waiter marked
 * FUTEX_OWNER_DIED.
 */
#include "common.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

static long pi(uint32_t *word, int op, const struct timespec *timeout)
{
	return syscall(SYS_futex, word, op, 0, timeout, NULL, 0);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void check_semantics(void)
{
	uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t tid = gettid();
	EXPECT_RET("FUTEX_LOCK_PI of a free word", pi(w, FUTEX_LOCK_PI, NULL), 0);
	EXPECT_RET("the word holds the owner's tid", *w == tid, 1);
	EXPECT_ERRNO("FUTEX_LOCK_PI by its owner", pi(w, FUTEX_LOCK_PI, NULL), EDEADLK);
	EXPECT_ERRNO("FUTEX_TRYLOCK_PI by its owner", pi(w, FUTEX_TRYLOCK_PI, NULL), EDEADLK);
	pid_t child = fork();
	if (child == 0) {
		int bad = 0;
		errno = 0;
		if (pi(w, FUTEX_TRYLOCK_PI, NULL) != -1 || errno != EAGAIN)
			bad |= 1;
		errno = 0;
		if (pi(w, FUTEX_UNLOCK_PI, NULL) != -1 || errno != EPERM)
			bad |= 2;
		struct timespec past;
		clock_gettime(CLOCK_REALTIME, &past);
		past.tv_nsec = (past.tv_nsec + 20000000) % 1000000000;
		if (past.tv_nsec < 20000000)
			past.tv_sec++;
		errno = 0;
		if (pi(w, FUTEX_LOCK_PI, &past) != -1 || errno != ETIMEDOUT)
			bad |= 4;
		_exit(bad);
	}
	int status = -1;
	waitpid(child, &status, 0);
	EXPECT_RET("another process: TRYLOCK EAGAIN, UNLOCK EPERM, LOCK times out (ETIMEDOUT)",
		   WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	EXPECT_RET("FUTEX_UNLOCK_PI", pi(w, FUTEX_UNLOCK_PI, NULL), 0);
	EXPECT_RET("the word is free again", *w, 0);
	EXPECT_ERRNO("FUTEX_UNLOCK_PI of a free word", pi(w, FUTEX_UNLOCK_PI, NULL), EPERM);
	*w = 0x3ffffff0;
	EXPECT_ERRNO("FUTEX_LOCK_PI of a word whose owner does not exist", pi(w, FUTEX_LOCK_PI, NULL), ESRCH);
	EXPECT_RET("the word is marked contended", *w, 0x3ffffff0u | FUTEX_WAITERS);
	*w = 0;
	EXPECT_RET("FUTEX_TRYLOCK_PI of a free word", pi(w, FUTEX_TRYLOCK_PI, NULL), 0);
	EXPECT_RET("FUTEX_UNLOCK_PI after it", pi(w, FUTEX_UNLOCK_PI, NULL), 0);
	EXPECT_ERRNO("a misaligned word", pi((uint32_t *)((char *)w + 1), FUTEX_LOCK_PI, NULL), EINVAL);
	munmap(w, 4096);
}

static uint32_t handoff_word;
static volatile int waiter_has_it;

static void *handoff_waiter(void *arg)
{
	(void)arg;
	if (pi(&handoff_word, FUTEX_LOCK_PI_PRIVATE, NULL) == 0 && (handoff_word & FUTEX_TID_MASK) == (uint32_t)gettid())
		waiter_has_it = 1;
	pi(&handoff_word, FUTEX_UNLOCK_PI_PRIVATE, NULL);
	return NULL;
}

static void check_handoff(void)
{
	EXPECT_RET("lock", pi(&handoff_word, FUTEX_LOCK_PI_PRIVATE, NULL), 0);
	pthread_t t;
	pthread_create(&t, NULL, handoff_waiter, NULL);
	for (int i = 0; i < 1000 && !(handoff_word & FUTEX_WAITERS); i++)
		usleep(1000);
	EXPECT_RET("a waiter sets FUTEX_WAITERS", (handoff_word & FUTEX_WAITERS) != 0, 1);
	EXPECT_RET("unlock hands the lock over", pi(&handoff_word, FUTEX_UNLOCK_PI_PRIVATE, NULL), 0);
	pthread_join(t, NULL);
	EXPECT_RET("the waiter owned it when it woke", waiter_has_it, 1);
	EXPECT_RET("and released it", handoff_word, 0);
}

static pthread_mutex_t pi_mutex;
static volatile int low_holds, medium_stop;
static double high_waited;

static void pin(void)
{
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

static void *low_main(void *arg)
{
	(void)arg;
	pin();
	pthread_mutex_lock(&pi_mutex);
	low_holds = 1;
	/* 30 ms of work before releasing: it needs the CPU to get there. */
	double until = now_s() + 0.03;
	while (now_s() < until)
		;
	pthread_mutex_unlock(&pi_mutex);
	return NULL;
}

static void *medium_main(void *arg)
{
	(void)arg;
	pin();
	double until = now_s() + 1.0;
	while (now_s() < until && !medium_stop)
		;
	return NULL;
}

static void *high_main(void *arg)
{
	(void)arg;
	pin();
	double start = now_s();
	pthread_mutex_lock(&pi_mutex);
	high_waited = now_s() - start;
	pthread_mutex_unlock(&pi_mutex);
	medium_stop = 1;
	return NULL;
}

static pthread_t start(void *(*fn)(void *), int policy, int priority)
{
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&a, policy);
	struct sched_param p = {.sched_priority = priority};
	pthread_attr_setschedparam(&a, &p);
	pthread_t t;
	if (pthread_create(&t, &a, fn, NULL) != 0)
		tfail("pthread_create (policy %d, priority %d)", policy, priority);
	return t;
}

static void check_inheritance(void)
{
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	EXPECT_RET("PTHREAD_PRIO_INHERIT", pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT), 0);
	pthread_mutex_init(&pi_mutex, &ma);
	/* This thread orchestrates from the top priority, sleeping between. */
	pin();
	struct sched_param top = {.sched_priority = 90};
	if (sched_setscheduler(0, SCHED_FIFO, &top) != 0 && syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &top) != 0) {
		tfail("SCHED_FIFO for the orchestrating thread: %s", errno_name(errno));
		return;
	}
	pthread_t low = start(low_main, SCHED_OTHER, 0);
	while (!low_holds)
		usleep(1000);
	pthread_t medium = start(medium_main, SCHED_FIFO, 10);
	usleep(5000);
	pthread_t high = start(high_main, SCHED_FIFO, 50);
	pthread_join(high, NULL);
	pthread_join(medium, NULL);
	pthread_join(low, NULL);
	struct sched_param normal = {.sched_priority = 0};
	syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &normal);
	if (high_waited < 0.5)
		tpass("the holder inherits SCHED_FIFO 50: the high thread waited %.3f s, not the spinner's 1 s", high_waited);
	else
		tfail("the high thread waited %.3f s for the lock: its holder was not boosted", high_waited);
}

/* A process that takes the PI futex at `w` (registering it on its robust
 * list if `robust`), tells the parent through `fd`, and exits holding it. */
static void die_holding(uint32_t *w, int robust, int fd)
{
	if (pi(w, FUTEX_LOCK_PI, NULL) != 0)
		_exit(1);
	if (robust) {
		/* head: {next, futex_offset, pending}; the entry sits 64 bytes
		 * past the word, its pointer's low bit marking a PI futex. */
		static uint64_t head[3];
		uint64_t *entry = (uint64_t *)((char *)w + 64);
		entry[0] = (uint64_t)head;
		head[0] = (uint64_t)entry | 1;
		head[1] = (uint64_t)-64;
		head[2] = 0;
		syscall(SYS_set_robust_list, head, sizeof(head));
	}
	if (write(fd, "x", 1) != 1)
		_exit(1);
	struct timespec ts = {0, 50000000};
	nanosleep(&ts, NULL);
	_exit(0);
}

/* A PI futex's owner exits while another waits in FUTEX_LOCK_PI: the
 * waiter gets it, with FUTEX_OWNER_DIED when the owner listed it as
 * robust. */
static void check_owner_death(void)
{
	uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	for (int robust = 0; robust < 2; robust++) {
		*w = 0;
		int fds[2];
		char c;
		if (pipe(fds) != 0)
			return;
		pid_t owner = fork();
		if (owner == 0)
			die_holding(w, robust, fds[1]);
		if (read(fds[0], &c, 1) != 1)
			tfail("the owner did not take the futex");
		struct timespec limit;
		clock_gettime(CLOCK_REALTIME, &limit);
		limit.tv_sec += 5;
		double start = now_s();
		long r = pi(w, FUTEX_LOCK_PI, &limit);
		double waited = now_s() - start;
		uint32_t word = *w;
		waitpid(owner, NULL, 0);
		/* Linux marks the dead owner either way, and leaves the word
		 * contended so that its unlock comes to the kernel. */
		uint32_t expect = gettid() | FUTEX_WAITERS | FUTEX_OWNER_DIED;
		if (r == 0 && word == expect && waited < 2)
			tpass("%s owner's exit hands the PI futex to its waiter (word %#x after %.3f s)",
			      robust ? "a robust" : "an", word, waited);
		else
			tfail("%s owner's exit: FUTEX_LOCK_PI gave %ld (%s), word %#x after %.3f s, expected %#x",
			      robust ? "a robust" : "an", r, r ? errno_name(errno) : "-", word, waited, expect);
		pi(w, FUTEX_UNLOCK_PI, NULL);
		close(fds[0]);
		close(fds[1]);
	}
	munmap(w, 4096);
}

int main(void)
{
	check_semantics();
	check_handoff();
	check_inheritance();
	check_owner_death();
	return tdone();
}
