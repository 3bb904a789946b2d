/*
 * mount(2) and umount2(2) with tmpfs and ramfs: a new filesystem per mount
 * (its own st_dev, statfs type and flags), the walk across mountpoints and
 * `..` back out, getcwd inside, hidden contents coming back at umount,
 * MS_RDONLY and remounts (EROFS, EBUSY with a writer), MS_NOEXEC,
 * MS_NODEV, the atime options (relatime, MS_STRICTATIME, MS_NODIRATIME,
 * MS_NOATIME), tmpfs's size=, nr_inodes=, mode=, uid=, gid=, bind and
 * stacked mounts, EBUSY while in use, MNT_DETACH, MNT_EXPIRE,
 * UMOUNT_NOFOLLOW, and the errors: EINVAL, ENODEV, ENOTDIR, ENOENT,
 * EPERM, EXDEV. Works in a fresh directory under /tmp. Where mounting is
 * not allowed at all (a container without CAP_SYS_ADMIN) it says TCONF.
 */
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>

#define TMPFS_MAGIC 0x01021994
#define RAMFS_MAGIC 0x858458f6

static char base[64];

static const char *ename(int e)
{
	switch (e) {
	case EROFS: return "EROFS";
	case ENODEV: return "ENODEV";
	default: return errno_name(e);
	}
}

/* EXPECT_ERRNO with names for EROFS and ENODEV too. */
#define EXPECT_ERR(what, call, expected)                                         \
	do {                                                                     \
		errno = 0;                                                       \
		long r_ = (long)(call);                                          \
		int e_ = errno;                                                  \
		if (r_ == -1 && e_ == (expected))                                \
			tpass("%s -> -1 %s", (what), ename(expected));           \
		else                                                             \
			tfail("%s -> %ld %s, expected -1 %s", (what), r_,        \
			      ename(e_), ename(expected));                       \
	} while (0)

static int tmpfs(const char *dir, unsigned long flags, const char *opts)
{
	return mount("tmpfs", dir, "tmpfs", flags, opts);
}

static dev_t dev_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_dev : (dev_t)-1;
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int make_file(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void check_basics(void)
{
	mkdir("m", 0755);
	EXPECT_RET("mount tmpfs on an empty directory", tmpfs("m", 0, NULL), 0);
	EXPECT_RET("the mount has its own st_dev", dev_of("m") != dev_of("."), 1);
	struct statfs sf;
	EXPECT_RET("statfs of the mount", statfs("m", &sf), 0);
	EXPECT_RET("f_type is TMPFS_MAGIC", sf.f_type, TMPFS_MAGIC);
	EXPECT_RET("f_bsize is the page size", sf.f_bsize, 4096);
	EXPECT_RET("no ST_RDONLY on a rw mount", (long)(sf.f_flags & ST_RDONLY), 0);
	struct stat st;
	stat("m", &st);
	EXPECT_RET("a new tmpfs root is mode 01777", st.st_mode & 07777, 01777);

	EXPECT_RET("create a file in the mount", make_file("m/f", "hello"), 0);
	char buf[16] = {0};
	int fd = open("m/f", O_RDONLY);
	EXPECT_RET("read it back", read(fd, buf, sizeof buf), 5);
	struct statfs ff;
	EXPECT_RET("fstatfs of a file in it", fstatfs(fd, &ff), 0);
	EXPECT_RET("fstatfs agrees with statfs (type and fsid)",
		   ff.f_type == sf.f_type && !memcmp(&ff.f_fsid, &sf.f_fsid, sizeof ff.f_fsid), 1);
	close(fd);
	EXPECT_RET("the file is on the mount's device", dev_of("m/f") == dev_of("m"), 1);
	mkdir("m/sub", 0755);
	EXPECT_ERR("MS_REMOUNT of a directory inside the mount", mount("none", "m/sub", NULL, MS_REMOUNT, NULL),
		   EINVAL);

	struct stat dot, up;
	stat(".", &dot);
	EXPECT_RET("stat m/..", stat("m/..", &up), 0);
	EXPECT_RET("`..` of the mount root is the directory above the mountpoint",
		   up.st_dev == dot.st_dev && up.st_ino == dot.st_ino, 1);
	EXPECT_RET("`..` twice from inside", stat("m/sub/../..", &up) == 0 && up.st_ino == dot.st_ino, 1);

	char want[128], cwd[128];
	snprintf(want, sizeof want, "%s/m/sub", base);
	EXPECT_RET("chdir into the mount", chdir("m/sub"), 0);
	EXPECT_RET("getcwd inside the mount", getcwd(cwd, sizeof cwd) && !strcmp(cwd, want), 1);
	EXPECT_RET("chdir ../.. leaves it", chdir("../.."), 0);
	EXPECT_RET("getcwd is back", getcwd(cwd, sizeof cwd) && !strcmp(cwd, base), 1);

	EXPECT_ERR("rmdir of a mountpoint", rmdir("m"), EBUSY);
	EXPECT_ERR("rename of a mountpoint", rename("m", "m2"), EBUSY);
	EXPECT_ERR("rename across mounts", rename("m/f", "f2"), EXDEV);
	EXPECT_ERR("link across mounts", link("m/f", "f2"), EXDEV);
	EXPECT_RET("umount", umount("m"), 0);
	EXPECT_RET("the file went with the filesystem", exists("m/f"), 0);
	EXPECT_RET("the directory is itself again", dev_of("m") == dev_of("."), 1);
}

static void check_hidden(void)
{
	mkdir("h", 0755);
	make_file("h/under", "x");
	EXPECT_RET("mount over a non-empty directory", tmpfs("h", 0, NULL), 0);
	EXPECT_RET("its contents are hidden", exists("h/under"), 0);
	make_file("h/over", "y");
	EXPECT_RET("umount", umount("h"), 0);
	EXPECT_RET("the hidden file is back", exists("h/under"), 1);
	EXPECT_RET("the mounted one is gone", exists("h/over"), 0);
}

/* Reads "a/f" and lists "a/d" after setting both atimes ahead (newer than
 * mtime and ctime, so relatime alone would not move them); returns which
 * moved: 1 the file, 2 the directory. */
static int atime_moves(const char *a)
{
	char f[64], d[64];
	snprintf(f, sizeof f, "%s/f", a);
	snprintf(d, sizeof d, "%s/d", a);
	make_file(f, "data");
	mkdir(d, 0755);
	struct timespec ahead[2] = {{time(NULL) + 1000, 0}, {time(NULL) - 200, 0}};
	utimensat(AT_FDCWD, f, ahead, 0);
	utimensat(AT_FDCWD, d, ahead, 0);
	char c;
	int fd = open(f, O_RDONLY);
	read(fd, &c, 1);
	close(fd);
	DIR *dir = opendir(d);
	while (dir && readdir(dir))
		;
	if (dir)
		closedir(dir);
	struct stat fs, ds;
	stat(f, &fs);
	stat(d, &ds);
	return (fs.st_atime != ahead[0].tv_sec ? 1 : 0) | (ds.st_atime != ahead[0].tv_sec ? 2 : 0);
}

static void check_atime_options(void)
{
	mkdir("t", 0755);
	EXPECT_RET("relatime (the default) leaves a recent atime", (tmpfs("t", 0, NULL), atime_moves("t")), 0);
	umount("t");
	EXPECT_RET("MS_STRICTATIME updates it on every read and listing",
		   (tmpfs("t", MS_STRICTATIME, NULL), atime_moves("t")), 3);
	umount("t");
	EXPECT_RET("MS_STRICTATIME|MS_NODIRATIME spares directories",
		   (tmpfs("t", MS_STRICTATIME | MS_NODIRATIME, NULL), atime_moves("t")), 1);
	umount("t");
	tmpfs("t", MS_NOATIME, NULL);
	make_file("t/old", "data");
	struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
	utimensat(AT_FDCWD, "t/old", old, 0);
	char c;
	int fd = open("t/old", O_RDONLY);
	read(fd, &c, 1);
	close(fd);
	struct stat st;
	stat("t/old", &st);
	EXPECT_RET("MS_NOATIME leaves even an atime older than mtime", st.st_atime, 1000000000);
	umount("t");
	rmdir("t");
}

/* sysfs(2) names the filesystem types as /proc/filesystems lists them;
 * ustat(2) tells a mounted filesystem's free blocks and inodes. */
static void check_sysfs_and_ustat(void)
{
	long count = syscall(SYS_sysfs, 3);
	EXPECT_RET("sysfs(3): some filesystem types", count > 0, 1);
	long index = syscall(SYS_sysfs, 1, "tmpfs");
	EXPECT_RET("sysfs(1): tmpfs has an index", index >= 0 && index < count, 1);
	char name[64] = "";
	EXPECT_RET("sysfs(2) of that index", syscall(SYS_sysfs, 2, index, name), 0);
	EXPECT_RET("names tmpfs", strcmp(name, "tmpfs"), 0);
	EXPECT_ERRNO("sysfs(1) of an unknown type", syscall(SYS_sysfs, 1, "nosuchfs"), EINVAL);
	EXPECT_ERRNO("sysfs(2) past the last index", syscall(SYS_sysfs, 2, count, name), EINVAL);
	EXPECT_ERRNO("sysfs(4)", syscall(SYS_sysfs, 4), EINVAL);
	mkdir("u", 0755);
	tmpfs("u", 0, "size=1m,nr_inodes=100");
	struct stat st;
	stat("u", &st);
	struct {
		int f_tfree;
		unsigned long f_tinode;
		char f_fname[6], f_fpack[6];
	} us;
	unsigned dev = (minor(st.st_dev) & 0xff) | (major(st.st_dev) << 8) | ((minor(st.st_dev) & ~0xffu) << 12);
	EXPECT_RET("ustat of a mounted tmpfs", syscall(SYS_ustat, dev, &us), 0);
	EXPECT_RET("free blocks and inodes as statfs gives", us.f_tfree > 0 && us.f_tinode > 0 && us.f_tinode <= 100, 1);
	umount("u");
	EXPECT_ERRNO("ustat of a device with nothing mounted", syscall(SYS_ustat, dev, &us), EINVAL);
	rmdir("u");
}

static void check_errors(void)
{
	make_file("file", "x");
	mkdir("plain", 0755);
	EXPECT_ERR("unknown filesystem type", mount("none", "plain", "nosuchfs", 0, NULL), ENODEV);
	EXPECT_ERR("no type at all", mount("none", "plain", NULL, 0, NULL), EINVAL);
	EXPECT_ERR("tmpfs on a regular file", tmpfs("file", 0, NULL), ENOTDIR);
	EXPECT_ERR("target below a regular file", tmpfs("file/x", 0, NULL), ENOTDIR);
	EXPECT_ERR("missing target", tmpfs("missing", 0, NULL), ENOENT);
	EXPECT_ERR("unknown tmpfs option", tmpfs("plain", 0, "bogus=1"), EINVAL);
	EXPECT_ERR("bad size= value", tmpfs("plain", 0, "size=abc"), EINVAL);
	EXPECT_ERR("bad mode= value", tmpfs("plain", 0, "mode=999"), EINVAL);
	EXPECT_ERR("umount of a directory that is not a mount", umount("plain"), EINVAL);
	EXPECT_ERR("umount2 with unknown flags", umount2("plain", 0x100), EINVAL);
	EXPECT_ERR("umount of a missing name", umount("missing"), ENOENT);
	EXPECT_ERR("MS_REMOUNT of a non-mount", mount("none", "plain", NULL, MS_REMOUNT, NULL), EINVAL);
	EXPECT_RET("ramfs ignores options it does not know", mount("r", "plain", "ramfs", 0, "bogus=1"), 0);
	struct statfs sf;
	statfs("plain", &sf);
	EXPECT_RET("ramfs's f_type is RAMFS_MAGIC", sf.f_type, RAMFS_MAGIC);
	struct stat st;
	stat("plain", &st);
	EXPECT_RET("ramfs's root is mode 0755", st.st_mode & 07777, 0755);
	EXPECT_RET("ramfs has its own st_dev", dev_of("plain") != dev_of("."), 1);
	EXPECT_RET("umount ramfs", umount("plain"), 0);
}

static void check_readonly(void)
{
	mkdir("r", 0755);
	EXPECT_RET("mount MS_RDONLY", tmpfs("r", MS_RDONLY, NULL), 0);
	struct statfs sf;
	statfs("r", &sf);
	EXPECT_RET("statfs says ST_RDONLY", (long)(sf.f_flags & ST_RDONLY), ST_RDONLY);
	EXPECT_ERR("create on a read-only mount", open("r/x", O_CREAT | O_WRONLY, 0644), EROFS);
	EXPECT_ERR("mkdir on a read-only mount", mkdir("r/d", 0755), EROFS);
	EXPECT_ERR("open the root for writing", open("r", O_WRONLY), EISDIR);
	EXPECT_ERR("chmod on a read-only mount", chmod("r", 0700), EROFS);
	EXPECT_ERR("access W_OK on a read-only mount", access("r", W_OK), EROFS);
	EXPECT_RET("access R_OK is fine", access("r", R_OK), 0);

	EXPECT_RET("remount read-write", mount("none", "r", NULL, MS_REMOUNT, NULL), 0);
	EXPECT_RET("create after the remount", make_file("r/x", "data"), 0);
	statfs("r", &sf);
	EXPECT_RET("ST_RDONLY is gone", (long)(sf.f_flags & ST_RDONLY), 0);
	int fd = open("r/x", O_WRONLY);
	EXPECT_ERR("remount read-only with a file open for writing",
		   mount("none", "r", NULL, MS_REMOUNT | MS_RDONLY, NULL), EBUSY);
	close(fd);
	EXPECT_RET("remount read-only once it is closed", mount("none", "r", NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
	fd = open("r/x", O_RDONLY);
	EXPECT_RET("reading still works", fd >= 0, 1);
	close(fd);
	EXPECT_ERR("open for writing", open("r/x", O_WRONLY), EROFS);
	EXPECT_ERR("O_TRUNC", open("r/x", O_RDONLY | O_TRUNC), EROFS);
	EXPECT_ERR("O_CREAT|O_EXCL of an existing name", open("r/x", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	EXPECT_RET("O_CREAT of an existing name, read-only", (fd = open("r/x", O_CREAT | O_RDONLY, 0644)) >= 0, 1);
	close(fd);
	EXPECT_ERR("mkdir of an existing name", mkdir("r", 0755), EEXIST);
	EXPECT_ERR("unlink", unlink("r/x"), EROFS);
	EXPECT_ERR("unlink of a missing name", unlink("r/nothing"), EROFS);
	EXPECT_ERR("truncate", truncate("r/x", 0), EROFS);
	EXPECT_ERR("utimensat", utimensat(AT_FDCWD, "r/x", NULL, 0), EROFS);
	EXPECT_ERR("chown", chown("r/x", 1, 1), EROFS);
	EXPECT_RET("umount", umount("r"), 0);
}

static void check_busy(void)
{
	mkdir("b", 0755);
	EXPECT_RET("mount", tmpfs("b", 0, NULL), 0);
	char path[128];
	snprintf(path, sizeof path, "%s/b", base);
	chdir("b");
	EXPECT_ERR("umount with the working directory inside", umount(path), EBUSY);
	chdir(base);
	int fd = open("b/open", O_CREAT | O_RDWR, 0644);
	EXPECT_ERR("umount with a file open in it", umount("b"), EBUSY);
	EXPECT_ERR("MNT_FORCE does not help a tmpfs", umount2("b", MNT_FORCE), EBUSY);
	close(fd);
	mkdir("b/inner", 0755);
	EXPECT_RET("a mount inside the mount", tmpfs("b/inner", 0, NULL), 0);
	EXPECT_ERR("umount with a mount below it", umount("b"), EBUSY);
	EXPECT_RET("umount the inner one first", umount("b/inner"), 0);
	EXPECT_RET("then the outer one", umount("b"), 0);

	/* MNT_EXPIRE: the first call marks, the second unmounts. */
	EXPECT_RET("mount", tmpfs("b", 0, NULL), 0);
	EXPECT_ERR("MNT_EXPIRE the first time", umount2("b", MNT_EXPIRE), EAGAIN);
	EXPECT_ERR("MNT_EXPIRE with MNT_DETACH", umount2("b", MNT_EXPIRE | MNT_DETACH), EINVAL);
	EXPECT_RET("MNT_EXPIRE the second time", umount2("b", MNT_EXPIRE), 0);

	/* UMOUNT_NOFOLLOW: a symlink to the mount is not the mount. */
	EXPECT_RET("mount", tmpfs("b", 0, NULL), 0);
	symlink("b", "blink");
	EXPECT_ERR("UMOUNT_NOFOLLOW on a symlink", umount2("blink", UMOUNT_NOFOLLOW), EINVAL);
	EXPECT_RET("umount through the symlink", umount2("blink", 0), 0);
}

static void check_detach(void)
{
	mkdir("d", 0755);
	make_file("d/under", "x");
	EXPECT_RET("mount", tmpfs("d", 0, NULL), 0);
	chdir("d");
	make_file("inside", "data");
	char path[128];
	snprintf(path, sizeof path, "%s/d", base);
	EXPECT_RET("umount2 MNT_DETACH", umount2(path, MNT_DETACH), 0);
	EXPECT_RET("files of the detached mount are still reachable", exists("inside"), 1);
	char cwd[128] = {0};
	long n = syscall(SYS_getcwd, cwd, sizeof cwd);
	EXPECT_RET("getcwd says it is unreachable", n > 0 && !strncmp(cwd, "(unreachable)", 13), 1);
	struct stat dot, up;
	stat(".", &dot);
	stat("..", &up);
	EXPECT_RET("`..` of a detached mount's root is itself", up.st_dev == dot.st_dev && up.st_ino == dot.st_ino, 1);
	EXPECT_RET("the mountpoint is an ordinary directory again", dev_of(path) == dev_of(base), 1);
	chdir(base);
	EXPECT_RET("the hidden file is back", exists("d/under"), 1);
	EXPECT_RET("the detached file is not here", exists("d/inside"), 0);
}

static void check_limits(void)
{
	mkdir("s", 0755);
	EXPECT_RET("mount size=16k", tmpfs("s", 0, "size=16k"), 0);
	struct statfs sf;
	statfs("s", &sf);
	EXPECT_RET("f_blocks is 4 pages", (long)sf.f_blocks, 4);
	EXPECT_RET("f_bfree is 4 pages", (long)sf.f_bfree, 4);
	static char big[8192];
	memset(big, 'x', sizeof big);
	int fd = open("s/big", O_CREAT | O_WRONLY, 0644);
	EXPECT_RET("write 8 KiB", write(fd, big, sizeof big), 8192);
	EXPECT_RET("write 8 KiB more", write(fd, big, sizeof big), 8192);
	EXPECT_ERR("the next write is past size=", write(fd, big, 1), ENOSPC);
	statfs("s", &sf);
	EXPECT_RET("f_bfree is 0", (long)sf.f_bfree, 0);
	close(fd);
	unlink("s/big");
	statfs("s", &sf);
	EXPECT_RET("unlink gives the blocks back", (long)sf.f_bfree, 4);
	EXPECT_RET("remount with a larger size", mount("none", "s", NULL, MS_REMOUNT, "size=32k"), 0);
	statfs("s", &sf);
	EXPECT_RET("f_blocks follows", (long)sf.f_blocks, 8);
	EXPECT_RET("umount", umount("s"), 0);

	EXPECT_RET("mount nr_inodes=3", tmpfs("s", 0, "nr_inodes=3"), 0);
	EXPECT_RET("a first file", make_file("s/a", ""), 0);
	EXPECT_RET("a second file", make_file("s/b", ""), 0);
	EXPECT_ERR("a third is one inode too many (the root counts)", open("s/c", O_CREAT | O_WRONLY, 0644), ENOSPC);
	statfs("s", &sf);
	EXPECT_RET("f_files and f_ffree", sf.f_files == 3 && sf.f_ffree == 0, 1);
	EXPECT_RET("umount", umount("s"), 0);

	EXPECT_RET("mount mode=0700,uid=1,gid=2", tmpfs("s", 0, "mode=0700,uid=1,gid=2"), 0);
	struct stat st;
	stat("s", &st);
	EXPECT_RET("the root's mode", st.st_mode & 07777, 0700);
	EXPECT_RET("the root's owner", st.st_uid == 1 && st.st_gid == 2, 1);
	EXPECT_RET("umount", umount("s"), 0);
}

static void check_flags(void)
{
	mkdir("x", 0755);
	EXPECT_RET("mount MS_NOEXEC|MS_NODEV|MS_NOSUID", tmpfs("x", MS_NOEXEC | MS_NODEV | MS_NOSUID, NULL), 0);
	struct statfs sf;
	statfs("x", &sf);
	long want = ST_NOEXEC | ST_NODEV | ST_NOSUID;
	EXPECT_RET("statfs shows the flags", (long)(sf.f_flags & want), want);
	mkdir("nsf", 0755);
	/* MS_NOSYMFOLLOW is 256; statfs's ST_NOSYMFOLLOW 0x2000 (Linux 5.10). */
	if (tmpfs("nsf", 256, NULL) == 0) {
		struct statfs nf;
		statfs("nsf", &nf);
		EXPECT_RET("statfs of a nosymfollow mount has ST_NOSYMFOLLOW", (long)(nf.f_flags & 0x2000), 0x2000);
		umount("nsf");
	} else {
		tfail("mount MS_NOSYMFOLLOW: %s", errno_name(errno));
	}
	rmdir("nsf");
	make_file("x/script", "#!/bin/sh\nexit 0\n");
	chmod("x/script", 0755);
	char *argv[] = {"script", NULL};
	EXPECT_ERR("execve on a noexec mount", execve("x/script", argv, argv + 1), EACCES);
	EXPECT_RET("mknod /dev/null's twin", mknod("x/null", S_IFCHR | 0666, makedev(1, 3)), 0);
	EXPECT_ERR("open a device on a nodev mount", open("x/null", O_RDONLY), EACCES);
	int fd = open("x/null", O_PATH);
	EXPECT_RET("O_PATH still opens it", fd >= 0, 1);
	close(fd);
	EXPECT_RET("remount with the flags cleared", mount("none", "x", NULL, MS_REMOUNT, NULL), 0);
	fd = open("x/null", O_RDONLY);
	EXPECT_RET("the device opens now", fd >= 0, 1);
	close(fd);
	EXPECT_RET("umount", umount("x"), 0);
}

static void check_bind(void)
{
	mkdir("src", 0755);
	mkdir("bnd", 0755);
	EXPECT_RET("mount the source", tmpfs("src", 0, NULL), 0);
	mkdir("src/dir", 0755);
	make_file("src/dir/f", "bound");
	EXPECT_RET("MS_BIND of a subdirectory", mount("src/dir", "bnd", NULL, MS_BIND, NULL), 0);
	EXPECT_RET("the file shows through the bind mount", exists("bnd/f"), 1);
	EXPECT_RET("on the same device", dev_of("bnd/f") == dev_of("src"), 1);
	struct stat dot, up;
	stat(".", &dot);
	stat("bnd/..", &up);
	EXPECT_RET("`..` of the bind root is above the bind mountpoint", up.st_ino == dot.st_ino, 1);
	EXPECT_RET("MS_REMOUNT|MS_BIND|MS_RDONLY", mount("none", "bnd", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), 0);
	EXPECT_ERR("the bind mount is read-only", open("bnd/g", O_CREAT | O_WRONLY, 0644), EROFS);
	EXPECT_RET("the source stays writable", make_file("src/dir/g", ""), 0);
	EXPECT_ERR("rename between the two mounts of one filesystem", rename("src/dir/g", "bnd/h"), EXDEV);
	EXPECT_RET("umount the bind mount", umount("bnd"), 0);
	EXPECT_ERR("MS_BIND of a missing source", mount("src/none", "bnd", NULL, MS_BIND, NULL), ENOENT);

	/* A file bound over a file; a directory cannot go on a file. */
	make_file("src/dir/one", "first");
	make_file("src/dir/two", "second");
	EXPECT_RET("MS_BIND of a file onto a file", mount("src/dir/one", "src/dir/two", NULL, MS_BIND, NULL), 0);
	char buf[16] = {0};
	int fd = open("src/dir/two", O_RDONLY);
	EXPECT_RET("the bound file reads as the source", read(fd, buf, sizeof buf) == 5 && !strcmp(buf, "first"), 1);
	close(fd);
	EXPECT_ERR("unlink of a file mountpoint", unlink("src/dir/two"), EBUSY);
	EXPECT_RET("umount the file", umount("src/dir/two"), 0);
	EXPECT_ERR("MS_BIND of a directory onto a file", mount("src/dir", "src/dir/two", NULL, MS_BIND, NULL), ENOTDIR);

	/* MS_REC brings the mounts below along; MS_UNBINDABLE refuses binds. */
	EXPECT_RET("a tmpfs inside the source", tmpfs("src/dir", 0, NULL), 0);
	make_file("src/dir/inner", "x");
	EXPECT_RET("MS_BIND without MS_REC", mount("src", "bnd", NULL, MS_BIND, NULL), 0);
	EXPECT_RET("the inner mount is not there", exists("bnd/dir/one") && !exists("bnd/dir/inner"), 1);
	EXPECT_RET("umount", umount("bnd"), 0);
	EXPECT_RET("MS_BIND|MS_REC", mount("src", "bnd", NULL, MS_BIND | MS_REC, NULL), 0);
	EXPECT_RET("the inner mount came along", exists("bnd/dir/inner"), 1);
	EXPECT_ERR("umount of the copy with its inner copy on it", umount("bnd"), EBUSY);
	EXPECT_RET("MNT_DETACH takes both", umount2("bnd", MNT_DETACH), 0);
	EXPECT_RET("umount the inner tmpfs", umount("src/dir"), 0);
	EXPECT_RET("MS_UNBINDABLE", mount("none", "src", NULL, MS_UNBINDABLE, NULL), 0);
	EXPECT_ERR("MS_BIND of an unbindable mount", mount("src", "bnd", NULL, MS_BIND, NULL), EINVAL);
	EXPECT_RET("MS_PRIVATE makes it bindable again", mount("none", "src", NULL, MS_PRIVATE, NULL), 0);
	EXPECT_ERR("two propagation types at once", mount("none", "src", NULL, MS_PRIVATE | MS_SLAVE, NULL), EINVAL);
	EXPECT_ERR("a propagation change below a mount's root", mount("none", "src/dir", NULL, MS_PRIVATE, NULL),
		   EINVAL);

	/* A second mount on the same place hides the first until it goes. */
	EXPECT_RET("a tmpfs on top of the tmpfs", tmpfs("src", 0, NULL), 0);
	EXPECT_RET("the lower one is hidden", exists("src/dir"), 0);
	EXPECT_RET("umount the top one", umount("src"), 0);
	EXPECT_RET("the lower one shows again", exists("src/dir/f"), 1);
	EXPECT_RET("MS_MOVE it", mount("src", "bnd", NULL, MS_MOVE, NULL), 0);
	EXPECT_RET("it is at the new place", exists("bnd/dir/f") && !exists("src/dir"), 1);
	EXPECT_RET("umount", umount("bnd"), 0);
}

/*
 * Unmounting frees a filesystem: 24 rounds of 24 MiB in a tree of
 * directories are more than the 512 MiB the kernel's tests boot with.
 */
static void check_freed(void)
{
	static char chunk[1 << 20];
	memset(chunk, 'z', sizeof chunk);
	mkdir("big", 0755);
	int bad = 0;
	for (int round = 0; round < 24 && !bad; round++) {
		if (tmpfs("big", 0, NULL) != 0) {
			bad = 1;
			break;
		}
		mkdir("big/a", 0755);
		mkdir("big/a/b", 0755);
		int fd = open("big/a/b/data", O_CREAT | O_WRONLY, 0644);
		for (int i = 0; i < 24 && !bad; i++)
			bad = write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk;
		close(fd);
		bad |= umount("big") != 0;
	}
	EXPECT_RET("24 rounds of mount, 24 MiB in subdirectories, umount", bad, 0);
}

static void check_unprivileged(void)
{
	mkdir("u", 0755);
	EXPECT_RET("mount", tmpfs("u", 0, NULL), 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		t_failures = 0;
		if (setuid(65534) != 0)
			_exit(2);
		EXPECT_ERR("mount as a user", tmpfs("plain", 0, NULL), EPERM);
		EXPECT_ERR("umount as a user", umount("u"), EPERM);
		EXPECT_ERR("a user's mount on a missing name looks it up first", tmpfs("missing", 0, NULL), ENOENT);
		fflush(stdout);
		_exit(t_failures ? 1 : 0);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("the user's checks", WIFEXITED(status) && WEXITSTATUS(status) == 0, 1);
	EXPECT_RET("umount", umount("u"), 0);
}

int main(void)
{
	strcpy(base, "/tmp/mountXXXXXX");
	if (!mkdtemp(base) || chmod(base, 0755) != 0 || chdir(base) != 0) {
		tfail("cannot make a directory under /tmp: errno=%d", errno);
		return tdone();
	}
	mkdir("probe", 0755);
	if (tmpfs("probe", 0, NULL) != 0) {
		if (errno == EPERM) {
			tconf("mount(2) is not allowed here (EPERM): no checks");
			rmdir("probe");
			chdir("/");
			rmdir(base);
			return tdone();
		}
		tfail("mount of a tmpfs: errno=%d %s", errno, ename(errno));
	}
	umount("probe");
	check_basics();
	check_hidden();
	check_atime_options();
	check_sysfs_and_ustat();
	check_errors();
	check_readonly();
	check_busy();
	check_detach();
	check_limits();
	check_flags();
	check_bind();
	check_freed();
	check_unprivileged();
	chdir("/");
	/* Everything was unmounted; the directory tree goes. */
	const char *names[] = {"m/sub", "m", "h/under", "h", "file", "plain", "r", "b/open", "blink", "b",
			       "d/under", "d", "s", "x", "src", "bnd", "u", "big", "probe"};
	chdir(base);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (unlink(names[i]) != 0)
			rmdir(names[i]);
	chdir("/");
	EXPECT_RET("the test directory is empty at the end", rmdir(base), 0);
	return tdone();
}
