/*
 * Pipes and descriptors: pipe/pipe2 between processes, EOF, EPIPE,
 * O_NONBLOCK, a 1 MiB transfer, FIONREAD, dup/dup2/dup3/fcntl, and the
 * sizes an unprivileged user's pipes get (pipe-max-size, and
 * pipe-user-pages-soft and -hard).
 */
#include "common.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void check_pipe_between_processes(void)
{
	int fds[2];
	EXPECT_RET("pipe2(fds, 0)", syscall(SYS_pipe2, fds, 0), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		const char msg[] = "through the pipe";
		_exit(write(fds[1], msg, sizeof msg) == sizeof msg ? 0 : 1);
	}
	close(fds[1]);
	char buf[64] = {0};
	long n = read(fds[0], buf, sizeof buf);
	if (n == 17 && strcmp(buf, "through the pipe") == 0)
		tpass("a child's write arrives through the pipe (%ld bytes)", n);
	else
		tfail("read from the pipe -> %ld \"%s\"", n, buf);
	EXPECT_RET("read after the only writer exited (EOF)", read(fds[0], buf, sizeof buf), 0);
	int status;
	waitpid(pid, &status, 0);
	close(fds[0]);
}

static void check_epipe(void)
{
	int fds[2];
	if (pipe(fds) != 0) {
		tfail("pipe failed: errno=%d", errno);
		return;
	}
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, &old);
	close(fds[0]);
	EXPECT_ERRNO("write to a pipe without readers (SIGPIPE blocked)", write(fds[1], "x", 1), EPIPE);
	close(fds[1]);
	/* The SIGPIPE stays pending while blocked: discard it before unblocking. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, prev;
	if (sigaction(SIGPIPE, &ign, &prev) == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		sigaction(SIGPIPE, &prev, NULL);
	} else {
		/* No sigaction: keep SIGPIPE blocked rather than die from it. */
		tconf("sigaction unavailable: SIGPIPE left blocked");
	}
}

static void check_nonblock_and_flags(void)
{
	int fds[2];
	EXPECT_RET("pipe2(fds, O_NONBLOCK | O_CLOEXEC)", syscall(SYS_pipe2, fds, O_NONBLOCK | O_CLOEXEC), 0);
	char c;
	EXPECT_ERRNO("read from an empty O_NONBLOCK pipe", read(fds[0], &c, 1), EAGAIN);
	EXPECT_RET("F_GETFD of a pipe2(O_CLOEXEC) end", fcntl(fds[0], F_GETFD), FD_CLOEXEC);
	EXPECT_RET("F_GETFL of the write end has O_WRONLY|O_NONBLOCK",
		   fcntl(fds[1], F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_WRONLY | O_NONBLOCK);
	EXPECT_RET("F_GETFL of the read end is O_RDONLY|O_NONBLOCK", fcntl(fds[0], F_GETFL) & (O_ACCMODE | O_NONBLOCK),
		   O_RDONLY | O_NONBLOCK);
	EXPECT_ERRNO("write to the read end", write(fds[0], "x", 1), EBADF);
	EXPECT_ERRNO("read from the write end", read(fds[1], &c, 1), EBADF);
	EXPECT_RET("write 3 bytes", write(fds[1], "abc", 3), 3);
	int avail = -1;
	EXPECT_RET("ioctl(FIONREAD)", ioctl(fds[0], FIONREAD, &avail), 0);
	EXPECT_RET("FIONREAD counts the 3 bytes", avail, 3);
	avail = -1;
	EXPECT_RET("FIONREAD on the write end counts them too", ioctl(fds[1], FIONREAD, &avail) == 0 && avail == 3, 1);
	EXPECT_ERRNO("pipe2 with an unknown flag", syscall(SYS_pipe2, fds, 0x1), EINVAL);
	EXPECT_ERRNO("pipe2 into a bad pointer", syscall(SYS_pipe2, (void *)1, 0), EFAULT);
	close(fds[0]);
	close(fds[1]);
}

static void check_big_transfer(void)
{
	enum { TOTAL = 1 << 20 };
	int fds[2];
	if (pipe(fds) != 0) {
		tfail("pipe failed: errno=%d", errno);
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		static unsigned char chunk[3000];
		long sent = 0;
		while (sent < TOTAL) {
			long want = TOTAL - sent < (long)sizeof chunk ? TOTAL - sent : (long)sizeof chunk;
			for (long i = 0; i < want; i++)
				chunk[i] = (unsigned char)((sent + i) * 7);
			long n = write(fds[1], chunk, want);
			if (n <= 0)
				_exit(1);
			sent += n;
		}
		_exit(0);
	}
	close(fds[1]);
	static unsigned char buf[8192];
	long got = 0, bad = 0, n;
	while ((n = read(fds[0], buf, sizeof buf)) > 0) {
		for (long i = 0; i < n; i++)
			if (buf[i] != (unsigned char)((got + i) * 7))
				bad++;
		got += n;
	}
	int status = 0;
	waitpid(pid, &status, 0);
	if (got == TOTAL && bad == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		tpass("1 MiB through a pipe between processes arrives intact");
	else
		tfail("1 MiB transfer: got %ld bytes, %ld wrong, writer status %#x", got, bad, status);
	close(fds[0]);
}

static void check_dup(void)
{
	int fds[2];
	if (pipe(fds) != 0) {
		tfail("pipe failed: errno=%d", errno);
		return;
	}
	int d = dup(fds[1]);
	if (d > fds[1])
		tpass("dup returns a new descriptor (%d)", d);
	else
		tfail("dup -> %d", d);
	EXPECT_RET("dup2(fd, fd) returns fd", syscall(SYS_dup2, d, d), d);
	EXPECT_ERRNO("dup3(fd, fd, 0)", syscall(SYS_dup3, d, d, 0), EINVAL);
	EXPECT_ERRNO("dup3 with an unknown flag", syscall(SYS_dup3, d, 50, 1), EINVAL);
	EXPECT_RET("dup3(fd, 50, O_CLOEXEC)", syscall(SYS_dup3, d, 50, O_CLOEXEC), 50);
	EXPECT_RET("F_GETFD after dup3(O_CLOEXEC)", fcntl(50, F_GETFD), FD_CLOEXEC);
	EXPECT_RET("F_SETFD 0", fcntl(50, F_SETFD, 0), 0);
	EXPECT_RET("F_GETFD after F_SETFD 0", fcntl(50, F_GETFD), 0);
	EXPECT_RET("F_DUPFD from 60", fcntl(d, F_DUPFD, 60), 60);
	EXPECT_RET("F_DUPFD_CLOEXEC from 60 takes 61", fcntl(d, F_DUPFD_CLOEXEC, 60), 61);
	EXPECT_RET("F_GETFD of the F_DUPFD_CLOEXEC copy", fcntl(61, F_GETFD), FD_CLOEXEC);
	EXPECT_RET("F_SETFL O_NONBLOCK on one descriptor", fcntl(d, F_SETFL, O_NONBLOCK), 0);
	EXPECT_RET("the status flag is shared by its dup", fcntl(fds[1], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	EXPECT_ERRNO("dup2 from a closed descriptor", syscall(SYS_dup2, 99, 98), EBADF);
	EXPECT_ERRNO("dup2 to a descriptor past the limit", syscall(SYS_dup2, d, 1 << 20), EBADF);
	EXPECT_ERRNO("fcntl with an unknown command", fcntl(d, 9999), EINVAL);
	EXPECT_ERRNO("fcntl on a closed descriptor", fcntl(99, F_GETFD), EBADF);
	/* The pipe stays open while any copy of the write end does. */
	close(fds[1]);
	close(d);
	close(50);
	close(60);
	EXPECT_RET("write through the last copy of the write end", write(61, "z", 1), 1);
	char c = 0;
	EXPECT_RET("read it", read(fds[0], &c, 1), 1);
	close(61);
	EXPECT_RET("EOF once every copy is closed", read(fds[0], &c, 1), 0);
	EXPECT_RET("close", close(fds[0]), 0);
	EXPECT_ERRNO("close twice", close(fds[0]), EBADF);
}

/* F_GETPIPE_SZ / F_SETPIPE_SZ and /proc/sys/fs/pipe-max-size. */
static void check_pipe_size(void)
{
	int fds[2];
	if (pipe2(fds, O_NONBLOCK) != 0)
		return;
	EXPECT_RET("F_GETPIPE_SZ: 64 KiB", fcntl(fds[0], F_GETPIPE_SZ), 65536);
	EXPECT_RET("F_SETPIPE_SZ 1: a page", fcntl(fds[1], F_SETPIPE_SZ, 1), 4096);
	EXPECT_RET("F_SETPIPE_SZ 5000: rounded to 8 KiB", fcntl(fds[1], F_SETPIPE_SZ, 5000), 8192);
	EXPECT_RET("the other end sees it", fcntl(fds[0], F_GETPIPE_SZ), 8192);
	static char buf[10000];
	EXPECT_RET("a write fills 8 KiB", write(fds[1], buf, sizeof buf), 8192);
	EXPECT_ERRNO("then the pipe is full", write(fds[1], buf, 1), EAGAIN);
	EXPECT_ERRNO("F_SETPIPE_SZ below what it holds", fcntl(fds[1], F_SETPIPE_SZ, 4096), EBUSY);
	EXPECT_ERRNO("F_SETPIPE_SZ past 2^31", fcntl(fds[1], F_SETPIPE_SZ, (1UL << 31) + 1), EINVAL);
	int file = open("/proc/self/stat", O_RDONLY);
	EXPECT_RET("a file that is not a pipe opens", file >= 0, 1);
	EXPECT_ERRNO("F_GETPIPE_SZ of a file that is not a pipe", fcntl(file, F_GETPIPE_SZ), EBADF);
	close(file);
	char text[32] = {0};
	int fd = open("/proc/sys/fs/pipe-max-size", O_RDONLY);
	EXPECT_RET("pipe-max-size is 1 MiB", fd >= 0 && read(fd, text, sizeof text - 1) > 0 && atol(text) == 1 << 20, 1);
	if (fd >= 0)
		close(fd);
	pid_t pid = fork();
	if (pid == 0) {
		if (setuid(65534) != 0)
			_exit(3);
		_exit(fcntl(fds[1], F_SETPIPE_SZ, 2 << 20) == -1 && errno == EPERM ? 0 : 1);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_RET("past pipe-max-size without privilege: EPERM", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	close(fds[0]);
	close(fds[1]);
}

static void write_sysctl(const char *name, const char *value)
{
	char path[96];
	snprintf(path, sizeof path, "/proc/sys/fs/%s", name);
	int fd = open(path, O_WRONLY);
	if (fd >= 0) {
		write(fd, value, strlen(value));
		close(fd);
	}
}

/* In a child as user 65534: returns what `f` returns. */
static int as_nobody(int (*f)(void))
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(setuid(65534) == 0 ? f() : 100);
	int status = -1;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 101;
}

static int one_page_pipe(void)
{
	int p[2];
	return pipe(p) == 0 && fcntl(p[1], F_GETPIPE_SZ) == 4096 ? 0 : 1;
}

static int second_pipe_small(void)
{
	int a[2], b[2];
	if (pipe(a) != 0 || fcntl(a[1], F_GETPIPE_SZ) != 65536)
		return 1;
	if (pipe(b) != 0 || fcntl(b[1], F_GETPIPE_SZ) != 8192)
		return 2;
	return 0;
}

static int second_pipe_refused(void)
{
	int a[2], b[2];
	if (pipe(a) != 0)
		return 1;
	if (pipe(b) != -1 || errno != ENFILE)
		return 2;
	/* Nor may the first one grow past the limit. */
	return fcntl(a[1], F_SETPIPE_SZ, 1 << 17) == -1 && errno == EPERM ? 0 : 3;
}

static void check_user_limits(void)
{
	write_sysctl("pipe-max-size", "4096");
	EXPECT_RET("an unprivileged pipe starts at most pipe-max-size", as_nobody(one_page_pipe), 0);
	write_sysctl("pipe-max-size", "1048576");
	write_sysctl("pipe-user-pages-soft", "16");
	EXPECT_RET("past pipe-user-pages-soft, new pipes get two pages", as_nobody(second_pipe_small), 0);
	write_sysctl("pipe-user-pages-soft", "16384");
	write_sysctl("pipe-user-pages-hard", "20");
	EXPECT_RET("past pipe-user-pages-hard, pipe is ENFILE and growing EPERM", as_nobody(second_pipe_refused), 0);
	write_sysctl("pipe-user-pages-hard", "0");
}

int main(void)
{
	struct stat st;
	if (stat("/proc/self", &st) != 0) {
		mkdir("/proc", 0555);
		mount("proc", "/proc", "proc", 0, NULL);
	}
	check_pipe_size();
	check_pipe_between_processes();
	check_epipe();
	check_nonblock_and_flags();
	check_big_transfer();
	check_dup();
	check_user_limits();
	return tdone();
}
