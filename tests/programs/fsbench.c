/*
 * The disk workloads of one filesystem:
 *   fsbench LABEL DIR MIB DEVICE FSTYPE OPTIONS
 * with DEVICE mounted on DIR as FSTYPE with OPTIONS. In order:
 *   - write MIB MiB of text (compressible, as a root filesystem's files
 *     are; one MiB made beforehand, written MIB times: chunks and extents
 *     are compressed one by one, so the repeats cost them nothing) and
 *     fsync it; the free space statfs shows before and after (and a sync)
 *     gives the space the text takes;
 *   - write MIB MiB of pseudo-random bytes (which do not compress) and
 *     fsync them;
 *   - unmount DIR and mount DEVICE there again, so nothing is cached, and
 *     read the text back, then the random bytes (cold reads);
 *   - create 2,000 files of 4 KiB of text in a new directory and sync.
 * Prints one "bench: disk WHAT (LABEL): VALUE UNIT" line each, the format
 * of the benchmark program's figures; speed is not checked. Everything
 * written is removed at the end.
 */
#include "common.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>

#define MIB (1 << 20)
#define SMALL_FILES 2000
#define SMALL_SIZE 4096

static const char *label;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void throughput(const char *what, int mib, double start)
{
	double t = now_s() - start;
	printf("bench: disk %s (%s): %.1f MB/s (%d MiB in %.3f s)\n", what, label, mib * (MIB / 1e6) / t, mib, t);
	fflush(stdout);
}

static int fail(const char *what, const char *path)
{
	printf("fsbench: %s: %s %s: %s\n", label, what, path, strerror(errno));
	return 1;
}

/* Text lines of words picked by a linear congruential generator. */
static void fill_text(char *buf, size_t len, unsigned *seed)
{
	static const char *words[] = {"kestrel ", "falcon ", "hovers ", "over ", "the ",
				      "field ", "and ", "dives\n", "swiftly ", "0123 "};
	size_t at = 0;
	while (at < len) {
		*seed = *seed * 1103515245 + 12345;
		const char *w = words[(*seed >> 16) % 10];
		size_t n = strlen(w);
		if (n > len - at)
			n = len - at;
		memcpy(buf + at, w, n);
		at += n;
	}
}

/* Bytes from xorshift64*, which no compressor shrinks. */
static void fill_random(uint64_t *buf, size_t words)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < words; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		buf[i] = x * 0x2545f4914f6cdd1dull;
	}
}

/* Writes `mib` MiB to `path`, the MiB at `data + i * stride` the i-th,
 * and fsyncs it. */
static int write_file(const char *path, const char *data, size_t stride, int mib)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fail("open", path);
	for (int i = 0; i < mib; i++)
		if (write(fd, data + i * stride, MIB) != MIB)
			return fail("write", path);
	if (fsync(fd) != 0)
		return fail("fsync", path);
	close(fd);
	return 0;
}

static int read_file(const char *path, char *buf)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail("open", path);
	ssize_t n;
	while ((n = read(fd, buf, MIB)) > 0)
		;
	close(fd);
	return n < 0 ? fail("read", path) : 0;
}

static double free_mib(const char *dir)
{
	struct statfs s;
	if (statfs(dir, &s) != 0)
		return -1;
	return (double)s.f_bfree * s.f_bsize / MIB;
}

static int small_files(const char *dir, const char *text)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/small", dir);
	double t = now_s();
	if (mkdir(path, 0755) != 0)
		return fail("mkdir", path);
	for (int i = 0; i < SMALL_FILES; i++) {
		snprintf(path, sizeof path, "%s/small/f%04d", dir, i);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || write(fd, text + (i % 64) * 64, SMALL_SIZE) != SMALL_SIZE)
			return fail("create", path);
		close(fd);
	}
	sync();
	printf("bench: disk create %d x 4 KiB + sync (%s): %.1f ms\n", SMALL_FILES, label, (now_s() - t) * 1e3);
	for (int i = 0; i < SMALL_FILES; i++) {
		snprintf(path, sizeof path, "%s/small/f%04d", dir, i);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/small", dir);
	rmdir(path);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: fsbench LABEL DIR MIB DEVICE FSTYPE OPTIONS\n");
		return 2;
	}
	label = argv[1];
	const char *dir = argv[2], *device = argv[4], *fstype = argv[5], *options = argv[6];
	int mib = atoi(argv[3]);
	char text_path[4096], random_path[4096];
	snprintf(text_path, sizeof text_path, "%s/text.dat", dir);
	snprintf(random_path, sizeof random_path, "%s/random.dat", dir);
	char *text = malloc(MIB);
	char *random = malloc((size_t)mib * MIB);
	if (!text || !random)
		return fail("malloc", "");
	unsigned seed = 1;
	fill_text(text, MIB, &seed);
	fill_random((uint64_t *)random, (size_t)mib * MIB / 8);

	sync();
	double before = free_mib(dir);
	double t = now_s();
	if (write_file(text_path, text, 0, mib))
		return 1;
	throughput("write text+fsync", mib, t);
	sync();
	printf("bench: disk space for %d MiB of text (%s): %.1f MiB used\n", mib, label, before - free_mib(dir));

	t = now_s();
	if (write_file(random_path, random, MIB, mib))
		return 1;
	throughput("write random+fsync", mib, t);

	if (umount(dir) != 0 || mount(device, dir, fstype, 0, options) != 0)
		return fail("remount", device);
	t = now_s();
	if (read_file(text_path, random))
		return 1;
	throughput("cold read text", mib, t);
	t = now_s();
	if (read_file(random_path, random))
		return 1;
	throughput("cold read random", mib, t);

	unlink(text_path);
	unlink(random_path);
	sync();
	if (small_files(dir, text))
		return 1;
	sync();
	return 0;
}
