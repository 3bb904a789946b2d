/*
 * Loop devices: /dev/loop-control (LOOP_CTL_GET_FREE, ADD, REMOVE), binding
 * a file (LOOP_SET_FD, LOOP_CONFIGURE), the device's sectors being the
 * file's bytes both ways, the status in both forms (offset, size limit,
 * flags), read-only devices and LOOP_CHANGE_FD, the block size, the block
 * layer's size ioctls, autoclear, and the errnos of each. Needs root and
 * loop devices; TCONF without them. Every device it binds is set to
 * autoclear, so that nothing stays bound if it dies.
 */
#include "common.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define SIZE (1 << 20)

static char img[64], img2[64], small[64];

static int make_file(const char *path, int size, int seed)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	char *buf = malloc(size);
	for (int i = 0; i < size; i++)
		buf[i] = (char)(i / 512 * 7 + i + seed);
	int ok = write(fd, buf, size) == size;
	free(buf);
	close(fd);
	return ok ? 0 : -1;
}

/* The byte make_file puts at `pos` of a file made with `seed`. */
static char expected_byte(long pos, int seed)
{
	return (char)(pos / 512 * 7 + pos + seed);
}

static int matches(const char *buf, int len, long pos, int seed)
{
	for (int i = 0; i < len; i++)
		if (buf[i] != expected_byte(pos + i, seed))
			return 0;
	return 1;
}

static uint64_t size64(int fd)
{
	uint64_t size = ~0ULL;
	ioctl(fd, BLKGETSIZE64, &size);
	return size;
}

/* Opens /dev/loopN, made with mknod where /dev has no node for it. */
static int open_loop(int n, int flags)
{
	char path[64];
	snprintf(path, sizeof path, "/dev/loop%d", n);
	int fd = open(path, flags);
	if (fd < 0 && errno == ENOENT) {
		snprintf(path, sizeof path, "/tmp/loopdev-node%d", n);
		unlink(path);
		mknod(path, S_IFBLK | 0600, makedev(7, n));
		fd = open(path, flags);
		unlink(path);
	}
	return fd;
}

static void unbound_device(int lfd)
{
	struct loop_info64 info;
	EXPECT_ERRNO("LOOP_GET_STATUS64 of an unbound device", ioctl(lfd, LOOP_GET_STATUS64, &info), ENXIO);
	EXPECT_ERRNO("LOOP_CLR_FD of an unbound device", ioctl(lfd, LOOP_CLR_FD, 0), ENXIO);
	EXPECT_ERRNO("LOOP_SET_CAPACITY of an unbound device", ioctl(lfd, LOOP_SET_CAPACITY, 0), ENXIO);
	EXPECT_ERRNO("LOOP_SET_BLOCK_SIZE of an unbound device", ioctl(lfd, LOOP_SET_BLOCK_SIZE, 4096), ENXIO);
	EXPECT_ERRNO("LOOP_CHANGE_FD of an unbound device", ioctl(lfd, LOOP_CHANGE_FD, 0), ENXIO);
	EXPECT_ERRNO("LOOP_GET_STATUS64 with a NULL pointer", ioctl(lfd, LOOP_GET_STATUS64, NULL), EINVAL);
	EXPECT_RET("an unbound device has size 0", size64(lfd), 0);
	char c;
	EXPECT_RET("reading an unbound device gives end of file", read(lfd, &c, 1), 0);
}

static void bad_files(int lfd)
{
	EXPECT_ERRNO("LOOP_SET_FD of a descriptor not open", ioctl(lfd, LOOP_SET_FD, 999), EBADF);
	int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
	EXPECT_ERRNO("LOOP_SET_FD of a directory", ioctl(lfd, LOOP_SET_FD, dir), EINVAL);
	close(dir);
	int p[2];
	pipe(p);
	EXPECT_ERRNO("LOOP_SET_FD of a pipe", ioctl(lfd, LOOP_SET_FD, p[0]), EINVAL);
	close(p[0]);
	close(p[1]);
	EXPECT_ERRNO("LOOP_SET_FD of the device itself", ioctl(lfd, LOOP_SET_FD, lfd), EBADF);
}

static void set_autoclear(int lfd)
{
	struct loop_info64 info;
	memset(&info, 0, sizeof info);
	ioctl(lfd, LOOP_GET_STATUS64, &info);
	info.lo_flags |= LO_FLAGS_AUTOCLEAR;
	ioctl(lfd, LOOP_SET_STATUS64, &info);
}

static void read_write(int lfd, int ffd)
{
	char buf[4096], back[4096];
	EXPECT_RET("the bound device's size is the file's", size64(lfd), SIZE);
	unsigned long sectors = 0;
	ioctl(lfd, BLKGETSIZE, &sectors);
	EXPECT_RET("BLKGETSIZE counts 512-byte sectors", sectors, SIZE / 512);
	int ssz = 0;
	ioctl(lfd, BLKSSZGET, &ssz);
	EXPECT_RET("BLKSSZGET is 512", ssz, 512);
	int ro = -1;
	ioctl(lfd, BLKROGET, &ro);
	EXPECT_RET("BLKROGET of a device over a writable file is 0", ro, 0);
	EXPECT_RET("pread of the device at 12288", pread(lfd, buf, sizeof buf, 12288), sizeof buf);
	EXPECT_RET("the device's bytes are the file's", matches(buf, sizeof buf, 12288, 1), 1);
	EXPECT_RET("an unaligned read (100 bytes at 1000)", pread(lfd, buf, 100, 1000), 100);
	EXPECT_RET("it has the file's bytes", matches(buf, 100, 1000, 1), 1);
	EXPECT_RET("a read at the end gives 0", pread(lfd, buf, 512, SIZE), 0);
	memset(buf, 0x5a, sizeof buf);
	EXPECT_RET("pwrite to the device at 8192", pwrite(lfd, buf, sizeof buf, 8192), sizeof buf);
	EXPECT_RET("fsync of the device", fsync(lfd), 0);
	EXPECT_RET("pread of the file at 8192", pread(ffd, back, sizeof back, 8192), sizeof back);
	EXPECT_RET("the file has what was written to the device", memcmp(buf, back, sizeof buf), 0);
	EXPECT_ERRNO("a write past the device's end", pwrite(lfd, buf, 512, SIZE), ENOSPC);
}

static void status(int lfd, int n, int ffd)
{
	struct loop_info64 info;
	struct stat st;
	fstat(ffd, &st);
	memset(&info, 0xff, sizeof info);
	EXPECT_RET("LOOP_GET_STATUS64", ioctl(lfd, LOOP_GET_STATUS64, &info), 0);
	EXPECT_RET("lo_number is the device's", info.lo_number, n);
	EXPECT_RET("lo_inode is the file's", info.lo_inode == st.st_ino, 1);
	EXPECT_RET("lo_device is the file's filesystem", info.lo_device == st.st_dev, 1);
	EXPECT_RET("lo_offset 0 and lo_sizelimit 0", info.lo_offset == 0 && info.lo_sizelimit == 0, 1);
	EXPECT_RET("lo_flags: autoclear", info.lo_flags, LO_FLAGS_AUTOCLEAR);

	struct loop_info64 set = info;
	set.lo_offset = 4096;
	set.lo_sizelimit = 8192;
	set.lo_flags = LO_FLAGS_AUTOCLEAR | LO_FLAGS_READ_ONLY;
	strcpy((char *)set.lo_file_name, "image-name");
	EXPECT_RET("LOOP_SET_STATUS64 with offset 4096, size limit 8192", ioctl(lfd, LOOP_SET_STATUS64, &set), 0);
	EXPECT_RET("the size is the limit", size64(lfd), 8192);
	char buf[512];
	pread(lfd, buf, sizeof buf, 0);
	EXPECT_RET("sector 0 is the file's byte 4096 on", matches(buf, sizeof buf, 4096, 1), 1);
	memset(&info, 0, sizeof info);
	ioctl(lfd, LOOP_GET_STATUS64, &info);
	EXPECT_RET("the name reads back", strcmp((char *)info.lo_file_name, "image-name"), 0);
	EXPECT_RET("LOOP_SET_STATUS64 does not set read-only", info.lo_flags, LO_FLAGS_AUTOCLEAR);

	struct loop_info old;
	EXPECT_RET("LOOP_GET_STATUS (the old form)", ioctl(lfd, LOOP_GET_STATUS, &old), 0);
	EXPECT_RET("its lo_offset", old.lo_offset, 4096);
	EXPECT_RET("its lo_name", strcmp(old.lo_name, "image-name"), 0);
	old.lo_offset = 0;
	EXPECT_RET("LOOP_SET_STATUS back to offset 0", ioctl(lfd, LOOP_SET_STATUS, &old), 0);
	EXPECT_RET("the size is the whole file again", size64(lfd), SIZE);
	old.lo_offset = -1;
	EXPECT_ERRNO("LOOP_SET_STATUS with a negative offset", ioctl(lfd, LOOP_SET_STATUS, &old), EOVERFLOW);

	set = info;
	set.lo_offset = 0;
	set.lo_sizelimit = 0;
	set.lo_encrypt_type = 1;
	EXPECT_ERRNO("LOOP_SET_STATUS64 with XOR encryption", ioctl(lfd, LOOP_SET_STATUS64, &set), EINVAL);
	set.lo_encrypt_type = 0;
	set.lo_offset = 1ULL << 63;
	EXPECT_ERRNO("LOOP_SET_STATUS64 with an offset over 2^63-1", ioctl(lfd, LOOP_SET_STATUS64, &set), EOVERFLOW);
	EXPECT_ERRNO("LOOP_SET_STATUS64 from an unmapped address", ioctl(lfd, LOOP_SET_STATUS64, (void *)8), EFAULT);
	set.lo_offset = 0;
	set.lo_flags = LO_FLAGS_AUTOCLEAR;
	ioctl(lfd, LOOP_SET_STATUS64, &set);
	EXPECT_RET("the size after resetting the status", size64(lfd), SIZE);
}

static void block_size(int lfd)
{
	EXPECT_ERRNO("LOOP_SET_BLOCK_SIZE 1000", ioctl(lfd, LOOP_SET_BLOCK_SIZE, 1000), EINVAL);
	EXPECT_ERRNO("LOOP_SET_BLOCK_SIZE 256", ioctl(lfd, LOOP_SET_BLOCK_SIZE, 256), EINVAL);
	EXPECT_RET("LOOP_SET_BLOCK_SIZE 4096", ioctl(lfd, LOOP_SET_BLOCK_SIZE, 4096), 0);
	int ssz = 0;
	ioctl(lfd, BLKSSZGET, &ssz);
	EXPECT_RET("BLKSSZGET after it", ssz, 4096);
	EXPECT_RET("LOOP_SET_BLOCK_SIZE 512", ioctl(lfd, LOOP_SET_BLOCK_SIZE, 512), 0);
	EXPECT_ERRNO("LOOP_CHANGE_FD of a writable device", ioctl(lfd, LOOP_CHANGE_FD, 0), EINVAL);
}

static void capacity(int lfd)
{
	EXPECT_RET("truncating the file to 512 KiB", truncate(img, SIZE / 2), 0);
	EXPECT_RET("the size holds until LOOP_SET_CAPACITY", size64(lfd), SIZE);
	EXPECT_RET("LOOP_SET_CAPACITY", ioctl(lfd, LOOP_SET_CAPACITY, 0), 0);
	EXPECT_RET("the size is the file's new size", size64(lfd), SIZE / 2);
}

/* A read-only binding: a file open O_RDONLY; LOOP_CHANGE_FD to a file of
 * the same size, not to one of another size. */
static void read_only(int lfd)
{
	int ffd = open(img2, O_RDONLY);
	EXPECT_RET("LOOP_SET_FD of a file open read-only", ioctl(lfd, LOOP_SET_FD, ffd), 0);
	set_autoclear(lfd);
	struct loop_info64 info;
	ioctl(lfd, LOOP_GET_STATUS64, &info);
	EXPECT_RET("lo_flags has read-only", !!(info.lo_flags & LO_FLAGS_READ_ONLY), 1);
	int ro = 0;
	ioctl(lfd, BLKROGET, &ro);
	EXPECT_RET("BLKROGET is 1", ro, 1);
	char buf[512] = {0};
	EXPECT_ERRNO("a write to the read-only device", pwrite(lfd, buf, sizeof buf, 0), EPERM);
	EXPECT_ERRNO("LOOP_SET_FD of a bound device", ioctl(lfd, LOOP_SET_FD, ffd), EBUSY);
	int other = open(small, O_RDONLY);
	EXPECT_ERRNO("LOOP_CHANGE_FD to a file of another size", ioctl(lfd, LOOP_CHANGE_FD, other), EINVAL);
	close(other);
	other = open(img, O_RDONLY);
	EXPECT_RET("LOOP_CHANGE_FD to a file of the same size", ioctl(lfd, LOOP_CHANGE_FD, other), 0);
	close(other);
	pread(lfd, buf, sizeof buf, 512);
	EXPECT_RET("the device reads the new file", matches(buf, sizeof buf, 512, 1), 1);
	close(ffd);
	EXPECT_RET("LOOP_CLR_FD", ioctl(lfd, LOOP_CLR_FD, 0), 0);
}

/* LOOP_CONFIGURE's checks; with autoclear, the last close unbinds. */
static void configure(int n)
{
	int lfd = open_loop(n, O_RDWR);
	int ffd = open(img, O_RDWR);
	struct loop_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.fd = ffd;
	cfg.info.lo_flags = 0x100;
	EXPECT_ERRNO("LOOP_CONFIGURE with an unknown flag", ioctl(lfd, LOOP_CONFIGURE, &cfg), EINVAL);
	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
	cfg.block_size = 1000;
	EXPECT_ERRNO("LOOP_CONFIGURE with block size 1000", ioctl(lfd, LOOP_CONFIGURE, &cfg), EINVAL);
	cfg.block_size = 4096;
	cfg.info.lo_offset = 4096;
	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | LO_FLAGS_READ_ONLY;
	EXPECT_RET("LOOP_CONFIGURE read-only, offset 4096, block size 4096", ioctl(lfd, LOOP_CONFIGURE, &cfg), 0);
	EXPECT_RET("its size", size64(lfd), SIZE - 4096);
	int ro = 0, ssz = 0;
	ioctl(lfd, BLKROGET, &ro);
	ioctl(lfd, BLKSSZGET, &ssz);
	EXPECT_RET("it is read-only with 4096-byte blocks", ro == 1 && ssz == 4096, 1);
	close(ffd);
	EXPECT_RET("the device outlives the file's descriptor", size64(lfd), SIZE - 4096);
	close(lfd);
	int unbound = 0;
	struct loop_info64 info;
	for (int i = 0; i < 100 && !unbound; i++) {
		lfd = open_loop(n, O_RDONLY);
		unbound = ioctl(lfd, LOOP_GET_STATUS64, &info) == -1 && errno == ENXIO;
		close(lfd);
		if (!unbound)
			usleep(10000);
	}
	EXPECT_RET("autoclear unbound the device at its last close", unbound, 1);
}

static void control(int ctl, int n)
{
	EXPECT_ERRNO("LOOP_CTL_ADD of an existing device", ioctl(ctl, LOOP_CTL_ADD, n), EEXIST);
	int lfd = open_loop(n, O_RDWR);
	int ffd = open(img, O_RDWR);
	ioctl(lfd, LOOP_SET_FD, ffd);
	set_autoclear(lfd);
	close(ffd);
	EXPECT_ERRNO("LOOP_CTL_REMOVE of a bound device", ioctl(ctl, LOOP_CTL_REMOVE, n), EBUSY);
	int next = ioctl(ctl, LOOP_CTL_GET_FREE);
	EXPECT_RET("LOOP_CTL_GET_FREE skips the bound device", next >= 0 && next != n, 1);
	EXPECT_RET("LOOP_CLR_FD", ioctl(lfd, LOOP_CLR_FD, 0), 0);
	close(lfd);
	EXPECT_ERRNO("LOOP_CTL_REMOVE of -1", ioctl(ctl, LOOP_CTL_REMOVE, -1), EINVAL);
	EXPECT_ERRNO("LOOP_CTL_REMOVE of a device that does not exist", ioctl(ctl, LOOP_CTL_REMOVE, 987654),
		     ENODEV);
	EXPECT_ERRNO("an unknown loop-control request", ioctl(ctl, 0x4C8F, 0), ENOSYS);
	/* An index nothing uses: add it, bind it, remove it. */
	int idx = 4000 + getpid() % 1000;
	if (ioctl(ctl, LOOP_CTL_ADD, idx) != idx) {
		tfail("LOOP_CTL_ADD %d: %s", idx, errno_name(errno));
		return;
	}
	tpass("LOOP_CTL_ADD of a new index returns it");
	lfd = open_loop(idx, O_RDWR);
	EXPECT_RET("the new device opens", lfd >= 0, 1);
	ffd = open(img, O_RDWR);
	EXPECT_RET("and binds", ioctl(lfd, LOOP_SET_FD, ffd), 0);
	set_autoclear(lfd);
	close(ffd);
	ioctl(lfd, LOOP_CLR_FD, 0);
	close(lfd);
	int removed = -1;
	for (int i = 0; i < 100 && removed != 0; i++) {
		removed = ioctl(ctl, LOOP_CTL_REMOVE, idx);
		if (removed != 0)
			usleep(10000);
	}
	EXPECT_RET("LOOP_CTL_REMOVE of the new device once free", removed, 0);
	EXPECT_ERRNO("a second LOOP_CTL_REMOVE", ioctl(ctl, LOOP_CTL_REMOVE, idx), ENODEV);
}

int main(void)
{
	int ctl = open("/dev/loop-control", O_RDWR);
	if (ctl < 0) {
		tconf("no /dev/loop-control (%s): loop devices need root and the driver", errno_name(errno));
		return tdone();
	}
	snprintf(img, sizeof img, "/tmp/loopdev-%d.img", getpid());
	snprintf(img2, sizeof img2, "/tmp/loopdev-%d.img2", getpid());
	snprintf(small, sizeof small, "/tmp/loopdev-%d.small", getpid());
	if (make_file(img, SIZE, 1) || make_file(img2, SIZE, 2) || make_file(small, SIZE / 4, 3)) {
		tfail("cannot make the image files");
		return tdone();
	}
	int n = ioctl(ctl, LOOP_CTL_GET_FREE);
	EXPECT_RET("LOOP_CTL_GET_FREE gives a device", n >= 0, 1);
	int lfd = open_loop(n, O_RDWR);
	if (n < 0 || lfd < 0) {
		tfail("cannot open loop device %d: %s", n, errno_name(errno));
		return tdone();
	}
	unbound_device(lfd);
	bad_files(lfd);
	int ffd = open(img, O_RDWR);
	EXPECT_RET("LOOP_SET_FD of a 1 MiB file", ioctl(lfd, LOOP_SET_FD, ffd), 0);
	set_autoclear(lfd);
	read_write(lfd, ffd);
	status(lfd, n, ffd);
	block_size(lfd);
	capacity(lfd);
	close(ffd);
	EXPECT_RET("LOOP_CLR_FD", ioctl(lfd, LOOP_CLR_FD, 0), 0);
	EXPECT_ERRNO("a second LOOP_CLR_FD", ioctl(lfd, LOOP_CLR_FD, 0), ENXIO);
	/* Linux since 6.11 finishes the detach at the last close. */
	close(lfd);
	lfd = open_loop(n, O_RDWR);
	EXPECT_RET("the size is 0 once detached", size64(lfd), 0);
	make_file(img, SIZE, 1);
	read_only(lfd);
	close(lfd);
	configure(n);
	control(ctl, n);
	close(ctl);
	unlink(img);
	unlink(img2);
	unlink(small);
	return tdone();
}
