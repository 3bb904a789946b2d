/*
 * memfd: memfd_create through the raw call and libc (the /proc/self/fd link
 * "/memfd:NAME (deleted)", MFD_CLOEXEC, MFD_ALLOW_SEALING, bad flags, names
 * too long or unreadable, the order of those checks), the file it makes (a
 * regular file of size 0, mode 0777, no links; read, write, lseek,
 * ftruncate, MAP_SHARED mappings seen by a forked child through its own
 * mapping), and file sealing with fcntl F_ADD_SEALS and F_GET_SEALS:
 * F_SEAL_SEAL on a memfd made without MFD_ALLOW_SEALING, F_SEAL_WRITE (write
 * and shared writable mappings refused, EBUSY while a shared mapping
 * exists), F_SEAL_SHRINK, F_SEAL_GROW (including writes that cross the end),
 * F_SEAL_SEAL, F_SEAL_FUTURE_WRITE (existing mappings keep writing), unknown
 * seal bits, and files that are not memfds (pipes, regular files of /tmp,
 * tmpfs and ramfs).
 *
 * Only what Linux 6.1 does too: no MFD_NOEXEC_SEAL, MFD_EXEC or F_SEAL_EXEC.
 */
#include "common.h"
#include "procparse.h"
#include "socktest.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#define TMPFS_MAGIC 0x01021994
#define RAMFS_MAGIC 0x858458f6
#define PAGE 4096

static long memfd(const char *name, unsigned flags)
{
	return syscall(SYS_memfd_create, name, flags);
}

static int reaped_ok(pid_t pid)
{
	int status = -1;
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static long size_of(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? (long)st.st_size : -1;
}

/* readlink of /proc/self/fd/N into buf; returns its length or -1. */
static long fd_link(int fd, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	long n = readlink(path, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static void check_fd(const char *what, long fd)
{
	int e = errno;
	if (fd >= 0)
		tpass("%s -> a descriptor", what);
	else
		tfail("%s -> %ld errno=%d %s", what, fd, e, errno_name(e));
}

/* Whether the len bytes at p are all c. */
static int all(const char *p, int c, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

static void test_create(void)
{
	char link[512], want[512];
	long fd = memfd("kestrel", 0);
	check_fd("raw memfd_create(\"kestrel\", 0)", fd);
	fd_link(fd, link, sizeof link);
	if (strcmp(link, "/memfd:kestrel (deleted)") == 0)
		tpass("readlink /proc/self/fd/N is \"/memfd:kestrel (deleted)\"");
	else
		tfail("readlink /proc/self/fd/N is \"%s\", expected \"/memfd:kestrel (deleted)\"", link);
	EXPECT_RET("it is not close-on-exec", fcntl(fd, F_GETFD), 0);
	EXPECT_RET("F_GETFL is O_RDWR|O_LARGEFILE", fcntl(fd, F_GETFL), O_RDWR | 0100000);
	struct stat st;
	EXPECT_RET("fstat", fstat(fd, &st), 0);
	EXPECT_RET("it is a regular file", S_ISREG(st.st_mode), 1);
	EXPECT_RET("of mode 0777", st.st_mode & 07777, 0777);
	EXPECT_RET("of size 0", st.st_size, 0);
	EXPECT_RET("with no links", st.st_nlink, 0);
	EXPECT_RET("owned by us", st.st_uid == getuid() && st.st_gid == getgid(), 1);
	EXPECT_RET("st_blksize is the page size", st.st_blksize, PAGE);
	close(fd);

	fd = memfd("cloexec", MFD_CLOEXEC);
	EXPECT_RET("MFD_CLOEXEC sets FD_CLOEXEC", fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);
	fd = memfd("both", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	check_fd("MFD_CLOEXEC | MFD_ALLOW_SEALING", fd);
	close(fd);
	fd = memfd_create("libc", MFD_CLOEXEC);
	check_fd("libc memfd_create", fd);
	fd_link(fd, link, sizeof link);
	EXPECT_RET("its link names it", strcmp(link, "/memfd:libc (deleted)"), 0);
	close(fd);

	/* Names: anything up to 249 bytes, even empty, even with a slash. */
	fd = memfd("", 0);
	check_fd("an empty name", fd);
	fd_link(fd, link, sizeof link);
	if (strcmp(link, "/memfd: (deleted)") == 0)
		tpass("its link is \"/memfd: (deleted)\"");
	else
		tfail("its link is \"%s\", expected \"/memfd: (deleted)\"", link);
	close(fd);
	fd = memfd("a/b c", 0);
	check_fd("a name with a slash and a space", fd);
	fd_link(fd, link, sizeof link);
	if (strcmp(link, "/memfd:a/b c (deleted)") == 0)
		tpass("its link is \"/memfd:a/b c (deleted)\"");
	else
		tfail("its link is \"%s\", expected \"/memfd:a/b c (deleted)\"", link);
	close(fd);
	char name[300];
	memset(name, 'n', sizeof name);
	name[249] = '\0';
	fd = memfd(name, 0);
	check_fd("a name of 249 bytes", fd);
	snprintf(want, sizeof want, "/memfd:%s (deleted)", name);
	EXPECT_RET("its whole name is in the link (266 bytes)", fd_link(fd, link, sizeof link) == 266 &&
		   strcmp(link, want) == 0, 1);
	close(fd);
	name[249] = 'n';
	name[250] = '\0';
	EXPECT_ERRNO("a name of 250 bytes", memfd(name, 0), EINVAL);
	name[299] = '\0';
	EXPECT_ERRNO("a name of 299 bytes", memfd(name, 0), EINVAL);
	EXPECT_ERRNO("a NULL name", memfd(NULL, 0), EFAULT);
	EXPECT_ERRNO("a bad name pointer", memfd((void *)1, 0), EFAULT);
	char *two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(two + PAGE, PAGE);
	memcpy(two + PAGE - 3, "abc", 3);
	EXPECT_ERRNO("a name running into an unmapped page", memfd(two + PAGE - 3, 0), EFAULT);
	two[PAGE - 1] = '\0';
	fd = memfd(two + PAGE - 3, 0);
	check_fd("a name ending just before an unmapped page", fd);
	close(fd);
	munmap(two, PAGE);

	EXPECT_ERRNO("flag 0x20", memfd("x", 0x20), EINVAL);
	EXPECT_ERRNO("flag 0x100", memfd("x", 0x100), EINVAL);
	EXPECT_ERRNO("flag 0x80000000", memfd("x", 0x80000000u), EINVAL);
	EXPECT_ERRNO("a huge page size (MFD_HUGE_2MB) without MFD_HUGETLB", memfd("x", 21u << 26), EINVAL);
	EXPECT_ERRNO("the flags are checked before the name is read", memfd((void *)1, 0x100), EINVAL);
	EXPECT_ERRNO("and before its length", memfd(name, 0x100), EINVAL);

	/* Two memfds of the same name are two files. */
	int a = memfd("same", 0), b = memfd("same", 0);
	write(a, "abc", 3);
	EXPECT_RET("two memfds of one name: writing one leaves the other empty", size_of(b), 0);
	close(a);
	close(b);
}

static void test_io(void)
{
	char buf[64];
	int fd = memfd("io", 0);
	EXPECT_RET("write 11 bytes", write(fd, "hello world", 11), 11);
	EXPECT_RET("the size is 11", size_of(fd), 11);
	EXPECT_RET("the offset is 11", lseek(fd, 0, SEEK_CUR), 11);
	EXPECT_RET("read at the end: 0", read(fd, buf, sizeof buf), 0);
	EXPECT_RET("lseek to 0", lseek(fd, 0, SEEK_SET), 0);
	memset(buf, 0, sizeof buf);
	EXPECT_RET("read reads 11", read(fd, buf, sizeof buf), 11);
	EXPECT_RET("what was written", memcmp(buf, "hello world", 11), 0);
	EXPECT_RET("pwrite at 6", pwrite(fd, "WORLD", 5, 6), 5);
	memset(buf, 0, sizeof buf);
	EXPECT_RET("pread at 0", pread(fd, buf, 11, 0), 11);
	EXPECT_RET("sees it", memcmp(buf, "hello WORLD", 11), 0);
	EXPECT_RET("lseek SEEK_END", lseek(fd, 0, SEEK_END), 11);
	EXPECT_RET("ftruncate to 2 pages", ftruncate(fd, 2 * PAGE), 0);
	EXPECT_RET("the size is 8192", size_of(fd), 2 * PAGE);
	memset(buf, 'x', sizeof buf);
	EXPECT_RET("read past the old end", pread(fd, buf, 16, 11), 16);
	EXPECT_RET("reads zeros", all(buf, 0, 16), 1);
	EXPECT_RET("ftruncate to 5", ftruncate(fd, 5), 0);
	EXPECT_RET("the size is 5", size_of(fd), 5);
	EXPECT_RET("pread of 64 at 0 reads 5", pread(fd, buf, sizeof buf, 0), 5);
	EXPECT_RET("a write at 100 leaves a hole", pwrite(fd, "z", 1, 100), 1);
	EXPECT_RET("the size is 101", size_of(fd), 101);
	EXPECT_RET("pread at 50", pread(fd, buf, 1, 50) == 1 && buf[0] == 0, 1);
	EXPECT_ERRNO("ftruncate to -1", ftruncate(fd, -1), EINVAL);

	/* Shared mappings. */
	ftruncate(fd, 2 * PAGE);
	char *m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_RET("mmap MAP_SHARED of 2 pages", m != MAP_FAILED, 1);
	if (m == MAP_FAILED) {
		close(fd);
		return;
	}
	EXPECT_RET("the mapping shows the file", memcmp(m, "hello", 5), 0);
	memcpy(m + PAGE, "mapped", 6);
	memset(buf, 0, sizeof buf);
	pread(fd, buf, 6, PAGE);
	EXPECT_RET("a store through the mapping is read by pread", memcmp(buf, "mapped", 6), 0);
	pwrite(fd, "written", 7, 200);
	EXPECT_RET("a pwrite is seen through the mapping", memcmp(m + 200, "written", 7), 0);

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *cm = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (cm == MAP_FAILED)
			_exit(2);
		if (memcmp(cm + PAGE, "mapped", 6) != 0 || memcmp(cm + 200, "written", 7) != 0)
			_exit(3);
		memcpy(cm + 300, "from the child", 14);
		memcpy(m + 400, "inherited", 9);
		_exit(0);
	}
	EXPECT_RET("a forked child's own mapping sees the data and stores into it", reaped_ok(pid), 1);
	EXPECT_RET("the parent's mapping sees the child's store", memcmp(m + 300, "from the child", 14), 0);
	memset(buf, 0, sizeof buf);
	pread(fd, buf, 14, 300);
	EXPECT_RET("so does pread", memcmp(buf, "from the child", 14), 0);
	EXPECT_RET("a store through the mapping the child inherited too", memcmp(m + 400, "inherited", 9), 0);

	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_RET("mmap MAP_PRIVATE", p != MAP_FAILED, 1);
	p[0] = 'P';
	EXPECT_RET("a store to the private mapping stays private", m[0], 'h');
	munmap(p, PAGE);
	munmap(m, 2 * PAGE);
	close(fd);
}

static void test_seals_basic(void)
{
	int fd = memfd("plain", 0);
	EXPECT_RET("without MFD_ALLOW_SEALING, F_GET_SEALS is F_SEAL_SEAL", fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
	EXPECT_ERRNO("F_ADD_SEALS F_SEAL_WRITE on it", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	EXPECT_ERRNO("F_ADD_SEALS 0 on it", fcntl(fd, F_ADD_SEALS, 0), EPERM);
	EXPECT_ERRNO("unknown seal bits on it: EINVAL before EPERM", fcntl(fd, F_ADD_SEALS, 0x100), EINVAL);
	EXPECT_RET("it can be written", write(fd, "abc", 3), 3);
	EXPECT_RET("and truncated", ftruncate(fd, 0), 0);
	close(fd);

	fd = memfd("sealable", MFD_ALLOW_SEALING);
	EXPECT_RET("with MFD_ALLOW_SEALING, F_GET_SEALS is 0", fcntl(fd, F_GET_SEALS), 0);
	EXPECT_RET("F_ADD_SEALS 0", fcntl(fd, F_ADD_SEALS, 0), 0);
	EXPECT_ERRNO("F_ADD_SEALS 0x40", fcntl(fd, F_ADD_SEALS, 0x40), EINVAL);
	EXPECT_ERRNO("F_ADD_SEALS 0x100", fcntl(fd, F_ADD_SEALS, 0x100), EINVAL);
	EXPECT_ERRNO("F_ADD_SEALS 0x80000000", fcntl(fd, F_ADD_SEALS, 0x80000000UL), EINVAL);
	EXPECT_ERRNO("F_ADD_SEALS F_SEAL_SHRINK|0x100: nothing added", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | 0x100),
		     EINVAL);
	EXPECT_RET("F_GET_SEALS still 0", fcntl(fd, F_GET_SEALS), 0);
	EXPECT_RET("F_ADD_SEALS F_SEAL_SHRINK", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	EXPECT_RET("F_ADD_SEALS F_SEAL_GROW", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), 0);
	EXPECT_RET("seals add up: F_GET_SEALS is SHRINK|GROW", fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW);
	EXPECT_RET("adding one that is there already", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	EXPECT_RET("ftruncate to the same size with both", ftruncate(fd, 0), 0);
	int d = dup(fd);
	EXPECT_RET("a dup sees the seals", fcntl(d, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW);
	EXPECT_RET("F_ADD_SEALS through the dup", fcntl(d, F_ADD_SEALS, F_SEAL_WRITE), 0);
	EXPECT_RET("the original sees it", fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
	close(d);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(fcntl(fd, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) &&
		      fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) == 0 ? 0 : 1);
	EXPECT_RET("a forked child sees the seals and adds F_SEAL_SEAL", reaped_ok(pid), 1);
	EXPECT_RET("the parent sees F_SEAL_SEAL", fcntl(fd, F_GET_SEALS) & F_SEAL_SEAL, F_SEAL_SEAL);
	close(fd);
}

static void test_seal_write(void)
{
	char buf[PAGE];
	int fd = memfd("write", MFD_ALLOW_SEALING);
	memset(buf, 'a', sizeof buf);
	write(fd, buf, PAGE);

	char *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_ERRNO("F_SEAL_WRITE while a writable shared mapping exists", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE),
		     EBUSY);
	EXPECT_RET("no seal was added", fcntl(fd, F_GET_SEALS), 0);
	EXPECT_ERRNO("nor with F_SEAL_SHRINK alongside", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK), EBUSY);
	EXPECT_RET("F_SEAL_SHRINK was not added either", fcntl(fd, F_GET_SEALS), 0);
	munmap(m, PAGE);
	m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_ERRNO("a read-only shared mapping of the O_RDWR memfd blocks it too",
		     fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
	munmap(m, PAGE);
	char *priv = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_RET("with only a private writable mapping: F_SEAL_WRITE", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
	EXPECT_RET("F_GET_SEALS is F_SEAL_WRITE", fcntl(fd, F_GET_SEALS), F_SEAL_WRITE);
	priv[0] = 'p';
	EXPECT_RET("the private mapping still takes stores", priv[0], 'p');
	munmap(priv, PAGE);

	EXPECT_ERRNO("write", write(fd, "x", 1), EPERM);
	EXPECT_ERRNO("pwrite at 0", pwrite(fd, "x", 1, 0), EPERM);
	EXPECT_ERRNO("pwrite past the end", pwrite(fd, "x", 1, 2 * PAGE), EPERM);
	EXPECT_RET("a write of 0 bytes", write(fd, "x", 0), 0);
	EXPECT_RET("the contents are unchanged", pread(fd, buf, PAGE, 0) == PAGE && all(buf, 'a', PAGE), 1);
	errno = 0;
	void *w = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (w == MAP_FAILED && errno == EPERM)
		tpass("mmap PROT_READ|PROT_WRITE MAP_SHARED -> EPERM");
	else
		tfail("mmap PROT_READ|PROT_WRITE MAP_SHARED -> %p errno=%s, expected EPERM", w, errno_name(errno));
	errno = 0;
	w = mmap(NULL, PAGE, PROT_WRITE, MAP_SHARED, fd, 0);
	if (w == MAP_FAILED && errno == EPERM)
		tpass("mmap PROT_WRITE MAP_SHARED -> EPERM");
	else
		tfail("mmap PROT_WRITE MAP_SHARED -> %p errno=%s, expected EPERM", w, errno_name(errno));
	priv = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_RET("mmap PROT_READ|PROT_WRITE MAP_PRIVATE works", priv != MAP_FAILED, 1);
	if (priv != MAP_FAILED) {
		EXPECT_RET("and shows the file", priv[1], 'a');
		priv[1] = 'q';
		EXPECT_RET("a store to it does not reach the file", pread(fd, buf, 2, 0) == 2 && buf[1] == 'a', 1);
		munmap(priv, PAGE);
	}
	/* The size is the business of F_SEAL_SHRINK and F_SEAL_GROW, not of F_SEAL_WRITE. */
	EXPECT_RET("ftruncate larger is allowed", ftruncate(fd, 2 * PAGE), 0);
	EXPECT_RET("ftruncate smaller is allowed", ftruncate(fd, 100), 0);
	EXPECT_RET("the size is 100", size_of(fd), 100);
	EXPECT_RET("adding F_SEAL_WRITE again", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
	close(fd);
}

static void test_seal_size(void)
{
	char buf[2 * PAGE];
	memset(buf, 'g', sizeof buf);
	int fd = memfd("shrink", MFD_ALLOW_SEALING);
	write(fd, buf, PAGE);
	EXPECT_RET("F_SEAL_SHRINK", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	EXPECT_ERRNO("ftruncate smaller", ftruncate(fd, 100), EPERM);
	EXPECT_ERRNO("ftruncate to 0", ftruncate(fd, 0), EPERM);
	EXPECT_RET("ftruncate to the same size", ftruncate(fd, PAGE), 0);
	EXPECT_RET("ftruncate larger", ftruncate(fd, 2 * PAGE), 0);
	EXPECT_RET("the size is 8192", size_of(fd), 2 * PAGE);
	EXPECT_RET("a write past the end grows it", pwrite(fd, "x", 1, 3 * PAGE), 1);
	EXPECT_RET("writes in the middle", pwrite(fd, "x", 1, 10), 1);
	EXPECT_ERRNO("and it cannot come back", ftruncate(fd, 2 * PAGE), EPERM);
	close(fd);

	fd = memfd("grow", MFD_ALLOW_SEALING);
	write(fd, buf, PAGE);
	EXPECT_RET("F_SEAL_GROW", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), 0);
	EXPECT_ERRNO("ftruncate larger", ftruncate(fd, PAGE + 1), EPERM);
	EXPECT_RET("ftruncate to the same size", ftruncate(fd, PAGE), 0);
	EXPECT_ERRNO("pwrite past the end", pwrite(fd, "x", 1, PAGE), EPERM);
	EXPECT_ERRNO("pwrite far past the end", pwrite(fd, "x", 1, 10 * PAGE), EPERM);
	lseek(fd, 0, SEEK_END);
	EXPECT_ERRNO("write at the end", write(fd, "x", 1), EPERM);
	EXPECT_RET("pwrite of the last byte", pwrite(fd, "y", 1, PAGE - 1), 1);
	EXPECT_RET("pwrite of 10 bytes that end at the end", pwrite(fd, "0123456789", 10, PAGE - 10), 10);
	EXPECT_RET("the size is still 4096", size_of(fd), PAGE);
	/* A write is done a page at a time: the pages within the size are written. */
	EXPECT_RET("pwrite of 8192 bytes at 0 writes the 4096 within the size", pwrite(fd, buf, 2 * PAGE, 0), PAGE);
	EXPECT_RET("pwrite of 20 bytes at 4090 writes the 6 within it",
		   pwrite(fd, "abcdefghijklmnopqrst", 20, PAGE - 6), 6);
	EXPECT_RET("the size is still 4096", size_of(fd), PAGE);
	EXPECT_RET("ftruncate smaller is allowed", ftruncate(fd, 100), 0);
	/* Within one page, a write crossing the end is refused whole. */
	EXPECT_ERRNO("pwrite of 20 bytes at 90 crosses the end at 100", pwrite(fd, "abcdefghijklmnopqrst", 20, 90),
		     EPERM);
	char got[16];
	EXPECT_RET("nothing of it was written", pread(fd, got, 16, 90) == 10 && all(got, 'g', 10), 1);
	EXPECT_ERRNO("pwrite of 8192 bytes at 0 crosses it within the first page", pwrite(fd, buf, 2 * PAGE, 0),
		     EPERM);
	EXPECT_ERRNO("growing back with ftruncate", ftruncate(fd, PAGE), EPERM);
	char *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_RET("a shared writable mapping is allowed", m != MAP_FAILED, 1);
	if (m != MAP_FAILED) {
		m[5] = 'M';
		EXPECT_RET("a store into it within the size", pread(fd, got, 1, 5) == 1 && got[0] == 'M', 1);
		munmap(m, PAGE);
	}
	EXPECT_RET("F_SEAL_SHRINK too", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	EXPECT_RET("ftruncate to the same size", ftruncate(fd, 100), 0);
	EXPECT_ERRNO("ftruncate smaller", ftruncate(fd, 99), EPERM);
	EXPECT_ERRNO("ftruncate larger", ftruncate(fd, 101), EPERM);
	close(fd);
}

static void test_seal_seal(void)
{
	int fd = memfd("seal", MFD_ALLOW_SEALING);
	EXPECT_RET("F_SEAL_SHRINK|F_SEAL_SEAL in one call", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL), 0);
	EXPECT_RET("F_GET_SEALS is SHRINK|SEAL", fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_SEAL);
	EXPECT_ERRNO("F_ADD_SEALS F_SEAL_GROW", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), EPERM);
	EXPECT_ERRNO("F_ADD_SEALS of a seal already there", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), EPERM);
	EXPECT_ERRNO("F_ADD_SEALS 0", fcntl(fd, F_ADD_SEALS, 0), EPERM);
	EXPECT_ERRNO("F_ADD_SEALS F_SEAL_SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL), EPERM);
	EXPECT_ERRNO("unknown bits: EINVAL first", fcntl(fd, F_ADD_SEALS, 0x100), EINVAL);
	EXPECT_RET("F_GET_SEALS unchanged", fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_SEAL);
	EXPECT_RET("writes still work", write(fd, "abc", 3), 3);
	close(fd);
}

static void test_future_write(void)
{
	char buf[PAGE];
	memset(buf, 'f', sizeof buf);
	int fd = memfd("future", MFD_ALLOW_SEALING);
	write(fd, buf, PAGE);
	char *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_RET("F_SEAL_FUTURE_WRITE with a writable shared mapping: no EBUSY",
		   fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), 0);
	EXPECT_RET("F_GET_SEALS is F_SEAL_FUTURE_WRITE", fcntl(fd, F_GET_SEALS), F_SEAL_FUTURE_WRITE);
	EXPECT_ERRNO("write", write(fd, "x", 1), EPERM);
	EXPECT_ERRNO("pwrite past the end", pwrite(fd, "x", 1, 2 * PAGE), EPERM);
	m[10] = 'E';
	char c = 0;
	EXPECT_RET("the existing mapping still writes the file", pread(fd, &c, 1, 10) == 1 && c == 'E', 1);
	errno = 0;
	void *w = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (w == MAP_FAILED && errno == EPERM)
		tpass("a new mmap PROT_READ|PROT_WRITE MAP_SHARED -> EPERM");
	else
		tfail("a new mmap PROT_READ|PROT_WRITE MAP_SHARED -> %p errno=%s, expected EPERM", w,
		      errno_name(errno));
	char *r = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_RET("a new mmap PROT_READ MAP_SHARED works", r != MAP_FAILED, 1);
	if (r != MAP_FAILED) {
		EXPECT_RET("and shows the store", r[10], 'E');
		EXPECT_ERRNO("mprotect of it to PROT_WRITE", mprotect(r, PAGE, PROT_READ | PROT_WRITE), EACCES);
		munmap(r, PAGE);
	}
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_RET("a new MAP_PRIVATE writable mapping works", p != MAP_FAILED, 1);
	if (p != MAP_FAILED)
		munmap(p, PAGE);
	EXPECT_RET("ftruncate larger is allowed", ftruncate(fd, 2 * PAGE), 0);
	EXPECT_RET("ftruncate back is allowed", ftruncate(fd, PAGE), 0);
	EXPECT_ERRNO("F_SEAL_WRITE while the writable mapping exists", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
	munmap(m, PAGE);
	EXPECT_RET("F_SEAL_WRITE once it is gone", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
	EXPECT_RET("F_GET_SEALS is FUTURE_WRITE|WRITE", fcntl(fd, F_GET_SEALS), F_SEAL_FUTURE_WRITE | F_SEAL_WRITE);
	close(fd);
}

/* The seals of a regular file on a filesystem: tmpfs files are born sealed, others have none. */
static void check_file_seals(const char *where, const char *path)
{
	char what[160];
	struct statfs sf;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || fstatfs(fd, &sf) != 0) {
		tfail("%s: cannot create %s: %s", where, path, errno_name(errno));
		return;
	}
	if (sf.f_type == TMPFS_MAGIC) {
		snprintf(what, sizeof what, "a regular file on %s (tmpfs): F_GET_SEALS is F_SEAL_SEAL", where);
		EXPECT_RET(what, fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
		snprintf(what, sizeof what, "a regular file on %s (tmpfs): F_ADD_SEALS", where);
		EXPECT_ERRNO(what, fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	} else {
		snprintf(what, sizeof what, "a regular file on %s (f_type %#lx): F_GET_SEALS", where,
			 (unsigned long)sf.f_type);
		EXPECT_ERRNO(what, fcntl(fd, F_GET_SEALS), EINVAL);
		snprintf(what, sizeof what, "a regular file on %s (f_type %#lx): F_ADD_SEALS", where,
			 (unsigned long)sf.f_type);
		EXPECT_ERRNO(what, fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EINVAL);
	}
	snprintf(what, sizeof what, "a regular file on %s: unknown seal bits", where);
	EXPECT_ERRNO(what, fcntl(fd, F_ADD_SEALS, 0x100), EINVAL);
	close(fd);
	fd = open(path, O_RDONLY);
	snprintf(what, sizeof what, "the file on %s opened O_RDONLY: F_ADD_SEALS is EPERM first", where);
	EXPECT_ERRNO(what, fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	snprintf(what, sizeof what, "the file on %s opened O_RDONLY: even with unknown bits", where);
	EXPECT_ERRNO(what, fcntl(fd, F_ADD_SEALS, 0x100), EPERM);
	close(fd);
	unlink(path);
}

static void test_not_memfd(void)
{
	int p[2];
	pipe(p);
	EXPECT_ERRNO("F_GET_SEALS on a pipe", fcntl(p[0], F_GET_SEALS), EINVAL);
	EXPECT_ERRNO("F_ADD_SEALS on a pipe's write end", fcntl(p[1], F_ADD_SEALS, F_SEAL_WRITE), EINVAL);
	EXPECT_ERRNO("F_ADD_SEALS on a pipe's read end: EPERM, not open for writing",
		     fcntl(p[0], F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	close(p[0]);
	close(p[1]);
	EXPECT_ERRNO("F_GET_SEALS on a closed descriptor", fcntl(999, F_GET_SEALS), EBADF);
	EXPECT_ERRNO("F_ADD_SEALS on a closed descriptor", fcntl(999, F_ADD_SEALS, 0), EBADF);

	check_file_seals("/tmp", "/tmp/memfd-seals");

	char base[64], dir[80];
	snprintf(base, sizeof base, "/tmp/memfd.%d", getpid());
	mkdir(base, 0700);
	snprintf(dir, sizeof dir, "%s/t", base);
	mkdir(dir, 0700);
	if (mount("tmpfs", dir, "tmpfs", 0, NULL) == 0) {
		char path[100];
		snprintf(path, sizeof path, "%s/f", dir);
		check_file_seals("a new tmpfs", path);
		umount(dir);
	} else {
		tconf("mount tmpfs: %s", errno_name(errno));
	}
	rmdir(dir);
	snprintf(dir, sizeof dir, "%s/r", base);
	mkdir(dir, 0700);
	if (mount("ramfs", dir, "ramfs", 0, NULL) == 0) {
		char path[100];
		snprintf(path, sizeof path, "%s/f", dir);
		check_file_seals("a new ramfs", path);
		umount(dir);
	} else {
		tconf("mount ramfs: %s", errno_name(errno));
	}
	rmdir(dir);
	rmdir(base);
}

int main(void)
{
	proc_mount_if_needed();
	run(test_create);
	run(test_io);
	run(test_seals_basic);
	run(test_seal_write);
	run(test_seal_size);
	run(test_seal_seal);
	run(test_future_write);
	run(test_not_memfd);
	return tdone();
}
