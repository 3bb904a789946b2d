/*
 * /proc/PID/mem, /proc/PID/pagemap and /proc/PID/smaps, and mincore of a
 * file's cached pages: reads and writes of a process's memory at its
 * addresses (a read-only private page takes the write in the process's
 * own copy and the file keeps its bytes), EIO where nothing is mapped,
 * pagemap's present/exclusive/file bits and frame numbers, its EINVAL for
 * unaligned reads, smaps' Rss and Anonymous, mincore seeing pages
 * another process brought into a shared file's cache, and
 * process_vm_readv/writev across iovecs with the other side's rights.
 */
#include "common.h"
#include "procparse.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define PAGE 4096

static uint64_t pagemap_entry(int fd, void *addr)
{
	uint64_t e = 0;
	if (pread(fd, &e, sizeof(e), (uintptr_t)addr / PAGE * 8) != sizeof(e))
		return ~0ull;
	return e;
}

static void check_pagemap(void)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	EXPECT_RET("open /proc/self/pagemap", fd >= 0, 1);
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p[0] = 1;
	p[2 * PAGE] = 1;
	uint64_t touched = pagemap_entry(fd, p), untouched = pagemap_entry(fd, p + PAGE);
	EXPECT_RET("a touched page is present", touched >> 63, 1);
	EXPECT_RET("and mapped by this process alone", (touched >> 56) & 1, 1);
	EXPECT_RET("an anonymous page is not a file page", (touched >> 61) & 1, 0);
	EXPECT_RET("root sees its frame number", (touched & ((1ull << 55) - 1)) != 0, 1);
	EXPECT_RET("an untouched page is not present", untouched >> 63, 0);
	EXPECT_RET("the third page is present", pagemap_entry(fd, p + 2 * PAGE) >> 63, 1);
	munmap(p, 4 * PAGE);
	EXPECT_RET("nothing is present where nothing is mapped", pagemap_entry(fd, p) >> 63, 0);
	uint64_t e;
	EXPECT_ERRNO("a pagemap read at an unaligned offset", pread(fd, &e, 8, 4), EINVAL);
	EXPECT_ERRNO("a pagemap read of an unaligned length", pread(fd, &e, 4, 0), EINVAL);
	close(fd);
}

static void check_mem(void)
{
	int fd = open("/proc/self/mem", O_RDWR);
	EXPECT_RET("open /proc/self/mem", fd >= 0, 1);
	static const char word[] = "hello, memory";
	char buf[32] = {0};
	EXPECT_RET("read my own string at its address", pread(fd, buf, sizeof(word), (uintptr_t)word), sizeof(word));
	EXPECT_RET("it reads the same", memcmp(buf, word, sizeof(word)), 0);

	char *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_RET("write into a read-only private page", pwrite(fd, "xyz", 3, (uintptr_t)ro + 10), 3);
	EXPECT_RET("the page holds it", memcmp(ro + 10, "xyz", 3), 0);
	munmap(ro, PAGE);
	EXPECT_ERRNO("read where nothing is mapped", pread(fd, buf, 8, (uintptr_t)ro), EIO);

	const char *path = "/tmp/procmem.file";
	int file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char page[PAGE];
	memset(page, 'f', sizeof(page));
	write(file, page, sizeof(page));
	char *map = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, file, 0);
	EXPECT_RET("write into a read-only private file mapping", pwrite(fd, "MEM", 3, (uintptr_t)map), 3);
	EXPECT_RET("the mapping holds it", memcmp(map, "MEM", 3), 0);
	pread(file, buf, 3, 0);
	EXPECT_RET("the file keeps its bytes", memcmp(buf, "fff", 3), 0);
	munmap(map, PAGE);
	close(file);
	unlink(path);
	close(fd);

	static volatile char secret[16] = "child's secret";
	int ready[2];
	pipe(ready);
	pid_t pid = fork();
	if (pid == 0) {
		secret[0] = 'C';
		write(ready[1], "x", 1);
		pause();
		_exit(0);
	}
	char c;
	read(ready[0], &c, 1);
	char name[64];
	snprintf(name, sizeof(name), "/proc/%d/mem", pid);
	fd = open(name, O_RDONLY);
	EXPECT_RET("read a child's memory", pread(fd, buf, 14, (uintptr_t)secret), 14);
	EXPECT_RET("it is the child's copy", memcmp(buf, "Child's secret", 14), 0);
	close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void check_smaps_and_mincore(void)
{
	/* Between two PROT_NONE pages, so no neighbour joins the area. */
	char *guarded = mmap(NULL, 10 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p = guarded + PAGE;
	mprotect(p, 8 * PAGE, PROT_READ | PROT_WRITE);
	memset(p, 1, 3 * PAGE);
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	unsigned long start, end;
	long size = -1, rss = -1, anon = -1;
	int in_area = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in_area = start <= (uintptr_t)p && (uintptr_t)p < end;
			continue;
		}
		if (in_area) {
			sscanf(line, "Size: %ld kB", &size);
			sscanf(line, "Rss: %ld kB", &rss);
			sscanf(line, "Anonymous: %ld kB", &anon);
		}
	}
	if (f)
		fclose(f);
	EXPECT_RET("smaps: Rss of 3 touched pages", rss, 12);
	EXPECT_RET("smaps: all anonymous", anon, 12);
	EXPECT_RET("smaps: Size is the area's", size, 32);
	munmap(guarded, 10 * PAGE);

	const char *path = "/tmp/procmem.cache";
	int file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ftruncate(file, 4 * PAGE);
	char *shared = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0);
	pid_t pid = fork();
	if (pid == 0) {
		char *own = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0);
		own[PAGE] = 'x';
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	unsigned char vec[4];
	EXPECT_RET("mincore of a shared file mapping", mincore(shared, 4 * PAGE, vec), 0);
	EXPECT_RET("a page the child brought into the cache is resident here", vec[1] & 1, 1);
	EXPECT_RET("the child's write is seen", shared[PAGE], 'x');
	munmap(shared, 4 * PAGE);
	close(file);
	unlink(path);
}

static void check_process_vm(void)
{
	static char remote[32] = "0123456789abcdefghij";
	static char target[16];
	int ready[2];
	pipe(ready);
	char *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t pid = fork();
	if (pid == 0) {
		remote[0] = 'C';
		write(ready[1], "x", 1);
		pause();
		_exit(0);
	}
	char c;
	read(ready[0], &c, 1);
	char a[4] = {0}, b[8] = {0};
	struct iovec local[2] = {{a, 3}, {b, 7}};
	struct iovec rem[2] = {{remote, 4}, {remote + 10, 6}};
	EXPECT_RET("process_vm_readv across iovecs", process_vm_readv(pid, local, 2, rem, 2, 0), 10);
	EXPECT_RET("the child's bytes, in order", memcmp(a, "C12", 3) == 0 && memcmp(b, "3abcdef", 7) == 0, 1);
	struct iovec out = {"XYZ", 3};
	struct iovec there = {target, 3};
	EXPECT_RET("process_vm_writev", process_vm_writev(pid, &out, 1, &there, 1, 0), 3);
	struct iovec back = {b, 3};
	EXPECT_RET("reading them back", process_vm_readv(pid, &back, 1, &there, 1, 0), 3);
	EXPECT_RET("the child holds them", memcmp(b, "XYZ", 3), 0);
	EXPECT_RET("this process's copy is untouched", target[0], 0);
	struct iovec into_ro = {ro, 3};
	EXPECT_ERRNO("process_vm_writev into a read-only page", process_vm_writev(pid, &out, 1, &into_ro, 1, 0), EFAULT);
	EXPECT_ERRNO("process_vm_readv with flags", process_vm_readv(pid, local, 2, rem, 2, 1), EINVAL);
	struct iovec mine = {a, 3}, from_me = {remote + 1, 3};
	EXPECT_RET("process_vm_readv of the caller itself", process_vm_readv(getpid(), &mine, 1, &from_me, 1, 0), 3);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	EXPECT_ERRNO("process_vm_readv of a process that is gone", process_vm_readv(pid, local, 2, rem, 2, 0), ESRCH);
	munmap(ro, PAGE);
}

int main(void)
{
	proc_mount_if_needed();
	mkdir("/tmp", 01777);
	check_pagemap();
	check_mem();
	check_smaps_and_mincore();
	check_process_vm();
	return tdone();
}
