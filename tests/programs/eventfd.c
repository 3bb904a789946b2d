/*
 * eventfd: eventfd and eventfd2 (the raw calls, their flags EFD_CLOEXEC,
 * EFD_NONBLOCK and EFD_SEMAPHORE, bad flags), the 8-byte read and write rules
 * (short buffers, longer ones, the value 2^64-1), counter semantics (writes
 * add up, a read returns the sum and resets it; EFD_SEMAPHORE reads one at a
 * time), EAGAIN at zero and at the maximum 2^64-2, blocking reads and writes
 * woken by another process, poll readiness, the /proc/self/fd link, and the
 * counter shared across fork.
 */
#include "common.h"
#include "procparse.h"
#include "socktest.h"

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#define MAXCOUNT 0xfffffffffffffffeULL

static int short_poll(int fd, short events)
{
	struct pollfd pf = {fd, events, 0};
	return poll(&pf, 1, 0) == 1 ? pf.revents : 0;
}

static long put(int fd, uint64_t v)
{
	return write(fd, &v, sizeof v);
}

/* Reads the counter; returns the value, or (uint64_t)-1 with errno set on failure. */
static uint64_t get(int fd)
{
	uint64_t v = 0;
	if (read(fd, &v, sizeof v) != sizeof v)
		return (uint64_t)-1;
	return v;
}

static void expect_u64(const char *what, uint64_t got, uint64_t want)
{
	if (got == want)
		tpass("%s -> %llu", what, (unsigned long long)got);
	else
		tfail("%s -> %llu (errno %s), expected %llu", what, (unsigned long long)got, errno_name(errno),
		      (unsigned long long)want);
}

static int reaped_ok(pid_t pid)
{
	int status = -1;
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_create(void)
{
	long fd = syscall(SYS_eventfd, 5);
	if (fd >= 0)
		tpass("raw eventfd(5) -> a descriptor (%ld)", fd);
	else
		tfail("raw eventfd(5) -> errno=%d %s", errno, errno_name(errno));
	EXPECT_RET("raw eventfd's descriptor is not close-on-exec", fcntl(fd, F_GETFD), 0);
	EXPECT_RET("raw eventfd's access mode is O_RDWR, blocking",
		   fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR);
	expect_u64("its counter starts at the initial value", get(fd), 5);
	close(fd);

	fd = syscall(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd >= 0)
		tpass("raw eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK) -> a descriptor (%ld)", fd);
	else
		tfail("raw eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK) -> errno=%d %s", errno, errno_name(errno));
	EXPECT_RET("EFD_CLOEXEC sets FD_CLOEXEC", fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_RET("EFD_NONBLOCK sets O_NONBLOCK (O_RDWR)", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK),
		   O_RDWR | O_NONBLOCK);
	close(fd);

	fd = syscall(SYS_eventfd2, 0xffffffffu, EFD_SEMAPHORE | EFD_NONBLOCK);
	if (fd >= 0)
		tpass("raw eventfd2(0xffffffff, EFD_SEMAPHORE|EFD_NONBLOCK) -> a descriptor");
	else
		tfail("raw eventfd2(0xffffffff, EFD_SEMAPHORE|EFD_NONBLOCK) -> errno=%d %s", errno, errno_name(errno));
	EXPECT_RET("EFD_SEMAPHORE is not a file status flag", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK),
		   O_RDWR | O_NONBLOCK);
	expect_u64("a semaphore with 2^32-1 reads 1", get(fd), 1);
	close(fd);

	EXPECT_ERRNO("raw eventfd2 with flag 2", syscall(SYS_eventfd2, 0, 2), EINVAL);
	EXPECT_ERRNO("raw eventfd2 with O_RDWR", syscall(SYS_eventfd2, 0, O_RDWR), EINVAL);
	EXPECT_ERRNO("raw eventfd2 with O_APPEND", syscall(SYS_eventfd2, 0, O_APPEND), EINVAL);
	EXPECT_ERRNO("eventfd() with flag 2", eventfd(0, 2), EINVAL);
}

static void test_rw_rules(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);
	char small[8] = {0};
	uint64_t big[2] = {0, 0};
	EXPECT_ERRNO("read of 7 bytes", read(fd, small, 7), EINVAL);
	EXPECT_ERRNO("read of 0 bytes", read(fd, small, 0), EINVAL);
	EXPECT_ERRNO("write of 7 bytes", write(fd, small, 7), EINVAL);
	EXPECT_ERRNO("write of 0 bytes", write(fd, small, 0), EINVAL);
	EXPECT_ERRNO("write of 2^64-1", put(fd, 0xffffffffffffffffULL), EINVAL);
	EXPECT_ERRNO("read into a bad pointer, counter at 0 (EAGAIN before EFAULT)", read(fd, (void *)1, 8), EAGAIN);
	EXPECT_ERRNO("write from a bad pointer", write(fd, (void *)1, 8), EFAULT);
	/* (A write of more than 8 bytes is left out: 6.1 writes 8, 6.9 and later fail with EINVAL.) */
	put(fd, 4);
	big[0] = 0;
	big[1] = 1000;
	EXPECT_RET("read of 16 bytes reads 8", read(fd, big, sizeof big), 8);
	EXPECT_RET("the value is the one written", big[0], 4);
	EXPECT_RET("the rest of the buffer is untouched", big[1], 1000);
	EXPECT_RET("write of 0 succeeds", put(fd, 0), 8);
	EXPECT_ERRNO("and leaves the counter at 0 (EAGAIN)", get(fd), EAGAIN);
	put(fd, 1);
	EXPECT_ERRNO("read into a bad pointer, counter at 1", read(fd, (void *)1, 8), EFAULT);
	close(fd);
}

static void test_counter(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);
	EXPECT_ERRNO("nonblocking read at zero", get(fd), EAGAIN);
	EXPECT_RET("write 3", put(fd, 3), 8);
	EXPECT_RET("write 4", put(fd, 4), 8);
	expect_u64("read returns the sum", get(fd), 7);
	EXPECT_ERRNO("and resets it to zero (EAGAIN)", get(fd), EAGAIN);

	EXPECT_RET("write 2^64-2 (the maximum)", put(fd, MAXCOUNT), 8);
	EXPECT_ERRNO("nonblocking write of 1 at the maximum", put(fd, 1), EAGAIN);
	EXPECT_RET("write of 0 at the maximum still succeeds", put(fd, 0), 8);
	expect_u64("read returns 2^64-2", get(fd), MAXCOUNT);
	EXPECT_RET("write 5", put(fd, 5), 8);
	EXPECT_ERRNO("a write that would pass the maximum", put(fd, MAXCOUNT - 4), EAGAIN);
	EXPECT_RET("one that reaches it exactly", put(fd, MAXCOUNT - 5), 8);
	expect_u64("read returns 2^64-2", get(fd), MAXCOUNT);
	close(fd);

	fd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	expect_u64("semaphore at 3: read 1", get(fd), 1);
	expect_u64("semaphore: read 1", get(fd), 1);
	expect_u64("semaphore: read 1", get(fd), 1);
	EXPECT_ERRNO("semaphore at 0: EAGAIN", get(fd), EAGAIN);
	put(fd, 2);
	expect_u64("semaphore after write 2: read 1", get(fd), 1);
	expect_u64("semaphore: read 1", get(fd), 1);
	EXPECT_ERRNO("semaphore drained: EAGAIN", get(fd), EAGAIN);
	close(fd);
}

static void test_poll(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);
	EXPECT_RET("poll at 0: POLLOUT", short_poll(fd, POLLIN | POLLOUT), POLLOUT);
	put(fd, 1);
	EXPECT_RET("poll at 1: POLLIN|POLLOUT", short_poll(fd, POLLIN | POLLOUT), POLLIN | POLLOUT);
	get(fd);
	put(fd, MAXCOUNT - 1);
	EXPECT_RET("poll at 2^64-3: POLLIN|POLLOUT", short_poll(fd, POLLIN | POLLOUT), POLLIN | POLLOUT);
	put(fd, 1);
	EXPECT_RET("poll at 2^64-2: POLLIN only", short_poll(fd, POLLIN | POLLOUT), POLLIN);
	get(fd);
	EXPECT_RET("poll after the read: POLLOUT", short_poll(fd, POLLIN | POLLOUT), POLLOUT);
	EXPECT_RET("poll asking nothing: 0", short_poll(fd, 0), 0);
	close(fd);
}

static void test_blocking(void)
{
	int fd = eventfd(0, 0);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(20000);
		_exit(put(fd, 9) == 8 ? 0 : 1);
	}
	expect_u64("a blocking read at 0 is woken by a child's write of 9", get(fd), 9);
	EXPECT_RET("the child exited 0", reaped_ok(pid), 1);

	/* A blocking write past the maximum waits for a read. */
	put(fd, MAXCOUNT);
	int p[2];
	pipe(p);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		write(p[1], "s", 1);
		long n = put(fd, 3);
		write(p[1], "d", 1);
		_exit(n == 8 ? 0 : 1);
	}
	close(p[1]);
	char c = 0;
	read(p[0], &c, 1);
	usleep(20000);
	EXPECT_RET("a blocking write past the maximum has not completed", short_poll(p[0], POLLIN), 0);
	expect_u64("read the maximum", get(fd), MAXCOUNT);
	EXPECT_RET("the blocked writer then completes", read(p[0], &c, 1) == 1 && c == 'd', 1);
	EXPECT_RET("the child exited 0", reaped_ok(pid), 1);
	expect_u64("its value is in the counter", get(fd), 3);
	close(p[0]);
	close(fd);

	/* Two blocked readers of a semaphore both get one when 2 is written. */
	fd = eventfd(0, EFD_SEMAPHORE);
	pid_t kids[2];
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(get(fd) == 1 ? 0 : 1);
	}
	usleep(20000);
	put(fd, 2);
	EXPECT_RET("semaphore: two blocked readers both read 1", reaped_ok(kids[0]) + reaped_ok(kids[1]), 2);
	close(fd);
}

static void test_fork_and_proc(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);
	put(fd, 2);
	pid_t pid = fork();
	if (pid == 0)
		_exit(get(fd) == 2 && put(fd, 40) == 8 ? 0 : 1);
	EXPECT_RET("a child reads the parent's 2 and writes 40", reaped_ok(pid), 1);
	expect_u64("the parent reads the child's 40", get(fd), 40);
	EXPECT_ERRNO("and nothing else", get(fd), EAGAIN);

	char path[64], link[64] = {0};
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	long n = readlink(path, link, sizeof link - 1);
	if (n > 0 && strcmp(link, "anon_inode:[eventfd]") == 0)
		tpass("readlink %s is anon_inode:[eventfd]", path);
	else
		tfail("readlink %s -> %ld \"%s\" errno=%s", path, n, link, errno_name(errno));
	close(fd);
}

int main(void)
{
	proc_mount_if_needed();
	run(test_create);
	run(test_rw_rules);
	run(test_counter);
	run(test_poll);
	run(test_blocking);
	run(test_fork_and_proc);
	return tdone();
}
