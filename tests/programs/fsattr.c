/*
 * File attributes: stat/fstat/lstat/statx fields, chmod/fchmod/fchmodat,
 * chown/fchown/lchown/fchownat (and the set-ID bits a chown clears),
 * utimensat (UTIME_NOW, UTIME_OMIT, futimens, AT_SYMLINK_NOFOLLOW), utimes,
 * utime, timestamps that writes and directory changes update (relatime
 * atime), access/faccessat/faccessat2 as root, umask, statfs/fstatfs.
 */
#include "common.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <time.h>
#include <utime.h>

/* statx(2) as the kernel defines it: musl 1.2.3 has no wrapper. */
#define STATX_BASIC_STATS 0x7ffU
struct statx_ts {
	long long tv_sec;
	unsigned tv_nsec;
	int reserved;
};
struct kstatx {
	unsigned stx_mask, stx_blksize;
	unsigned long long stx_attributes;
	unsigned stx_nlink, stx_uid, stx_gid;
	unsigned short stx_mode, spare0;
	unsigned long long stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	struct statx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
	unsigned stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	unsigned long long spare[14];
};

static long statx_(int dirfd, const char *path, int flags, unsigned mask, struct kstatx *buf)
{
	return syscall(SYS_statx, dirfd, path, flags, mask, buf);
}

static char dir[64];

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

static time_t now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

static int recent(struct timespec t)
{
	long d = (long)(t.tv_sec - now());
	return d > -10 && d < 10;
}

static void check_stat_fields(void)
{
	touch("f", "12345");
	struct stat st = st_of("f"), dst = st_of(".");
	EXPECT_RET("st_size", st.st_size, 5);
	EXPECT_RET("st_mode of a regular file", st.st_mode, S_IFREG | 0644);
	EXPECT_RET("st_nlink", st.st_nlink, 1);
	EXPECT_RET("st_uid and st_gid are the creator's", st.st_uid == getuid() && st.st_gid == getgid(), 1);
	EXPECT_RET("st_rdev is 0 for a file", st.st_rdev, 0);
	EXPECT_RET("st_dev is the directory's", st.st_dev, dst.st_dev);
	EXPECT_RET("st_ino differs from the directory's", st.st_ino != dst.st_ino, 1);
	EXPECT_RET("st_blksize is 4096", st.st_blksize, 4096);
	EXPECT_RET("the times are now", recent(st.st_atim) && recent(st.st_mtim) && recent(st.st_ctim), 1);
	EXPECT_RET("nanoseconds are in range", st.st_mtim.tv_nsec >= 0 && st.st_mtim.tv_nsec < 1000000000, 1);
	int fd = open("f", O_RDONLY);
	struct stat fst;
	fstat(fd, &fst);
	EXPECT_RET("fstat agrees with stat", fst.st_ino == st.st_ino && fst.st_size == st.st_size, 1);
	EXPECT_ERRNO("fstat of a bad descriptor", fstat(99, &fst), EBADF);
	EXPECT_ERRNO("fstat into a bad buffer", syscall(SYS_fstat, fd, (void *)8), EFAULT);
	EXPECT_ERRNO("stat of a bad path pointer", syscall(SYS_stat, (void *)8, &fst), EFAULT);
	close(fd);
	EXPECT_RET("a directory is S_IFDIR", S_ISDIR(dst.st_mode), 1);

	struct kstatx sx;
	memset(&sx, 0xff, sizeof sx);
	EXPECT_RET("statx", statx_(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx), 0);
	EXPECT_RET("statx fills the basic stats", sx.stx_mask & STATX_BASIC_STATS, STATX_BASIC_STATS);
	EXPECT_RET("statx agrees with stat",
		   sx.stx_ino == st.st_ino && sx.stx_size == 5 && sx.stx_mode == (S_IFREG | 0644) && sx.stx_nlink == 1 &&
			   sx.stx_blksize == 4096 && sx.stx_mtime.tv_sec == st.st_mtim.tv_sec &&
			   sx.stx_mtime.tv_nsec == st.st_mtim.tv_nsec,
		   1);
	EXPECT_RET("statx's device numbers are stat's", makedev(sx.stx_dev_major, sx.stx_dev_minor), st.st_dev);
	symlink("f", "l");
	EXPECT_RET("statx AT_SYMLINK_NOFOLLOW", statx_(AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx), 0);
	EXPECT_RET("shows the symlink", S_ISLNK(sx.stx_mode), 1);
	fd = open("f", O_RDONLY);
	EXPECT_RET("statx_(fd, \"\", AT_EMPTY_PATH)", statx_(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx), 0);
	EXPECT_RET("is the file", sx.stx_ino, st.st_ino);
	close(fd);
	EXPECT_ERRNO("statx with an unknown flag", statx_(AT_FDCWD, "f", 0x1, STATX_BASIC_STATS, &sx), EINVAL);
	EXPECT_ERRNO("statx with both sync flags", statx_(AT_FDCWD, "f", 0x6000, STATX_BASIC_STATS, &sx), EINVAL);
	EXPECT_ERRNO("statx with the reserved mask bit", statx_(AT_FDCWD, "f", 0, 0x80000000U, &sx), EINVAL);
	EXPECT_ERRNO("statx of a missing name", statx_(AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &sx), ENOENT);
}

static void check_chmod(void)
{
	EXPECT_RET("chmod", chmod("f", 0600), 0);
	EXPECT_RET("the mode changed", st_of("f").st_mode, S_IFREG | 0600);
	EXPECT_RET("chmod ignores file-type bits", chmod("f", S_IFDIR | 04711), 0);
	EXPECT_RET("and keeps set-ID bits", st_of("f").st_mode, S_IFREG | 04711);
	EXPECT_RET("chmod through a symlink changes the target", chmod("l", 0640), 0);
	EXPECT_RET("the target's mode", st_of("f").st_mode & 07777, 0640);
	EXPECT_RET("the symlink's stays", st_of("l").st_mode & 07777, 0777);
	int fd = open("f", O_RDONLY);
	EXPECT_RET("fchmod", fchmod(fd, 0604), 0);
	EXPECT_RET("fchmod's mode", st_of("f").st_mode & 07777, 0604);
	close(fd);
	fd = open("f", O_PATH);
	EXPECT_ERRNO("fchmod of an O_PATH descriptor", syscall(SYS_fchmod, fd, 0600), EBADF);
	close(fd);
	EXPECT_RET("fchmodat", syscall(SYS_fchmodat, AT_FDCWD, "f", 0644), 0);
	EXPECT_ERRNO("chmod of a missing name", chmod("missing", 0644), ENOENT);
	EXPECT_ERRNO("fchmod of a bad descriptor", fchmod(99, 0644), EBADF);
}

static void check_chown(void)
{
	EXPECT_RET("chown to another user and group", chown("f", 1234, 5678), 0);
	struct stat st = st_of("f");
	EXPECT_RET("both changed", st.st_uid == 1234 && st.st_gid == 5678, 1);
	EXPECT_RET("chown(-1, -1)", chown("f", -1, -1), 0);
	st = st_of("f");
	EXPECT_RET("leaves both alone", st.st_uid == 1234 && st.st_gid == 5678, 1);
	EXPECT_RET("chown with only a group", chown("f", -1, 42), 0);
	st = st_of("f");
	EXPECT_RET("changes only the group", st.st_uid == 1234 && st.st_gid == 42, 1);
	chmod("f", 06755);
	chown("f", -1, -1);
	EXPECT_RET("a chown clears set-user-ID and set-group-ID", st_of("f").st_mode & 07777, 0755);
	chmod("f", 02644);
	chown("f", -1, -1);
	EXPECT_RET("but not set-group-ID without group-execute", st_of("f").st_mode & 07777, 02644);
	mkdir("d", 0755);
	chmod("d", 06755);
	chown("d", -1, -1);
	EXPECT_RET("a directory keeps its set-ID bits", st_of("d").st_mode & 07777, 06755);
	EXPECT_RET("lchown changes the symlink", lchown("l", 7, 8), 0);
	EXPECT_RET("the symlink's owner", st_of("l").st_uid == 7 && st_of("f").st_uid == 1234, 1);
	EXPECT_RET("fchownat(AT_SYMLINK_NOFOLLOW)", fchownat(AT_FDCWD, "l", 9, 9, AT_SYMLINK_NOFOLLOW), 0);
	EXPECT_RET("also the symlink", st_of("l").st_uid == 9 && st_of("f").st_uid == 1234, 1);
	EXPECT_RET("chown follows the symlink", chown("l", 0, 0), 0);
	EXPECT_RET("to the target", st_of("f").st_uid == 0 && st_of("l").st_uid == 9, 1);
	int fd = open("f", O_RDONLY);
	EXPECT_RET("fchown", fchown(fd, 3, 4), 0);
	EXPECT_RET("fchown's owner", st_of("f").st_uid == 3 && st_of("f").st_gid == 4, 1);
	EXPECT_RET("fchownat(fd, \"\", AT_EMPTY_PATH)", fchownat(fd, "", 0, 0, AT_EMPTY_PATH), 0);
	EXPECT_RET("owner back to root", st_of("f").st_uid, 0);
	close(fd);
	EXPECT_ERRNO("fchownat with an unknown flag", fchownat(AT_FDCWD, "f", 0, 0, 0x1), EINVAL);
	EXPECT_ERRNO("chown of a missing name", chown("missing", 0, 0), ENOENT);
	rmdir("d");
}

static void check_times(void)
{
	struct timespec ts[2] = {{1000000000, 123456789}, {1500000000, 987654321}};
	EXPECT_RET("utimensat with explicit times", utimensat(AT_FDCWD, "f", ts, 0), 0);
	struct stat st = st_of("f");
	EXPECT_RET("atime set to the nanosecond", st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 123456789,
		   1);
	EXPECT_RET("mtime set to the nanosecond", st.st_mtim.tv_sec == 1500000000 && st.st_mtim.tv_nsec == 987654321,
		   1);
	EXPECT_RET("ctime became now", recent(st.st_ctim), 1);
	struct timespec omit_now[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
	EXPECT_RET("UTIME_OMIT and UTIME_NOW", utimensat(AT_FDCWD, "f", omit_now, 0), 0);
	st = st_of("f");
	EXPECT_RET("atime kept, mtime now", st.st_atim.tv_sec == 1000000000 && recent(st.st_mtim), 1);
	EXPECT_RET("utimensat(NULL times) sets both to now", utimensat(AT_FDCWD, "f", NULL, 0), 0);
	st = st_of("f");
	EXPECT_RET("both now", recent(st.st_atim) && recent(st.st_mtim), 1);
	struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
	EXPECT_ERRNO("a nanosecond count out of range", utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
	struct timespec omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
	EXPECT_RET("both UTIME_OMIT: nothing to do, not even a lookup",
		   syscall(SYS_utimensat, AT_FDCWD, "missing", omit, 0), 0);
	EXPECT_ERRNO("utimensat of a missing name", utimensat(AT_FDCWD, "missing", ts, 0), ENOENT);
	EXPECT_ERRNO("utimensat with an unknown flag", utimensat(AT_FDCWD, "f", ts, 0x1), EINVAL);
	EXPECT_RET("utimensat(AT_SYMLINK_NOFOLLOW) on a symlink", utimensat(AT_FDCWD, "l", ts, AT_SYMLINK_NOFOLLOW), 0);
	EXPECT_RET("sets the symlink's times only", st_of("l").st_mtim.tv_sec == 1500000000 &&
							st_of("f").st_mtim.tv_sec != 1500000000,
		   1);
	int fd = open("f", O_RDONLY);
	EXPECT_RET("futimens", futimens(fd, ts), 0);
	EXPECT_RET("futimens's mtime", st_of("f").st_mtim.tv_sec, 1500000000);
	EXPECT_ERRNO("utimensat(fd, NULL) with a flag", syscall(SYS_utimensat, fd, NULL, ts, AT_SYMLINK_NOFOLLOW),
		     EINVAL);
	close(fd);
	EXPECT_ERRNO("futimens of a bad descriptor", futimens(99, ts), EBADF);

	struct timeval tv[2] = {{1100000000, 5}, {1200000000, 6}};
	EXPECT_RET("utimes", utimes("f", tv), 0);
	st = st_of("f");
	EXPECT_RET("utimes's microseconds", st.st_atim.tv_nsec == 5000 && st.st_mtim.tv_sec == 1200000000, 1);
	struct timeval badtv[2] = {{0, 1000000}, {0, 0}};
	EXPECT_ERRNO("utimes with microseconds out of range", syscall(SYS_utimes, "f", badtv), EINVAL);
	struct utimbuf ub = {1300000000, 1400000000};
	EXPECT_RET("utime", syscall(SYS_utime, "f", &ub), 0);
	st = st_of("f");
	EXPECT_RET("utime's times", st.st_atime == 1300000000 && st.st_mtime == 1400000000, 1);

	/* What updates the times by itself. */
	struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
	utimensat(AT_FDCWD, "f", old, 0);
	fd = open("f", O_WRONLY);
	write(fd, "x", 1);
	close(fd);
	st = st_of("f");
	EXPECT_RET("a write updates mtime", recent(st.st_mtim), 1);
	EXPECT_RET("and ctime", recent(st.st_ctim), 1);
	utimensat(AT_FDCWD, "f", old, 0);
	fd = open("f", O_WRONLY | O_TRUNC);
	close(fd);
	EXPECT_RET("O_TRUNC updates mtime", recent(st_of("f").st_mtim), 1);
	struct timespec a_old[2] = {{1000000000, 0}, {0, UTIME_NOW}};
	utimensat(AT_FDCWD, "f", a_old, 0);
	touch("f", "data");
	fd = open("f", O_RDONLY);
	char c;
	read(fd, &c, 1);
	close(fd);
	EXPECT_RET("a read updates an atime older than mtime (relatime)", recent(st_of("f").st_atim), 1);
	utimensat(AT_FDCWD, "f", a_old, 0);
	fd = open("f", O_RDONLY | O_NOATIME);
	read(fd, &c, 1);
	close(fd);
	EXPECT_RET("a read through O_NOATIME leaves it", st_of("f").st_atime, 1000000000);
	utimensat(AT_FDCWD, ".", old, 0);
	touch("new", "");
	EXPECT_RET("creating a name updates the directory's mtime", recent(st_of(".").st_mtim), 1);
	utimensat(AT_FDCWD, ".", old, 0);
	unlink("new");
	EXPECT_RET("removing one does too", recent(st_of(".").st_mtim), 1);
	utimensat(AT_FDCWD, "f", old, 0);
	chmod("f", 0644);
	st = st_of("f");
	EXPECT_RET("chmod changes ctime, not mtime", recent(st.st_ctim) && st.st_mtime == 1000000000, 1);
}

static void check_access_and_umask(void)
{
	EXPECT_RET("access(F_OK) of a file", access("f", F_OK), 0);
	EXPECT_ERRNO("access(F_OK) of a missing name", access("missing", F_OK), ENOENT);
	chmod("f", 0);
	EXPECT_RET("root may read and write a mode-0 file", access("f", R_OK | W_OK), 0);
	EXPECT_ERRNO("but not execute it", access("f", X_OK), EACCES);
	chmod("f", 0010);
	EXPECT_RET("one execute bit is enough for root", access("f", X_OK), 0);
	mkdir("d", 0);
	EXPECT_RET("root may search a mode-0 directory", access("d", X_OK), 0);
	rmdir("d");
	EXPECT_ERRNO("access with an invalid mode", syscall(SYS_access, "f", 8), EINVAL);
	EXPECT_RET("faccessat", syscall(SYS_faccessat, AT_FDCWD, "f", R_OK), 0);
	symlink("nowhere", "dangling");
	EXPECT_ERRNO("faccessat2 follows a dangling symlink", syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, 0),
		     ENOENT);
	EXPECT_RET("faccessat2(AT_SYMLINK_NOFOLLOW) does not",
		   syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	EXPECT_RET("faccessat2(AT_EACCESS)", syscall(SYS_faccessat2, AT_FDCWD, "f", R_OK, AT_EACCESS), 0);
	EXPECT_ERRNO("faccessat2 with an unknown flag", syscall(SYS_faccessat2, AT_FDCWD, "f", R_OK, 0x1), EINVAL);
	int fd = open(".", O_RDONLY);
	EXPECT_RET("faccessat2(fd, \"\", AT_EMPTY_PATH)", syscall(SYS_faccessat2, fd, "", R_OK, AT_EMPTY_PATH), 0);
	close(fd);
	unlink("dangling");
	chmod("f", 0644);

	mode_t old = umask(027);
	EXPECT_RET("umask returns the previous mask", umask(0777 | 01000), 027);
	EXPECT_RET("and keeps only the permission bits", umask(old), 0777);
}

static void check_statfs(void)
{
	struct statfs s, fs;
	EXPECT_RET("statfs", statfs(".", &s), 0);
	EXPECT_RET("a block size", s.f_bsize > 0, 1);
	EXPECT_RET("free blocks within the total", s.f_bfree <= s.f_blocks && s.f_bavail <= s.f_blocks, 1);
	EXPECT_RET("names up to 255 bytes", s.f_namelen, 255);
	int fd = open("f", O_RDONLY);
	EXPECT_RET("fstatfs", fstatfs(fd, &fs), 0);
	EXPECT_RET("the same filesystem", fs.f_type == s.f_type && fs.f_bsize == s.f_bsize, 1);
	close(fd);
	fd = open("f", O_PATH);
	EXPECT_RET("fstatfs of an O_PATH descriptor", fstatfs(fd, &fs), 0);
	close(fd);
	EXPECT_ERRNO("statfs of a missing name", statfs("missing", &s), ENOENT);
	EXPECT_ERRNO("fstatfs of a bad descriptor", fstatfs(99, &s), EBADF);
	EXPECT_ERRNO("statfs into a bad buffer", syscall(SYS_statfs, ".", (void *)8), EFAULT);
}

int main(void)
{
	strcpy(dir, "/tmp/fsattrXXXXXX");
	if (!mkdtemp(dir) || chdir(dir) != 0) {
		tfail("cannot make a test directory under /tmp: errno=%d %s", errno, errno_name(errno));
		return tdone();
	}
	check_stat_fields();
	check_chmod();
	check_chown();
	check_times();
	check_access_and_umask();
	check_statfs();
	unlink("f");
	unlink("l");
	chdir("/");
	EXPECT_RET("the test directory is empty at the end", rmdir(dir), 0);
	return tdone();
}
