/*
 * Extended attributes on tmpfs: security.* and trusted.* set, read,
 * listed and removed through a path, a symlink itself and a descriptor;
 * XATTR_CREATE (EEXIST) and XATTR_REPLACE (ENODATA); a buffer too small
 * (ERANGE) or of size 0 (the length); an unprivileged caller may read
 * security.* but not change it (EPERM), and neither sees nor reads
 * trusted.* (ENODATA); ramfs keeps none (EOPNOTSUPP).
 */
#include "common.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#define DIR_PATH "/tmp/xattr.d"

static int listed(const char *path, const char *name)
{
	char list[512];
	ssize_t n = listxattr(path, list, sizeof(list));
	for (ssize_t i = 0; i < n; i += strlen(list + i) + 1)
		if (strcmp(list + i, name) == 0)
			return 1;
	return 0;
}

static int unprivileged(void)
{
	if (setresuid(65534, 65534, 65534))
		return 1;
	char buf[16];
	if (getxattr(DIR_PATH "/m/f", "security.label", buf, sizeof(buf)) != 2)
		return 2;
	if (setxattr(DIR_PATH "/m/f", "security.label", "x", 1, 0) != -1 || errno != EPERM)
		return 3;
	if (getxattr(DIR_PATH "/m/f", "trusted.secret", buf, sizeof(buf)) != -1 || errno != ENODATA)
		return 4;
	if (listed(DIR_PATH "/m/f", "trusted.secret") || !listed(DIR_PATH "/m/f", "security.label"))
		return 5;
	return 0;
}

int main(void)
{
	mkdir("/tmp", 01777);
	mkdir(DIR_PATH, 0755);
	mkdir(DIR_PATH "/m", 0755);
	if (mount("tmpfs", DIR_PATH "/m", "tmpfs", 0, NULL) != 0) {
		tfail("mount tmpfs: errno %d", errno);
		return tdone();
	}
	int fd = open(DIR_PATH "/m/f", O_CREAT | O_RDWR, 0644);
	symlink("f", DIR_PATH "/m/link");
	const char *f = DIR_PATH "/m/f";
	EXPECT_RET("setxattr security.label", setxattr(f, "security.label", "ok", 2, 0), 0);
	char buf[16] = {0};
	EXPECT_RET("getxattr reads it", getxattr(f, "security.label", buf, sizeof(buf)), 2);
	EXPECT_RET("the value", memcmp(buf, "ok", 2), 0);
	EXPECT_RET("size 0 asks for the length", getxattr(f, "security.label", NULL, 0), 2);
	EXPECT_ERRNO("a buffer too small", getxattr(f, "security.label", buf, 1), ERANGE);
	EXPECT_ERRNO("XATTR_CREATE of a name there", setxattr(f, "security.label", "x", 1, XATTR_CREATE), EEXIST);
	EXPECT_ERRNO("XATTR_REPLACE of a name not there", setxattr(f, "security.none", "x", 1, XATTR_REPLACE), ENODATA);
	EXPECT_RET("XATTR_REPLACE of a name there", setxattr(f, "security.label", "no", 2, XATTR_REPLACE), 0);
	EXPECT_RET("fsetxattr trusted.secret", fsetxattr(fd, "trusted.secret", "s", 1, 0), 0);
	EXPECT_RET("fgetxattr", fgetxattr(fd, "trusted.secret", buf, sizeof(buf)), 1);
	EXPECT_RET("listxattr names both", listed(f, "security.label") && listed(f, "trusted.secret"), 1);
	EXPECT_RET("through the symlink (followed)", listed(DIR_PATH "/m/link", "security.label"), 1);
	EXPECT_RET("lsetxattr on the symlink itself", lsetxattr(DIR_PATH "/m/link", "trusted.own", "l", 1, 0), 0);
	EXPECT_RET("lgetxattr reads the link's", lgetxattr(DIR_PATH "/m/link", "trusted.own", buf, sizeof(buf)), 1);
	EXPECT_ERRNO("the file has none of that name", getxattr(f, "trusted.own", buf, sizeof(buf)), ENODATA);
	EXPECT_RET("unprivileged: reads security.*, may not change it, sees no trusted.*", 
		   ({ pid_t p = fork(); if (p == 0) _exit(unprivileged()); int st = -1; waitpid(p, &st, 0); WIFEXITED(st) ? WEXITSTATUS(st) : 99; }), 0);
	EXPECT_RET("removexattr", removexattr(f, "security.label"), 0);
	EXPECT_ERRNO("it is gone", getxattr(f, "security.label", buf, sizeof(buf)), ENODATA);
	EXPECT_ERRNO("removing it again", removexattr(f, "security.label"), ENODATA);
	EXPECT_ERRNO("flags other than CREATE and REPLACE", setxattr(f, "security.x", "v", 1, 4), EINVAL);
	EXPECT_ERRNO("an empty name", setxattr(f, "", "v", 1, 0), ERANGE);
	close(fd);
	umount(DIR_PATH "/m");
	if (mount("ramfs", DIR_PATH "/m", "ramfs", 0, NULL) == 0) {
		close(open(DIR_PATH "/m/r", O_CREAT | O_RDWR, 0644));
		EXPECT_ERRNO("ramfs keeps no attributes", setxattr(DIR_PATH "/m/r", "security.x", "v", 1, 0), EOPNOTSUPP);
		umount(DIR_PATH "/m");
	}
	return tdone();
}
