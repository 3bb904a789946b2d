/*
 * ELF mutation fuzzing: N mutated copies of this program's own executable
 * (a static musl ELF), each exec'd by a child as an unprivileged user
 * (uid 1000) with a 2 s alarm. A mutation rewrites random bytes of the ELF
 * header or of the program headers, sets one header field to an extreme
 * value, or cuts the file short. Whatever each child's fate (execve fails,
 * a signal kills it, it runs), the kernel must live on: at the end fork,
 * exec, a file round trip and free memory are checked.
 *
 *   elfmut [SEED [COUNT]]    (defaults: seed 1, 1000 copies)
 *
 * Prints "elfmut: N execs: A refused, B killed, C ran, D other" and one
 * TPASS/TFAIL line per final check. Run as init it mounts /proc itself.
 */
#include "common.h"

#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define PATH "/tmp/elfmut"
#define CHILD_RAN 42
#define LEAK_KB 4096

static uint64_t rng;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned char *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		return NULL;
	unsigned char *buf = malloc(st.st_size);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, st.st_size - got);
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	*len = got;
	return buf;
}

/* Extreme values for a header field of `size` bytes. */
static uint64_t extreme(int size)
{
	static const uint64_t values[] = {0, 1, 0x7f, 0x80, 0xff, 0xfff, 0x1000, 0x7fff, 0x8000, 0xffff,
					  0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffULL,
					  0x800000000000ULL, 0xffff800000000000ULL, UINT64_MAX};
	uint64_t v = values[next_rand() % (sizeof values / sizeof values[0])];
	return size == 8 ? v : v & ((1ULL << (8 * size)) - 1);
}

/* Changes `img` (of `len` bytes, a copy of the executable); the length to
 * write. */
static size_t mutate(unsigned char *img, size_t len)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	size_t table = eh->e_phoff + (size_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (table > len)
		table = len;
	int kind = next_rand() % 4;
	if (kind == 0) {
		/* Random bytes in the headers. */
		int flips = 1 + next_rand() % 8;
		for (int i = 0; i < flips; i++)
			img[next_rand() % table] = (unsigned char)next_rand();
	} else if (kind == 1) {
		/* One program header field at an extreme. */
		static const int offsets[] = {0, 4, 8, 16, 24, 32, 40, 48};
		int ph = next_rand() % (eh->e_phnum ? eh->e_phnum : 1);
		int off = offsets[next_rand() % 8];
		int size = off < 8 ? 4 : 8;
		uint64_t v = extreme(size);
		size_t at = eh->e_phoff + (size_t)ph * sizeof(Elf64_Phdr) + off;
		if (at + size <= len)
			memcpy(img + at, &v, size);
	} else if (kind == 2) {
		/* One ELF header field at an extreme. */
		static const struct {
			int off, size;
		} fields[] = {{16, 2}, {18, 2}, {20, 4}, {24, 8}, {32, 8}, {40, 8}, {48, 4}, {52, 2}, {54, 2}, {56, 2}};
		int f = next_rand() % (sizeof fields / sizeof fields[0]);
		uint64_t v = extreme(fields[f].size);
		memcpy(img + fields[f].off, &v, fields[f].size);
	} else {
		/* Cut short, anywhere. */
		return next_rand() % len;
	}
	return len;
}

/* Execs the copy as uid 1000; 0 refused, 1 killed, 2 ran, 3 other. */
static int run_copy(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(1000) != 0 || setuid(1000) != 0)
			_exit(100);
		alarm(2);
		/* A mutant that runs with a changed entry point may write
		 * anything; keep it off the console. */
		close(1);
		close(2);
		char *argv[] = {PATH, "child-marker", NULL};
		execv(PATH, argv);
		_exit(101);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 3;
	if (WIFSIGNALED(status))
		return 1;
	if (WEXITSTATUS(status) == 101)
		return 0;
	return WEXITSTATUS(status) == CHILD_RAN ? 2 : 3;
}

static void check_health(const char *self, long free_before)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_RET("after the mutants, fork and wait give the child's status", WEXITSTATUS(status), 7);
	pid = fork();
	if (pid == 0) {
		char *argv[] = {(char *)self, "child-marker", NULL};
		execv(self, argv);
		_exit(1);
	}
	waitpid(pid, &status, 0);
	EXPECT_RET("the unchanged program still runs", WIFEXITED(status) ? WEXITSTATUS(status) : -1, CHILD_RAN);
	int fd = open("/tmp/elfmut-check", O_RDWR | O_CREAT | O_TRUNC, 0600);
	char buf[6] = {0};
	int ok = fd >= 0 && write(fd, "kestr", 5) == 5 && pread(fd, buf, 5, 0) == 5 && strcmp(buf, "kestr") == 0;
	EXPECT_RET("a file reads back what was written", ok, 1);
	if (fd >= 0)
		close(fd);
	unlink(PATH);
	unlink("/tmp/elfmut-check");
	long free_after = meminfo_free_kb();
	printf("elfmut: MemFree before %ld kB, after %ld kB\n", free_before, free_after);
	EXPECT_RET("free memory did not drop by more than 4 MiB", free_before - free_after <= LEAK_KB, 1);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child-marker") == 0)
		return CHILD_RAN;
	unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
	long count = argc > 2 ? strtol(argv[2], NULL, 0) : 1000;
	struct stat st;
	if (stat("/proc/self", &st) != 0) {
		mkdir("/proc", 0555);
		mount("proc", "/proc", "proc", 0, NULL);
	}
	mkdir("/tmp", 01777);
	const char *self = "/proc/self/exe";
	size_t len = 0;
	unsigned char *base = read_file(self, &len);
	if (!base || len < sizeof(Elf64_Ehdr)) {
		tfail("cannot read the program's own executable");
		return tdone();
	}
	char self_copy[] = "/tmp/elfmut-self";
	int sfd = open(self_copy, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (sfd < 0 || write(sfd, base, len) != (ssize_t)len) {
		tfail("cannot copy the program to /tmp");
		return tdone();
	}
	close(sfd);
	long free_before = meminfo_free_kb();
	unsigned char *img = malloc(len);
	rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	long outcome[4] = {0};
	for (long i = 0; i < count; i++) {
		memcpy(img, base, len);
		size_t n = mutate(img, len);
		unlink(PATH);
		int fd = open(PATH, O_WRONLY | O_CREAT | O_TRUNC, 0755);
		if (fd < 0 || write(fd, img, n) != (ssize_t)n) {
			tfail("cannot write mutant %ld", i);
			break;
		}
		close(fd);
		outcome[run_copy()]++;
	}
	printf("elfmut: seed %lu, %ld execs: %ld refused, %ld killed, %ld ran, %ld other\n", seed, count, outcome[0],
	       outcome[1], outcome[2], outcome[3]);
	check_health(self_copy, free_before);
	unlink(self_copy);
	return tdone();
}
