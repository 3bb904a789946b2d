/*
 * epoll: epoll_create/epoll_create1 (raw calls and flags), epoll_ctl
 * (ADD/MOD/DEL and every error: EEXIST, ENOENT, EBADF, EINVAL, EPERM, ELOOP,
 * EFAULT, EPOLLEXCLUSIVE's rules), epoll_wait's errors, level-triggered,
 * edge-triggered (EPOLLET, re-reported on each new write) and EPOLLONESHOT
 * delivery, EPOLLRDHUP/EPOLLHUP on a UNIX stream socket, EPOLLOUT and
 * EPOLLERR/EPOLLHUP on pipes, the data word, several ready descriptors and
 * maxevents, registrations keyed by file and descriptor number and dropped
 * with the last descriptor of the file (kept while a dup is open), an epoll
 * inside an epoll, an epoll shared across fork, poll(2) on an epoll
 * descriptor, epoll_pwait's signal mask, epoll_pwait2's timespec, a wake-up
 * by another process, and readiness of eventfd, timerfd and signalfd.
 */
#include "common.h"
#include "socktest.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

/* A user address nothing is mapped at, and one in the kernel's half. */
#define BAD_PTR ((void *)1)
#define KERNEL_PTR ((void *)0xffff800000000000UL)

static int new_epoll(void)
{
	int ep = epoll_create1(0);
	if (ep < 0)
		tfail("epoll_create1(0): errno=%d %s", errno, errno_name(errno));
	return ep;
}

static int new_pipe(int fds[2])
{
	if (pipe(fds) != 0) {
		tfail("pipe: errno=%d %s", errno, errno_name(errno));
		return -1;
	}
	return 0;
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* epoll_wait for at most one event: returns the count, the event in *ev. */
static int wait1(int ep, int timeout, struct epoll_event *ev)
{
	memset(ev, 0, sizeof *ev);
	return epoll_wait(ep, ev, 1, timeout);
}

/* The events of the one ready item within timeout, 0 if none, -1 on error. */
static long ready_events(int ep, int timeout)
{
	struct epoll_event ev;
	int n = wait1(ep, timeout, &ev);
	if (n < 0)
		return -1;
	return n == 0 ? 0 : (long)ev.events;
}

static void test_create(void)
{
	EXPECT_RET("sizeof(struct epoll_event) is 12 (packed on x86_64)", sizeof(struct epoll_event), 12);
	EXPECT_ERRNO("raw epoll_create(0)", syscall(SYS_epoll_create, 0), EINVAL);
	EXPECT_ERRNO("raw epoll_create(-1)", syscall(SYS_epoll_create, -1), EINVAL);
	long ep = syscall(SYS_epoll_create, 1);
	if (ep >= 0)
		tpass("raw epoll_create(1) -> a descriptor (%ld)", ep);
	else
		tfail("raw epoll_create(1) -> errno=%d %s", errno, errno_name(errno));
	EXPECT_RET("epoll_create's descriptor is not close-on-exec", fcntl(ep, F_GETFD), 0);
	EXPECT_RET("its access mode is O_RDWR", fcntl(ep, F_GETFL) & O_ACCMODE, O_RDWR);
	close(ep);
	ep = syscall(SYS_epoll_create1, EPOLL_CLOEXEC);
	if (ep >= 0)
		tpass("raw epoll_create1(EPOLL_CLOEXEC) -> a descriptor (%ld)", ep);
	else
		tfail("raw epoll_create1(EPOLL_CLOEXEC) -> errno=%d %s", errno, errno_name(errno));
	EXPECT_RET("EPOLL_CLOEXEC sets FD_CLOEXEC", fcntl(ep, F_GETFD), FD_CLOEXEC);
	close(ep);
	EXPECT_ERRNO("raw epoll_create1(1)", syscall(SYS_epoll_create1, 1), EINVAL);
	EXPECT_ERRNO("raw epoll_create1(O_NONBLOCK)", syscall(SYS_epoll_create1, O_NONBLOCK), EINVAL);
	ep = syscall(SYS_epoll_create1, 0);
	EXPECT_RET("epoll_create1(0) is not close-on-exec", fcntl(ep, F_GETFD), 0);
	char c;
	EXPECT_ERRNO("read from an epoll descriptor", read(ep, &c, 1), EINVAL);
	EXPECT_ERRNO("write to an epoll descriptor", write(ep, "x", 1), EINVAL);
	close(ep);
}

static void test_ctl_errors(void)
{
	int ep = new_epoll(), ep2 = new_epoll(), p[2];
	if (ep < 0 || ep2 < 0 || new_pipe(p) != 0)
		return;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};

	EXPECT_RET("ADD a pipe's read end", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	EXPECT_ERRNO("ADD it again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST);
	EXPECT_RET("MOD it", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), 0);
	EXPECT_ERRNO("MOD an unregistered descriptor", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev), ENOENT);
	EXPECT_ERRNO("DEL an unregistered descriptor", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], &ev), ENOENT);
	EXPECT_RET("DEL it with a NULL event", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	EXPECT_ERRNO("DEL it again", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);

	EXPECT_ERRNO("ADD with a closed epoll descriptor", epoll_ctl(999, EPOLL_CTL_ADD, p[0], &ev), EBADF);
	EXPECT_ERRNO("ADD a closed descriptor", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev), EBADF);
	EXPECT_ERRNO("ADD with epfd -1", epoll_ctl(-1, EPOLL_CTL_ADD, p[0], &ev), EBADF);
	EXPECT_ERRNO("ADD to a pipe (not an epoll)", epoll_ctl(p[1], EPOLL_CTL_ADD, p[0], &ev), EINVAL);
	EXPECT_ERRNO("ADD the epoll to itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
	EXPECT_ERRNO("an unknown op (99)", epoll_ctl(ep, 99, p[0], &ev), EINVAL);
	EXPECT_ERRNO("ADD with a bad event pointer", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], BAD_PTR), EFAULT);
	EXPECT_ERRNO("ADD with a NULL event", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], NULL), EFAULT);
	EXPECT_ERRNO("the event pointer is read before the descriptors are checked",
		     epoll_ctl(999, EPOLL_CTL_ADD, 998, NULL), EFAULT);

	/* Regular files (and directories) cannot be polled. */
	char path[64];
	snprintf(path, sizeof path, "/tmp/epoll-%d", (int)getpid());
	int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	unlink(path);
	EXPECT_ERRNO("ADD a regular file", epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev), EPERM);
	EXPECT_ERRNO("the regular file is refused even by a non-epoll epfd (EPERM before EINVAL)",
		     epoll_ctl(p[1], EPOLL_CTL_ADD, f, &ev), EPERM);
	close(f);
	int d = open("/", O_RDONLY | O_DIRECTORY);
	EXPECT_ERRNO("ADD a directory", epoll_ctl(ep, EPOLL_CTL_ADD, d, &ev), EPERM);
	close(d);

	/* EPOLLEXCLUSIVE: only with ADD, only with the in/out/err/hup/et bits, never for an epoll. */
	struct epoll_event ex = {.events = EPOLLIN | EPOLLEXCLUSIVE};
	EXPECT_RET("ADD with EPOLLEXCLUSIVE", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ex), 0);
	EXPECT_ERRNO("MOD with EPOLLEXCLUSIVE", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ex), EINVAL);
	EXPECT_ERRNO("MOD (without it) of an EPOLLEXCLUSIVE registration", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev),
		     EINVAL);
	EXPECT_ERRNO("MOD with EPOLLEXCLUSIVE of an unregistered descriptor (EINVAL before ENOENT)",
		     epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ex), EINVAL);
	EXPECT_RET("DEL the EPOLLEXCLUSIVE registration", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	ex.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
	EXPECT_ERRNO("ADD with EPOLLEXCLUSIVE|EPOLLONESHOT", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ex), EINVAL);
	ex.events = EPOLLIN | EPOLLEXCLUSIVE;
	EXPECT_ERRNO("ADD an epoll with EPOLLEXCLUSIVE", epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ex), EINVAL);

	/* Cycles. */
	EXPECT_RET("ADD epoll B into epoll A", epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ev), 0);
	EXPECT_ERRNO("ADD epoll A into epoll B (a cycle)", epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &ev), ELOOP);
	int ep3 = new_epoll();
	EXPECT_RET("ADD epoll C into epoll B", epoll_ctl(ep2, EPOLL_CTL_ADD, ep3, &ev), 0);
	EXPECT_ERRNO("ADD epoll A into epoll C (a longer cycle)", epoll_ctl(ep3, EPOLL_CTL_ADD, ep, &ev), ELOOP);
	close(ep3);
	close(ep);
	close(ep2);
	close(p[0]);
	close(p[1]);
}

static void test_wait_errors(void)
{
	int ep = new_epoll(), p[2];
	if (ep < 0 || new_pipe(p) != 0)
		return;
	struct epoll_event evs[4];
	EXPECT_ERRNO("epoll_wait with maxevents 0", epoll_wait(ep, evs, 0, 0), EINVAL);
	EXPECT_ERRNO("epoll_wait with maxevents -1", epoll_wait(ep, evs, -1, 0), EINVAL);
	EXPECT_ERRNO("epoll_wait with maxevents INT_MAX (over INT_MAX / 12)", epoll_wait(ep, evs, INT_MAX, 0),
		     EINVAL);
	EXPECT_ERRNO("epoll_wait on a pipe", epoll_wait(p[0], evs, 4, 0), EINVAL);
	EXPECT_ERRNO("epoll_wait on a closed descriptor", epoll_wait(999, evs, 4, 0), EBADF);
	EXPECT_RET("epoll_wait with nothing registered and timeout 0", epoll_wait(ep, evs, 4, 0), 0);
	/* musl's epoll_wait calls epoll_pwait: the old call on its own. */
	EXPECT_ERRNO("raw epoll_wait with maxevents 0", syscall(SYS_epoll_wait, ep, evs, 0, 0), EINVAL);
	EXPECT_ERRNO("raw epoll_wait on a pipe", syscall(SYS_epoll_wait, p[0], evs, 4, 0), EINVAL);
	EXPECT_ERRNO("raw epoll_wait on a closed descriptor", syscall(SYS_epoll_wait, 999, evs, 4, 0), EBADF);
	add(ep, p[0], EPOLLIN, 7);
	EXPECT_RET("epoll_wait with timeout 0 and nothing ready", epoll_wait(ep, evs, 4, 0), 0);
	EXPECT_RET("raw epoll_wait with timeout 0 and nothing ready", syscall(SYS_epoll_wait, ep, evs, 4, 0), 0);
	write(p[1], "x", 1);
	memset(evs, 0, sizeof evs);
	EXPECT_RET("raw epoll_wait with the pipe ready", syscall(SYS_epoll_wait, ep, evs, 4, 0), 1);
	EXPECT_RET("raw epoll_wait's event: EPOLLIN, data 7", evs[0].events == EPOLLIN && evs[0].data.u64 == 7, 1);
	EXPECT_ERRNO("epoll_wait into a kernel address, an item ready", epoll_wait(ep, KERNEL_PTR, 4, 0), EFAULT);
	EXPECT_ERRNO("epoll_wait into NULL, an item ready", epoll_wait(ep, NULL, 4, 0), EFAULT);
	EXPECT_RET("the item is still reported after the failed copy", epoll_wait(ep, evs, 4, 0), 1);
	EXPECT_ERRNO("raw epoll_pwait with a sigset size of 4",
		     syscall(SYS_epoll_pwait, ep, evs, 4, 0, &(sigset_t){0}, 4), EINVAL);
	EXPECT_RET("raw epoll_pwait with a NULL mask ignores the size",
		   syscall(SYS_epoll_pwait, ep, evs, 4, 0, NULL, 4), 1);
	close(ep);
	close(p[0]);
	close(p[1]);
}

static void test_level_edge_oneshot(void)
{
	int ep = new_epoll(), p[2];
	char buf[16];
	if (ep < 0 || new_pipe(p) != 0)
		return;
	struct epoll_event ev;

	/* Level-triggered. */
	add(ep, p[0], EPOLLIN, 0x1122334455667788ULL);
	EXPECT_RET("level: nothing before the write", wait1(ep, 0, &ev), 0);
	write(p[1], "ab", 2);
	EXPECT_RET("level: ready after a write", wait1(ep, 0, &ev), 1);
	EXPECT_RET("level: the event is EPOLLIN", ev.events, EPOLLIN);
	if (ev.data.u64 == 0x1122334455667788ULL)
		tpass("level: the 64-bit data comes back as registered");
	else
		tfail("level: data %#llx, expected 0x1122334455667788", (unsigned long long)ev.data.u64);
	EXPECT_RET("level: reported again while unread", wait1(ep, 0, &ev), 1);
	read(p[0], buf, 1);
	EXPECT_RET("level: still reported with one byte left", wait1(ep, 0, &ev), 1);
	read(p[0], buf, 1);
	EXPECT_RET("level: nothing once drained", wait1(ep, 0, &ev), 0);

	/* Edge-triggered. */
	EXPECT_RET("MOD to EPOLLIN|EPOLLET", mod(ep, p[0], EPOLLIN | EPOLLET, 5), 0);
	EXPECT_RET("edge: nothing before the write", wait1(ep, 0, &ev), 0);
	write(p[1], "a", 1);
	EXPECT_RET("edge: reported after a write", wait1(ep, 0, &ev), 1);
	EXPECT_RET("edge: the event is EPOLLIN", ev.events, EPOLLIN);
	EXPECT_RET("edge: not again while unread", wait1(ep, 0, &ev), 0);
	write(p[1], "b", 1);
	EXPECT_RET("edge: a second write while unread is reported again", wait1(ep, 0, &ev), 1);
	EXPECT_RET("edge: and then not again", wait1(ep, 0, &ev), 0);
	EXPECT_RET("edge: both bytes are there", read(p[0], buf, sizeof buf), 2);
	EXPECT_RET("edge: nothing after draining", wait1(ep, 0, &ev), 0);
	write(p[1], "c", 1);
	EXPECT_RET("edge: a write after draining is reported", wait1(ep, 0, &ev), 1);
	EXPECT_RET("edge: MOD while ready re-reports the current state", mod(ep, p[0], EPOLLIN | EPOLLET, 6), 0);
	EXPECT_RET("edge: reported after MOD", wait1(ep, 0, &ev), 1);
	EXPECT_RET("edge: with the new data", ev.data.u64, 6);
	read(p[0], buf, sizeof buf);

	/* One-shot. */
	EXPECT_RET("MOD to EPOLLIN|EPOLLONESHOT", mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 9), 0);
	write(p[1], "d", 1);
	EXPECT_RET("oneshot: reported once", wait1(ep, 0, &ev), 1);
	EXPECT_RET("oneshot: the event is EPOLLIN", ev.events, EPOLLIN);
	EXPECT_RET("oneshot: not again while unread", wait1(ep, 0, &ev), 0);
	write(p[1], "e", 1);
	EXPECT_RET("oneshot: not even after a new write", wait1(ep, 0, &ev), 0);
	EXPECT_ERRNO("oneshot: the disabled registration still exists (ADD)", add(ep, p[0], EPOLLIN, 0), EEXIST);
	EXPECT_RET("oneshot: MOD re-arms it", mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 10), 0);
	EXPECT_RET("oneshot: reported again after MOD", wait1(ep, 0, &ev), 1);
	EXPECT_RET("oneshot: with the new data", ev.data.u64, 10);
	EXPECT_RET("oneshot: then disabled again", wait1(ep, 0, &ev), 0);
	EXPECT_RET("oneshot: DEL of the disabled registration", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	read(p[0], buf, sizeof buf);

	/* Edge-triggered EPOLLOUT: once, and again when space is made. */
	add(ep, p[1], EPOLLOUT | EPOLLET, 11);
	EXPECT_RET("edge EPOLLOUT on an empty pipe: reported", ready_events(ep, 0), EPOLLOUT);
	EXPECT_RET("edge EPOLLOUT: not again", wait1(ep, 0, &ev), 0);
	close(ep);
	close(p[0]);
	close(p[1]);
}

static void test_hup_rdhup(void)
{
	int ep = new_epoll(), sv[2];
	if (ep < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return;
	add(ep, sv[0], EPOLLIN | EPOLLOUT | EPOLLRDHUP, 0);
	EXPECT_RET("a connected stream socket: EPOLLOUT", ready_events(ep, 0), EPOLLOUT);
	write(sv[1], "x", 1);
	EXPECT_RET("with data: EPOLLIN|EPOLLOUT", ready_events(ep, 0), EPOLLIN | EPOLLOUT);
	char c;
	read(sv[0], &c, 1);
	shutdown(sv[1], SHUT_WR);
	EXPECT_RET("peer shut down writing: EPOLLIN|EPOLLOUT|EPOLLRDHUP", ready_events(ep, 0),
		   EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	close(sv[1]);
	EXPECT_RET("peer closed: EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLHUP", ready_events(ep, 0),
		   EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP);
	EXPECT_RET("MOD to no events at all", mod(ep, sv[0], 0, 0), 0);
	EXPECT_RET("EPOLLHUP is reported even when not asked for", ready_events(ep, 0), EPOLLHUP);
	close(sv[0]);

	/* Shutting down our own writing side too makes it a full hang-up. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	add(ep, sv[0], EPOLLIN | EPOLLRDHUP, 0);
	shutdown(sv[0], SHUT_WR);
	EXPECT_RET("own SHUT_WR only: nothing", ready_events(ep, 0), 0);
	shutdown(sv[1], SHUT_WR);
	EXPECT_RET("both sides shut down: EPOLLIN|EPOLLRDHUP|EPOLLHUP", ready_events(ep, 0),
		   EPOLLIN | EPOLLRDHUP | EPOLLHUP);
	close(sv[0]);
	close(sv[1]);

	/* Pipes. */
	int p[2];
	new_pipe(p);
	add(ep, p[1], EPOLLOUT, 0);
	EXPECT_RET("a pipe's write end: EPOLLOUT", ready_events(ep, 0), EPOLLOUT);
	close(p[0]);
	EXPECT_RET("the read end closed: EPOLLOUT|EPOLLERR", ready_events(ep, 0), EPOLLOUT | EPOLLERR);
	mod(ep, p[1], EPOLLIN, 0);
	EXPECT_RET("EPOLLERR is reported even when not asked for", ready_events(ep, 0), EPOLLERR);
	close(p[1]);
	new_pipe(p);
	add(ep, p[0], EPOLLIN, 0);
	close(p[1]);
	EXPECT_RET("a pipe's read end, the writer closed, empty: EPOLLHUP", ready_events(ep, 0), EPOLLHUP);
	close(p[0]);
	new_pipe(p);
	add(ep, p[0], EPOLLIN, 0);
	write(p[1], "x", 1);
	close(p[1]);
	EXPECT_RET("the writer closed with data left: EPOLLIN|EPOLLHUP", ready_events(ep, 0), EPOLLIN | EPOLLHUP);
	close(p[0]);
	close(ep);
}

static void test_many(void)
{
	enum { N = 5 };
	int ep = new_epoll(), p[N][2];
	if (ep < 0)
		return;
	for (int i = 0; i < N; i++) {
		new_pipe(p[i]);
		add(ep, p[i][0], EPOLLIN, 100 + i);
	}
	write(p[1][1], "x", 1);
	write(p[3][1], "x", 1);
	write(p[4][1], "x", 1);
	struct epoll_event evs[8];
	EXPECT_RET("three of five pipes ready: epoll_wait returns 3", epoll_wait(ep, evs, 8, 0), 3);
	unsigned seen = 0;
	for (int i = 0; i < 3; i++)
		if (evs[i].data.u64 >= 100 && evs[i].data.u64 < 100 + N && evs[i].events == EPOLLIN)
			seen |= 1u << (evs[i].data.u64 - 100);
	EXPECT_RET("the three are pipes 1, 3 and 4, each once, EPOLLIN", seen, (1u << 1) | (1u << 3) | (1u << 4));
	EXPECT_RET("maxevents 2 limits the count to 2", epoll_wait(ep, evs, 2, 0), 2);
	EXPECT_RET("maxevents 1 limits the count to 1", epoll_wait(ep, evs, 1, 0), 1);
	/* Level-triggered items stay ready; over three calls of one, each comes up. */
	seen = 0;
	for (int i = 0; i < 3; i++)
		if (epoll_wait(ep, evs, 1, 0) == 1 && evs[0].data.u64 >= 100 && evs[0].data.u64 < 100 + N)
			seen |= 1u << (evs[0].data.u64 - 100);
	if (seen & ((1u << 1) | (1u << 3) | (1u << 4)))
		tpass("maxevents 1 returns ready items (seen mask %#x)", seen);
	else
		tfail("maxevents 1 returned none of the ready items (seen mask %#x)", seen);
	for (int i = 0; i < N; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	EXPECT_RET("all registered pipes closed: nothing left", epoll_wait(ep, evs, 8, 0), 0);
	close(ep);
}

static void test_close_removes(void)
{
	int ep = new_epoll(), p[2];
	struct epoll_event ev;
	if (ep < 0 || new_pipe(p) != 0)
		return;
	write(p[1], "x", 1);
	add(ep, p[0], EPOLLIN, 1);
	int d = dup(p[0]);
	EXPECT_RET("a ready registered pipe", wait1(ep, 0, &ev), 1);
	close(p[0]);
	EXPECT_RET("its descriptor closed but a dup open: still reported", wait1(ep, 0, &ev), 1);
	EXPECT_RET("with the registered data", ev.data.u64, 1);
	EXPECT_ERRNO("DEL through the dup (another fd number)", epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL), ENOENT);
	EXPECT_ERRNO("DEL through the closed number", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), EBADF);
	EXPECT_RET("the dup can be registered on its own", add(ep, d, EPOLLIN, 2), 0);
	struct epoll_event evs[4];
	EXPECT_RET("both registrations are reported", epoll_wait(ep, evs, 4, 0), 2);
	close(d);
	EXPECT_RET("last descriptor closed: no more events", epoll_wait(ep, evs, 4, 0), 0);
	close(p[1]);

	/* A registration is dropped with the file, not with an fd number reused. */
	new_pipe(p);
	write(p[1], "x", 1);
	add(ep, p[0], EPOLLIN, 3);
	close(p[0]);
	EXPECT_RET("the only descriptor closed: no more events", wait1(ep, 0, &ev), 0);
	EXPECT_ERRNO("DEL of the closed number", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), EBADF);
	close(p[1]);

	/* A registration made through a dup survives closing the original. */
	new_pipe(p);
	write(p[1], "x", 1);
	d = dup(p[0]);
	add(ep, d, EPOLLIN, 4);
	close(p[0]);
	EXPECT_RET("registered via a dup, original closed: still reported", wait1(ep, 0, &ev), 1);
	EXPECT_RET("DEL through the dup", epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL), 0);
	EXPECT_RET("nothing after DEL", wait1(ep, 0, &ev), 0);
	close(d);
	close(p[1]);

	/*
	 * A registration is keyed by file and number: with the registered
	 * file kept alive by a dup, its old number can be reused for another
	 * file and registered again.
	 */
	int q[2];
	new_pipe(p);
	new_pipe(q);
	write(p[1], "x", 1);
	add(ep, p[0], EPOLLIN, 6);
	d = dup(p[0]);
	int num = p[0];
	close(p[0]);
	EXPECT_RET("another file moved to the closed number", dup2(q[0], num), num);
	EXPECT_RET("ADD of that number (now another file) is no EEXIST", add(ep, num, EPOLLOUT | EPOLLIN, 7), 0);
	write(q[1], "y", 1);
	EXPECT_RET("both are reported", epoll_wait(ep, evs, 4, 0), 2);
	EXPECT_RET("with data 6 and 7", evs[0].data.u64 + evs[1].data.u64 == 13, 1);
	EXPECT_RET("DEL of that number removes the new file's registration", epoll_ctl(ep, EPOLL_CTL_DEL, num, NULL),
		   0);
	EXPECT_RET("the old one is still reported", wait1(ep, 0, &ev) == 1 && ev.data.u64 == 6, 1);
	close(d);
	close(num);
	close(q[0]);
	close(q[1]);
	close(p[1]);
	EXPECT_RET("all closed: nothing", wait1(ep, 0, &ev), 0);

	/* Closing the epoll while registered is fine; the pipe still works. */
	new_pipe(p);
	add(ep, p[0], EPOLLIN, 5);
	EXPECT_RET("close an epoll with a registration", close(ep), 0);
	EXPECT_RET("the pipe still works", write(p[1], "x", 1), 1);
	close(p[0]);
	close(p[1]);
}

static void test_nested(void)
{
	int outer = new_epoll(), inner = new_epoll(), p[2];
	struct epoll_event ev;
	if (outer < 0 || inner < 0 || new_pipe(p) != 0)
		return;
	add(inner, p[0], EPOLLIN, 1);
	add(outer, inner, EPOLLIN, 2);
	EXPECT_RET("outer epoll: nothing while the inner has nothing", wait1(outer, 0, &ev), 0);
	struct pollfd pf = {inner, POLLIN, 0};
	EXPECT_RET("poll(2) on an idle epoll: 0", poll(&pf, 1, 0), 0);
	write(p[1], "x", 1);
	EXPECT_RET("outer epoll: the inner one is ready", wait1(outer, 0, &ev), 1);
	EXPECT_RET("outer epoll: EPOLLIN", ev.events, EPOLLIN);
	EXPECT_RET("outer epoll: the inner's data", ev.data.u64, 2);
	EXPECT_RET("poll(2) on the inner epoll: 1", poll(&pf, 1, 0), 1);
	EXPECT_RET("poll(2) on the inner epoll: POLLIN", pf.revents, POLLIN);
	EXPECT_RET("the inner epoll still reports the pipe", wait1(inner, 0, &ev), 1);
	EXPECT_RET("the inner's event has the pipe's data", ev.data.u64, 1);
	char c;
	read(p[0], &c, 1);
	EXPECT_RET("drained: the outer epoll has nothing", wait1(outer, 0, &ev), 0);
	pf.events = POLLIN | POLLOUT;
	EXPECT_RET("poll(2) on an idle epoll asking POLLOUT: never writable", poll(&pf, 1, 0), 0);
	close(p[0]);
	close(p[1]);
	close(inner);
	close(outer);
}

static volatile sig_atomic_t usr1_count;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_count++;
}

/* A child that waits ms, sends sig to the parent unless 0, then writes to fd unless -1. */
static pid_t later(int ms, int sig, int fd)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		usleep(ms * 1000);
		if (sig)
			kill(parent, sig);
		if (fd >= 0) {
			usleep(ms * 1000);
			write(fd, "w", 1);
		}
		_exit(0);
	}
	return pid;
}

static int reaped_ok(pid_t pid)
{
	int status = -1;
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_pwait(void)
{
	int ep = new_epoll(), p[2];
	if (ep < 0 || new_pipe(p) != 0)
		return;
	add(ep, p[0], EPOLLIN, 1);
	struct sigaction sa = {.sa_handler = on_usr1}, old_sa;
	sigaction(SIGUSR1, &sa, &old_sa);
	sigset_t usr1, old, none;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&none);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	struct epoll_event ev;

	/* A signal blocked in the wait's mask does not interrupt it. */
	usr1_count = 0;
	pid_t pid = later(20, SIGUSR1, p[1]);
	EXPECT_RET("epoll_pwait, SIGUSR1 blocked by its mask: returns the pipe, not EINTR",
		   epoll_pwait(ep, &ev, 1, 5000, &usr1), 1);
	EXPECT_RET("the handler has not run", usr1_count, 0);
	sigset_t pending;
	sigpending(&pending);
	EXPECT_RET("SIGUSR1 is pending", sigismember(&pending, SIGUSR1), 1);
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	EXPECT_RET("unblocked afterwards, the handler runs once", usr1_count, 1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	EXPECT_RET("the child exited 0", reaped_ok(pid), 1);
	char c;
	read(p[0], &c, 1);

	/* A signal the wait's mask unblocks interrupts it. */
	usr1_count = 0;
	pid = later(20, SIGUSR1, -1);
	EXPECT_ERRNO("epoll_pwait, SIGUSR1 unblocked by its mask, sent meanwhile",
		     epoll_pwait(ep, &ev, 1, 5000, &none), EINTR);
	EXPECT_RET("the handler ran once", usr1_count, 1);
	sigprocmask(SIG_BLOCK, NULL, &pending);
	EXPECT_RET("the process mask is restored (SIGUSR1 blocked)", sigismember(&pending, SIGUSR1), 1);
	EXPECT_RET("the child exited 0", reaped_ok(pid), 1);

	/* Already pending before the call: EINTR at once. */
	usr1_count = 0;
	kill(getpid(), SIGUSR1);
	EXPECT_ERRNO("epoll_pwait unblocking an already pending SIGUSR1", epoll_pwait(ep, &ev, 1, 5000, &none),
		     EINTR);
	EXPECT_RET("the handler ran once", usr1_count, 1);

	/*
	 * Plain epoll_wait and a handled signal: a child sends SIGUSR1 every
	 * 10 ms, so that one arrives during the wait however late it starts.
	 */
	usr1_count = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	pid_t parent = getpid();
	pid = fork();
	if (pid == 0) {
		for (;;) {
			usleep(10000);
			kill(parent, SIGUSR1);
		}
	}
	EXPECT_ERRNO("epoll_wait interrupted by a handled signal (no SA_RESTART)", epoll_wait(ep, &ev, 1, 5000),
		     EINTR);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (usr1_count >= 1)
		tpass("the handler ran (%d times)", (int)usr1_count);
	else
		tfail("the handler did not run");
	sigaction(SIGUSR1, &old_sa, NULL);

	/* epoll_pwait2 and its timespec. */
	struct timespec zero = {0, 0}, ms = {0, 1000000}, bad = {0, 1000000000}, neg = {-1, 0};
	EXPECT_RET("epoll_pwait2 with a zero timespec, nothing ready: 0 at once",
		   syscall(SYS_epoll_pwait2, ep, &ev, 1, &zero, NULL, 8), 0);
	EXPECT_RET("epoll_pwait2 with a 1 ms timespec, nothing ready: 0",
		   syscall(SYS_epoll_pwait2, ep, &ev, 1, &ms, NULL, 8), 0);
	EXPECT_ERRNO("epoll_pwait2 with tv_nsec 1e9", syscall(SYS_epoll_pwait2, ep, &ev, 1, &bad, NULL, 8), EINVAL);
	EXPECT_ERRNO("epoll_pwait2 with tv_sec -1", syscall(SYS_epoll_pwait2, ep, &ev, 1, &neg, NULL, 8), EINVAL);
	EXPECT_ERRNO("epoll_pwait2 with a bad timespec pointer",
		     syscall(SYS_epoll_pwait2, ep, &ev, 1, BAD_PTR, NULL, 8), EFAULT);
	EXPECT_ERRNO("epoll_pwait2 with maxevents 0", syscall(SYS_epoll_pwait2, ep, &ev, 0, &zero, NULL, 8), EINVAL);
	EXPECT_ERRNO("epoll_pwait2 with a sigset size of 4",
		     syscall(SYS_epoll_pwait2, ep, &ev, 1, &zero, &none, 4), EINVAL);
	write(p[1], "x", 1);
	EXPECT_RET("epoll_pwait2 with a NULL timespec (infinite), a pipe ready",
		   syscall(SYS_epoll_pwait2, ep, &ev, 1, NULL, NULL, 8), 1);
	EXPECT_RET("epoll_pwait2 with a zero timespec, a pipe ready",
		   syscall(SYS_epoll_pwait2, ep, &ev, 1, &zero, &none, 8), 1);
	EXPECT_RET("epoll_pwait2's event is EPOLLIN", ev.events, EPOLLIN);
	read(p[0], &c, 1);
	pid = later(20, 0, p[1]);
	EXPECT_RET("epoll_pwait2 with a NULL timespec is woken by another process's write",
		   syscall(SYS_epoll_pwait2, ep, &ev, 1, NULL, NULL, 8), 1);
	EXPECT_RET("the child exited 0", reaped_ok(pid), 1);
	close(ep);
	close(p[0]);
	close(p[1]);
}

static void test_wakeup(void)
{
	int ep = new_epoll(), p[2];
	struct epoll_event ev;
	if (ep < 0 || new_pipe(p) != 0)
		return;
	add(ep, p[0], EPOLLIN, 42);
	for (int raw = 0; raw < 2; raw++) {
		const char *how = raw ? "a raw epoll_wait" : "epoll_wait (musl: epoll_pwait)";
		pid_t pid = later(20, 0, p[1]);
		memset(&ev, 0, sizeof ev);
		int n = raw ? syscall(SYS_epoll_wait, ep, &ev, 1, 5000) : epoll_wait(ep, &ev, 1, 5000);
		if (n == 1)
			tpass("%s blocking for 5 s is woken by a child's write", how);
		else
			tfail("%s blocking for 5 s -> %d errno=%s, expected 1", how, n, errno_name(errno));
		EXPECT_RET("the event is EPOLLIN with the pipe's data", ev.events == EPOLLIN && ev.data.u64 == 42, 1);
		EXPECT_RET("the child exited 0", reaped_ok(pid), 1);
		char buf[8];
		read(p[0], buf, sizeof buf);
	}

	/* Two processes share one epoll; a registration made in the child shows in the parent. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(add(ep, p[1], EPOLLOUT, 43) == 0 ? 0 : 1);
	EXPECT_RET("a child adds to the inherited epoll", reaped_ok(pid), 1);
	EXPECT_RET("the parent sees the child's registration", wait1(ep, 0, &ev), 1);
	EXPECT_RET("with its data", ev.data.u64, 43);
	close(ep);
	close(p[0]);
	close(p[1]);
}

static void test_special_fds(void)
{
	int ep = new_epoll();
	if (ep < 0)
		return;
	struct epoll_event ev;

	int efd = eventfd(0, EFD_NONBLOCK);
	add(ep, efd, EPOLLIN | EPOLLOUT, 1);
	EXPECT_RET("eventfd at 0: EPOLLOUT", ready_events(ep, 0), EPOLLOUT);
	uint64_t v = 3;
	write(efd, &v, 8);
	EXPECT_RET("eventfd at 3: EPOLLIN|EPOLLOUT", ready_events(ep, 0), EPOLLIN | EPOLLOUT);
	read(efd, &v, 8);
	v = 0xfffffffffffffffeULL;
	write(efd, &v, 8);
	EXPECT_RET("eventfd at its maximum: EPOLLIN only", ready_events(ep, 0), EPOLLIN);
	read(efd, &v, 8);
	mod(ep, efd, EPOLLIN | EPOLLET, 1);
	v = 1;
	write(efd, &v, 8);
	EXPECT_RET("edge-triggered eventfd: reported", wait1(ep, 0, &ev), 1);
	EXPECT_RET("edge-triggered eventfd: not again", wait1(ep, 0, &ev), 0);
	write(efd, &v, 8);
	EXPECT_RET("edge-triggered eventfd: a new write is reported", wait1(ep, 0, &ev), 1);
	close(efd);

	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	add(ep, tfd, EPOLLIN, 2);
	EXPECT_RET("disarmed timerfd: nothing", ready_events(ep, 0), 0);
	struct itimerspec its = {.it_value = {0, 5000000}};
	timerfd_settime(tfd, 0, &its, NULL);
	EXPECT_RET("a 5 ms timerfd: epoll_wait wakes with EPOLLIN", ready_events(ep, 5000), EPOLLIN);
	read(tfd, &v, 8);
	EXPECT_RET("read: nothing after", ready_events(ep, 0), 0);
	close(tfd);

	sigset_t usr2, old;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, &old);
	int sfd = signalfd(-1, &usr2, SFD_NONBLOCK);
	add(ep, sfd, EPOLLIN, 3);
	EXPECT_RET("signalfd with nothing pending: nothing", ready_events(ep, 0), 0);
	kill(getpid(), SIGUSR2);
	EXPECT_RET("signalfd with SIGUSR2 pending: EPOLLIN", ready_events(ep, 0), EPOLLIN);
	struct signalfd_siginfo si;
	EXPECT_RET("read the signal", read(sfd, &si, sizeof si), sizeof si);
	EXPECT_RET("signalfd drained: nothing", ready_events(ep, 0), 0);
	close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(ep);
}

int main(void)
{
	run(test_create);
	run(test_ctl_errors);
	run(test_wait_errors);
	run(test_level_edge_oneshot);
	run(test_hup_rdhup);
	run(test_many);
	run(test_close_removes);
	run(test_nested);
	run(test_pwait);
	run(test_wakeup);
	run(test_special_fds);
	return tdone();
}
