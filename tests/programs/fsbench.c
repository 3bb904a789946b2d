/*
 * File throughput of one filesystem: fsbench LABEL DIR MIB [DEVICE FSTYPE OPTIONS]
 * writes a file of MIB MiB of text (compressible, as a root filesystem's
 * files are; one MiB made beforehand, written MIB times: chunks are
 * compressed one by one, so this costs them nothing) and fsyncs it, then reads it back while its
 * pages are in memory (warm) and, given a device, after unmounting DIR
 * and mounting DEVICE there again with FSTYPE and OPTIONS (cold). Prints
 * "fsbench: LABEL: WHAT: X MB/s (N MiB in T s)" lines; speed is not
 * checked. The file is removed at the end.
 */
#include "common.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <time.h>

#define MIB (1 << 20)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(const char *label, const char *what, int mib, double start)
{
	double t = now_s() - start;
	printf("fsbench: %s: %s: %.1f MB/s (%d MiB in %.3f s)\n", label, what, mib * (MIB / 1e6) / t, mib, t);
	fflush(stdout);
}

/* Text lines of words picked by a linear congruential generator. */
static void fill(char *buf, size_t len, unsigned *seed)
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

static int read_all(const char *path, char *buf)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n;
	while ((n = read(fd, buf, MIB)) > 0)
		;
	close(fd);
	return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 7) {
		fprintf(stderr, "usage: fsbench LABEL DIR MIB [DEVICE FSTYPE OPTIONS]\n");
		return 2;
	}
	const char *label = argv[1], *dir = argv[2];
	int mib = atoi(argv[3]);
	char path[4096];
	snprintf(path, sizeof path, "%s/fsbench.dat", dir);
	char *buf = malloc(MIB);
	unsigned seed = 1;

	fill(buf, MIB, &seed);
	double t = now_s();
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		printf("fsbench: %s: open: %s\n", label, strerror(errno));
		return 1;
	}
	for (int i = 0; i < mib; i++) {
		if (write(fd, buf, MIB) != MIB) {
			printf("fsbench: %s: write: %s\n", label, strerror(errno));
			return 1;
		}
	}
	if (fsync(fd) != 0) {
		printf("fsbench: %s: fsync: %s\n", label, strerror(errno));
		return 1;
	}
	close(fd);
	report(label, "write+fsync", mib, t);

	t = now_s();
	if (read_all(path, buf) != 0) {
		printf("fsbench: %s: read: %s\n", label, strerror(errno));
		return 1;
	}
	report(label, "read, warm", mib, t);

	if (argc == 7) {
		if (umount(dir) != 0 || mount(argv[4], dir, argv[5], 0, argv[6]) != 0) {
			printf("fsbench: %s: remount: %s\n", label, strerror(errno));
			return 1;
		}
		t = now_s();
		if (read_all(path, buf) != 0) {
			printf("fsbench: %s: read: %s\n", label, strerror(errno));
			return 1;
		}
		report(label, "read, cold", mib, t);
	}
	unlink(path);
	sync();
	return 0;
}
