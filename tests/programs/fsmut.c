/*
 * kestrelfs image mutation: COUNT mutated copies of the images under
 * /images (zstd.kfs, lz4.kfs), each bound to a loop device and mounted by a
 * child, read-only and read-write in turn, under a time limit. The child
 * walks the tree (every directory, file and link read), and on a
 * read-write mount also creates, writes, renames and deletes, then
 * unmounts. A mutation changes random bytes of a used block; changes
 * fields of a metadata block (header or payload, random bytes or extreme
 * values) and makes its checksum right again, so that the damage reaches
 * the checks behind the checksum; does the same to both superblock copies;
 * damages stored file data; or cuts the image short.
 *
 *   fsmut [SEED [COUNT]]    (defaults: seed 1, 1000 images)
 *
 * Whatever each mount's fate, the kernel must live on: at the end no loop
 * device is left bound, nothing is left mounted, an undamaged image still
 * mounts and reads right, fork and a file round trip work and free memory
 * has not dropped. Prints "fsmut: seed S, N images: ..." with the outcomes
 * and one TPASS/TFAIL line per final check. Run as init it mounts /proc.
 */
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#define BLOCK 4096
#define IMG "/tmp/fsmut.img"
#define MNT "/tmp/fsmut-mnt"
#define LEAK_KB 8192
#define TIME_LIMIT 30

/* The child's exit statuses. */
enum { MOUNTED_CLEAN = 1, MOUNTED_ERRORS = 2, REFUSED = 3, SETUP_FAILED = 4, UMOUNT_FAILED = 5 };

struct image {
	const char *path;
	unsigned char *bytes;
	size_t len;
	/* Blocks that hold anything, and which of them are metadata. */
	int used[1024], nused;
	int meta[1024], nmeta;
};

static struct image images[2] = {{.path = "/images/zstd.kfs"}, {.path = "/images/lz4.kfs"}};
static uint64_t rng;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* CRC-32C, bit by bit: the checksum of every kestrelfs structure. */
static uint32_t crc32c(const unsigned char *p, size_t n)
{
	uint32_t crc = ~0u;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78 : crc >> 1;
	}
	return ~crc;
}

/* Superblocks keep their checksum at byte 8, metadata nodes at byte 4. */
static int crc_offset(const unsigned char *b)
{
	if (memcmp(b, "KESTRLFS", 8) == 0)
		return 8;
	if (memcmp(b, "KSND", 4) == 0)
		return 4;
	return -1;
}

static void fix_crc(unsigned char *b, int at)
{
	memset(b + at, 0, 4);
	uint32_t crc = crc32c(b, BLOCK);
	memcpy(b + at, &crc, 4);
}

static int load(struct image *im)
{
	int fd = open(im->path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		return -1;
	im->len = st.st_size;
	im->bytes = malloc(im->len);
	if (read(fd, im->bytes, im->len) != (ssize_t)im->len)
		return -1;
	close(fd);
	for (size_t b = 0; b < im->len / BLOCK && b < 1024; b++) {
		unsigned char *p = im->bytes + b * BLOCK;
		int nonzero = 0;
		for (int i = 0; i < BLOCK && !nonzero; i++)
			nonzero = p[i] != 0;
		if (nonzero)
			im->used[im->nused++] = b;
		if (crc_offset(p) >= 0)
			im->meta[im->nmeta++] = b;
	}
	return im->nmeta > 0 ? 0 : -1;
}

static uint64_t extreme(void)
{
	static const uint64_t values[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0xfff, 0x1000, 0xffff, 0x7fffffff,
					  0x80000000, 0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL,
					  0x8000000000000000ULL, UINT64_MAX};
	return values[next_rand() % (sizeof values / sizeof values[0])];
}

/* One change to a block from byte `from` on: a random byte, or a field
 * at an extreme. */
static void poke(unsigned char *b, int from)
{
	int at = from + next_rand() % (BLOCK - from);
	if (next_rand() % 2) {
		b[at] = (unsigned char)next_rand();
		return;
	}
	static const int sizes[] = {1, 2, 4, 8};
	int size = sizes[next_rand() % 4];
	at &= ~(size - 1);
	if (at + size > BLOCK)
		at = BLOCK - size;
	uint64_t v = extreme();
	memcpy(b + at, &v, size);
}

/* Mutates `img` (a copy of `im`); returns the length to write. */
static size_t mutate(const struct image *im, unsigned char *img, int *kind_out)
{
	int kind = next_rand() % 5;
	*kind_out = kind;
	if (kind == 0) {
		/* Random bytes of a used block, checksums left wrong. */
		unsigned char *b = img + (size_t)im->used[next_rand() % im->nused] * BLOCK;
		int n = 1 + next_rand() % 16;
		for (int i = 0; i < n; i++)
			b[next_rand() % BLOCK] = (unsigned char)next_rand();
	} else if (kind == 1) {
		/* Fields of a metadata block, checksum made right. The
		 * header (the first 64 bytes) is hit as often as the payload. */
		unsigned char *b = img + (size_t)im->meta[next_rand() % im->nmeta] * BLOCK;
		int at = crc_offset(b);
		int n = 1 + next_rand() % 3;
		for (int i = 0; i < n; i++)
			poke(b, next_rand() % 2 ? 64 : 0);
		/* A header field (block number, generation, owner...) too. */
		if (next_rand() % 2) {
			uint64_t v = extreme();
			int field = 8 + 8 * (next_rand() % 7);
			memcpy(b + field, &v, 8);
		}
		fix_crc(b, at);
	} else if (kind == 2) {
		/* The same change to both superblock copies. */
		int at = 16 + 8 * (next_rand() % 30);
		uint64_t v = extreme();
		for (int slot = 1; slot <= 2; slot++) {
			unsigned char *b = img + slot * BLOCK;
			memcpy(b + at, &v, 8);
			fix_crc(b, 8);
		}
	} else if (kind == 3) {
		/* Stored file data (a used block that is not metadata). */
		for (int tries = 0; tries < 20; tries++) {
			int blk = im->used[next_rand() % im->nused];
			if (blk > 2 && crc_offset(img + (size_t)blk * BLOCK) < 0) {
				img[(size_t)blk * BLOCK + next_rand() % BLOCK] ^= 1 + next_rand() % 255;
				break;
			}
		}
	} else {
		/* Cut short, anywhere. */
		return next_rand() % im->len;
	}
	return im->len;
}

static int errors;

static void walk(const char *path, int depth)
{
	if (depth > 8)
		return;
	DIR *d = opendir(path);
	if (!d) {
		errors++;
		return;
	}
	struct dirent *e;
	int entries = 0;
	static char buf[65536];
	while ((e = readdir(d)) && entries++ < 2000) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char child[4096];
		snprintf(child, sizeof child, "%s/%s", path, e->d_name);
		struct stat st;
		if (lstat(child, &st) != 0) {
			errors++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			walk(child, depth + 1);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			if (readlink(child, target, sizeof target) < 0)
				errors++;
			stat(child, &st);
		} else if (S_ISREG(st.st_mode)) {
			int fd = open(child, O_RDONLY);
			if (fd < 0) {
				errors++;
				continue;
			}
			ssize_t n;
			long total = 0;
			while ((n = read(fd, buf, sizeof buf)) > 0 && total < (8 << 20))
				total += n;
			if (n < 0)
				errors++;
			close(fd);
		}
	}
	closedir(d);
}

/* On a read-write mount: each change may fail on a damaged tree. */
static void change_tree(void)
{
	static char data[20000];
	memset(data, 'k', sizeof data);
	int fd = open(MNT "/fsmut-new", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, sizeof data) != sizeof data || fsync(fd) != 0)
		errors++;
	if (fd >= 0)
		close(fd);
	if (rename(MNT "/fsmut-new", MNT "/fsmut-renamed") != 0)
		errors++;
	if (mkdir(MNT "/fsmut-dir", 0755) != 0 || rmdir(MNT "/fsmut-dir") != 0)
		errors++;
	if (unlink(MNT "/hello.txt") != 0)
		errors++;
	if (symlink("big.bin", MNT "/fsmut-link") != 0)
		errors++;
	if (truncate(MNT "/big.bin", 5000) != 0)
		errors++;
	sync();
}

/* The child: binds the image, mounts, walks, changes, unmounts. */
static int try_image(const char *img, int rw)
{
	alarm(TIME_LIMIT);
	int ctl = open("/dev/loop-control", O_RDWR);
	int n = ioctl(ctl, LOOP_CTL_GET_FREE);
	char dev[32];
	snprintf(dev, sizeof dev, "/dev/loop%d", n);
	int lfd = open(dev, O_RDWR);
	int ffd = open(img, rw ? O_RDWR : O_RDONLY);
	struct loop_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.fd = ffd;
	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | (rw ? 0 : LO_FLAGS_READ_ONLY);
	if (n < 0 || lfd < 0 || ffd < 0 || ioctl(lfd, LOOP_CONFIGURE, &cfg) != 0)
		return SETUP_FAILED;
	close(ffd);
	int mounted = mount(dev, MNT, "kestrelfs", rw ? 0 : MS_RDONLY, NULL) == 0;
	int mount_errno = errno;
	close(lfd);
	if (!mounted)
		return mount_errno == EINVAL || mount_errno == EUCLEAN || mount_errno == EIO ? REFUSED : 100 + mount_errno;
	walk(MNT, 0);
	struct statfs sfs;
	if (statfs(MNT, &sfs) != 0)
		errors++;
	if (rw)
		change_tree();
	if (umount(MNT) != 0)
		return UMOUNT_FAILED;
	return errors ? MOUNTED_ERRORS : MOUNTED_CLEAN;
}

static int write_image(const unsigned char *bytes, size_t len)
{
	int fd = open(IMG, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int ok = fd >= 0 && write(fd, bytes, len) == (ssize_t)len;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static int run_child(int rw)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(try_image(IMG, rw));
	int status = 0;
	waitpid(pid, &status, 0);
	/* A child killed while mounted leaves the mount behind. */
	umount2(MNT, MNT_DETACH);
	return status;
}

static int mounted_anywhere(const char *what)
{
	FILE *f = fopen("/proc/mounts", "r");
	char line[512];
	int found = 0;
	while (f && fgets(line, sizeof line, f))
		found |= strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return found;
}

static void check_health(long free_before)
{
	int ctl = open("/dev/loop-control", O_RDWR);
	EXPECT_RET("after the mutants, LOOP_CTL_GET_FREE gives loop0 (none left bound)",
		   ioctl(ctl, LOOP_CTL_GET_FREE), 0);
	close(ctl);
	EXPECT_RET("nothing is left mounted", mounted_anywhere(MNT), 0);
	write_image(images[0].bytes, images[0].len);
	EXPECT_RET("an undamaged image mounts, reads back and unmounts", WEXITSTATUS(run_child(0)), MOUNTED_CLEAN);
	EXPECT_RET("an undamaged image takes changes read-write", WEXITSTATUS(run_child(1)), MOUNTED_CLEAN);
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_RET("fork and wait give the child's status", WEXITSTATUS(status), 7);
	int fd = open("/tmp/fsmut-check", O_RDWR | O_CREAT | O_TRUNC, 0600);
	char buf[6] = {0};
	int ok = fd >= 0 && write(fd, "kestr", 5) == 5 && pread(fd, buf, 5, 0) == 5 && strcmp(buf, "kestr") == 0;
	EXPECT_RET("a file reads back what was written", ok, 1);
	close(fd);
	unlink("/tmp/fsmut-check");
	unlink(IMG);
	long free_after = meminfo_free_kb();
	printf("fsmut: MemFree before %ld kB, after %ld kB\n", free_before, free_after);
	EXPECT_RET("free memory did not drop by more than 8 MiB", free_before - free_after <= LEAK_KB, 1);
}

int main(int argc, char **argv)
{
	unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
	long count = argc > 2 ? strtol(argv[2], NULL, 0) : 1000;
	struct stat st;
	if (stat("/proc/self", &st) != 0) {
		mkdir("/proc", 0555);
		mount("proc", "/proc", "proc", 0, NULL);
	}
	mkdir("/tmp", 01777);
	mkdir(MNT, 0755);
	for (int i = 0; i < 2; i++)
		if (load(&images[i]) != 0) {
			tfail("cannot read %s", images[i].path);
			return tdone();
		}
	long free_before = meminfo_free_kb();
	rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	unsigned char *img = malloc(images[1].len);
	long outcome[6] = {0}, other = 0, killed = 0, by_kind[5] = {0};
	for (long i = 0; i < count; i++) {
		const struct image *im = &images[i % 2];
		memcpy(img, im->bytes, im->len);
		int kind;
		size_t n = mutate(im, img, &kind);
		by_kind[kind]++;
		if (write_image(img, n) != 0) {
			tfail("cannot write image %ld", i);
			break;
		}
		int status = run_child((i / 2) % 2);
		if (WIFSIGNALED(status)) {
			killed++;
			tfail("image %ld (seed %lu, %s, mutation %d): the child was killed by signal %d", i, seed,
			      im->path, kind, WTERMSIG(status));
		} else if (WEXITSTATUS(status) >= 1 && WEXITSTATUS(status) <= 5) {
			outcome[WEXITSTATUS(status)]++;
			if (WEXITSTATUS(status) == SETUP_FAILED || WEXITSTATUS(status) == UMOUNT_FAILED)
				tfail("image %ld (seed %lu, mutation %d): %s", i, seed, kind,
				      WEXITSTATUS(status) == SETUP_FAILED ? "loop setup failed" : "umount failed");
		} else {
			other++;
			tfail("image %ld (seed %lu, mutation %d): mount failed with errno %d", i, seed, kind,
			      WEXITSTATUS(status) - 100);
		}
	}
	printf("fsmut: seed %lu, %ld images: %ld refused, %ld mounted clean, %ld mounted with errors, %ld killed, "
	       "%ld other\n",
	       seed, count, outcome[REFUSED], outcome[MOUNTED_CLEAN], outcome[MOUNTED_ERRORS], killed, other);
	printf("fsmut: mutations: %ld random bytes, %ld metadata fields, %ld superblock fields, %ld file data, "
	       "%ld truncations\n",
	       by_kind[0], by_kind[1], by_kind[2], by_kind[3], by_kind[4]);
	check_health(free_before);
	return tdone();
}
