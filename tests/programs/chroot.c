/*
 * chroot(2): absolute paths, absolute symlinks and ".." stay inside the
 * new root; getcwd of a directory outside it starts with
 * "(unreachable)"; a fork's child inherits the root; the errnos for a
 * file (ENOTDIR), a missing path (ENOENT), an unsearchable directory
 * (EACCES) and an unprivileged caller (EPERM).
 */
#include "common.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define JAIL "/tmp/chroot.jail"

static int jailed(void)
{
	char cwd[256];
	if (chroot(JAIL) != 0)
		return 1;
	/* The working directory is still outside (the raw call: musl's getcwd
	 * refuses a path that does not start with '/'). */
	if (syscall(SYS_getcwd, cwd, sizeof(cwd)) <= 0 || strncmp(cwd, "(unreachable)", 13) != 0)
		return 2;
	if (chdir("/") != 0 || !getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/") != 0)
		return 3;
	int fd = open("/inside", O_RDONLY);
	char buf[8] = {0};
	if (fd < 0 || read(fd, buf, sizeof(buf)) != 6 || memcmp(buf, "inside", 6) != 0)
		return 4;
	struct stat root, up, via_link;
	if (stat("/", &root) || stat("/../..", &up) || root.st_ino != up.st_ino)
		return 5;
	if (stat("/link", &via_link) || via_link.st_ino != root.st_ino)
		return 6; /* "/link" -> "/" is the new root */
	if (access("/tmp", F_OK) == 0)
		return 7; /* the old /tmp is out of sight */
	if (chdir("sub") || !getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/sub") != 0)
		return 8;
	pid_t pid = fork();
	if (pid == 0)
		_exit(access("/inside", F_OK) == 0 ? 0 : 1);
	int status = -1;
	waitpid(pid, &status, 0);
	return status == 0 ? 0 : 9;
}

static int unprivileged(void)
{
	if (setresuid(65534, 65534, 65534))
		return 1;
	if (chroot(JAIL) != -1 || errno != EPERM)
		return 2;
	if (chroot(JAIL "/locked/sub") != -1 || errno != EACCES)
		return 3;
	return 0;
}

int main(void)
{
	mkdir("/tmp", 01777);
	mkdir(JAIL, 0755);
	mkdir(JAIL "/sub", 0755);
	mkdir(JAIL "/locked", 0700);
	mkdir(JAIL "/locked/sub", 0755);
	int fd = open(JAIL "/inside", O_CREAT | O_TRUNC | O_WRONLY, 0644);
	write(fd, "inside", 6);
	close(fd);
	unlink(JAIL "/link");
	symlink("/", JAIL "/link");
	EXPECT_RET("inside chroot: paths, symlinks, .. and getcwd stay in the new root", in_child(jailed), 0);
	EXPECT_ERRNO("chroot of a file", chroot(JAIL "/inside"), ENOTDIR);
	EXPECT_ERRNO("chroot of a missing path", chroot(JAIL "/missing"), ENOENT);
	EXPECT_RET("unprivileged: EPERM, and EACCES where it may not search", in_child(unprivileged), 0);
	char cwd[256];
	EXPECT_RET("this process's root is unchanged", getcwd(cwd, sizeof(cwd)) != NULL && cwd[0] == '/', 1);
	return tdone();
}
