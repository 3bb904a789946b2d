/*
 * futex(2) between processes: shared anonymous memory and a shared file
 * mapped at different addresses in two processes, wait/wake, bitsets,
 * requeue, wake-op, timeouts (within 10 ms), errors, and robust-list
 * clean-up when an owner dies.
 */
#include "common.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

static long futex(volatile uint32_t *uaddr, int op, uint32_t val, const void *timeout, volatile uint32_t *uaddr2,
		  uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* Wakes `addr` until `count` waiters were woken (they may not sleep yet). */
static long wake_when_waiting(volatile uint32_t *addr, int count)
{
	long woken = 0;
	for (int i = 0; i < 500 && woken < count; i++) {
		woken += futex(addr, FUTEX_WAKE, count - woken, NULL, NULL, 0);
		if (woken < count)
			pause_ms(2);
	}
	return woken;
}

static void check_basics(volatile uint32_t *word)
{
	*word = 1;
	EXPECT_ERRNO("FUTEX_WAIT when the word differs", futex(word, FUTEX_WAIT, 2, NULL, NULL, 0), EAGAIN);
	EXPECT_RET("FUTEX_WAKE with nobody waiting", futex(word, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
	/* Accuracy: the best of three 50 ms timeouts, so that a loaded host
	 * adds no delay of its own to what the kernel's timer does. */
	struct timespec t50 = {0, 50 * 1000 * 1000};
	long long best = -1;
	int timed_out = 1;
	for (int i = 0; i < 3; i++) {
		long long start = now_ms();
		long r = futex(word, FUTEX_WAIT, 1, &t50, NULL, 0);
		timed_out = timed_out && r == -1 && errno == ETIMEDOUT;
		long long took = now_ms() - start;
		if (best < 0 || took < best)
			best = took;
	}
	EXPECT_RET("FUTEX_WAIT with a 50 ms timeout fails with ETIMEDOUT", timed_out, 1);
	if (best >= 50 && best <= 60)
		tpass("the timeout took %lld ms (50 ms asked, within 10 ms)", best);
	else
		tfail("the timeout took %lld ms at best, not 50..60", best);
	struct timespec bad = {0, 2000000000};
	EXPECT_ERRNO("FUTEX_WAIT with tv_nsec out of range", futex(word, FUTEX_WAIT, 1, &bad, NULL, 0), EINVAL);
	EXPECT_ERRNO("FUTEX_WAIT_BITSET with bitset 0", futex(word, FUTEX_WAIT_BITSET, 1, NULL, NULL, 0), EINVAL);
	EXPECT_ERRNO("FUTEX_WAIT on a misaligned word", futex((uint32_t *)((char *)word + 1), FUTEX_WAIT, 1, NULL, NULL, 0),
		     EINVAL);
	EXPECT_ERRNO("FUTEX_WAIT on a bad address", futex((uint32_t *)8, FUTEX_WAIT, 1, NULL, NULL, 0), EFAULT);
	EXPECT_ERRNO("an unknown futex command", futex(word, 99, 0, NULL, NULL, 0), ENOSYS);
	volatile uint32_t *word2 = word + 1;
	*word2 = 0;
	uint32_t op = (FUTEX_OP_SET << 28) | (FUTEX_OP_CMP_EQ << 24) | (5 << 12) | 0;
	EXPECT_RET("FUTEX_WAKE_OP with nobody waiting", futex(word, FUTEX_WAKE_OP, 1, (void *)1, word2, op), 0);
	EXPECT_RET("FUTEX_WAKE_OP set the second word to 5", *word2, 5);
	EXPECT_ERRNO("FUTEX_CMP_REQUEUE when the word differs",
		     futex(word, FUTEX_CMP_REQUEUE, 1, (void *)1, word2, 7), EAGAIN);
}

static void check_cross_process(volatile uint32_t *word)
{
	*word = 0;
	pid_t pid = fork();
	if (pid == 0) {
		long r = futex(word, FUTEX_WAIT, 0, NULL, NULL, 0);
		_exit(r == 0 && *word == 1 ? 0 : 1);
	}
	pause_ms(20);
	*word = 1;
	long woken = wake_when_waiting(word, 1);
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_RET("a process woke one waiter in another over shared memory", woken, 1);
	EXPECT_RET("the waiter saw the new value", WEXITSTATUS(status), 0);
}

static void check_bitset_and_requeue(volatile uint32_t *a, volatile uint32_t *b)
{
	*a = 0;
	*b = 0;
	pid_t kids[2];
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			long r = futex(a, FUTEX_WAIT_BITSET, 0, NULL, NULL, 0x1);
			_exit(r == 0 ? 0 : 1);
		}
	}
	pause_ms(50);
	EXPECT_RET("FUTEX_WAKE_BITSET with a disjoint bitset wakes none", futex(a, FUTEX_WAKE_BITSET, 2, NULL, NULL, 0x2),
		   0);
	long moved = 0;
	for (int i = 0; i < 500 && moved < 2; i++) {
		moved += futex(a, FUTEX_CMP_REQUEUE, 0, (void *)2, b, 0);
		if (moved < 2)
			pause_ms(2);
	}
	EXPECT_RET("FUTEX_CMP_REQUEUE moves both waiters to the second word", moved, 2);
	EXPECT_RET("FUTEX_WAKE on the second word wakes them", futex(b, FUTEX_WAKE, 2, NULL, NULL, 0), 2);
	int ok = 1;
	for (int i = 0; i < 2; i++) {
		int status = 0;
		waitpid(kids[i], &status, 0);
		ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	EXPECT_RET("both requeued waiters returned 0", ok, 1);
}

static void check_file_mapping(void)
{
	char path[] = "/tmp/futexXXXXXX";
	int fd = mkstemp(path);
	ftruncate(fd, 8192);
	/* A spacer mapping so the child's mapping lands elsewhere. */
	volatile uint32_t *mine = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	pid_t pid = fork();
	if (pid == 0) {
		void *spacer = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		volatile uint32_t *theirs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		(void)spacer;
		if (theirs == mine)
			_exit(2);
		long r = futex(theirs, FUTEX_WAIT, 0, NULL, NULL, 0);
		_exit(r == 0 ? 0 : 1);
	}
	*mine = 0;
	pause_ms(20);
	long woken = wake_when_waiting(mine, 1);
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_RET("a waiter on a file mapped at another address is woken", woken == 1 && WEXITSTATUS(status) == 0, 1);
	close(fd);
	unlink(path);
}

struct robust_mutex {
	struct robust_list list;
	uint32_t word;
};

static void check_robust_list(struct robust_mutex *m)
{
	pid_t pid = fork();
	if (pid == 0) {
		static struct robust_list_head head;
		head.list.next = &m->list;
		head.futex_offset = (long)offsetof(struct robust_mutex, word);
		head.list_op_pending = NULL;
		m->list.next = &head.list;
		m->word = (uint32_t)syscall(SYS_gettid);
		if (syscall(SYS_set_robust_list, &head, sizeof head) != 0)
			_exit(1);
		void *got;
		size_t len;
		if (syscall(SYS_get_robust_list, 0, &got, &len) != 0 || got != &head || len != sizeof head)
			_exit(2);
		_exit(0); /* dies holding the "mutex" */
	}
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_RET("set_robust_list and get_robust_list agree", WEXITSTATUS(status), 0);
	EXPECT_RET("the dead owner's futex word gets FUTEX_OWNER_DIED", (m->word & FUTEX_OWNER_DIED) != 0, 1);
	EXPECT_ERRNO("set_robust_list with a wrong size", syscall(SYS_set_robust_list, NULL, 8), EINVAL);
}

int main(void)
{
	char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	check_basics((volatile uint32_t *)shared);
	check_cross_process((volatile uint32_t *)(shared + 64));
	check_bitset_and_requeue((volatile uint32_t *)(shared + 128), (volatile uint32_t *)(shared + 192));
	check_file_mapping();
	check_robust_list((struct robust_mutex *)(shared + 256));
	return tdone();
}
