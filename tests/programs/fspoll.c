/*
 * Waiting for descriptors and copying between them in the kernel: poll,
 * ppoll, select, pselect6 (readiness of pipes and files, POLLHUP, POLLERR,
 * POLLNVAL, timeouts, wake-up by another process, the time left written
 * back, pselect6's signal mask), and sendfile (with and without an offset,
 * into a pipe, its errors).
 */
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static char dir[64];

static long ms_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void check_poll(void)
{
	int fds[2];
	pipe(fds);
	struct pollfd p[2] = {{fds[0], POLLIN, -1}, {fds[1], POLLOUT, -1}};
	EXPECT_RET("poll: only the write end of an empty pipe is ready", poll(p, 2, 0), 1);
	EXPECT_RET("revents of the read end", p[0].revents, 0);
	EXPECT_RET("revents of the write end", p[1].revents, POLLOUT);
	write(fds[1], "x", 1);
	EXPECT_RET("after a write both are ready", poll(p, 2, 0), 2);
	EXPECT_RET("the read end has POLLIN", p[0].revents, POLLIN);
	close(fds[1]);
	p[1].fd = -1;
	EXPECT_RET("after the writer closed", poll(p, 2, 0), 1);
	EXPECT_RET("POLLIN and POLLHUP", p[0].revents, POLLIN | POLLHUP);
	EXPECT_RET("a negative fd is skipped", p[1].revents, 0);
	char c;
	read(fds[0], &c, 1);
	p[0].events = 0;
	EXPECT_RET("POLLHUP is reported unasked", poll(p, 1, 0) == 1 && p[0].revents == POLLHUP, 1);
	close(fds[0]);

	pipe(fds);
	close(fds[0]);
	struct pollfd w = {fds[1], POLLOUT, 0};
	EXPECT_RET("a write end without readers", poll(&w, 1, 0), 1);
	EXPECT_RET("has POLLERR", (w.revents & POLLERR) != 0, 1);
	close(fds[1]);

	struct pollfd bad = {fds[1], POLLIN, 0};
	EXPECT_RET("a closed descriptor counts", poll(&bad, 1, 0), 1);
	EXPECT_RET("as POLLNVAL", bad.revents, POLLNVAL);
	int fd = open("file", O_CREAT | O_RDWR, 0644);
	struct pollfd f = {fd, POLLIN | POLLOUT, 0};
	EXPECT_RET("a regular file is always ready", poll(&f, 1, -1) == 1 && f.revents == (POLLIN | POLLOUT), 1);
	close(fd);

	pipe(fds);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	struct pollfd r = {fds[0], POLLIN, 0};
	EXPECT_RET("poll times out with 0", poll(&r, 1, 50), 0);
	long waited = ms_since(&start);
	EXPECT_RET("after the timeout (50 ms)", waited >= 45 && waited < 1000, 1);
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec nap = {0, 30000000};
		nanosleep(&nap, NULL);
		write(fds[1], "y", 1);
		_exit(0);
	}
	EXPECT_RET("a blocking poll wakes when another process writes", poll(&r, 1, 5000), 1);
	EXPECT_RET("with POLLIN", r.revents, POLLIN);
	waitpid(pid, NULL, 0);
	struct timespec ts = {2, 0};
	EXPECT_RET("ppoll with data ready", ppoll(&r, 1, &ts, NULL), 1);
	EXPECT_RET("ppoll writes back the time left", ts.tv_sec == 1 || (ts.tv_sec == 2 && ts.tv_nsec == 0), 1);
	close(fds[0]);
	close(fds[1]);

	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	EXPECT_ERRNO("poll of more descriptors than RLIMIT_NOFILE", syscall(SYS_poll, NULL, rl.rlim_cur + 1, 0),
		     EINVAL);
	EXPECT_ERRNO("poll of a bad array", syscall(SYS_poll, (void *)8, 1, 0), EFAULT);
}

static void check_select(void)
{
	int fds[2];
	pipe(fds);
	fd_set rs, ws;
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_SET(fds[0], &rs);
	FD_SET(fds[1], &ws);
	struct timeval tv = {0, 0};
	EXPECT_RET("select: the write end is ready", select(fds[1] + 1, &rs, &ws, NULL, &tv), 1);
	EXPECT_RET("the read bit is cleared, the write bit kept", !FD_ISSET(fds[0], &rs) && FD_ISSET(fds[1], &ws), 1);
	write(fds[1], "z", 1);
	FD_SET(fds[0], &rs);
	tv.tv_sec = 2;
	EXPECT_RET("select with data in the pipe", select(fds[0] + 1, &rs, NULL, NULL, &tv), 1);
	EXPECT_RET("the read bit is set", FD_ISSET(fds[0], &rs), 1);
	EXPECT_RET("select writes back the time left", tv.tv_sec == 1 || (tv.tv_sec == 2 && tv.tv_usec == 0), 1);
	char c;
	read(fds[0], &c, 1);
	FD_SET(fds[0], &rs);
	tv.tv_sec = 0;
	tv.tv_usec = 20000;
	EXPECT_RET("select times out with 0", select(fds[0] + 1, &rs, NULL, NULL, &tv), 0);
	EXPECT_RET("and clears the sets", FD_ISSET(fds[0], &rs), 0);
	FD_ZERO(&rs);
	FD_SET(50, &rs);
	EXPECT_ERRNO("select of a closed descriptor", select(51, &rs, NULL, NULL, &tv), EBADF);
	EXPECT_ERRNO("select with a negative count", syscall(SYS_select, -1, NULL, NULL, NULL, NULL), EINVAL);
	struct timeval badtv = {-1, 0};
	EXPECT_ERRNO("select with a negative timeout", syscall(SYS_select, 0, NULL, NULL, NULL, &badtv), EINVAL);
	struct timeval carry = {0, 1000001};
	EXPECT_RET("select carries microseconds past a second", syscall(SYS_select, 0, NULL, NULL, NULL, &carry), 0);
	close(fds[0]);
	close(fds[1]);
}

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

static void check_pselect_mask(void)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t block, empty, now;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &block, NULL);
	kill(getpid(), SIGUSR1);
	struct timespec ts = {0, 10000000};
	EXPECT_RET("pselect with SIGUSR1 blocked times out", pselect(0, NULL, NULL, NULL, &ts, NULL), 0);
	EXPECT_RET("the signal stays pending", got_usr1, 0);
	ts.tv_sec = 5;
	EXPECT_ERRNO("pselect whose mask unblocks it is interrupted", pselect(0, NULL, NULL, NULL, &ts, &empty), EINTR);
	EXPECT_RET("the handler ran", got_usr1, 1);
	sigprocmask(SIG_BLOCK, NULL, &now);
	EXPECT_RET("and the old mask is back", sigismember(&now, SIGUSR1), 1);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	signal(SIGUSR1, SIG_DFL);
}

static void check_sendfile(void)
{
	int in = open("src", O_CREAT | O_TRUNC | O_RDWR, 0644);
	write(in, "0123456789", 10);
	lseek(in, 0, SEEK_SET);
	int out = open("dst", O_CREAT | O_TRUNC | O_RDWR, 0644);
	EXPECT_RET("sendfile at the file offset", sendfile(out, in, NULL, 4), 4);
	EXPECT_RET("moves the input offset", lseek(in, 0, SEEK_CUR), 4);
	EXPECT_RET("and the output offset", lseek(out, 0, SEEK_CUR), 4);
	off_t off = 6;
	EXPECT_RET("sendfile at an explicit offset, past the end", sendfile(out, in, &off, 100), 4);
	EXPECT_RET("updates that offset", off, 10);
	EXPECT_RET("but not the file offset", lseek(in, 0, SEEK_CUR), 4);
	char buf[16] = {0};
	pread(out, buf, sizeof buf, 0);
	EXPECT_RET("the output", strcmp(buf, "01236789"), 0);
	EXPECT_RET("sendfile at the end of the input", sendfile(out, in, &off, 5), 0);
	int fds[2];
	pipe(fds);
	off = 0;
	EXPECT_RET("sendfile into a pipe", sendfile(fds[1], in, &off, 10), 10);
	memset(buf, 0, sizeof buf);
	EXPECT_RET("the pipe has it", read(fds[0], buf, sizeof buf) == 10 && strcmp(buf, "0123456789") == 0, 1);
	int wo = open("src", O_WRONLY);
	EXPECT_ERRNO("sendfile from a write-only descriptor", sendfile(out, wo, NULL, 1), EBADF);
	int ro = open("dst", O_RDONLY);
	EXPECT_ERRNO("sendfile to a read-only descriptor", sendfile(ro, in, NULL, 1), EBADF);
	int app = open("dst", O_WRONLY | O_APPEND);
	EXPECT_ERRNO("sendfile to an O_APPEND descriptor", sendfile(app, in, NULL, 1), EINVAL);
	off = -1;
	EXPECT_ERRNO("sendfile at a negative offset", sendfile(out, in, &off, 1), EINVAL);
	close(wo);
	close(ro);
	close(app);
	close(fds[0]);
	close(fds[1]);
	close(in);
	close(out);
}

int main(void)
{
	strcpy(dir, "/tmp/fspollXXXXXX");
	if (!mkdtemp(dir) || chdir(dir) != 0) {
		tfail("cannot make a test directory under /tmp: errno=%d %s", errno, errno_name(errno));
		return tdone();
	}
	check_poll();
	check_select();
	check_pselect_mask();
	check_sendfile();
	unlink("file");
	unlink("src");
	unlink("dst");
	chdir("/");
	EXPECT_RET("the test directory is empty at the end", rmdir(dir), 0);
	return tdone();
}
