/*
 * Kernel-only (needs the native filesystem on /dev/vda): writes a pattern
 * through a MAP_SHARED mapping of a file on kestrelfs, msync(MS_SYNC)s it,
 * prints a marker and waits. The harness then kills QEMU hard and reads
 * the file from the image on the host.
 */
#include "common.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>

int main(void)
{
	mkdir("/mnt", 0755);
	if (mount("/dev/vda", "/mnt", "kestrelfs", 0, NULL) != 0) {
		tfail("mount /dev/vda on /mnt: errno=%d %s", errno, errno_name(errno));
		return tdone();
	}
	int fd = open("/mnt/mapped", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 8192) != 0) {
		tfail("create /mnt/mapped: errno=%d %s", errno, errno_name(errno));
		return tdone();
	}
	unsigned char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		tfail("mmap: errno=%d %s", errno, errno_name(errno));
		return tdone();
	}
	for (int i = 0; i < 8192; i++)
		p[i] = (unsigned char)(i * 13 + 7);
	EXPECT_RET("msync(MS_SYNC) of the mapping", msync(p, 8192, MS_SYNC), 0);
	printf("msyncdisk: marker\n");
	fflush(stdout);
	for (;;)
		pause();
}
