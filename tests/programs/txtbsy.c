/*
 * ETXTBSY: a file that runs as a program cannot be opened for writing,
 * truncated or made anew over its name, while reading it, unlinking it and
 * renaming over it still work; once the program exits it is writable
 * again. A file open for writing cannot be executed. Checked with a copy
 * of this program in /tmp, run by a child that waits on a pipe.
 */
#include "common.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define COPY "/tmp/txtbsy-copy"
#define OTHER "/tmp/txtbsy-other"

static int copy_self(const char *to)
{
	int in = open("/proc/self/exe", O_RDONLY);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	char buf[65536];
	ssize_t n;
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, n) != n)
			return -1;
	close(in);
	close(out);
	return in >= 0 && out >= 0 ? 0 : -1;
}

/* Starts COPY in "wait" mode; returns its pid once it runs. */
static pid_t start_copy(int *release)
{
	int ready[2], hold[2];
	/* Close-on-exec, so that only the copy's fds 3 and 4 stay open in it. */
	if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(hold, O_CLOEXEC) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(ready[1], 3);
		dup2(hold[0], 4);
		char *argv[] = {COPY, "wait", NULL};
		execv(COPY, argv);
		_exit(127);
	}
	close(ready[1]);
	close(hold[0]);
	char c;
	if (read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		return -1;
	}
	close(ready[0]);
	*release = hold[1];
	return pid;
}

/* The exec'd copy: says it runs, then waits for its pipe to close. */
static int wait_mode(void)
{
	char c;
	if (write(3, "r", 1) != 1)
		return 1;
	return read(4, &c, 1) >= 0 ? 0 : 1;
}

static int exec_errno(const char *path)
{
	int p[2];
	pipe2(p, O_CLOEXEC);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = {(char *)path, "exit", NULL};
		execv(path, argv);
		int e = errno;
		write(p[1], &e, sizeof e);
		_exit(127);
	}
	close(p[1]);
	int e = 0;
	if (read(p[0], &e, sizeof e) != sizeof e)
		e = 0;
	close(p[0]);
	waitpid(pid, NULL, 0);
	return e;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "wait") == 0)
		return wait_mode();
	if (argc > 1 && strcmp(argv[1], "exit") == 0)
		return 0;
	struct stat st;
	if (stat("/proc/self", &st) != 0) {
		mkdir("/proc", 0555);
		mount("proc", "/proc", "proc", 0, NULL);
	}
	mkdir("/tmp", 01777);
	if (copy_self(COPY) != 0) {
		tfail("cannot copy the program to %s", COPY);
		return tdone();
	}
	int release;
	pid_t pid = start_copy(&release);
	if (pid < 0) {
		tfail("the copy did not start");
		return tdone();
	}
	EXPECT_ERRNO("open O_WRONLY of a running program", open(COPY, O_WRONLY), ETXTBSY);
	EXPECT_ERRNO("open O_RDWR of a running program", open(COPY, O_RDWR), ETXTBSY);
	EXPECT_ERRNO("creat over a running program", creat(COPY, 0755), ETXTBSY);
	EXPECT_ERRNO("truncate of a running program", truncate(COPY, 0), ETXTBSY);
	int fd = open(COPY, O_RDONLY);
	EXPECT_RET("open O_RDONLY of a running program", fd >= 0, 1);
	close(fd);
	EXPECT_RET("a second run of the running program", exec_errno(COPY), 0);
	EXPECT_RET("a link to it", link(COPY, OTHER), 0);
	EXPECT_ERRNO("open O_WRONLY through the link", open(OTHER, O_WRONLY), ETXTBSY);
	EXPECT_RET("unlink of the link", unlink(OTHER), 0);
	close(release);
	waitpid(pid, NULL, 0);
	fd = open(COPY, O_WRONLY);
	EXPECT_RET("open O_WRONLY once the program exited", fd >= 0, 1);
	EXPECT_RET("exec of a file open for writing: ETXTBSY", exec_errno(COPY), ETXTBSY);
	close(fd);
	EXPECT_RET("exec once it is closed", exec_errno(COPY), 0);

	pid = start_copy(&release);
	EXPECT_RET("rename over a running program", rename(COPY, OTHER), 0);
	EXPECT_ERRNO("open O_WRONLY under its new name", open(OTHER, O_WRONLY), ETXTBSY);
	EXPECT_RET("unlink of a running program", unlink(OTHER), 0);
	close(release);
	waitpid(pid, NULL, 0);
	return tdone();
}
