/*
 * memfdseal: memfd beside memfd.c, with more on seals and mappings:
 * memfd_create (flags, CLOEXEC, names up to 249 bytes, bad pointers,
 * MFD_HUGETLB), the file it makes (a regular file of mode 0777 whatever
 * the umask, no links, read/write/lseek/ftruncate/fallocate, its
 * /proc/self/fd link and /proc/self/maps name "/memfd:NAME (deleted)", a
 * reopen through /proc/self/fd), a MAP_SHARED mapping shared across fork,
 * and file seals through fcntl F_ADD_SEALS / F_GET_SEALS: F_SEAL_SEAL by
 * default, SHRINK, GROW, WRITE (EBUSY while a shared mapping may write),
 * FUTURE_WRITE (existing mappings keep writing), unknown seals, files
 * that are not memfds, and a descriptor open read-only; mprotect of shared
 * mappings that may not write, a mapping held by a forked child against
 * F_SEAL_WRITE, a mounted tmpfs file's F_SEAL_SEAL, and fexecve of a memfd.
 */
#include "common.h"
#include "procparse.h"

#include <fcntl.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#define MFD_HUGE_2MB (21U << 26)
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

#define PAGE 4096

static int memfd(const char *name, unsigned flags)
{
	return (int)syscall(SYS_memfd_create, name, flags);
}

static int sealable(const char *name)
{
	int fd = memfd(name, MFD_ALLOW_SEALING);
	if (fd < 0)
		tfail("memfd_create(%s, MFD_ALLOW_SEALING): %s", name, errno_name(errno));
	return fd;
}

/* The file open again through /proc/self/fd with `flags`. */
static int reopen(int fd, int flags)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return open(path, flags);
}

static void test_flags(void)
{
	int fd = memfd("plain", 0);
	if (fd < 0) {
		tfail("memfd_create(\"plain\", 0): %s", errno_name(errno));
		return;
	}
	tpass("memfd_create(\"plain\", 0) gives a descriptor");
	EXPECT_RET("F_GETFL access mode is O_RDWR", fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	EXPECT_RET("without MFD_CLOEXEC F_GETFD", fcntl(fd, F_GETFD), 0);
	close(fd);
	fd = memfd("cloexec", MFD_CLOEXEC);
	EXPECT_RET("MFD_CLOEXEC sets FD_CLOEXEC", fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);
	EXPECT_ERRNO("unknown flag 0x100", memfd("x", 0x100), EINVAL);
	EXPECT_ERRNO("unknown flag 0x80000000", memfd("x", 0x80000000U), EINVAL);
	EXPECT_ERRNO("huge page size without MFD_HUGETLB", memfd("x", MFD_HUGE_2MB), EINVAL);
	EXPECT_ERRNO("bad name pointer", memfd((const char *)8, 0), EFAULT);

	char name[300];
	memset(name, 'n', sizeof name);
	name[249] = 0;
	fd = memfd(name, 0);
	EXPECT_RET("a 249-byte name is accepted", fd >= 0, 1);
	close(fd);
	name[249] = 'n';
	name[250] = 0;
	EXPECT_ERRNO("a 250-byte name", memfd(name, 0), EINVAL);
	EXPECT_RET("an empty name is accepted", (fd = memfd("", 0)) >= 0, 1);
	close(fd);

	/* Without huge pages a kernel refuses MFD_HUGETLB; Linux with
	 * hugetlbfs makes the file. */
	fd = memfd("huge", MFD_HUGETLB);
	if (fd >= 0 || errno == EINVAL)
		tpass("MFD_HUGETLB either works or is EINVAL (%s)", fd >= 0 ? "works" : "EINVAL");
	else
		tfail("MFD_HUGETLB -> %s", errno_name(errno));
	if (fd >= 0)
		close(fd);
}

static void test_file(void)
{
	mode_t old = umask(022);
	int fd = memfd("file", 0);
	umask(old);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		tfail("fstat of a memfd: %s", errno_name(errno));
		return;
	}
	EXPECT_RET("fstat: a regular file", S_ISREG(st.st_mode), 1);
	EXPECT_RET("fstat: mode 0777 despite umask 022", st.st_mode & 07777, 0777);
	EXPECT_RET("fstat: no links", st.st_nlink, 0);
	EXPECT_RET("fstat: size 0", st.st_size, 0);
	EXPECT_RET("fstat: owner is the caller", st.st_uid, getuid());

	EXPECT_RET("write 5 bytes", write(fd, "hello", 5), 5);
	EXPECT_RET("lseek SEEK_END", lseek(fd, 0, SEEK_END), 5);
	char buf[16] = {0};
	EXPECT_RET("pread 5 bytes", pread(fd, buf, sizeof buf, 0), 5);
	EXPECT_RET("read back \"hello\"", memcmp(buf, "hello", 5), 0);
	EXPECT_RET("ftruncate to 8192", ftruncate(fd, 8192), 0);
	EXPECT_RET("fstat size 8192", (fstat(fd, &st), st.st_size), 8192);
	EXPECT_RET("pread past the old end reads zeroes", pread(fd, buf, 4, 6000) == 4 && !memcmp(buf, "\0\0\0\0", 4), 1);
	EXPECT_RET("fallocate to 16384", fallocate(fd, 0, 0, 16384), 0);
	EXPECT_RET("fstat size 16384", (fstat(fd, &st), st.st_size), 16384);
	EXPECT_RET("ftruncate to 3", ftruncate(fd, 3), 0);
	EXPECT_RET("read after shrink", pread(fd, buf, sizeof buf, 0), 3);

	char path[64], link[128] = {0};
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	long n = readlink(path, link, sizeof link - 1);
	if (n > 0 && strcmp(link, "/memfd:file (deleted)") == 0)
		tpass("readlink %s is \"/memfd:file (deleted)\"", path);
	else
		tfail("readlink %s -> %ld \"%s\" %s", path, n, link, errno_name(errno));

	int again = reopen(fd, O_RDWR);
	EXPECT_RET("reopen through /proc/self/fd", again >= 0, 1);
	EXPECT_RET("the reopened file reads the same bytes", pread(again, buf, 3, 0) == 3 && !memcmp(buf, "hel", 3), 1);
	EXPECT_RET("the reopened file has its own offset", lseek(again, 0, SEEK_CUR), 0);
	close(again);
	close(fd);
}

/* Whether /proc/self/maps has a line naming `name`. */
static int maps_has(const char *name)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = 0;
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, name))
			found = 1;
	if (f)
		fclose(f);
	return found;
}

static void test_shared_mapping(void)
{
	int fd = memfd("shared", 0);
	ftruncate(fd, PAGE);
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		tfail("mmap MAP_SHARED of a memfd: %s", errno_name(errno));
		close(fd);
		return;
	}
	tpass("mmap MAP_SHARED|PROT_WRITE of a memfd");
	EXPECT_RET("/proc/self/maps names /memfd:shared (deleted)", maps_has("/memfd:shared (deleted)"), 1);
	pid_t pid = fork();
	if (pid == 0) {
		memcpy(p, "child", 5);
		pwrite(fd, "FD", 2, 100);
		_exit(0);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("the child's store shows in the parent's mapping", memcmp(p, "child", 5), 0);
	EXPECT_RET("the child's write(2) shows in the mapping", memcmp(p + 100, "FD", 2), 0);
	char buf[5] = {0};
	EXPECT_RET("and read(2) sees the mapping's bytes", pread(fd, buf, 5, 0) == 5 && !memcmp(buf, "child", 5), 1);
	munmap(p, PAGE);
	close(fd);
}

static void test_default_seals(void)
{
	int fd = memfd("noseal", 0);
	EXPECT_RET("without MFD_ALLOW_SEALING F_GET_SEALS", fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
	EXPECT_ERRNO("F_ADD_SEALS without MFD_ALLOW_SEALING", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	close(fd);

	fd = sealable("seals");
	EXPECT_RET("with MFD_ALLOW_SEALING F_GET_SEALS", fcntl(fd, F_GET_SEALS), 0);
	EXPECT_ERRNO("F_ADD_SEALS of an unknown seal 0x100", fcntl(fd, F_ADD_SEALS, 0x100), EINVAL);
	EXPECT_RET("F_ADD_SEALS of nothing", fcntl(fd, F_ADD_SEALS, 0), 0);
	int ro = reopen(fd, O_RDONLY);
	EXPECT_ERRNO("F_ADD_SEALS through a read-only descriptor", fcntl(ro, F_ADD_SEALS, F_SEAL_SHRINK), EPERM);
	EXPECT_RET("F_GET_SEALS through a read-only descriptor", fcntl(ro, F_GET_SEALS), 0);
	close(ro);
	EXPECT_RET("F_ADD_SEALS F_SEAL_SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL), 0);
	EXPECT_ERRNO("F_ADD_SEALS after F_SEAL_SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), EPERM);
	EXPECT_RET("F_GET_SEALS after F_SEAL_SEAL", fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
	close(fd);

	int pipefd[2];
	pipe(pipefd);
	/* fcntl's argument is cut to 32 bits: 1 << 32 | 2 adds F_SEAL_SHRINK. */
	fd = sealable("wide");
	EXPECT_RET("F_ADD_SEALS of (1 << 32) | F_SEAL_SHRINK", syscall(SYS_fcntl, fd, F_ADD_SEALS, 1UL << 32 | 2), 0);
	EXPECT_RET("adds F_SEAL_SHRINK", fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK);
	close(fd);

	EXPECT_ERRNO("F_GET_SEALS on a pipe", fcntl(pipefd[0], F_GET_SEALS), EINVAL);
	EXPECT_ERRNO("F_ADD_SEALS on a pipe", fcntl(pipefd[1], F_ADD_SEALS, F_SEAL_SEAL), EINVAL);
	close(pipefd[0]);
	close(pipefd[1]);
	int exe = open("/proc/self/exe", O_RDONLY);
	EXPECT_ERRNO("F_GET_SEALS on a file not on tmpfs", fcntl(exe, F_GET_SEALS), EINVAL);
	close(exe);
}

static void test_shrink_grow(void)
{
	int fd = sealable("size");
	ftruncate(fd, 2 * PAGE);
	EXPECT_RET("F_ADD_SEALS F_SEAL_SHRINK", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	EXPECT_ERRNO("SHRINK: ftruncate smaller", ftruncate(fd, PAGE), EPERM);
	EXPECT_RET("SHRINK: ftruncate to the same size", ftruncate(fd, 2 * PAGE), 0);
	EXPECT_RET("SHRINK: ftruncate larger", ftruncate(fd, 3 * PAGE), 0);
	int again = -1;
	EXPECT_ERRNO("SHRINK: open with O_TRUNC", again = reopen(fd, O_RDWR | O_TRUNC), EPERM);
	if (again >= 0)
		close(again);
	EXPECT_RET("F_ADD_SEALS F_SEAL_GROW", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), 0);
	EXPECT_RET("F_GET_SEALS is SHRINK|GROW", fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW);
	EXPECT_ERRNO("GROW: ftruncate larger", ftruncate(fd, 4 * PAGE), EPERM);
	/* Checked page by page: the bytes before the page that would grow
	 * the file are written. */
	EXPECT_RET("GROW: a write across the end stops there", pwrite(fd, "abcd", 4, 3 * PAGE - 2), 2);
	EXPECT_ERRNO("GROW: write at the end", pwrite(fd, "abcd", 4, 3 * PAGE), EPERM);
	EXPECT_RET("GROW: write inside the file", pwrite(fd, "abcd", 4, 100), 4);
	EXPECT_ERRNO("GROW: fallocate beyond the end", fallocate(fd, 0, 0, 4 * PAGE), EPERM);
	EXPECT_ERRNO("GROW: fallocate KEEP_SIZE beyond the end", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4 * PAGE),
		     EPERM);
	EXPECT_RET("GROW: fallocate inside", fallocate(fd, 0, 0, PAGE), 0);
	struct stat st;
	EXPECT_RET("the size never moved", (fstat(fd, &st), st.st_size), 3 * PAGE);
	close(fd);
}

static void test_write_seal(void)
{
	int fd = sealable("write");
	ftruncate(fd, PAGE);
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_ERRNO("F_SEAL_WRITE with a writable shared mapping", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
	pid_t pid = fork();
	if (pid == 0) {
		munmap(p, PAGE);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	EXPECT_ERRNO("F_SEAL_WRITE while the parent still maps it", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
	munmap(p, PAGE);
	char *priv = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_RET("F_SEAL_WRITE after munmap (a private mapping does not count)",
		   fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
	EXPECT_ERRNO("WRITE: write", write(fd, "x", 1), EPERM);
	EXPECT_ERRNO("WRITE: pwrite", pwrite(fd, "x", 1, 10), EPERM);
	EXPECT_RET("WRITE: an empty write", write(fd, "x", 0), 0);
	EXPECT_ERRNO("WRITE: mmap MAP_SHARED|PROT_WRITE",
		     (long)mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
	EXPECT_ERRNO("WRITE: fallocate PUNCH_HOLE",
		     fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PAGE), EPERM);
	priv[0] = 'p';
	tpass("WRITE: a private mapping still takes stores");
	char c = 1;
	EXPECT_RET("WRITE: the file is untouched by them", pread(fd, &c, 1, 0) == 1 && c == 0, 1);
	EXPECT_RET("WRITE: ftruncate still works without SHRINK/GROW", ftruncate(fd, 2 * PAGE), 0);
	/* Linux 6.1 refuses any shared mapping of a writable descriptor once
	 * sealed; later kernels allow a read-only one that mprotect cannot
	 * make writable. */
	char *ro = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (ro == MAP_FAILED && errno == EPERM)
		tpass("WRITE: a read-only shared mapping is EPERM (Linux 6.1)");
	else if (ro != MAP_FAILED && mprotect(ro, PAGE, PROT_READ | PROT_WRITE) == -1 && errno == EACCES)
		tpass("WRITE: a read-only shared mapping cannot be made writable");
	else
		tfail("WRITE: read-only shared mapping %p errno %s", ro, errno_name(errno));
	int rofd = reopen(fd, O_RDONLY);
	char *viaro = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, rofd, 0);
	EXPECT_RET("WRITE: a shared mapping through a read-only descriptor", viaro != MAP_FAILED, 1);
	EXPECT_ERRNO("mprotect PROT_WRITE of a read-only descriptor's shared mapping",
		     mprotect(viaro, PAGE, PROT_READ | PROT_WRITE), EACCES);
	close(rofd);
	close(fd);
}

/* A mapping inherited by a child counts until the child lets it go. */
static void test_write_seal_after_fork(void)
{
	int fd = sealable("forked");
	ftruncate(fd, PAGE);
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int go[2];
	pipe(go);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(go[1]);
		read(go[0], &c, 1); /* until the parent has checked */
		_exit(p[0] == 0 ? 0 : 1);
	}
	close(go[0]);
	munmap(p, PAGE);
	EXPECT_ERRNO("F_SEAL_WRITE while a child holds the shared mapping", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE),
		     EBUSY);
	close(go[1]);
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("F_SEAL_WRITE once the child has exited", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
	close(fd);
}

/* Files of a mounted tmpfs carry F_SEAL_SEAL: seals exist, none can be
 * added. As init (here, inside the kernel under test) /dev/shm is mounted
 * first if missing. */
static void test_tmpfs_file(void)
{
	struct statfs sf;
	if (getpid() == 1 && (statfs("/dev/shm", &sf) != 0 || sf.f_type != TMPFS_MAGIC)) {
		mkdir("/dev", 0755);
		mkdir("/dev/shm", 01777);
		mount("tmpfs", "/dev/shm", "tmpfs", 0, NULL);
	}
	if (statfs("/dev/shm", &sf) != 0 || sf.f_type != TMPFS_MAGIC) {
		tconf("no tmpfs on /dev/shm");
		return;
	}
	char path[64];
	snprintf(path, sizeof path, "/dev/shm/memfd-test-%d", getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	unlink(path);
	EXPECT_RET("a tmpfs file's F_GET_SEALS", fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
	EXPECT_ERRNO("F_ADD_SEALS on a tmpfs file", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	close(fd);
}

static void test_future_write(void)
{
	int fd = sealable("future");
	ftruncate(fd, PAGE);
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_RET("F_SEAL_FUTURE_WRITE with a writable mapping", fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), 0);
	EXPECT_ERRNO("FUTURE_WRITE: write", write(fd, "x", 1), EPERM);
	memcpy(p, "still", 5);
	char buf[5] = {0};
	EXPECT_RET("FUTURE_WRITE: the old mapping still writes the file",
		   pread(fd, buf, 5, 0) == 5 && !memcmp(buf, "still", 5), 1);
	EXPECT_ERRNO("FUTURE_WRITE: a new writable shared mapping",
		     (long)mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
	char *ro = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_RET("FUTURE_WRITE: a read-only shared mapping", ro != MAP_FAILED, 1);
	EXPECT_RET("FUTURE_WRITE: it reads the file", ro != MAP_FAILED && !memcmp(ro, "still", 5), 1);
	EXPECT_ERRNO("FUTURE_WRITE: mprotect makes it writable", mprotect(ro, PAGE, PROT_READ | PROT_WRITE), EACCES);
	EXPECT_RET("FUTURE_WRITE: F_GET_SEALS", fcntl(fd, F_GET_SEALS), F_SEAL_FUTURE_WRITE);
	munmap(p, PAGE);
	close(fd);
}

/* A program copied into a memfd runs with fexecve, as runc and friends do. */
static void test_exec(void)
{
	int exe = open("/proc/self/exe", O_RDONLY);
	int fd = memfd("program", MFD_CLOEXEC);
	char buf[65536];
	long n, total = 0;
	while ((n = read(exe, buf, sizeof buf)) > 0)
		total += write(fd, buf, n) == n ? n : 0;
	close(exe);
	struct stat st;
	fstat(fd, &st);
	EXPECT_RET("the program was copied whole", total == st.st_size && total > 0, 1);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = {"memfd", "exec-child", NULL};
		char *envp[] = {NULL};
		fexecve(fd, argv, envp);
		_exit(99);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("fexecve of the memfd runs the program (exit 42)", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 42);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0)
		return 42;
	proc_mount_if_needed();
	test_flags();
	test_file();
	test_shared_mapping();
	test_default_seals();
	test_shrink_grow();
	test_write_seal();
	test_write_seal_after_fork();
	test_future_write();
	test_tmpfs_file();
	test_exec();
	return tdone();
}
