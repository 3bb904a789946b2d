/*
 * execveat(2): a path from a directory descriptor, the file behind a
 * descriptor itself (AT_EMPTY_PATH, which fexecve uses), AT_SYMLINK_NOFOLLOW,
 * the name the new program is told (AT_EXECFN: /dev/fd/N, /dev/fd/N/path),
 * and the errors. The program runs itself: `execveat report` prints its
 * AT_EXECFN on a pipe and exits 0.
 */
#include "common.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int report_fd = -1;

/* Runs execveat in a child whose output goes to a pipe; returns the
 * child's exit status and its AT_EXECFN line in `seen`, or -errno when
 * execveat failed. */
static int run(int dirfd, const char *path, int flags, char *seen, size_t size)
{
	int p[2];
	if (pipe(p) != 0)
		return -1000;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		char fd[16];
		snprintf(fd, sizeof fd, "%d", p[1]);
		char *argv[] = {"execveat", "report", fd, NULL};
		char *envp[] = {NULL};
		syscall(SYS_execveat, dirfd, path, argv, envp, flags);
		int e = errno;
		if (write(p[1], &e, sizeof e) != sizeof e)
			_exit(3);
		_exit(2);
	}
	close(p[1]);
	memset(seen, 0, size);
	ssize_t n = read(p[0], seen, size - 1);
	close(p[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2 && n == sizeof(int))
		return -*(int *)seen;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

static void report(const char *fd)
{
	report_fd = atoi(fd);
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	dprintf(report_fd, "%s", execfn ? execfn : "(none)");
	exit(0);
}

/* An empty argv: Linux since 5.18 gives the program argc 1 and an empty
 * argv[0]. The child reports what it got through the descriptor named in
 * its environment. */
static void check_empty_argv(const char *self)
{
	int p[2];
	if (pipe(p) != 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		char env[64];
		snprintf(env, sizeof env, "EXECVEAT_ARGC0_FD=%d", p[1]);
		char *argv[] = {NULL};
		char *envp[] = {env, NULL};
		execve(self, argv, envp);
		_exit(2);
	}
	close(p[1]);
	char seen[64] = {0};
	if (read(p[0], seen, sizeof seen - 1) < 0)
		seen[0] = 0;
	close(p[0]);
	waitpid(pid, NULL, 0);
	EXPECT_RET("execve with an empty argv: argc 1, argv[0] \"\"", strcmp(seen, "argc=1 argv0=\"\""), 0);
}

int main(int argc, char **argv)
{
	const char *argc0_fd = getenv("EXECVEAT_ARGC0_FD");
	if (argc0_fd) {
		dprintf(atoi(argc0_fd), "argc=%d argv0=\"%s\"", argc, argc > 0 && argv[0] ? argv[0] : "(null)");
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "report") == 0)
		report(argv[2]);
	char self[256], dir[256], seen[256], want[300];
	if (!realpath(argv[0], self)) {
		tfail("realpath(%s): %s", argv[0], errno_name(errno));
		return tdone();
	}
	strcpy(dir, self);
	char *slash = strrchr(dir, '/');
	const char *base = slash + 1;
	*slash = 0;
	int dirfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY);
	int exefd = open(self, O_RDONLY);
	int pathfd = open(self, O_PATH);

	EXPECT_RET("execveat(AT_FDCWD, absolute path) runs it", run(AT_FDCWD, self, 0, seen, sizeof seen), 0);
	EXPECT_RET("  told its path", strcmp(seen, self), 0);
	EXPECT_RET("execveat(dirfd, relative name) runs it", run(dirfd, base, 0, seen, sizeof seen), 0);
	snprintf(want, sizeof want, "/dev/fd/%d/%s", dirfd, base);
	EXPECT_RET("  told /dev/fd/N/name", strcmp(seen, want), 0);
	EXPECT_RET("execveat(fd, \"\", AT_EMPTY_PATH) runs the file", run(exefd, "", AT_EMPTY_PATH, seen, sizeof seen), 0);
	snprintf(want, sizeof want, "/dev/fd/%d", exefd);
	EXPECT_RET("  told /dev/fd/N", strcmp(seen, want), 0);
	EXPECT_RET("an O_PATH descriptor with AT_EMPTY_PATH runs too", run(pathfd, "", AT_EMPTY_PATH, seen, sizeof seen), 0);
	EXPECT_RET("an empty path without AT_EMPTY_PATH: ENOENT", run(exefd, "", 0, seen, sizeof seen), -ENOENT);
	EXPECT_RET("unknown flags: EINVAL", run(AT_FDCWD, self, 0x4, seen, sizeof seen), -EINVAL);
	EXPECT_RET("a relative name from a closed descriptor: EBADF", run(999, base, 0, seen, sizeof seen), -EBADF);
	EXPECT_RET("a relative name from a file's descriptor: ENOTDIR", run(exefd, base, 0, seen, sizeof seen),
		   -ENOTDIR);

	char link[300];
	snprintf(link, sizeof link, "/tmp/execveat-%d", (int)getpid());
	unlink(link);
	if (symlink(self, link) != 0) {
		tfail("symlink: %s", errno_name(errno));
	} else {
		EXPECT_RET("a symlink is followed", run(AT_FDCWD, link, 0, seen, sizeof seen), 0);
		EXPECT_RET("AT_SYMLINK_NOFOLLOW on a symlink: ELOOP",
			   run(AT_FDCWD, link, AT_SYMLINK_NOFOLLOW, seen, sizeof seen), -ELOOP);
		unlink(link);
	}
	int dirself = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY);
	EXPECT_RET("AT_EMPTY_PATH on a directory: EACCES", run(dirself, "", AT_EMPTY_PATH, seen, sizeof seen), -EACCES);
	check_empty_argv(self);
	return tdone();
}
