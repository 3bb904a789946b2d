/*
 * Directories and names: mkdir/mkdirat, rmdir, unlink/unlinkat, link/linkat,
 * rename/renameat/renameat2 (RENAME_NOREPLACE, RENAME_EXCHANGE), link counts,
 * and getdents64 (".", "..", d_type, d_ino, d_off cookies that lseek resumes
 * from, a buffer too small, removal while reading).
 */
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

static char dir[64];

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static void touch(const char *name, const char *data)
{
	int fd = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0)
		tfail("creating %s: errno=%d %s", name, errno, errno_name(errno));
	write(fd, data, strlen(data));
	close(fd);
}

static struct stat st_of(const char *path)
{
	struct stat st;
	memset(&st, 0, sizeof st);
	lstat(path, &st);
	return st;
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static int read_byte(const char *path)
{
	char c = 0;
	int fd = open(path, O_RDONLY);
	read(fd, &c, 1);
	close(fd);
	return c;
}

static void check_mkdir_rmdir(void)
{
	umask(022);
	nlink_t parent_links = st_of(".").st_nlink;
	EXPECT_RET("mkdir", mkdir("d", 0777), 0);
	struct stat st = st_of("d");
	EXPECT_RET("is a directory with mode 0777 & ~umask", st.st_mode, S_IFDIR | 0755);
	EXPECT_RET("a new directory has 2 links", st.st_nlink, 2);
	EXPECT_RET("its parent gained a link", st_of(".").st_nlink, parent_links + 1);
	mkdir("d/e", 0700);
	EXPECT_RET("a subdirectory adds a link", st_of("d").st_nlink, 3);
	EXPECT_RET("mkdir keeps the sticky bit", mkdir("sticky", 01777), 0);
	EXPECT_RET("sticky's mode", st_of("sticky").st_mode & 07777, 01755);
	EXPECT_RET("mkdir with a trailing slash", mkdir("slash/", 0755), 0);
	touch("file", "f");
	symlink("nowhere", "dangling");
	EXPECT_ERRNO("mkdir over a directory", mkdir("d", 0755), EEXIST);
	EXPECT_ERRNO("mkdir over a file", mkdir("file", 0755), EEXIST);
	EXPECT_ERRNO("mkdir over a dangling symlink", mkdir("dangling", 0755), EEXIST);
	EXPECT_ERRNO("mkdir \".\"", mkdir(".", 0755), EEXIST);
	EXPECT_ERRNO("mkdir \"/\"", mkdir("/", 0755), EEXIST);
	EXPECT_ERRNO("mkdir below a missing directory", mkdir("missing/x", 0755), ENOENT);
	EXPECT_ERRNO("mkdir below a file", mkdir("file/x", 0755), ENOTDIR);

	EXPECT_ERRNO("rmdir of a non-empty directory", rmdir("d"), ENOTEMPTY);
	EXPECT_ERRNO("rmdir of a file", rmdir("file"), ENOTDIR);
	EXPECT_ERRNO("rmdir of a missing name", rmdir("missing"), ENOENT);
	EXPECT_ERRNO("rmdir of \".\"", rmdir("d/e/."), EINVAL);
	EXPECT_ERRNO("rmdir of \"..\"", rmdir("d/e/.."), ENOTEMPTY);
	EXPECT_ERRNO("rmdir of \"/\"", rmdir("/"), EBUSY);
	EXPECT_ERRNO("rmdir of a symlink", rmdir("dangling"), ENOTDIR);
	EXPECT_RET("rmdir with a trailing slash", rmdir("d/e/"), 0);
	EXPECT_RET("the parent lost the link", st_of("d").st_nlink, 2);
	EXPECT_RET("rmdir", rmdir("d"), 0);
	EXPECT_RET("the test directory is back to its links", st_of(".").st_nlink, parent_links + 2);
	rmdir("sticky");
	rmdir("slash");
	EXPECT_RET("mkdirat(AT_FDCWD)", mkdirat(AT_FDCWD, "d", 0755), 0);
	EXPECT_RET("unlinkat(AT_REMOVEDIR)", unlinkat(AT_FDCWD, "d", AT_REMOVEDIR), 0);
}

static void check_unlink_and_link(void)
{
	mkdir("d", 0755);
	EXPECT_ERRNO("unlink of a directory", unlink("d"), EISDIR);
	EXPECT_ERRNO("unlink of \".\"", unlink("."), EISDIR);
	EXPECT_ERRNO("unlink of a missing name", unlink("missing"), ENOENT);
	EXPECT_ERRNO("unlink of a file with a trailing slash", unlink("file/"), ENOTDIR);
	EXPECT_ERRNO("unlink of a directory with a trailing slash", unlink("d/"), EISDIR);
	EXPECT_ERRNO("unlinkat with an unknown flag", unlinkat(AT_FDCWD, "file", 0x1), EINVAL);
	EXPECT_ERRNO("unlinkat(AT_REMOVEDIR) of a file", unlinkat(AT_FDCWD, "file", AT_REMOVEDIR), ENOTDIR);

	EXPECT_RET("link", link("file", "hard"), 0);
	EXPECT_RET("both names are one inode", st_of("hard").st_ino, st_of("file").st_ino);
	EXPECT_RET("with 2 links", st_of("file").st_nlink, 2);
	EXPECT_ERRNO("link to an existing name", link("file", "hard"), EEXIST);
	EXPECT_ERRNO("link of a missing name", link("missing", "x"), ENOENT);
	EXPECT_ERRNO("link of a directory", link("d", "dlink"), EPERM);
	EXPECT_ERRNO("link into a missing directory", link("file", "missing/x"), ENOENT);
	EXPECT_ERRNO("link with a trailing slash on the new name", link("file", "new/"), ENOENT);
	EXPECT_RET("link of a symlink links the symlink", link("dangling", "dangling2"), 0);
	EXPECT_RET("which stays a symlink", S_ISLNK(st_of("dangling2").st_mode), 1);
	symlink("file", "tofile");
	EXPECT_RET("linkat(AT_SYMLINK_FOLLOW) links the target", linkat(AT_FDCWD, "tofile", AT_FDCWD, "hard2",
									AT_SYMLINK_FOLLOW), 0);
	EXPECT_RET("the target got a third link", st_of("file").st_nlink, 3);
	EXPECT_ERRNO("linkat with an unknown flag", linkat(AT_FDCWD, "file", AT_FDCWD, "x", 0x1), EINVAL);
	int fd = open("file", O_RDONLY);
	EXPECT_RET("linkat(fd, \"\", AT_EMPTY_PATH)", linkat(fd, "", AT_FDCWD, "hard3", AT_EMPTY_PATH), 0);
	close(fd);
	EXPECT_RET("unlink one name", unlink("hard"), 0);
	EXPECT_RET("the others stay", read_byte("hard2"), 'f');
	EXPECT_RET("with one link fewer", st_of("file").st_nlink, 3);
	unlink("hard2");
	unlink("hard3");
	unlink("dangling2");
	unlink("tofile");
	EXPECT_RET("back to one link", st_of("file").st_nlink, 1);
	rmdir("d");
}

static long renameat2_(const char *old, const char *new, unsigned flags)
{
	return syscall(SYS_renameat2, AT_FDCWD, old, AT_FDCWD, new, flags);
}

static void check_rename(void)
{
	touch("a", "A");
	touch("b", "B");
	ino_t a = st_of("a").st_ino;
	EXPECT_RET("rename to a new name", rename("a", "c"), 0);
	EXPECT_RET("the old name is gone", exists("a"), 0);
	EXPECT_RET("the inode moved", st_of("c").st_ino, a);
	EXPECT_RET("rename over an existing file", rename("c", "b"), 0);
	EXPECT_RET("replaces it", read_byte("b"), 'A');
	EXPECT_RET("rename to itself", rename("b", "b"), 0);
	link("b", "b2");
	EXPECT_RET("rename between two links of one file", rename("b", "b2"), 0);
	EXPECT_RET("does nothing: both names stay", exists("b") && exists("b2"), 1);
	unlink("b2");
	EXPECT_ERRNO("rename of a missing name", rename("missing", "x"), ENOENT);
	EXPECT_ERRNO("rename into a missing directory", rename("b", "missing/x"), ENOENT);
	EXPECT_ERRNO("rename of \".\"", rename(".", "x"), EBUSY);
	EXPECT_ERRNO("rename onto \"..\"", rename("b", ".."), EBUSY);
	EXPECT_ERRNO("a file with a trailing slash", rename("b", "b3/"), ENOTDIR);

	mkdir("d1", 0755);
	mkdir("d2", 0755);
	mkdir("full", 0755);
	touch("full/x", "x");
	EXPECT_ERRNO("a file over a directory", rename("b", "d1"), EISDIR);
	EXPECT_ERRNO("a directory over a file", rename("d1", "b"), ENOTDIR);
	EXPECT_ERRNO("a directory over a non-empty one", rename("d1", "full"), ENOTEMPTY);
	EXPECT_ERRNO("a directory into itself", rename("d1", "d1/sub"), EINVAL);
	mkdir("d1/deep", 0755);
	EXPECT_ERRNO("a directory below itself", rename("d1", "d1/deep/sub"), EINVAL);
	EXPECT_ERRNO("over an ancestor of the source", rename("d1/deep", "d1"), ENOTEMPTY);
	nlink_t here = st_of(".").st_nlink;
	EXPECT_RET("a directory over an empty one", rename("d1", "d2/"), 0);
	EXPECT_RET("the parent lost a link", st_of(".").st_nlink, here - 1);
	EXPECT_RET("move a directory to another parent", rename("d2/deep", "full/deep"), 0);
	EXPECT_RET("the old parent lost a link", st_of("d2").st_nlink, 2);
	EXPECT_RET("the new parent gained one", st_of("full").st_nlink, 3);
	EXPECT_RET("its .. is the new parent", st_of("full/deep/..").st_ino, st_of("full").st_ino);

	EXPECT_ERRNO("RENAME_NOREPLACE over an existing name", renameat2_("b", "full/x", RENAME_NOREPLACE), EEXIST);
	EXPECT_RET("RENAME_NOREPLACE to a new name", renameat2_("b", "b4", RENAME_NOREPLACE), 0);
	EXPECT_RET("RENAME_EXCHANGE of a file and a directory", renameat2_("b4", "d2", RENAME_EXCHANGE), 0);
	EXPECT_RET("the names swapped", S_ISDIR(st_of("b4").st_mode) && S_ISREG(st_of("d2").st_mode), 1);
	EXPECT_ERRNO("RENAME_EXCHANGE with a missing name", renameat2_("b4", "missing", RENAME_EXCHANGE), ENOENT);
	EXPECT_ERRNO("RENAME_NOREPLACE|RENAME_EXCHANGE", renameat2_("b4", "d2", 3), EINVAL);
	EXPECT_ERRNO("an unknown renameat2 flag", renameat2_("b4", "d2", 0x100), EINVAL);
	EXPECT_RET("renameat", renameat(AT_FDCWD, "d2", AT_FDCWD, "b"), 0);
	rmdir("b4");
	unlink("b");
	unlink("full/x");
	rmdir("full/deep");
	rmdir("full");
}

/* Reads the whole directory with getdents64 into names; returns the count. */
static int list(int fd, char names[][32], int max)
{
	char buf[4096];
	int n = 0;
	for (;;) {
		long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
		if (got <= 0)
			return got < 0 ? -1 : n;
		for (long at = 0; at < got;) {
			struct linux_dirent64 *d = (void *)(buf + at);
			if (n < max)
				snprintf(names[n], 32, "%.31s", d->d_name);
			n++;
			at += d->d_reclen;
		}
	}
}

static int find(char names[][32], int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

static void check_getdents(void)
{
	mkdir("g", 0755);
	int fd = open("g", O_RDONLY | O_DIRECTORY);
	char names[128][32];
	EXPECT_RET("an empty directory lists 2 entries", list(fd, names, 128), 2);
	EXPECT_RET("\".\" and \"..\"", find(names, 2, ".") && find(names, 2, ".."), 1);
	touch("g/reg", "r");
	mkdir("g/sub", 0755);
	symlink("reg", "g/lnk");
	lseek(fd, 0, SEEK_SET);
	EXPECT_RET("lseek(0) rewinds: 5 entries now", list(fd, names, 128), 5);

	char buf[1024];
	lseek(fd, 0, SEEK_SET);
	long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
	int types = 0, inos = 0;
	for (long at = 0; at < got;) {
		struct linux_dirent64 *d = (void *)(buf + at);
		char path[64];
		snprintf(path, sizeof path, "g/%.60s", d->d_name);
		struct stat st = st_of(path);
		inos += d->d_ino == st.st_ino;
		if ((strcmp(d->d_name, "reg") == 0 && d->d_type == DT_REG) ||
		    (strcmp(d->d_name, "sub") == 0 && d->d_type == DT_DIR) ||
		    (strcmp(d->d_name, "lnk") == 0 && d->d_type == DT_LNK) ||
		    (d->d_name[0] == '.' && d->d_type == DT_DIR))
			types++;
		at += d->d_reclen;
	}
	EXPECT_RET("every d_type is right", types, 5);
	EXPECT_RET("every d_ino is the inode's number", inos, 5);

	/* One entry per call, then resume from a remembered d_off. */
	lseek(fd, 0, SEEK_SET);
	char first[3][32];
	off_t offs[3];
	for (int i = 0; i < 3; i++) {
		got = syscall(SYS_getdents64, fd, buf, 32);
		struct linux_dirent64 *d = (void *)buf;
		snprintf(first[i], 32, "%.31s", got > 0 ? d->d_name : "?");
		offs[i] = got > 0 ? d->d_off : -1;
	}
	EXPECT_RET("a 32-byte buffer holds one entry", got, 24);
	EXPECT_RET("lseek to the first entry's d_off", lseek(fd, offs[0], SEEK_SET), offs[0]);
	got = syscall(SYS_getdents64, fd, buf, 32);
	EXPECT_RET("resumes at the second entry", got > 0 && strcmp(((struct linux_dirent64 *)buf)->d_name, first[1]) == 0,
		   1);
	EXPECT_ERRNO("a buffer too small for the next entry", syscall(SYS_getdents64, fd, buf, 8), EINVAL);
	close(fd);
	fd = open("g/reg", O_RDONLY);
	EXPECT_ERRNO("getdents64 on a file", syscall(SYS_getdents64, fd, buf, sizeof buf), ENOTDIR);
	close(fd);
	EXPECT_ERRNO("getdents64 on a bad descriptor", syscall(SYS_getdents64, 99, buf, sizeof buf), EBADF);
	fd = open("g", O_RDONLY | O_DIRECTORY);
	EXPECT_ERRNO("getdents64 into a bad buffer", syscall(SYS_getdents64, fd, (void *)8, sizeof buf), EFAULT);
	close(fd);
	unlink("g/reg");
	unlink("g/lnk");
	rmdir("g/sub");

	/* rm -r's pattern: remove what each batch returned, then read on. */
	for (int i = 0; i < 100; i++) {
		char name[32];
		snprintf(name, sizeof name, "g/file%03d", i);
		touch(name, "");
	}
	fd = open("g", O_RDONLY | O_DIRECTORY);
	int removed = 0;
	for (;;) {
		got = syscall(SYS_getdents64, fd, buf, 256);
		if (got <= 0)
			break;
		for (long at = 0; at < got;) {
			struct linux_dirent64 *d = (void *)(buf + at);
			if (d->d_name[0] != '.') {
				char path[64];
				snprintf(path, sizeof path, "g/%.60s", d->d_name);
				removed += unlink(path) == 0;
			}
			at += d->d_reclen;
		}
	}
	close(fd);
	EXPECT_RET("removing entries while reading skips none", removed, 100);

	DIR *d = opendir("g");
	int count = 0;
	while (readdir(d))
		count++;
	closedir(d);
	EXPECT_RET("readdir(3) sees . and .. in the emptied directory", count, 2);
	EXPECT_RET("which rmdir removes", rmdir("g"), 0);
}

int main(void)
{
	strcpy(dir, "/tmp/fsdirXXXXXX");
	if (!mkdtemp(dir) || chdir(dir) != 0) {
		tfail("cannot make a test directory under /tmp: errno=%d %s", errno, errno_name(errno));
		return tdone();
	}
	check_mkdir_rmdir();
	check_unlink_and_link();
	check_rename();
	check_getdents();
	unlink("file");
	unlink("dangling");
	chdir("/");
	EXPECT_RET("the test directory is empty at the end", rmdir(dir), 0);
	return tdone();
}
