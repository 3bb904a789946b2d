/*
 * POSIX message queues: mq_open (creation, O_EXCL, access modes, names,
 * attributes and their limits in /proc/sys/fs/mqueue and RLIMIT_MSGQUEUE,
 * the mode against another user, O_NONBLOCK and O_CLOEXEC), mq_unlink, mq_timedsend and
 * mq_timedreceive (priority order, sizes, full and empty queues with
 * O_NONBLOCK and timeouts, descriptors of the wrong kind), mq_getsetattr,
 * mq_notify (the signal's siginfo, one registration per queue, when it
 * fires and when not, SIGEV_NONE, bad events), poll and epoll readiness,
 * a queue descriptor's read() report, and queues shared across fork: a
 * child's send wakes a blocked receiver, a child's receive a blocked
 * sender. Calls go through syscall() so that the C library mends nothing;
 * names are passed as the kernel sees them, without the leading '/'.
 */
#include "common.h"
#include "procparse.h"
#include "socktest.h"

#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define MS 1000000L
#define OTHER_UID 1000

static char names[8][64];

/* The queue names of this run: "kestrel-mq-<pid>-<n>". */
static const char *qname(int n)
{
	if (!names[n][0])
		snprintf(names[n], sizeof names[n], "kestrel-mq-%d-%d", (int)getpid(), n);
	return names[n];
}

static long mqopen(const char *name, int oflag, int mode, struct mq_attr *attr)
{
	return syscall(SYS_mq_open, name, oflag, mode, attr);
}

static long mqsend(long fd, const char *msg, size_t len, unsigned prio, const struct timespec *abs)
{
	return syscall(SYS_mq_timedsend, fd, msg, len, prio, abs);
}

static long mqrecv(long fd, char *buf, size_t len, unsigned *prio, const struct timespec *abs)
{
	return syscall(SYS_mq_timedreceive, fd, buf, len, prio, abs);
}

static long mqnotify(long fd, const struct sigevent *ev)
{
	return syscall(SYS_mq_notify, fd, ev);
}

static long mqattr(long fd, const struct mq_attr *new, struct mq_attr *old)
{
	return syscall(SYS_mq_getsetattr, fd, new, old);
}

static long mqunlink(const char *name)
{
	return syscall(SYS_mq_unlink, name);
}

static struct mq_attr attr_of(long maxmsg, long msgsize)
{
	struct mq_attr a = {.mq_maxmsg = maxmsg, .mq_msgsize = msgsize};
	return a;
}

/* A fresh queue `n` (unlinked first), read-write. */
static long fresh(int n, int oflag, long maxmsg, long msgsize)
{
	mqunlink(qname(n));
	struct mq_attr a = attr_of(maxmsg, msgsize);
	return mqopen(qname(n), O_CREAT | O_EXCL | O_RDWR | oflag, 0600, &a);
}

/* CLOCK_REALTIME now plus `ns` (negative: in the past). */
static struct timespec realtime_in(long ns)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	long long total = (long long)t.tv_sec * 1000000000LL + t.tv_nsec + ns;
	t.tv_sec = total / 1000000000LL;
	t.tv_nsec = total % 1000000000LL;
	return t;
}

static int reaped_ok(pid_t pid)
{
	int status = -1;
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Waits until process `pid` sleeps ('S'): it is blocked in a call. */
static int wait_asleep(pid_t pid)
{
	char path[64], text[1024];
	struct pstat st;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 100000; i++) {
		if (read_file(path, text, sizeof text) > 0 && parse_stat(text, &st) > 3 && st.state == 'S')
			return 1;
		sched_yield();
	}
	return 0;
}

/* Writes `text` to a /proc/sys file; returns 0 or -1 with errno. */
static int write_sys(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	long n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n == (long)strlen(text) ? 0 : -1;
}

static long read_sys(const char *path)
{
	char text[64];
	return read_file(path, text, sizeof text) > 0 ? atol(text) : -1;
}

/*
 * Whether this process holds CAP_SYS_RESOURCE (bit 24 of CapEff), which
 * lifts the tunables' limits: root in a container may lack it.
 */
static int has_sys_resource(void)
{
	char text[4096];
	if (read_file("/proc/self/status", text, sizeof text) < 0 || !strstr(text, "CapEff:"))
		return geteuid() == 0;
	unsigned long long caps = strtoull(strstr(text, "CapEff:") + 7, NULL, 16);
	return (caps >> 24) & 1;
}

/* Runs `fn` in a child as user OTHER_UID; returns its exit status. */
static int as_other_user(int (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(OTHER_UID) != 0 || setuid(OTHER_UID) != 0)
			_exit(99);
		_exit(fn());
	}
	int status = -1;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 98;
}

static void test_limits_files(void)
{
	EXPECT_RET("/proc/sys/fs/mqueue/msg_max is 10", read_sys("/proc/sys/fs/mqueue/msg_max"), 10);
	EXPECT_RET("/proc/sys/fs/mqueue/msgsize_max is 8192", read_sys("/proc/sys/fs/mqueue/msgsize_max"), 8192);
	EXPECT_RET("/proc/sys/fs/mqueue/queues_max is 256", read_sys("/proc/sys/fs/mqueue/queues_max"), 256);
	EXPECT_RET("/proc/sys/fs/mqueue/msg_default is 10", read_sys("/proc/sys/fs/mqueue/msg_default"), 10);
	EXPECT_RET("/proc/sys/fs/mqueue/msgsize_default is 8192",
		   read_sys("/proc/sys/fs/mqueue/msgsize_default"), 8192);
	EXPECT_ERRNO("msg_max 0 is out of range", write_sys("/proc/sys/fs/mqueue/msg_max", "0\n"), EINVAL);
	EXPECT_ERRNO("msg_max 65537 is out of range", write_sys("/proc/sys/fs/mqueue/msg_max", "65537\n"), EINVAL);
	EXPECT_ERRNO("msgsize_max 127 is out of range", write_sys("/proc/sys/fs/mqueue/msgsize_max", "127\n"),
		     EINVAL);
}

static void test_open_errors(void)
{
	mqunlink(qname(0));
	EXPECT_ERRNO("mq_open of a missing queue without O_CREAT", mqopen(qname(0), O_RDWR, 0, NULL), ENOENT);
	EXPECT_ERRNO("mq_unlink of a missing queue", mqunlink(qname(0)), ENOENT);
	EXPECT_ERRNO("mq_open of the empty name", mqopen("", O_CREAT | O_RDWR, 0600, NULL), ENOENT);
	EXPECT_ERRNO("mq_open of a name with '/'", mqopen("a/b", O_CREAT | O_RDWR, 0600, NULL), EACCES);
	EXPECT_ERRNO("mq_open of \".\"", mqopen(".", O_CREAT | O_RDWR, 0600, NULL), EACCES);
	EXPECT_ERRNO("mq_open of \"..\"", mqopen("..", O_RDWR, 0600, NULL), EACCES);
	char longname[300];
	memset(longname, 'q', 256);
	longname[256] = '\0';
	EXPECT_ERRNO("mq_open of a 256-byte name", mqopen(longname, O_CREAT | O_RDWR, 0600, NULL), ENAMETOOLONG);
	EXPECT_ERRNO("mq_open with a bad name pointer", mqopen((char *)8, O_RDWR, 0, NULL), EFAULT);
	EXPECT_ERRNO("mq_open with a bad attr pointer", mqopen(qname(0), O_CREAT | O_RDWR, 0600, (void *)8),
		     EFAULT);
	/* A creator may ask for O_ACCMODE: a descriptor for neither reading nor writing. */
	long fd = mqopen(qname(0), O_CREAT | 3, 0600, NULL);
	char buf[8192];
	if (fd >= 0)
		tpass("mq_open O_CREAT with O_ACCMODE creates the queue");
	else
		tfail("mq_open O_CREAT with O_ACCMODE: %s", errno_name(errno));
	EXPECT_ERRNO("  its descriptor cannot send", mqsend(fd, "x", 1, 0, NULL), EBADF);
	EXPECT_ERRNO("  nor receive", mqrecv(fd, buf, sizeof buf, NULL, NULL), EBADF);
	close(fd);
	mqunlink(qname(0));

	struct mq_attr a = attr_of(0, 16);
	EXPECT_ERRNO("mq_open O_CREAT with mq_maxmsg 0", mqopen(qname(0), O_CREAT | O_RDWR, 0600, &a), EINVAL);
	a = attr_of(4, 0);
	EXPECT_ERRNO("mq_open O_CREAT with mq_msgsize 0", mqopen(qname(0), O_CREAT | O_RDWR, 0600, &a), EINVAL);
	a = attr_of(-1, 16);
	EXPECT_ERRNO("mq_open O_CREAT with mq_maxmsg -1", mqopen(qname(0), O_CREAT | O_RDWR, 0600, &a), EINVAL);
	a = attr_of(65537, 16);
	EXPECT_ERRNO("mq_open O_CREAT with mq_maxmsg past 65536, even for root",
		     mqopen(qname(0), O_CREAT | O_RDWR, 0600, &a), EINVAL);
	a = attr_of(1, 16 * 1024 * 1024 + 1);
	EXPECT_ERRNO("mq_open O_CREAT with mq_msgsize past 16 MiB, even for root",
		     mqopen(qname(0), O_CREAT | O_RDWR, 0600, &a), EINVAL);
	EXPECT_ERRNO("no queue was left behind", mqunlink(qname(0)), ENOENT);
}

static void test_open(void)
{
	long fd = mqopen(qname(0), O_CREAT | O_EXCL | O_RDWR, 0600, NULL);
	if (fd < 0) {
		tfail("mq_open O_CREAT|O_EXCL: %s", errno_name(errno));
		return;
	}
	tpass("mq_open O_CREAT|O_EXCL creates a queue");
	struct mq_attr a;
	memset(&a, 0xff, sizeof a);
	EXPECT_RET("mq_getsetattr reads the attributes", mqattr(fd, NULL, &a), 0);
	EXPECT_RET("without attr: mq_maxmsg is 10", a.mq_maxmsg, 10);
	EXPECT_RET("without attr: mq_msgsize is 8192", a.mq_msgsize, 8192);
	EXPECT_RET("mq_curmsgs 0", a.mq_curmsgs, 0);
	EXPECT_RET("mq_flags 0", a.mq_flags, 0);
	EXPECT_RET("close-on-exec even without O_CLOEXEC", fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);

	EXPECT_ERRNO("O_CREAT|O_EXCL again", mqopen(qname(0), O_CREAT | O_EXCL | O_RDWR, 0600, NULL), EEXIST);
	EXPECT_ERRNO("opening it with O_ACCMODE", mqopen(qname(0), 3, 0, NULL), EINVAL);
	struct mq_attr bad = attr_of(0, 0);
	long fd2 = mqopen(qname(0), O_CREAT | O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0600, &bad);
	if (fd2 >= 0)
		tpass("O_CREAT of an existing queue opens it; the attributes are not looked at");
	else
		tfail("O_CREAT of an existing queue: %s", errno_name(errno));
	EXPECT_RET("O_CLOEXEC: FD_CLOEXEC", fcntl(fd2, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	EXPECT_RET("O_NONBLOCK shows in mq_flags", (mqattr(fd2, NULL, &a), a.mq_flags), O_NONBLOCK);
	EXPECT_RET("fcntl F_GETFL: O_RDONLY|O_NONBLOCK", fcntl(fd2, F_GETFL) & (O_ACCMODE | O_NONBLOCK),
		   O_RDONLY | O_NONBLOCK);
	EXPECT_ERRNO("mq_timedsend on a read-only descriptor", mqsend(fd2, "x", 1, 0, NULL), EBADF);
	close(fd2);
	long wfd = mqopen(qname(0), O_WRONLY, 0, NULL);
	char buf[8192];
	EXPECT_ERRNO("mq_timedreceive on a write-only descriptor", mqrecv(wfd, buf, sizeof buf, NULL, NULL), EBADF);
	close(wfd);
	close(fd);
	EXPECT_RET("mq_unlink", mqunlink(qname(0)), 0);

	/* The creator's umask is applied to the mode. */
	mode_t old_mask = umask(022);
	fd = mqopen(qname(0), O_CREAT | O_RDWR, 0666, NULL);
	struct stat st;
	EXPECT_RET("a queue created 0666 under umask 022 is 0644", fstat(fd, &st) == 0 ? st.st_mode & 07777 : 0,
		   0644);
	umask(old_mask);
	close(fd);
	mqunlink(qname(0));

	/* CAP_SYS_RESOURCE may ask for more than msg_max and msgsize_max. */
	a = attr_of(20, 16384);
	if (!has_sys_resource()) {
		EXPECT_ERRNO("without CAP_SYS_RESOURCE, mq_maxmsg past msg_max",
			     mqopen(qname(0), O_CREAT | O_RDWR, 0600, &a), EINVAL);
		return;
	}
	fd = mqopen(qname(0), O_CREAT | O_RDWR, 0600, &a);
	memset(&a, 0, sizeof a);
	mqattr(fd, NULL, &a);
	EXPECT_RET("CAP_SYS_RESOURCE creates a queue past msg_max: mq_maxmsg 20", a.mq_maxmsg, 20);
	EXPECT_RET("and mq_msgsize 16384", a.mq_msgsize, 16384);
	close(fd);
	mqunlink(qname(0));
}

static int other_opens_0600(void)
{
	errno = 0;
	return mqopen(qname(1), O_RDONLY, 0, NULL) == -1 && errno == EACCES ? 0 : 1;
}

static int other_reads_0644_not_writes(void)
{
	long fd = mqopen(qname(1), O_RDONLY, 0, NULL);
	errno = 0;
	int denied = mqopen(qname(1), O_WRONLY, 0, NULL) == -1 && errno == EACCES;
	errno = 0;
	int rdwr_denied = mqopen(qname(1), O_RDWR, 0, NULL) == -1 && errno == EACCES;
	return fd >= 0 && denied && rdwr_denied ? 0 : 1;
}

static int other_unlinks_roots(void)
{
	errno = 0;
	long r = mqunlink(qname(1));
	fprintf(stderr, "TINFO: another user's mq_unlink of root's queue: %ld %s\n", r, errno_name(errno));
	return r == -1 && errno == EPERM ? 0 : 1;
}

static int other_exceeds_limits(void)
{
	struct mq_attr a = attr_of(11, 128);
	errno = 0;
	int many = mqopen(qname(2), O_CREAT | O_RDWR, 0600, &a) == -1 && errno == EINVAL;
	a = attr_of(10, 8193);
	errno = 0;
	int large = mqopen(qname(2), O_CREAT | O_RDWR, 0600, &a) == -1 && errno == EINVAL;
	a = attr_of(10, 8192);
	long fd = mqopen(qname(2), O_CREAT | O_RDWR, 0600, &a);
	int unlinked = mqunlink(qname(2)) == 0;
	return many && large && fd >= 0 && unlinked ? 0 : 1;
}

static int other_creates(void)
{
	errno = 0;
	long fd = mqopen(qname(2), O_CREAT | O_RDWR, 0600, NULL);
	if (fd >= 0)
		mqunlink(qname(2));
	return fd == -1 && errno == ENOSPC ? 0 : 1;
}

static int other_small_queue(void)
{
	struct mq_attr a = attr_of(6, 128);
	errno = 0;
	return mqopen(qname(2), O_CREAT | O_RDWR, 0600, &a) == -1 && errno == EINVAL ? 0 : 1;
}

/*
 * RLIMIT_MSGQUEUE: a default queue (10 x 8192) costs 82880 bytes (each
 * slot's data, header and tree node); the charge lasts until the queue
 * is freed, unlinked and closed.
 */
static int other_runs_out_of_bytes(void)
{
	struct rlimit r = {2 * 82880, 2 * 82880};
	if (setrlimit(RLIMIT_MSGQUEUE, &r) != 0)
		return 10;
	long a = mqopen(qname(3), O_CREAT | O_RDWR, 0600, NULL);
	long b = mqopen(qname(4), O_CREAT | O_RDWR, 0600, NULL);
	if (a < 0 || b < 0)
		return 11;
	errno = 0;
	int emfile = mqopen(qname(5), O_CREAT | O_RDWR, 0600, NULL) == -1 && errno == EMFILE;
	mqunlink(qname(4));
	errno = 0;
	int held = mqopen(qname(5), O_CREAT | O_RDWR, 0600, NULL) == -1 && errno == EMFILE;
	close((int)b);
	long c = mqopen(qname(5), O_CREAT | O_RDWR, 0600, NULL);
	struct mq_attr small = attr_of(1, 128);
	errno = 0;
	int small_too = mqopen(qname(6), O_CREAT | O_RDWR, 0600, &small) == -1 && errno == EMFILE;
	mqunlink(qname(3));
	mqunlink(qname(5));
	if (!emfile)
		return 12;
	if (!held)
		return 13;
	if (c < 0)
		return 14;
	return small_too ? 0 : 15;
}

static void test_permissions(void)
{
	mqunlink(qname(1));
	long fd = mqopen(qname(1), O_CREAT | O_RDWR, 0600, NULL);
	EXPECT_RET("another user opening a 0600 queue: EACCES", as_other_user(other_opens_0600), 0);
	close(fd);
	mqunlink(qname(1));
	mode_t old_mask = umask(0);
	fd = mqopen(qname(1), O_CREAT | O_RDWR, 0644, NULL);
	umask(old_mask);
	EXPECT_RET("another user may read a 0644 queue, not write it (EACCES)",
		   as_other_user(other_reads_0644_not_writes), 0);
	EXPECT_RET("another user may not unlink root's queue (EPERM: the sticky rule)", as_other_user(other_unlinks_roots), 0);
	close(fd);
	EXPECT_RET("its owner unlinks it", mqunlink(qname(1)), 0);
	EXPECT_RET("an unprivileged user is held to msg_max and msgsize_max (EINVAL)",
		   as_other_user(other_exceeds_limits), 0);
	EXPECT_RET("RLIMIT_MSGQUEUE 2 x 82880 holds two default queues, not a third (EMFILE) until one is freed",
		   as_other_user(other_runs_out_of_bytes), 0);

	/* The tunables bind new queues at once. */
	long queues_max = read_sys("/proc/sys/fs/mqueue/queues_max");
	EXPECT_RET("root sets queues_max to 0", write_sys("/proc/sys/fs/mqueue/queues_max", "0\n"), 0);
	EXPECT_RET("then an unprivileged creation is ENOSPC", as_other_user(other_creates), 0);
	int privileged = has_sys_resource();
	fd = mqopen(qname(2), O_CREAT | O_RDWR, 0600, NULL);
	int enospc = fd == -1 && errno == ENOSPC;
	if (!privileged)
		EXPECT_RET("  and without CAP_SYS_RESOURCE so is root's", enospc, 1);
	else if (fd >= 0)
		tpass("while CAP_SYS_RESOURCE still creates queues");
	else
		tfail("creation with queues_max 0 and CAP_SYS_RESOURCE: %s", errno_name(errno));
	close(fd);
	mqunlink(qname(2));
	char text[32];
	snprintf(text, sizeof text, "%ld\n", queues_max);
	write_sys("/proc/sys/fs/mqueue/queues_max", text);

	EXPECT_RET("root sets msg_max to 5", write_sys("/proc/sys/fs/mqueue/msg_max", "5\n"), 0);
	EXPECT_RET("an unprivileged mq_maxmsg 6 is then EINVAL", as_other_user(other_small_queue), 0);
	fd = mqopen(qname(2), O_CREAT | O_RDWR, 0600, NULL);
	struct mq_attr a = {0};
	mqattr(fd, NULL, &a);
	EXPECT_RET("a queue without attributes holds min(msg_default, msg_max) = 5", a.mq_maxmsg, 5);
	close(fd);
	mqunlink(qname(2));
	write_sys("/proc/sys/fs/mqueue/msg_max", "10\n");
	EXPECT_RET("msg_max is back to 10", read_sys("/proc/sys/fs/mqueue/msg_max"), 10);
}

static void test_send_receive(void)
{
	long fd = fresh(0, 0, 4, 16);
	char buf[64];
	unsigned prio = 99;
	EXPECT_RET("send \"one\" at priority 1", mqsend(fd, "one", 3, 1, NULL), 0);
	EXPECT_RET("send \"two\" at priority 5", mqsend(fd, "two", 3, 5, NULL), 0);
	EXPECT_RET("send \"three\" at priority 5", mqsend(fd, "three", 5, 5, NULL), 0);
	EXPECT_RET("send an empty message at priority 0", mqsend(fd, "", 0, 0, NULL), 0);
	struct mq_attr a = {0};
	mqattr(fd, NULL, &a);
	EXPECT_RET("mq_curmsgs 4", a.mq_curmsgs, 4);

	memset(buf, 0, sizeof buf);
	EXPECT_RET("the highest priority first: 3 bytes", mqrecv(fd, buf, sizeof buf, &prio, NULL), 3);
	EXPECT_RET("  \"two\"", strcmp(buf, "two"), 0);
	EXPECT_RET("  priority 5", prio, 5);
	memset(buf, 0, sizeof buf);
	EXPECT_RET("in order within a priority: 5 bytes", mqrecv(fd, buf, sizeof buf, &prio, NULL), 5);
	EXPECT_RET("  \"three\"", strcmp(buf, "three"), 0);
	memset(buf, 0, sizeof buf);
	EXPECT_RET("then priority 1: \"one\"", mqrecv(fd, buf, sizeof buf, &prio, NULL), 3);
	EXPECT_RET("  priority 1", prio, 1);
	EXPECT_RET("then the empty message, priority unasked", mqrecv(fd, buf, sizeof buf, NULL, NULL), 0);

	EXPECT_ERRNO("priority 32768 (MQ_PRIO_MAX)", mqsend(fd, "x", 1, 32768, NULL), EINVAL);
	EXPECT_RET("priority 32767", mqsend(fd, "x", 1, 32767, NULL), 0);
	EXPECT_ERRNO("a message longer than mq_msgsize", mqsend(fd, buf, 17, 0, NULL), EMSGSIZE);
	EXPECT_RET("a message of exactly mq_msgsize", mqsend(fd, buf, 16, 0, NULL), 0);
	EXPECT_ERRNO("a receive buffer shorter than mq_msgsize", mqrecv(fd, buf, 15, NULL, NULL), EMSGSIZE);
	EXPECT_RET("a receive buffer of mq_msgsize", mqrecv(fd, buf, 16, &prio, NULL), 1);
	EXPECT_RET("  gets the priority-32767 message", prio, 32767);
	EXPECT_ERRNO("a bad message pointer", mqsend(fd, (char *)8, 4, 0, NULL), EFAULT);
	EXPECT_RET("mq_curmsgs 1 after the faulting send", (mqattr(fd, NULL, &a), a.mq_curmsgs), 1);
	mqrecv(fd, buf, sizeof buf, NULL, NULL);

	int pipefd[2];
	pipe(pipefd);
	EXPECT_ERRNO("mq_timedsend on a pipe", mqsend(pipefd[1], "x", 1, 0, NULL), EBADF);
	EXPECT_ERRNO("mq_timedreceive on a pipe", mqrecv(pipefd[0], buf, sizeof buf, NULL, NULL), EBADF);
	EXPECT_ERRNO("mq_getsetattr on a pipe", mqattr(pipefd[0], NULL, &a), EBADF);
	EXPECT_ERRNO("mq_timedsend on descriptor -1", mqsend(-1, "x", 1, 0, NULL), EBADF);
	close(pipefd[0]);
	close(pipefd[1]);
	close(fd);
	mqunlink(qname(0));
}

static void test_full_and_empty(void)
{
	long fd = fresh(0, O_NONBLOCK, 2, 16);
	char buf[16];
	EXPECT_ERRNO("O_NONBLOCK receive from an empty queue", mqrecv(fd, buf, sizeof buf, NULL, NULL), EAGAIN);
	mqsend(fd, "a", 1, 0, NULL);
	mqsend(fd, "b", 1, 0, NULL);
	EXPECT_ERRNO("O_NONBLOCK send to a full queue", mqsend(fd, "c", 1, 0, NULL), EAGAIN);
	struct timespec past = realtime_in(-10 * MS);
	EXPECT_ERRNO("O_NONBLOCK ignores a timeout: EAGAIN", mqsend(fd, "c", 1, 0, &past), EAGAIN);

	struct mq_attr clear = {0}, old = {0};
	EXPECT_RET("mq_getsetattr clears O_NONBLOCK", mqattr(fd, &clear, &old), 0);
	EXPECT_RET("  and returned the old mq_flags O_NONBLOCK", old.mq_flags, O_NONBLOCK);
	EXPECT_RET("  and mq_curmsgs 2", old.mq_curmsgs, 2);
	EXPECT_RET("F_GETFL shows O_NONBLOCK cleared", fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	struct mq_attr bad = {.mq_flags = O_NONBLOCK | O_APPEND};
	EXPECT_ERRNO("mq_flags other than O_NONBLOCK", mqattr(fd, &bad, NULL), EINVAL);
	struct mq_attr ignored = {.mq_flags = 0, .mq_maxmsg = 99, .mq_msgsize = 99, .mq_curmsgs = 99};
	EXPECT_RET("mq_getsetattr ignores the other fields", mqattr(fd, &ignored, &old), 0);
	EXPECT_RET("  mq_maxmsg still 2", (mqattr(fd, NULL, &old), old.mq_maxmsg), 2);
	EXPECT_ERRNO("mq_getsetattr with a bad old pointer", mqattr(fd, NULL, (void *)8), EFAULT);

	EXPECT_ERRNO("a send to a full queue with a past deadline", mqsend(fd, "c", 1, 0, &past), ETIMEDOUT);
	struct timespec soon = realtime_in(10 * MS);
	EXPECT_ERRNO("a send to a full queue, 10 ms deadline", mqsend(fd, "c", 1, 0, &soon), ETIMEDOUT);
	struct timespec invalid = {.tv_sec = 0, .tv_nsec = 1000000000L};
	EXPECT_ERRNO("a send to a full queue with tv_nsec 1e9", mqsend(fd, "c", 1, 0, &invalid), EINVAL);
	struct timespec negative = {.tv_sec = -1, .tv_nsec = 0};
	EXPECT_ERRNO("a send to a full queue with tv_sec -1", mqsend(fd, "c", 1, 0, &negative), EINVAL);
	EXPECT_ERRNO("a send with a bad timeout pointer", mqsend(fd, "c", 1, 0, (void *)8), EFAULT);

	/* A timeout is checked even when the call need not wait (Linux 6.1). */
	errno = 0;
	long r = mqrecv(fd, buf, sizeof buf, NULL, &invalid);
	printf("TINFO: a receive that need not wait, tv_nsec 1e9: %ld %s\n", r, errno_name(errno));
	EXPECT_ERRNO("a receive that need not wait, with tv_nsec 1e9", mqrecv(fd, buf, sizeof buf, NULL, &invalid),
		     EINVAL);
	EXPECT_RET("a receive from a full queue with a past deadline succeeds",
		   mqrecv(fd, buf, sizeof buf, NULL, &past), 1);
	mqrecv(fd, buf, sizeof buf, NULL, NULL);
	soon = realtime_in(10 * MS);
	EXPECT_ERRNO("a receive from an empty queue, 10 ms deadline", mqrecv(fd, buf, sizeof buf, NULL, &soon),
		     ETIMEDOUT);
	EXPECT_ERRNO("a receive from an empty queue, tv_nsec -1",
		     mqrecv(fd, buf, sizeof buf, NULL, &(struct timespec){0, -1}), EINVAL);
	EXPECT_RET("a send to a non-full queue with a past deadline succeeds", mqsend(fd, "d", 1, 0, &past), 0);
	close(fd);
	mqunlink(qname(0));
}

static void test_unlink(void)
{
	long fd = fresh(0, 0, 2, 16);
	mqsend(fd, "kept", 4, 3, NULL);
	EXPECT_RET("mq_unlink an open queue", mqunlink(qname(0)), 0);
	EXPECT_ERRNO("its name is gone", mqopen(qname(0), O_RDWR, 0, NULL), ENOENT);
	char buf[16] = {0};
	EXPECT_RET("the descriptor still receives its message", mqrecv(fd, buf, sizeof buf, NULL, NULL), 4);
	long fd2 = mqopen(qname(0), O_CREAT | O_EXCL | O_RDWR, 0600, NULL);
	struct mq_attr a = {0};
	mqattr(fd2, NULL, &a);
	EXPECT_RET("the name makes a new, empty queue", a.mq_curmsgs + (a.mq_maxmsg == 10), 1);
	mqsend(fd, "old", 3, 0, NULL);
	EXPECT_RET("  apart from the unlinked one", (mqattr(fd2, NULL, &a), a.mq_curmsgs), 0);
	close(fd);
	close(fd2);
	mqunlink(qname(0));
}

static void test_across_fork(void)
{
	long fd = fresh(0, 0, 1, 32);
	char buf[32] = {0};
	unsigned prio = 0;
	pid_t pid = fork();
	if (pid == 0)
		_exit(mqsend(fd, "from child", 10, 7, NULL) == 0 ? 0 : 1);
	EXPECT_RET("a child sends", reaped_ok(pid), 1);
	EXPECT_RET("the parent receives it", mqrecv(fd, buf, sizeof buf, &prio, NULL), 10);
	EXPECT_RET("  intact, priority 7", strcmp(buf, "from child") + (prio != 7), 0);

	pid_t me = getpid();
	pid = fork();
	if (pid == 0) {
		if (!wait_asleep(me))
			_exit(2);
		_exit(mqsend(fd, "wake up", 7, 1, NULL) == 0 ? 0 : 1);
	}
	memset(buf, 0, sizeof buf);
	EXPECT_RET("a blocked receive is woken by a child's send", mqrecv(fd, buf, sizeof buf, NULL, NULL), 7);
	EXPECT_RET("  the child saw the parent asleep and sent", reaped_ok(pid), 1);

	mqsend(fd, "first", 5, 0, NULL);
	pid = fork();
	if (pid == 0) {
		char b[32];
		if (!wait_asleep(me))
			_exit(2);
		_exit(mqrecv(fd, b, sizeof b, NULL, NULL) == 5 ? 0 : 1);
	}
	EXPECT_RET("a send blocked on a full queue is woken by a child's receive",
		   mqsend(fd, "second", 6, 0, NULL), 0);
	EXPECT_RET("  the child received the first message", reaped_ok(pid), 1);
	memset(buf, 0, sizeof buf);
	EXPECT_RET("  the queue holds the second", mqrecv(fd, buf, sizeof buf, NULL, NULL), 6);

	/* A child opened by name, a parent reading what it sent. */
	pid = fork();
	if (pid == 0) {
		long cfd = mqopen(qname(0), O_WRONLY, 0, NULL);
		_exit(cfd >= 0 && mqsend(cfd, "by name", 7, 0, NULL) == 0 ? 0 : 1);
	}
	EXPECT_RET("a child opening the queue by name sends", reaped_ok(pid), 1);
	EXPECT_RET("  the parent receives it", mqrecv(fd, buf, sizeof buf, NULL, NULL), 7);
	close(fd);
	mqunlink(qname(0));
}

static void on_usr2(int sig)
{
	(void)sig;
}

/*
 * A child blocked in mq_timedreceive takes SIGUSR2: without SA_RESTART the
 * call fails with EINTR; with it, the call goes on and gets the message
 * sent after.
 */
static void test_interrupted(void)
{
	long fd = fresh(0, 0, 2, 16);
	int restart;
	for (restart = 0; restart < 2; restart++) {
		pid_t pid = fork();
		if (pid == 0) {
			struct sigaction sa = {.sa_handler = on_usr2, .sa_flags = restart ? SA_RESTART : 0};
			sigaction(SIGUSR2, &sa, NULL);
			char b[16];
			errno = 0;
			long n = mqrecv(fd, b, sizeof b, NULL, NULL);
			if (restart)
				_exit(n == 1 ? 0 : 1);
			_exit(n == -1 && errno == EINTR ? 0 : 1);
		}
		if (!wait_asleep(pid))
			tfail("the child never slept in mq_timedreceive");
		kill(pid, SIGUSR2);
		if (restart) {
			/* Most likely after the handler ran; either order must receive it. */
			sched_yield();
			wait_asleep(pid);
			mqsend(fd, "r", 1, 0, NULL);
		}
		if (restart)
			EXPECT_RET("a signal with SA_RESTART: the receive goes on and gets the next message",
				   reaped_ok(pid), 1);
		else
			EXPECT_RET("a signal without SA_RESTART: the blocked receive fails with EINTR", reaped_ok(pid), 1);
	}
	close(fd);
	mqunlink(qname(0));
}

static int sigusr1_pending(void)
{
	sigset_t set;
	sigpending(&set);
	return sigismember(&set, SIGUSR1);
}

static int notify_pid_of(long fd)
{
	char text[128] = {0};
	int pid = -1;
	long n = pread(fd, text, sizeof text - 1, 0);
	if (n <= 0 || !strstr(text, "NOTIFY_PID:"))
		return -2;
	sscanf(strstr(text, "NOTIFY_PID:"), "NOTIFY_PID:%d", &pid);
	return pid;
}

static void test_notify(void)
{
	sigset_t usr1, old;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	long fd = fresh(0, 0, 4, 32);
	char buf[32];
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	ev.sigev_value.sival_int = 42;
	EXPECT_RET("mq_notify SIGEV_SIGNAL SIGUSR1", mqnotify(fd, &ev), 0);
	EXPECT_ERRNO("a second registration by the same process", mqnotify(fd, &ev), EBUSY);
	EXPECT_RET("read() shows NOTIFY_PID", notify_pid_of(fd), getpid());

	pid_t pid = fork();
	if (pid == 0) {
		errno = 0;
		int busy = mqnotify(fd, &ev) == -1 && errno == EBUSY;
		/* Another process's NULL leaves the registration alone. */
		int ignored = mqnotify(fd, NULL) == 0;
		int busy_still = mqnotify(fd, &ev) == -1 && errno == EBUSY;
		if (setgid(OTHER_UID) != 0 || setuid(OTHER_UID) != 0)
			_exit(3);
		int sent = mqsend(fd, "hello", 5, 0, NULL) == 0;
		_exit(busy && ignored && busy_still && sent ? 0 : 1);
	}
	EXPECT_RET("a child finds it EBUSY, cannot remove it, and sends as another user", reaped_ok(pid), 1);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	struct timespec guard = {5, 0};
	EXPECT_RET("SIGUSR1 arrives", sigtimedwait(&usr1, &si, &guard), SIGUSR1);
	EXPECT_RET("  si_code SI_MESGQ", si.si_code, SI_MESGQ);
	EXPECT_RET("  si_pid is the sender", si.si_pid, pid);
	EXPECT_RET("  si_uid is the sender's", si.si_uid, OTHER_UID);
	EXPECT_RET("  si_value is the registered value", si.si_value.sival_int, 42);
	EXPECT_RET("the registration is gone after firing", notify_pid_of(fd), 0);

	/* Only a message arriving in an empty queue notifies. */
	EXPECT_RET("register again", mqnotify(fd, &ev), 0);
	mqsend(fd, "second", 6, 0, NULL);
	EXPECT_RET("a message into a non-empty queue sends nothing", sigusr1_pending(), 0);
	EXPECT_RET("  and the registration stays", notify_pid_of(fd), getpid());
	mqrecv(fd, buf, sizeof buf, NULL, NULL);
	mqrecv(fd, buf, sizeof buf, NULL, NULL);

	/* A receiver already waiting takes the message: no notification. */
	pid_t me = getpid();
	int ready[2];
	pipe(ready);
	pid = fork();
	if (pid == 0) {
		char b[32];
		close(ready[0]);
		write(ready[1], "r", 1);
		_exit(mqrecv(fd, b, sizeof b, NULL, NULL) == 4 ? 0 : 1);
	}
	close(ready[1]);
	char c;
	read(ready[0], &c, 1);
	close(ready[0]);
	if (!wait_asleep(pid))
		tfail("the child never slept in mq_timedreceive");
	EXPECT_RET("send while a receiver waits", mqsend(fd, "take", 4, 0, NULL), 0);
	EXPECT_RET("  the receiver gets it", reaped_ok(pid), 1);
	EXPECT_RET("  and no signal came", sigusr1_pending(), 0);
	EXPECT_RET("  the registration stays", notify_pid_of(fd), me);
	EXPECT_RET("mq_notify NULL removes one's own registration", mqnotify(fd, NULL), 0);
	EXPECT_RET("  read() shows none", notify_pid_of(fd), 0);
	EXPECT_RET("mq_notify NULL without a registration", mqnotify(fd, NULL), 0);

	/* Closing any descriptor of the queue ends the closer's registration. */
	EXPECT_RET("register again", mqnotify(fd, &ev), 0);
	pid = fork();
	if (pid == 0) {
		close((int)fd);
		_exit(0);
	}
	reaped_ok(pid);
	EXPECT_RET("  a child's close leaves it", notify_pid_of(fd), me);
	long other = mqopen(qname(0), O_RDONLY, 0, NULL);
	close((int)other);
	EXPECT_RET("  the owner's close of another descriptor ends it", notify_pid_of(fd), 0);
	pid = fork();
	if (pid == 0)
		_exit(mqnotify(fd, &ev) == 0 ? 0 : 1);
	EXPECT_RET("a child registers and exits", reaped_ok(pid), 1);
	EXPECT_RET("  its registration went with it", mqnotify(fd, &ev), 0);
	mqnotify(fd, NULL);

	/* SIGEV_NONE: registered, consumed by the first message, no signal. */
	struct sigevent none = {.sigev_notify = SIGEV_NONE};
	EXPECT_RET("mq_notify SIGEV_NONE", mqnotify(fd, &none), 0);
	char text[128] = {0};
	pread(fd, text, sizeof text - 1, 0);
	EXPECT_RET("read() shows NOTIFY:1", strstr(text, "NOTIFY:1 ") != NULL, 1);
	mqsend(fd, "n", 1, 0, NULL);
	EXPECT_RET("  a message ends it without a signal", notify_pid_of(fd) == 0 && !sigusr1_pending(), 1);
	EXPECT_RET("  and a new registration is accepted", mqnotify(fd, &ev), 0);
	mqnotify(fd, NULL);
	mqrecv(fd, buf, sizeof buf, NULL, NULL);

	/* Signal 0 registers, and sends nothing. */
	struct sigevent zero = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = 0};
	EXPECT_RET("mq_notify SIGEV_SIGNAL with signal 0", mqnotify(fd, &zero), 0);
	mqsend(fd, "z", 1, 0, NULL);
	EXPECT_RET("  a message ends it", notify_pid_of(fd), 0);
	mqrecv(fd, buf, sizeof buf, NULL, NULL);

	struct sigevent bad = {.sigev_notify = 99};
	EXPECT_ERRNO("mq_notify with sigev_notify 99", mqnotify(fd, &bad), EINVAL);
	bad = (struct sigevent){.sigev_notify = SIGEV_SIGNAL, .sigev_signo = 65};
	EXPECT_ERRNO("mq_notify SIGEV_SIGNAL with signal 65", mqnotify(fd, &bad), EINVAL);
	bad = (struct sigevent){.sigev_notify = SIGEV_SIGNAL, .sigev_signo = -1};
	EXPECT_ERRNO("mq_notify SIGEV_SIGNAL with signal -1", mqnotify(fd, &bad), EINVAL);
	EXPECT_ERRNO("mq_notify with a bad sigevent pointer", mqnotify(fd, (void *)8), EFAULT);
	int pipefd[2];
	pipe(pipefd);
	EXPECT_ERRNO("mq_notify on a pipe", mqnotify(pipefd[0], &ev), EBADF);
	/* SIGEV_THREAD names a netlink socket in sigev_signo (the C library's). */
	struct sigevent thread = {.sigev_notify = SIGEV_THREAD, .sigev_signo = pipefd[0]};
	EXPECT_ERRNO("SIGEV_THREAD without its 32-byte cookie", mqnotify(fd, &thread), EFAULT);
	char cookie[32] = {0};
	thread.sigev_value.sival_ptr = cookie;
	EXPECT_ERRNO("SIGEV_THREAD naming a pipe", mqnotify(fd, &thread), ENOTSOCK);
	thread.sigev_signo = -1;
	EXPECT_ERRNO("SIGEV_THREAD naming no descriptor", mqnotify(fd, &thread), EBADF);
	int sock = socket(AF_UNIX, SOCK_DGRAM, 0);
	thread.sigev_signo = sock;
	EXPECT_ERRNO("SIGEV_THREAD naming a unix socket", mqnotify(fd, &thread), EINVAL);
	close(sock);
	close(pipefd[0]);
	close(pipefd[1]);
	close(fd);
	mqunlink(qname(0));
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static short poll_now(long fd)
{
	struct pollfd pf = {(int)fd, POLLIN | POLLOUT, 0};
	return poll(&pf, 1, 0) == 1 ? pf.revents : 0;
}

static void test_poll(void)
{
	long fd = fresh(0, 0, 2, 16);
	char buf[16];
	EXPECT_RET("poll an empty queue: POLLOUT", poll_now(fd), POLLOUT);
	mqsend(fd, "a", 1, 0, NULL);
	EXPECT_RET("one message: POLLIN|POLLOUT", poll_now(fd), POLLIN | POLLOUT);
	mqsend(fd, "b", 1, 0, NULL);
	EXPECT_RET("a full queue: POLLIN", poll_now(fd), POLLIN);
	mqrecv(fd, buf, sizeof buf, NULL, NULL);
	mqrecv(fd, buf, sizeof buf, NULL, NULL);

	int ep = epoll_create1(0);
	struct epoll_event e = {.events = EPOLLIN, .data.u32 = 7};
	EXPECT_RET("epoll_ctl ADD a queue", epoll_ctl(ep, EPOLL_CTL_ADD, (int)fd, &e), 0);
	struct epoll_event got[2];
	EXPECT_RET("epoll_wait on an empty queue: nothing", epoll_wait(ep, got, 2, 0), 0);
	pid_t pid = fork();
	if (pid == 0)
		_exit(mqsend(fd, "e", 1, 0, NULL) == 0 ? 0 : 1);
	memset(got, 0, sizeof got);
	EXPECT_RET("a child's send wakes epoll_wait", epoll_wait(ep, got, 2, 5000), 1);
	EXPECT_RET("  EPOLLIN for the queue", got[0].events == EPOLLIN && got[0].data.u32 == 7, 1);
	reaped_ok(pid);
	close(ep);

	char text[128] = {0};
	EXPECT_RET("read() reports the queue", read(fd, text, sizeof text - 1) > 0, 1);
	unsigned long qsize = 99;
	int notify = -1, signo = -1, npid = -1;
	int fields = sscanf(text, "QSIZE:%lu NOTIFY:%d SIGNO:%d NOTIFY_PID:%d", &qsize, &notify, &signo, &npid);
	EXPECT_RET("  QSIZE:1 NOTIFY:0 SIGNO:0 NOTIFY_PID:0", fields == 4 && qsize == 1 && !notify && !signo && !npid,
		   1);
	printf("TINFO: %s", text);
	EXPECT_RET("  then end of file", read(fd, text, sizeof text), 0);
	EXPECT_ERRNO("write() to a queue", write(fd, "x", 1), EINVAL);
	close(fd);
	mqunlink(qname(0));
}

int main(void)
{
	proc_mount_if_needed();
	run(test_limits_files);
	run(test_open_errors);
	run(test_open);
	run(test_permissions);
	run(test_send_receive);
	run(test_full_and_empty);
	run(test_unlink);
	run(test_across_fork);
	run(test_interrupted);
	run(test_notify);
	run(test_poll);
	return tdone();
}
