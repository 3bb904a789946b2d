/*
 * signalfd: signalfd and signalfd4 (the raw calls, sizemask, flags, a mask
 * with SIGKILL and SIGSTOP, descriptors that are not signalfds, updating the
 * mask of an existing one), reading struct signalfd_siginfo (128 bytes: short
 * buffers, EAGAIN, several signals in one read, standard signals merged and
 * realtime ones queued, SI_USER, SI_TKILL and SI_QUEUE with their pid, uid and
 * value), signals sent by another process (also one running as uid 1000),
 * SIGCHLD with the child's pid and exit status, pending state after a read,
 * poll readiness, blocking reads woken by another process, a forked child
 * seeing only its own signals, and the /proc/self/fd link.
 */
#include "common.h"
#include "procparse.h"
#include "socktest.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#define USER 1000
#define SIGRT (SIGRTMIN + 1)

static int short_poll(int fd, short events)
{
	struct pollfd pf = {fd, events, 0};
	return poll(&pf, 1, 0) == 1 ? pf.revents : 0;
}

static sigset_t set_of(int a, int b)
{
	sigset_t s;
	sigemptyset(&s);
	if (a)
		sigaddset(&s, a);
	if (b)
		sigaddset(&s, b);
	return s;
}

static int is_pending(int sig)
{
	sigset_t s;
	sigpending(&s);
	return sigismember(&s, sig);
}

static int reaped_ok(pid_t pid)
{
	int status = -1;
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Reads one signalfd_siginfo; returns read's result. */
static long read_one(int fd, struct signalfd_siginfo *si)
{
	memset(si, 0, sizeof *si);
	return read(fd, si, sizeof *si);
}

/* Consumes whatever of mask is pending, so that a failed check does not spill into the next. */
static void drain(const sigset_t *mask)
{
	int fd = signalfd(-1, mask, SFD_NONBLOCK);
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof si) > 0)
		;
	close(fd);
}

static void test_create(void)
{
	sigset_t m = set_of(SIGUSR1, 0);
	EXPECT_RET("sizeof(struct signalfd_siginfo) is 128", sizeof(struct signalfd_siginfo), 128);
	long fd = syscall(SYS_signalfd4, -1, &m, 8, 0);
	if (fd >= 0)
		tpass("raw signalfd4(-1, {SIGUSR1}, 8, 0) -> a descriptor (%ld)", fd);
	else
		tfail("raw signalfd4(-1, {SIGUSR1}, 8, 0) -> errno=%d %s", errno, errno_name(errno));
	EXPECT_RET("it is not close-on-exec", fcntl(fd, F_GETFD), 0);
	EXPECT_RET("it is O_RDWR, blocking", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR);

	sigset_t m2 = set_of(SIGUSR2, 0);
	EXPECT_RET("raw signalfd4 on it with a new mask returns the same descriptor",
		   syscall(SYS_signalfd4, fd, &m2, 8, 0), fd);
	EXPECT_RET("raw signalfd4 on it with SFD_NONBLOCK: accepted", syscall(SYS_signalfd4, fd, &m2, 8, SFD_NONBLOCK),
		   fd);
	EXPECT_RET("but the flags of an existing signalfd are left alone",
		   fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR);
	EXPECT_ERRNO("raw signalfd4 on it with flag 1", syscall(SYS_signalfd4, fd, &m2, 8, 1), EINVAL);
	close(fd);

	fd = syscall(SYS_signalfd4, -1, &m, 8, SFD_CLOEXEC | SFD_NONBLOCK);
	EXPECT_RET("SFD_CLOEXEC sets FD_CLOEXEC", fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_RET("SFD_NONBLOCK sets O_NONBLOCK", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR | O_NONBLOCK);
	close(fd);

	fd = syscall(SYS_signalfd, -1, &m, 8);
	if (fd >= 0)
		tpass("raw signalfd(-1, {SIGUSR1}, 8) -> a descriptor");
	else
		tfail("raw signalfd(-1, {SIGUSR1}, 8) -> errno=%d %s", errno, errno_name(errno));
	EXPECT_RET("raw signalfd's descriptor is blocking, not close-on-exec",
		   fcntl(fd, F_GETFL) & O_NONBLOCK || fcntl(fd, F_GETFD), 0);
	EXPECT_RET("raw signalfd on it updates it", syscall(SYS_signalfd, fd, &m2, 8), fd);
	EXPECT_ERRNO("raw signalfd with sizemask 4", syscall(SYS_signalfd, -1, &m, 4), EINVAL);
	close(fd);

	EXPECT_ERRNO("raw signalfd4 with sizemask 4", syscall(SYS_signalfd4, -1, &m, 4, 0), EINVAL);
	EXPECT_ERRNO("raw signalfd4 with sizemask 16", syscall(SYS_signalfd4, -1, &m, 16, 0), EINVAL);
	EXPECT_ERRNO("raw signalfd4 with sizemask 0", syscall(SYS_signalfd4, -1, &m, 0, 0), EINVAL);
	EXPECT_ERRNO("raw signalfd4 with flag 1", syscall(SYS_signalfd4, -1, &m, 8, 1), EINVAL);
	EXPECT_ERRNO("raw signalfd4 with O_RDWR", syscall(SYS_signalfd4, -1, &m, 8, O_RDWR), EINVAL);
	EXPECT_ERRNO("raw signalfd4 with a NULL mask", syscall(SYS_signalfd4, -1, NULL, 8, 0), EFAULT);
	EXPECT_ERRNO("raw signalfd4 with a bad mask pointer", syscall(SYS_signalfd4, -1, (void *)1, 8, 0), EFAULT);
	EXPECT_ERRNO("raw signalfd4 on a closed descriptor", syscall(SYS_signalfd4, 999, &m, 8, 0), EBADF);
	EXPECT_ERRNO("raw signalfd4 with ufd -2", syscall(SYS_signalfd4, -2, &m, 8, 0), EBADF);
	int p[2];
	pipe(p);
	EXPECT_ERRNO("raw signalfd4 on a pipe", syscall(SYS_signalfd4, p[0], &m, 8, 0), EINVAL);
	close(p[0]);
	close(p[1]);

	sigset_t all;
	sigfillset(&all);
	sigaddset(&all, SIGKILL);
	sigaddset(&all, SIGSTOP);
	fd = syscall(SYS_signalfd4, -1, &all, 8, 0);
	if (fd >= 0)
		tpass("a mask with every signal, SIGKILL and SIGSTOP included: accepted");
	else
		tfail("a mask with SIGKILL and SIGSTOP -> errno=%d %s", errno, errno_name(errno));
	sigset_t ks = set_of(SIGKILL, SIGSTOP);
	EXPECT_RET("a mask of only SIGKILL and SIGSTOP updates it too", syscall(SYS_signalfd4, fd, &ks, 8, 0), fd);
	close(fd);
	sigset_t none;
	sigemptyset(&none);
	fd = signalfd(-1, &none, SFD_NONBLOCK);
	if (fd >= 0)
		tpass("an empty mask: accepted");
	else
		tfail("an empty mask -> errno=%d %s", errno, errno_name(errno));
	char c;
	EXPECT_ERRNO("write to a signalfd", write(fd, &c, 1), EINVAL);
	close(fd);
}

static void test_read(void)
{
	sigset_t m = set_of(SIGUSR1, SIGUSR2), old;
	sigaddset(&m, SIGRT);
	sigprocmask(SIG_BLOCK, &m, &old);
	sigset_t only1 = set_of(SIGUSR1, 0);
	int fd = signalfd(-1, &only1, SFD_NONBLOCK);
	struct signalfd_siginfo si, two[2];
	char small[127];

	EXPECT_ERRNO("nonblocking read with nothing pending", read_one(fd, &si), EAGAIN);
	EXPECT_RET("poll with nothing pending: 0", short_poll(fd, POLLIN | POLLOUT), 0);
	kill(getpid(), SIGUSR1);
	EXPECT_RET("SIGUSR1 pending: poll says POLLIN only", short_poll(fd, POLLIN | POLLOUT), POLLIN);
	EXPECT_ERRNO("read of 127 bytes", read(fd, small, sizeof small), EINVAL);
	EXPECT_ERRNO("read of 0 bytes", read(fd, small, 0), EINVAL);
	EXPECT_RET("SIGUSR1 is still pending after the short read", is_pending(SIGUSR1), 1);
	EXPECT_RET("read of 128 bytes", read_one(fd, &si), 128);
	EXPECT_RET("ssi_signo is SIGUSR1", si.ssi_signo, SIGUSR1);
	EXPECT_RET("ssi_code is SI_USER", si.ssi_code, SI_USER);
	EXPECT_RET("ssi_pid is ours", si.ssi_pid, getpid());
	EXPECT_RET("ssi_uid is ours", si.ssi_uid, getuid());
	EXPECT_RET("ssi_errno is 0", si.ssi_errno, 0);
	EXPECT_RET("SIGUSR1 is no longer pending", is_pending(SIGUSR1), 0);
	EXPECT_RET("poll after the read: 0", short_poll(fd, POLLIN), 0);
	EXPECT_ERRNO("read again: EAGAIN", read_one(fd, &si), EAGAIN);

	/* Only the signals of the mask are read. */
	kill(getpid(), SIGUSR2);
	EXPECT_ERRNO("SIGUSR2 pending, not in the mask: EAGAIN", read_one(fd, &si), EAGAIN);
	EXPECT_RET("SIGUSR2 pending, not in the mask: poll 0", short_poll(fd, POLLIN), 0);
	sigset_t both = set_of(SIGUSR1, SIGUSR2);
	EXPECT_RET("update the mask to SIGUSR1 and SIGUSR2", signalfd(fd, &both, 0), fd);
	EXPECT_RET("now poll says POLLIN", short_poll(fd, POLLIN), POLLIN);
	EXPECT_RET("read it", read_one(fd, &si), 128);
	EXPECT_RET("ssi_signo is SIGUSR2", si.ssi_signo, SIGUSR2);
	EXPECT_RET("SIGUSR2 is no longer pending", is_pending(SIGUSR2), 0);

	/* Several at once. */
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGUSR1);
	EXPECT_RET("two pending signals, one read of 256 bytes", read(fd, two, sizeof two), 256);
	EXPECT_RET("the lower number comes first (SIGUSR1)", two[0].ssi_signo, SIGUSR1);
	EXPECT_RET("then SIGUSR2", two[1].ssi_signo, SIGUSR2);
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR2);
	EXPECT_RET("two pending, a read of 200 bytes returns one (128)", read(fd, two, 200), 128);
	EXPECT_RET("and one is left", read(fd, two, sizeof two), 128);
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR1);
	EXPECT_RET("a standard signal sent twice is read once", read(fd, two, sizeof two), 128);

	/* Realtime signals queue, with their values. */
	sigset_t rt = set_of(SIGRT, 0);
	signalfd(fd, &rt, 0);
	sigqueue(getpid(), SIGRT, (union sigval){.sival_int = 11});
	sigqueue(getpid(), SIGRT, (union sigval){.sival_int = 22});
	EXPECT_RET("a realtime signal queued twice: one read of 256 bytes gets both", read(fd, two, sizeof two), 256);
	EXPECT_RET("both are SIGRTMIN+1", two[0].ssi_signo == (unsigned)SIGRT && two[1].ssi_signo == (unsigned)SIGRT,
		   1);
	EXPECT_RET("ssi_code is SI_QUEUE", two[0].ssi_code, SI_QUEUE);
	EXPECT_RET("in order: ssi_int 11", two[0].ssi_int, 11);
	EXPECT_RET("then ssi_int 22", two[1].ssi_int, 22);
	EXPECT_RET("ssi_pid is ours", two[0].ssi_pid, getpid());
	EXPECT_RET("ssi_uid is ours", two[0].ssi_uid, getuid());
	void *ptr = (void *)0x123456789abcdef0UL;
	sigqueue(getpid(), SIGRT, (union sigval){.sival_ptr = ptr});
	EXPECT_RET("sigqueue with a pointer value", read_one(fd, &si), 128);
	if (si.ssi_ptr == 0x123456789abcdef0ULL)
		tpass("ssi_ptr is the whole pointer");
	else
		tfail("ssi_ptr %#llx, expected 0x123456789abcdef0", (unsigned long long)si.ssi_ptr);
	EXPECT_RET("ssi_int is its low 32 bits", (uint32_t)si.ssi_int, 0x9abcdef0u);

	/* rt_sigqueueinfo passes the sender's siginfo through: pid and uid are what it says. */
	siginfo_t info;
	memset(&info, 0, sizeof info);
	info.si_signo = SIGRT;
	info.si_code = SI_QUEUE;
	info.si_pid = 12345;
	info.si_uid = 4321;
	info.si_value.sival_int = 5;
	EXPECT_RET("raw rt_sigqueueinfo to ourselves with si_pid 12345, si_uid 4321",
		   syscall(SYS_rt_sigqueueinfo, getpid(), SIGRT, &info), 0);
	EXPECT_RET("it is read", read_one(fd, &si), 128);
	EXPECT_RET("ssi_pid is the 12345 given, not ours", si.ssi_pid, 12345);
	EXPECT_RET("ssi_uid is the 4321 given", si.ssi_uid, 4321);
	EXPECT_RET("ssi_int is 5", si.ssi_int, 5);
	EXPECT_RET("ssi_code is SI_QUEUE", si.ssi_code, SI_QUEUE);

	/* raise() sends with tkill: SI_TKILL. */
	signalfd(fd, &only1, 0);
	raise(SIGUSR1);
	EXPECT_RET("raise(SIGUSR1) is read", read_one(fd, &si), 128);
	EXPECT_RET("ssi_code is SI_TKILL", si.ssi_code, SI_TKILL);
	EXPECT_RET("ssi_pid is ours", si.ssi_pid, getpid());

	close(fd);
	drain(&m);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void test_other_process(void)
{
	sigset_t m = set_of(SIGUSR1, SIGUSR2), old;
	sigaddset(&m, SIGRT);
	sigprocmask(SIG_BLOCK, &m, &old);
	int fd = signalfd(-1, &m, 0);
	struct signalfd_siginfo si;
	pid_t parent = getpid();

	pid_t pid = fork();
	if (pid == 0) {
		usleep(20000);
		_exit(kill(parent, SIGUSR1) == 0 ? 0 : 1);
	}
	EXPECT_RET("a blocking read is woken by a child's kill", read_one(fd, &si), 128);
	EXPECT_RET("ssi_signo is SIGUSR1", si.ssi_signo, SIGUSR1);
	EXPECT_RET("ssi_code is SI_USER", si.ssi_code, SI_USER);
	EXPECT_RET("ssi_pid is the child's", si.ssi_pid, pid);
	EXPECT_RET("ssi_uid is the child's (0)", si.ssi_uid, 0);
	EXPECT_RET("the child exited 0", reaped_ok(pid), 1);

	pid = fork();
	if (pid == 0)
		_exit(sigqueue(parent, SIGRT, (union sigval){.sival_int = 77}) == 0 ? 0 : 1);
	EXPECT_RET("a child's sigqueue is read", read_one(fd, &si), 128);
	EXPECT_RET("ssi_code is SI_QUEUE", si.ssi_code, SI_QUEUE);
	EXPECT_RET("ssi_pid is the child's", si.ssi_pid, pid);
	EXPECT_RET("ssi_int is the value sent", si.ssi_int, 77);
	EXPECT_RET("the child exited 0", reaped_ok(pid), 1);

	/*
	 * A child running as uid 1000 may signal us while our saved uid is
	 * 1000 (its effective uid matches it); ssi_uid is its real uid.
	 */
	if (setresuid(-1, -1, USER) != 0) {
		tfail("setresuid(-1, -1, %d): %s", USER, errno_name(errno));
	} else {
		pid = fork();
		if (pid == 0) {
			if (setresgid(USER, USER, USER) != 0 || setresuid(USER, USER, USER) != 0)
				_exit(2);
			_exit(kill(parent, SIGUSR2) == 0 ? 0 : 1);
		}
		EXPECT_RET("a child running as uid 1000 sends SIGUSR2", reaped_ok(pid), 1);
		setresuid(-1, -1, 0);
		EXPECT_RET("it is read", read_one(fd, &si), 128);
		EXPECT_RET("ssi_signo is SIGUSR2", si.ssi_signo, SIGUSR2);
		EXPECT_RET("ssi_pid is the child's", si.ssi_pid, pid);
		EXPECT_RET("ssi_uid is 1000", si.ssi_uid, USER);
	}

	/* A forked child reads its own signals through the inherited signalfd, not ours. */
	kill(getpid(), SIGUSR1);
	pid = fork();
	if (pid == 0) {
		int ok = short_poll(fd, POLLIN) == 0;
		fcntl(fd, F_SETFL, O_NONBLOCK);
		ok = ok && read(fd, &si, sizeof si) == -1 && errno == EAGAIN;
		raise(SIGUSR2);
		ok = ok && read(fd, &si, sizeof si) == 128 && si.ssi_signo == SIGUSR2;
		_exit(ok ? 0 : 1);
	}
	EXPECT_RET("the parent's pending SIGUSR1 is invisible to a forked child, its own SIGUSR2 is read",
		   reaped_ok(pid), 1);
	fcntl(fd, F_SETFL, 0);
	EXPECT_RET("the parent still reads its SIGUSR1", read_one(fd, &si), 128);
	EXPECT_RET("ssi_signo is SIGUSR1", si.ssi_signo, SIGUSR1);

	char path[64], link[64] = {0};
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	long n = readlink(path, link, sizeof link - 1);
	if (n > 0 && strcmp(link, "anon_inode:[signalfd]") == 0)
		tpass("readlink %s is anon_inode:[signalfd]", path);
	else
		tfail("readlink %s -> %ld \"%s\" errno=%s", path, n, link, errno_name(errno));
	close(fd);
	drain(&m);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void test_sigchld(void)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL}, old_sa;
	sigaction(SIGCHLD, &dfl, &old_sa);
	sigset_t m = set_of(SIGCHLD, 0), old;
	sigprocmask(SIG_BLOCK, &m, &old);
	drain(&m);
	int fd = signalfd(-1, &m, 0);
	struct signalfd_siginfo si;

	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	EXPECT_RET("a child's exit: SIGCHLD is read", read_one(fd, &si), 128);
	EXPECT_RET("ssi_signo is SIGCHLD", si.ssi_signo, SIGCHLD);
	EXPECT_RET("ssi_code is CLD_EXITED", si.ssi_code, CLD_EXITED);
	EXPECT_RET("ssi_pid is the child's", si.ssi_pid, pid);
	EXPECT_RET("ssi_status is its exit code 7", si.ssi_status, 7);
	EXPECT_RET("ssi_uid is the child's (0)", si.ssi_uid, 0);
	int status = 0;
	EXPECT_RET("the child is still there to reap", waitpid(pid, &status, 0), pid);
	EXPECT_RET("with exit status 7", WIFEXITED(status) && WEXITSTATUS(status) == 7, 1);

	pid = fork();
	if (pid == 0) {
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	EXPECT_RET("a child killed by SIGKILL: SIGCHLD is read", read_one(fd, &si), 128);
	EXPECT_RET("ssi_code is CLD_KILLED", si.ssi_code, CLD_KILLED);
	EXPECT_RET("ssi_pid is the child's", si.ssi_pid, pid);
	EXPECT_RET("ssi_status is SIGKILL", si.ssi_status, SIGKILL);
	EXPECT_RET("reap it", waitpid(pid, &status, 0), pid);
	EXPECT_RET("killed by SIGKILL", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, 1);
	close(fd);
	drain(&m);
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigaction(SIGCHLD, &old_sa, NULL);
}

int main(void)
{
	proc_mount_if_needed();
	run(test_create);
	run(test_read);
	run(test_other_process);
	run(test_sigchld);
	return tdone();
}
