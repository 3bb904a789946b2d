/*
 * The path walk: symlinks (followed, not followed, relative to their own
 * directory, dangling, loops, the 40-link limit), trailing slashes, "." and
 * "..", repeated slashes, ENOTDIR in the middle of a path, NAME_MAX and
 * PATH_MAX, directory descriptors and AT_EMPTY_PATH for the *at calls,
 * readlink, chdir/fchdir/getcwd, execve of a relative path, and O_TMPFILE
 * files (unnamed until linkat names them; never with O_EXCL).
 */
#include "common.h"

#include <fcntl.h>
#include <limits.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char dir[64];

static void touch(const char *name)
{
	int fd = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0)
		tfail("creating %s: errno=%d %s", name, errno, errno_name(errno));
	write(fd, "data", 4);
	close(fd);
}

static ino_t ino_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static void check_symlinks(void)
{
	struct stat st;
	touch("file");
	mkdir("sub", 0755);
	EXPECT_RET("symlink(file, link)", symlink("file", "link"), 0);
	EXPECT_RET("stat follows the symlink", stat("link", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4, 1);
	EXPECT_RET("lstat does not", lstat("link", &st) == 0 && S_ISLNK(st.st_mode), 1);
	EXPECT_RET("a symlink's size is its target's length", st.st_size, 4);
	EXPECT_RET("a symlink's mode is 0777", st.st_mode & 07777, 0777);
	EXPECT_RET("a relative target counts from the link's directory", symlink("../file", "sub/up"), 0);
	EXPECT_RET("stat through it", ino_of("sub/up"), ino_of("file"));
	char abs[128];
	snprintf(abs, sizeof abs, "%s/file", dir);
	symlink(abs, "sub/abs");
	EXPECT_RET("an absolute target", ino_of("sub/abs"), ino_of("file"));
	symlink("nowhere", "dangling");
	EXPECT_ERRNO("stat of a dangling symlink", stat("dangling", &st), ENOENT);
	EXPECT_RET("lstat of a dangling symlink", lstat("dangling", &st), 0);
	symlink("loop2", "loop1");
	symlink("loop1", "loop2");
	EXPECT_ERRNO("stat of a symlink loop", stat("loop1", &st), ELOOP);
	EXPECT_ERRNO("open of a symlink loop", open("loop1", O_RDONLY), ELOOP);
	EXPECT_ERRNO("O_NOFOLLOW on a symlink", open("link", O_RDONLY | O_NOFOLLOW), ELOOP);
	EXPECT_ERRNO("O_CREAT|O_NOFOLLOW on a symlink", open("link", O_CREAT | O_RDWR | O_NOFOLLOW, 0644), ELOOP);
	int fd = open("link", O_PATH | O_NOFOLLOW);
	EXPECT_RET("O_PATH|O_NOFOLLOW opens the symlink itself", fstat(fd, &st) == 0 && S_ISLNK(st.st_mode), 1);
	char buf[16] = {0};
	EXPECT_RET("readlinkat(fd, \"\") reads that symlink", syscall(SYS_readlinkat, fd, "", buf, sizeof buf), 4);
	close(fd);
	fd = open("dangling", O_CREAT | O_WRONLY, 0600);
	EXPECT_RET("O_CREAT through a dangling symlink creates the target", fd >= 0 && ino_of("nowhere") != 0, 1);
	close(fd);
	unlink("nowhere");
	EXPECT_ERRNO("O_CREAT|O_EXCL on a dangling symlink", open("dangling", O_CREAT | O_EXCL | O_WRONLY, 0600),
		     EEXIST);

	/* Linux follows 40 symlinks in one lookup and no more. */
	char name[16], prev[16] = "file";
	for (int i = 0; i <= 40; i++) {
		snprintf(name, sizeof name, "chain%d", i);
		symlink(prev, name);
		strcpy(prev, name);
	}
	EXPECT_RET("a chain of 40 symlinks resolves", ino_of("chain39"), ino_of("file"));
	EXPECT_ERRNO("a chain of 41 is ELOOP", stat("chain40", &st), ELOOP);
	for (int i = 0; i <= 40; i++) {
		snprintf(name, sizeof name, "chain%d", i);
		unlink(name);
	}

	/* Nested: each link's target goes through the previous link. */
	symlink(".", "nest0");
	for (int i = 1; i <= 40; i++) {
		char target[16];
		snprintf(name, sizeof name, "nest%d", i);
		snprintf(target, sizeof target, "nest%d/", i - 1);
		symlink(target, name);
	}
	EXPECT_RET("40 nested directory symlinks in the middle of a path", ino_of("nest39/file"), ino_of("file"));
	EXPECT_ERRNO("41 are ELOOP", stat("nest40/file", &st), ELOOP);
	for (int i = 0; i <= 40; i++) {
		snprintf(name, sizeof name, "nest%d", i);
		unlink(name);
	}
	symlink("file/", "slashlink");
	EXPECT_ERRNO("a symlink whose target ends in a slash, to a file", stat("slashlink", &st), ENOTDIR);
	EXPECT_RET("lstat of it works", lstat("slashlink", &st), 0);
	unlink("slashlink");

	/* readlink. */
	memset(buf, 'x', sizeof buf);
	EXPECT_RET("readlink returns the target's length", readlink("link", buf, sizeof buf), 4);
	EXPECT_RET("without a NUL", memcmp(buf, "filex", 5), 0);
	EXPECT_RET("readlink truncates to the buffer", readlink("sub/up", buf, 3), 3);
	EXPECT_RET("the truncated target", memcmp(buf, "../", 3), 0);
	EXPECT_ERRNO("readlink of a regular file", readlink("file", buf, sizeof buf), EINVAL);
	EXPECT_ERRNO("readlink of a missing name", readlink("missing", buf, sizeof buf), ENOENT);
	EXPECT_ERRNO("readlink with size 0", syscall(SYS_readlink, "link", buf, 0), EINVAL);
	EXPECT_ERRNO("readlinkat(AT_FDCWD, \"\")", syscall(SYS_readlinkat, AT_FDCWD, "", buf, 8), ENOENT);
	EXPECT_ERRNO("symlink with an empty target", symlink("", "empty"), ENOENT);
	EXPECT_ERRNO("symlink over an existing name", symlink("x", "file"), EEXIST);
}

static void check_dots_and_slashes(void)
{
	struct stat st;
	EXPECT_RET("sub/.. is the directory itself", ino_of("sub/.."), ino_of("."));
	EXPECT_RET("/.. is the root", ino_of("/.."), ino_of("/"));
	EXPECT_RET("/../../.. is the root", ino_of("/../../.."), ino_of("/"));
	EXPECT_RET("repeated slashes", ino_of(".//sub///..//file"), ino_of("file"));
	EXPECT_RET("a directory with a trailing slash", stat("sub/", &st) == 0 && S_ISDIR(st.st_mode), 1);
	EXPECT_ERRNO("a file with a trailing slash", stat("file/", &st), ENOTDIR);
	EXPECT_ERRNO("a file followed by /.", stat("file/.", &st), ENOTDIR);
	EXPECT_ERRNO("a missing name with a trailing slash", stat("missing/", &st), ENOENT);
	EXPECT_ERRNO("a file in the middle of a path", stat("file/x", &st), ENOTDIR);
	EXPECT_ERRNO("a missing directory in the middle", stat("missing/x", &st), ENOENT);
	EXPECT_ERRNO("an empty path", stat("", &st), ENOENT);
	symlink("sub", "dirlink");
	EXPECT_RET("lstat of a symlink to a directory", lstat("dirlink", &st) == 0 && S_ISLNK(st.st_mode), 1);
	EXPECT_RET("a trailing slash follows it even for lstat", lstat("dirlink/", &st) == 0 && S_ISDIR(st.st_mode),
		   1);
	EXPECT_ERRNO("a symlink to a file with a trailing slash", lstat("link/", &st), ENOTDIR);
	EXPECT_RET("a symlink in the middle of a path", ino_of("dirlink/up"), ino_of("file"));
}

static void check_name_limits(void)
{
	char name[300];
	memset(name, 'n', 255);
	name[255] = 0;
	int fd = open(name, O_CREAT | O_WRONLY, 0644);
	EXPECT_RET("a 255-byte name can be created", fd >= 0, 1);
	close(fd);
	unlink(name);
	memset(name, 'n', 256);
	name[256] = 0;
	EXPECT_ERRNO("a 256-byte name", open(name, O_CREAT | O_WRONLY, 0644), ENAMETOOLONG);
	struct stat st;
	EXPECT_ERRNO("stat of a 256-byte name", stat(name, &st), ENAMETOOLONG);

	/* PATH_MAX counts the NUL: 4095 bytes are fine, 4096 are not. */
	static char path[PATH_MAX + 8];
	size_t n = 0;
	while (n + 2 + 4 < PATH_MAX - 1)
		n += (size_t)snprintf(path + n, sizeof path - n, "./");
	while (n + 4 < PATH_MAX - 1)
		path[n++] = '/';
	strcpy(path + n, "file");
	EXPECT_RET("a path of 4095 bytes", strlen(path), PATH_MAX - 1);
	EXPECT_RET("resolves", stat(path, &st), 0);
	memmove(path + 1, path, strlen(path) + 1);
	path[0] = '.';
	path[1] = '/';
	EXPECT_ERRNO("a path of 4096 bytes", stat(path, &st), ENAMETOOLONG);
}

static void check_at_calls(void)
{
	struct stat st, st2;
	int dfd = open("sub", O_RDONLY | O_DIRECTORY);
	EXPECT_RET("fstatat relative to a directory descriptor", fstatat(dfd, "up", &st, 0), 0);
	EXPECT_RET("follows the symlink", S_ISREG(st.st_mode), 1);
	EXPECT_RET("fstatat with AT_SYMLINK_NOFOLLOW", fstatat(dfd, "up", &st, AT_SYMLINK_NOFOLLOW), 0);
	EXPECT_RET("shows the symlink", S_ISLNK(st.st_mode), 1);
	EXPECT_RET("fstatat(fd, \"\", AT_EMPTY_PATH)", fstatat(dfd, "", &st, AT_EMPTY_PATH), 0);
	fstat(dfd, &st2);
	EXPECT_RET("is the descriptor's own file", st.st_ino, st2.st_ino);
	EXPECT_ERRNO("fstatat(fd, \"\") without AT_EMPTY_PATH", fstatat(dfd, "", &st, 0), ENOENT);
	EXPECT_ERRNO("newfstatat with an unknown flag", syscall(SYS_newfstatat, dfd, "up", &st, 0x1), EINVAL);
	EXPECT_ERRNO("fstatat relative to a bad descriptor", fstatat(99, "x", &st, 0), EBADF);
	int ffd = open("file", O_RDONLY);
	EXPECT_ERRNO("fstatat relative to a file descriptor", fstatat(ffd, "x", &st, 0), ENOTDIR);
	EXPECT_RET("AT_EMPTY_PATH works on a file descriptor", fstatat(ffd, "", &st, AT_EMPTY_PATH), 0);
	close(ffd);
	int pfd = open("sub", O_PATH | O_DIRECTORY);
	EXPECT_RET("an O_PATH directory descriptor works as dirfd", fstatat(pfd, "up", &st, 0), 0);
	close(pfd);
	EXPECT_RET("mkdirat relative to a descriptor", mkdirat(dfd, "inner", 0755), 0);
	EXPECT_RET("it is there", stat("sub/inner", &st) == 0 && S_ISDIR(st.st_mode), 1);
	EXPECT_RET("unlinkat(AT_REMOVEDIR) relative to a descriptor", unlinkat(dfd, "inner", AT_REMOVEDIR), 0);
	close(dfd);
}

static void check_cwd(void)
{
	char buf[256];
	EXPECT_RET("getcwd is the test directory", strcmp(getcwd(buf, sizeof buf), dir), 0);
	EXPECT_ERRNO("getcwd into a small buffer", syscall(SYS_getcwd, buf, 4), ERANGE);
	EXPECT_RET("raw getcwd returns the length with the NUL", syscall(SYS_getcwd, buf, sizeof buf),
		   (long)strlen(dir) + 1);
	EXPECT_ERRNO("chdir to a file", chdir("file"), ENOTDIR);
	EXPECT_ERRNO("chdir to a missing name", chdir("missing"), ENOENT);
	EXPECT_RET("chdir through a symlink", chdir("dirlink"), 0);
	char want[128];
	snprintf(want, sizeof want, "%s/sub", dir);
	EXPECT_RET("getcwd shows the real directory", strcmp(getcwd(buf, sizeof buf), want), 0);
	EXPECT_RET("relative paths start there", ino_of("up"), ino_of("../file"));
	EXPECT_RET("chdir(\"..\")", chdir(".."), 0);
	EXPECT_RET("getcwd after chdir(\"..\")", strcmp(getcwd(buf, sizeof buf), dir), 0);

	int fd = open("sub", O_RDONLY | O_DIRECTORY);
	EXPECT_RET("fchdir", fchdir(fd), 0);
	EXPECT_RET("getcwd after fchdir", strcmp(getcwd(buf, sizeof buf), want), 0);
	close(fd);
	chdir(dir);
	fd = open("file", O_RDONLY);
	EXPECT_ERRNO("fchdir to a file", fchdir(fd), ENOTDIR);
	close(fd);
	EXPECT_ERRNO("fchdir to a bad descriptor", fchdir(99), EBADF);

	/* The working directory is a directory, not a path: it follows renames. */
	mkdir("a", 0755);
	mkdir("a/b", 0755);
	chdir("a/b");
	rename("../../a", "../../moved");
	snprintf(want, sizeof want, "%s/moved/b", dir);
	EXPECT_RET("getcwd follows a rename of a parent", strcmp(getcwd(buf, sizeof buf), want), 0);
	ino_t parent = ino_of("..");
	rmdir("../b");
	EXPECT_ERRNO("getcwd after the directory was removed", syscall(SYS_getcwd, buf, sizeof buf), ENOENT);
	EXPECT_ERRNO("creating in a removed directory", open("x", O_CREAT | O_WRONLY, 0644), ENOENT);
	EXPECT_RET("\"..\" of a removed directory still leads up", ino_of(".."), parent);
	chdir(dir);
	rmdir("moved");
}

static void check_exec_relative(void)
{
	int fd = open("script.sh", O_CREAT | O_WRONLY | O_TRUNC, 0755);
	const char text[] = "#!/bin/sh\nexit 3\n";
	write(fd, text, sizeof text - 1);
	close(fd);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = {"script.sh", NULL};
		execve("./script.sh", argv, NULL);
		_exit(100 + errno);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_RET("execve of a relative path runs from the working directory", WEXITSTATUS(status), 3);
	chmod("script.sh", 0644);
	char *argv[] = {"x", NULL};
	EXPECT_ERRNO("execve of a file without execute permission", execve("./script.sh", argv, NULL), EACCES);
	EXPECT_ERRNO("execve of a directory", execve("sub", argv, NULL), EACCES);
	EXPECT_ERRNO("execve of a missing file", execve("./missing", argv, NULL), ENOENT);
	unlink("script.sh");
}

static void cleanup(void)
{
	const char *names[] = {"file", "link", "sub/up", "sub/abs", "dangling", "loop1", "loop2", "dirlink"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		unlink(names[i]);
	rmdir("sub");
	chdir("/");
	EXPECT_RET("the test directory is empty at the end", rmdir(dir), 0);
}

static int entries(void)
{
	int n = 0;
	DIR *d = opendir(".");
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static void check_tmpfile(void)
{
	int before = entries();
	int fd = open(".", O_TMPFILE | O_RDWR, 0600);
	if (fd < 0 && errno == EOPNOTSUPP) {
		/* A filesystem without unnamed files, as Linux answers. */
		tpass("O_TMPFILE: EOPNOTSUPP on this filesystem");
		return;
	}
	EXPECT_RET("open(O_TMPFILE) of a directory", fd >= 0, 1);
	write(fd, "tmp", 3);
	struct stat st;
	fstat(fd, &st);
	EXPECT_RET("a regular file with no link", S_ISREG(st.st_mode) && st.st_nlink == 0 && st.st_size == 3, 1);
	EXPECT_RET("no name appeared", entries(), before);
	EXPECT_RET("linkat(AT_EMPTY_PATH) names it", linkat(fd, "", AT_FDCWD, "named", AT_EMPTY_PATH), 0);
	EXPECT_RET("the name holds its bytes", stat("named", &st) == 0 && st.st_size == 3 && st.st_nlink == 1, 1);
	close(fd);
	unlink("named");
	fd = open(".", O_TMPFILE | O_RDWR | O_EXCL, 0600);
	EXPECT_ERRNO("with O_EXCL it may never be named", linkat(fd, "", AT_FDCWD, "never", AT_EMPTY_PATH), ENOENT);
	close(fd);
	EXPECT_ERRNO("O_TMPFILE read-only", open(".", O_TMPFILE | O_RDONLY, 0600), EINVAL);
	touch("plainfile");
	EXPECT_ERRNO("O_TMPFILE of a file", open("plainfile", O_TMPFILE | O_RDWR, 0600), ENOTDIR);
	unlink("plainfile");
}

int main(void)
{
	strcpy(dir, "/tmp/fspathXXXXXX");
	if (!mkdtemp(dir) || chdir(dir) != 0) {
		tfail("cannot make a test directory under /tmp: errno=%d %s", errno, errno_name(errno));
		return tdone();
	}
	check_symlinks();
	check_dots_and_slashes();
	check_name_limits();
	check_at_calls();
	check_cwd();
	check_exec_relative();
	check_tmpfile();
	cleanup();
	return tdone();
}
