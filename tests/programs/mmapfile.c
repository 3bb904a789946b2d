/*
 * File mappings: MAP_SHARED writes reach the file (read by another process
 * after msync), write() is seen through a mapping, MAP_PRIVATE writes stay
 * private, SIGBUS past the end of the file with zeroes up to the page's
 * end, /dev/zero mappings, and mmap's access and argument errors.
 */
#include "common.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define PAGE 4096

static sigjmp_buf escape;
static volatile int caught_sig, caught_code;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	caught_sig = sig;
	caught_code = si->si_code;
	siglongjmp(escape, 1);
}

static char path[64];

static int make_file(size_t size, char fill)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char *buf = malloc(size);
	memset(buf, fill, size);
	write(fd, buf, size);
	free(buf);
	return fd;
}

int main(void)
{
	strcpy(path, "/tmp/mmapfileXXXXXX");
	int tmp = mkstemp(path);
	close(tmp);

	int fd = make_file(2 * PAGE, 'a');
	char *shared = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_RET("mmap(MAP_SHARED) of a 2-page file", shared != MAP_FAILED, 1);
	EXPECT_RET("the mapping shows the file's bytes", shared[0] == 'a' && shared[2 * PAGE - 1] == 'a', 1);
	memcpy(shared + 100, "via the mapping", 15);
	EXPECT_RET("msync(MS_SYNC)", msync(shared, 2 * PAGE, MS_SYNC), 0);
	pid_t pid = fork();
	if (pid == 0) {
		int rfd = open(path, O_RDONLY);
		char buf[16] = {0};
		pread(rfd, buf, 15, 100);
		_exit(strcmp(buf, "via the mapping") == 0 ? 0 : 1);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_RET("another process reads the mapped write with read()", WEXITSTATUS(status), 0);
	pwrite(fd, "by write", 8, PAGE + 10);
	EXPECT_RET("a write() is seen through the mapping", memcmp(shared + PAGE + 10, "by write", 8), 0);

	char *priv = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	priv[0] = 'P';
	char c = 0;
	pread(fd, &c, 1, 0);
	EXPECT_RET("a MAP_PRIVATE write does not reach the file", c, 'a');
	EXPECT_RET("... nor the shared mapping", shared[0], 'a');
	shared[1] = 'S';
	EXPECT_RET("a private mapping keeps its copied page", priv[1], 'a');
	munmap(priv, PAGE);

	char *off = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, PAGE);
	EXPECT_RET("mmap at a file offset of one page", memcmp(off + 10, "by write", 8), 0);
	munmap(off, PAGE);
	munmap(shared, 2 * PAGE);
	close(fd);

	/* 100 bytes mapped over two pages: zeroes to the page end, then SIGBUS. */
	fd = make_file(100, 'z');
	char *small = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	struct sigaction sa = {0};
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGBUS, &sa, NULL);
	EXPECT_RET("bytes past the end of the file in its last page read as zero",
		   small[99] == 'z' && small[100] == 0 && small[PAGE - 1] == 0, 1);
	caught_sig = 0;
	if (sigsetjmp(escape, 1) == 0)
		c = *(volatile char *)(small + PAGE);
	EXPECT_RET("a page wholly past the end of the file gives SIGBUS", caught_sig, SIGBUS);
	EXPECT_RET("... with BUS_ADRERR", caught_code, BUS_ADRERR);
	munmap(small, 2 * PAGE);

	int ro = open(path, O_RDONLY);
	int wo = open(path, O_WRONLY);
	EXPECT_ERRNO("MAP_SHARED|PROT_WRITE of a read-only descriptor",
		     mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
	EXPECT_RET("MAP_PRIVATE|PROT_WRITE of a read-only descriptor is fine",
		   mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0) != MAP_FAILED, 1);
	EXPECT_ERRNO("mmap of a write-only descriptor", mmap(NULL, PAGE, PROT_READ, MAP_SHARED, wo, 0), EACCES);
	EXPECT_ERRNO("mmap at an unaligned offset", mmap(NULL, PAGE, PROT_READ, MAP_SHARED, ro, 100), EINVAL);
	EXPECT_ERRNO("mmap of a closed descriptor", mmap(NULL, PAGE, PROT_READ, MAP_SHARED, 99, 0), EBADF);
	int pipefd[2];
	pipe(pipefd);
	EXPECT_ERRNO("mmap of a pipe", mmap(NULL, PAGE, PROT_READ, MAP_SHARED, pipefd[0], 0), ENODEV);
	int zero = open("/dev/zero", O_RDWR);
	char *z = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, zero, 0);
	EXPECT_RET("a private /dev/zero mapping is zeroed, writable memory", z != MAP_FAILED && z[10] == 0, 1);
	z[10] = 1;
	int zero_ro = open("/dev/zero", O_RDONLY);
	EXPECT_ERRNO("a writable shared mapping of /dev/zero open read-only",
		     mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, zero_ro, 0), EACCES);
	char *zr = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, zero_ro, 0);
	EXPECT_RET("a read-only one maps", zr != MAP_FAILED && zr[0] == 0, 1);
	EXPECT_ERRNO("and mprotect may not make it writable", mprotect(zr, PAGE, PROT_WRITE), EACCES);
	close(zero_ro);
	close(ro);
	close(wo);
	close(fd);
	close(zero);
	unlink(path);
	return tdone();
}
