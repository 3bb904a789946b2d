/*
 * Regular files: open/openat/creat flags (O_CREAT, O_EXCL, O_TRUNC, O_APPEND,
 * O_DIRECTORY, O_PATH, O_CLOEXEC, access modes), read/write/lseek with the
 * shared file offset, pread64/pwrite64, readv/writev/preadv/pwritev,
 * ftruncate/truncate, fsync/fdatasync/sync/syncfs, holes, and a file that
 * lives on after unlink. Runs in a fresh directory under /tmp.
 */
#include "common.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

static char dir[64];

static int make_file(const char *name, const char *contents)
{
	int fd = open(name, O_CREAT | O_TRUNC | O_RDWR, 0644);
	if (fd < 0 || write(fd, contents, strlen(contents)) != (long)strlen(contents))
		tfail("creating %s: errno=%d %s", name, errno, errno_name(errno));
	return fd;
}

static off_t size_of(const char *name)
{
	struct stat st;
	return stat(name, &st) == 0 ? st.st_size : -1;
}

static void check_create_and_modes(void)
{
	EXPECT_ERRNO("open a missing file without O_CREAT", open("missing", O_RDONLY), ENOENT);
	umask(022);
	int fd = open("new", O_CREAT | O_EXCL | O_RDWR, 0666);
	EXPECT_RET("O_CREAT|O_EXCL of a new name gives a descriptor", fd >= 0, 1);
	struct stat st;
	fstat(fd, &st);
	EXPECT_RET("the new file's mode is 0666 & ~umask 022", st.st_mode, S_IFREG | 0644);
	EXPECT_RET("the new file is empty", st.st_size, 0);
	EXPECT_RET("and has one link", st.st_nlink, 1);
	EXPECT_RET("and belongs to the caller", st.st_uid, getuid());
	close(fd);
	EXPECT_ERRNO("O_CREAT|O_EXCL of an existing name", open("new", O_CREAT | O_EXCL | O_RDWR, 0666), EEXIST);
	fd = open("new", O_CREAT | O_RDWR, 0600);
	EXPECT_RET("O_CREAT without O_EXCL opens the existing file", fd >= 0, 1);
	fstat(fd, &st);
	EXPECT_RET("and leaves its mode alone", st.st_mode & 07777, 0644);
	close(fd);

	umask(0);
	fd = syscall(SYS_creat, "created", 0751);
	EXPECT_RET("creat(2) with umask 0", fd >= 0, 1);
	fstat(fd, &st);
	EXPECT_RET("creat's mode is kept whole", st.st_mode & 07777, 0751);
	EXPECT_RET("creat opens write-only", fcntl(fd, F_GETFL) & O_ACCMODE, O_WRONLY);
	char c;
	EXPECT_ERRNO("read on creat's write-only descriptor", read(fd, &c, 1), EBADF);
	close(fd);
	umask(022);

	fd = open("new", O_RDONLY);
	EXPECT_ERRNO("write on an O_RDONLY descriptor", write(fd, "x", 1), EBADF);
	int fl = fcntl(fd, F_GETFL);
	EXPECT_RET("F_GETFL shows O_RDONLY", fl & O_ACCMODE, O_RDONLY);
	EXPECT_RET("F_GETFD is 0 without O_CLOEXEC", fcntl(fd, F_GETFD), 0);
	close(fd);
	fd = open("new", O_RDONLY | O_CLOEXEC);
	EXPECT_RET("O_CLOEXEC sets FD_CLOEXEC", fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_RET("O_CLOEXEC is not a status flag", fcntl(fd, F_GETFL) & O_CLOEXEC, 0);
	close(fd);
}

static void check_read_write_lseek(void)
{
	int fd = make_file("rw", "hello world");
	EXPECT_RET("the offset follows a write", lseek(fd, 0, SEEK_CUR), 11);
	char buf[64] = {0};
	EXPECT_RET("read at the end of the file is 0", read(fd, buf, sizeof buf), 0);
	EXPECT_RET("lseek(SEEK_SET, 0)", lseek(fd, 0, SEEK_SET), 0);
	EXPECT_RET("read the whole file", read(fd, buf, sizeof buf), 11);
	EXPECT_RET("and get what was written", strcmp(buf, "hello world"), 0);
	EXPECT_RET("lseek(SEEK_END, -5)", lseek(fd, -5, SEEK_END), 6);
	memset(buf, 0, sizeof buf);
	EXPECT_RET("read 5 from there", read(fd, buf, 5), 5);
	EXPECT_RET("the last word", strcmp(buf, "world"), 0);
	EXPECT_RET("lseek(SEEK_CUR, -3)", lseek(fd, -3, SEEK_CUR), 8);
	EXPECT_ERRNO("lseek to a negative offset", lseek(fd, -100, SEEK_CUR), EINVAL);
	EXPECT_RET("a failed lseek leaves the offset", lseek(fd, 0, SEEK_CUR), 8);
	EXPECT_ERRNO("lseek with an unknown whence", lseek(fd, 0, 7), EINVAL);
	EXPECT_ERRNO("SEEK_DATA at the end", lseek(fd, 11, SEEK_DATA), ENXIO);
	EXPECT_RET("SEEK_HOLE finds the end", lseek(fd, 0, SEEK_HOLE), 11);
	int sparse = open("sparse", O_CREAT | O_TRUNC | O_RDWR, 0644);
	char page[4096];
	memset(page, 'd', sizeof page);
	pwrite(sparse, page, sizeof page, 0);
	pwrite(sparse, page, sizeof page, 16 * 4096);
	pwrite(sparse, page, sizeof page, 17 * 4096);
	/* A filesystem that does not track holes reports the file as all
	 * data (Linux's generic answer): then only that is checked. */
	if (lseek(sparse, 0, SEEK_HOLE) == 18 * 4096) {
		EXPECT_RET("no holes tracked: SEEK_DATA stays where it is", lseek(sparse, 4096, SEEK_DATA), 4096);
	} else {
		EXPECT_RET("SEEK_HOLE stops after the first page written", lseek(sparse, 0, SEEK_HOLE), 4096);
		EXPECT_RET("SEEK_DATA skips the hole", lseek(sparse, 4096, SEEK_DATA), 16 * 4096);
		EXPECT_RET("SEEK_DATA inside data stays", lseek(sparse, 16 * 4096 + 10, SEEK_DATA), 16 * 4096 + 10);
		EXPECT_RET("SEEK_HOLE after the last data is the end", lseek(sparse, 16 * 4096, SEEK_HOLE), 18 * 4096);
		EXPECT_RET("punching the first page",
			   fallocate(sparse, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096), 0);
		EXPECT_RET("makes a hole at 0", lseek(sparse, 0, SEEK_HOLE), 0);
		EXPECT_RET("and data starts later", lseek(sparse, 0, SEEK_DATA), 16 * 4096);
	}
	EXPECT_ERRNO("SEEK_HOLE from a negative offset", lseek(sparse, -1, SEEK_HOLE), ENXIO);
	EXPECT_RET("readahead of a file", syscall(SYS_readahead, sparse, 0L, 65536L), 0);
	EXPECT_RET("sync_file_range(SYNC_FILE_RANGE_WRITE)", syscall(SYS_sync_file_range, sparse, 0L, 4096L, 2), 0);
	EXPECT_ERRNO("sync_file_range with an unknown flag", syscall(SYS_sync_file_range, sparse, 0L, 4096L, 8), EINVAL);
	EXPECT_ERRNO("sync_file_range of a negative length", syscall(SYS_sync_file_range, sparse, 0L, -1L, 2), EINVAL);
	int pp[2];
	pipe(pp);
	EXPECT_ERRNO("readahead of a pipe", syscall(SYS_readahead, pp[0], 0L, 10L), EINVAL);
	EXPECT_ERRNO("sync_file_range of a pipe", syscall(SYS_sync_file_range, pp[0], 0L, 10L, 2), ESPIPE);
	close(pp[0]);
	close(pp[1]);
	close(sparse);
	unlink("sparse");

	/* Seeking past the end and writing leaves a hole of zeroes. */
	EXPECT_RET("lseek past the end", lseek(fd, 100, SEEK_SET), 100);
	EXPECT_RET("size unchanged by the lseek", size_of("rw"), 11);
	EXPECT_RET("write there", write(fd, "!", 1), 1);
	EXPECT_RET("the file grew to 101", size_of("rw"), 101);
	char hole[89];
	memset(hole, 'x', sizeof hole);
	EXPECT_RET("pread of the hole", pread(fd, hole, sizeof hole, 11), 89);
	int zero = 1;
	for (size_t i = 0; i < sizeof hole; i++)
		zero &= hole[i] == 0;
	EXPECT_RET("the hole reads as zeroes", zero, 1);

	/* Overwrite in the middle. */
	EXPECT_RET("pwrite in the middle", pwrite(fd, "WORLD", 5, 6), 5);
	EXPECT_RET("pwrite leaves the offset", lseek(fd, 0, SEEK_CUR), 101);
	memset(buf, 0, sizeof buf);
	EXPECT_RET("pread at 0", pread(fd, buf, 11, 0), 11);
	EXPECT_RET("the overwrite shows", strcmp(buf, "hello WORLD"), 0);
	EXPECT_ERRNO("pread64 at a negative offset", syscall(SYS_pread64, fd, buf, 1, -1L), EINVAL);
	EXPECT_ERRNO("pwrite64 at a negative offset", syscall(SYS_pwrite64, fd, buf, 1, -1L), EINVAL);
	EXPECT_RET("write of 0 bytes", write(fd, buf, 0), 0);
	close(fd);

	int fds[2];
	if (pipe(fds) == 0) {
		EXPECT_ERRNO("lseek on a pipe", lseek(fds[0], 0, SEEK_SET), ESPIPE);
		EXPECT_ERRNO("pread on a pipe", pread(fds[0], buf, 1, 0), ESPIPE);
		EXPECT_ERRNO("pwrite on a pipe", pwrite(fds[1], buf, 1, 0), ESPIPE);
		close(fds[0]);
		close(fds[1]);
	}
	EXPECT_ERRNO("lseek on a closed descriptor", lseek(99, 0, SEEK_SET), EBADF);
}

static void check_shared_offset(void)
{
	int fd = make_file("shared", "0123456789");
	lseek(fd, 0, SEEK_SET);
	int fd2 = dup(fd);
	char buf[4] = {0};
	read(fd, buf, 3);
	EXPECT_RET("a dup shares the offset", lseek(fd2, 0, SEEK_CUR), 3);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		_exit(read(fd2, &c, 1) == 1 && c == '3' ? 0 : 1);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("a child reads at the shared offset", status, 0);
	EXPECT_RET("and the parent sees it moved", lseek(fd, 0, SEEK_CUR), 4);
	int other = open("shared", O_RDONLY);
	EXPECT_RET("a second open has its own offset", lseek(other, 0, SEEK_CUR), 0);
	close(other);
	close(fd2);
	close(fd);
}

static void check_append_and_trunc(void)
{
	int fd = make_file("app", "abc");
	close(fd);
	fd = open("app", O_WRONLY | O_APPEND);
	lseek(fd, 0, SEEK_SET);
	EXPECT_RET("write with O_APPEND", write(fd, "def", 3), 3);
	EXPECT_RET("went to the end", size_of("app"), 6);
	EXPECT_RET("and the offset is at the end", lseek(fd, 0, SEEK_CUR), 6);
	EXPECT_RET("pwrite with O_APPEND appends too (Linux)", pwrite(fd, "g", 1, 0), 1);
	EXPECT_RET("size after the pwrite", size_of("app"), 7);
	EXPECT_RET("F_GETFL shows O_APPEND", (fcntl(fd, F_GETFL) & O_APPEND) != 0, 1);
	fcntl(fd, F_SETFL, 0);
	lseek(fd, 0, SEEK_SET);
	write(fd, "A", 1);
	char buf[8] = {0};
	int rd = open("app", O_RDONLY);
	read(rd, buf, 7);
	EXPECT_RET("after F_SETFL cleared O_APPEND, writes go to the offset", strcmp(buf, "Abcdefg"), 0);
	close(rd);
	close(fd);

	fd = open("app", O_RDWR | O_TRUNC);
	EXPECT_RET("O_TRUNC empties the file", size_of("app"), 0);
	close(fd);
	fd = make_file("app", "0123456789");
	EXPECT_RET("ftruncate shrinks", ftruncate(fd, 4), 0);
	EXPECT_RET("to 4 bytes", size_of("app"), 4);
	EXPECT_RET("ftruncate grows", ftruncate(fd, 8), 0);
	memset(buf, 'x', sizeof buf);
	pread(fd, buf, 8, 0);
	EXPECT_RET("the grown part reads as zeroes", memcmp(buf, "0123\0\0\0\0", 8), 0);
	EXPECT_RET("the offset stays past the end", lseek(fd, 0, SEEK_CUR), 10);
	EXPECT_ERRNO("ftruncate to a negative length", syscall(SYS_ftruncate, fd, -1L), EINVAL);
	EXPECT_ERRNO("ftruncate of a bad descriptor", ftruncate(99, 0), EBADF);
	close(fd);
	fd = open("app", O_RDONLY);
	EXPECT_ERRNO("ftruncate of a read-only descriptor", ftruncate(fd, 0), EINVAL);
	close(fd);
	EXPECT_RET("truncate(2) by path", truncate("app", 2), 0);
	EXPECT_RET("to 2 bytes", size_of("app"), 2);
	EXPECT_ERRNO("truncate(2) of a directory", truncate(".", 0), EISDIR);
	EXPECT_ERRNO("truncate(2) of a missing file", truncate("missing", 0), ENOENT);
	EXPECT_ERRNO("truncate(2) to a negative length", syscall(SYS_truncate, "app", -1L), EINVAL);
}

static void check_directories_and_paths(void)
{
	EXPECT_ERRNO("open a directory O_WRONLY", open(".", O_WRONLY), EISDIR);
	EXPECT_ERRNO("open a directory O_RDWR", open(".", O_RDWR), EISDIR);
	EXPECT_ERRNO("open a directory O_RDONLY|O_TRUNC", open(".", O_RDONLY | O_TRUNC), EISDIR);
	int fd = open(".", O_RDONLY);
	EXPECT_RET("open a directory O_RDONLY", fd >= 0, 1);
	char c;
	EXPECT_ERRNO("read from a directory", read(fd, &c, 1), EISDIR);
	close(fd);
	close(make_file("plain", "x"));
	EXPECT_ERRNO("O_DIRECTORY on a file", open("plain", O_RDONLY | O_DIRECTORY), ENOTDIR);
	EXPECT_ERRNO("O_CREAT|O_DIRECTORY", open("nodir", O_CREAT | O_DIRECTORY | O_RDWR, 0644), EINVAL);
	EXPECT_ERRNO("a file with a trailing slash", open("plain/", O_RDONLY), ENOTDIR);
	EXPECT_ERRNO("O_CREAT with a trailing slash", open("newdir/", O_CREAT | O_RDWR, 0644), EISDIR);
	EXPECT_ERRNO("O_CREAT of \".\"", open(".", O_CREAT | O_RDONLY, 0644), EISDIR);
	EXPECT_ERRNO("O_CREAT of an existing directory", open("..", O_CREAT | O_RDONLY, 0644), EISDIR);
	EXPECT_ERRNO("O_CREAT below a file", open("plain/x", O_CREAT | O_RDWR, 0644), ENOTDIR);
	EXPECT_ERRNO("open of an empty path", open("", O_RDONLY), ENOENT);

	/* O_PATH: a descriptor that names a file and does no I/O. */
	fd = open("plain", O_PATH | O_RDWR);
	EXPECT_RET("O_PATH open", fd >= 0, 1);
	EXPECT_ERRNO("read on O_PATH", read(fd, &c, 1), EBADF);
	EXPECT_ERRNO("write on O_PATH", write(fd, "x", 1), EBADF);
	EXPECT_ERRNO("lseek on O_PATH", lseek(fd, 0, SEEK_SET), EBADF);
	EXPECT_ERRNO("fsync on O_PATH", fsync(fd), EBADF);
	EXPECT_RET("F_GETFL of O_PATH shows only O_PATH", fcntl(fd, F_GETFL), O_PATH);
	EXPECT_ERRNO("F_SETFL on O_PATH", fcntl(fd, F_SETFL, O_APPEND), EBADF);
	struct stat st;
	EXPECT_RET("fstat on O_PATH works", fstat(fd, &st), 0);
	EXPECT_RET("and shows a regular file", S_ISREG(st.st_mode), 1);
	close(fd);

	/* openat relative to a directory descriptor. */
	mkdir("sub", 0755);
	int dfd = open("sub", O_RDONLY | O_DIRECTORY);
	fd = openat(dfd, "inner", O_CREAT | O_WRONLY, 0644);
	EXPECT_RET("openat(dirfd, O_CREAT)", fd >= 0, 1);
	close(fd);
	EXPECT_RET("created inside the directory", size_of("sub/inner"), 0);
	EXPECT_ERRNO("openat relative to a file descriptor", openat(open("plain", O_RDONLY), "x", O_RDONLY),
		     ENOTDIR);
	EXPECT_ERRNO("openat relative to a bad descriptor", openat(99, "x", O_RDONLY), EBADF);
	char abs[128];
	snprintf(abs, sizeof abs, "%s/plain", dir);
	fd = openat(99, abs, O_RDONLY);
	EXPECT_RET("an absolute path ignores dirfd", fd >= 0, 1);
	close(fd);
	close(dfd);
}

/* musl has no wrappers for these: the raw calls (pos_l, pos_h). */
#define RWF_DSYNC_ 0x2
#define RWF_NOWAIT_ 0x8
#define RWF_APPEND_ 0x10

static long preadv2_(int fd, const struct iovec *v, int n, long pos, int flags)
{
	return syscall(SYS_preadv2, fd, v, n, pos, 0L, flags);
}

static long pwritev2_(int fd, const struct iovec *v, int n, long pos, int flags)
{
	return syscall(SYS_pwritev2, fd, v, n, pos, 0L, flags);
}

static void check_vectors(void)
{
	int fd = open("vec", O_CREAT | O_TRUNC | O_RDWR, 0644);
	struct iovec w[3] = {{"ab", 2}, {"", 0}, {"cdef", 4}};
	EXPECT_RET("writev of three buffers", writev(fd, w, 3), 6);
	char a[3] = {0}, b[8] = {0};
	struct iovec r[2] = {{a, 2}, {b, 8}};
	lseek(fd, 0, SEEK_SET);
	EXPECT_RET("readv fills the first buffer, then the rest", readv(fd, r, 2), 6);
	EXPECT_RET("readv's data", strcmp(a, "ab") == 0 && strcmp(b, "cdef") == 0, 1);
	struct iovec p[1] = {{"XY", 2}};
	EXPECT_RET("pwritev at 2", pwritev(fd, p, 1, 2), 2);
	memset(b, 0, sizeof b);
	struct iovec q[1] = {{b, 4}};
	EXPECT_RET("preadv at 1", preadv(fd, q, 1, 1), 4);
	EXPECT_RET("preadv's data", strcmp(b, "bXYe"), 0);
	EXPECT_RET("neither moved the offset", lseek(fd, 0, SEEK_CUR), 6);
	EXPECT_ERRNO("readv with a negative count", syscall(SYS_readv, fd, r, -1), EINVAL);
	EXPECT_ERRNO("readv of a bad iovec", syscall(SYS_readv, fd, (void *)8, 1), EFAULT);

	/* preadv2 and pwritev2: an offset of -1 is the file's, and flags. */
	struct iovec z[1] = {{"Z", 1}};
	EXPECT_RET("pwritev2 at 0", pwritev2_(fd, z, 1, 0, 0), 1);
	EXPECT_RET("pwritev2 with RWF_APPEND writes at the end", pwritev2_(fd, z, 1, 0, RWF_APPEND_), 1);
	EXPECT_RET("the file grew by it", lseek(fd, 0, SEEK_END), 7);
	lseek(fd, 1, SEEK_SET);
	memset(b, 0, sizeof b);
	EXPECT_RET("preadv2 at -1 reads at the offset", preadv2_(fd, q, 1, -1, 0), 4);
	EXPECT_RET("and moves it", lseek(fd, 0, SEEK_CUR) == 5 && strcmp(b, "bXYe") == 0, 1);
	EXPECT_RET("pwritev2 with RWF_DSYNC", pwritev2_(fd, z, 1, 6, RWF_DSYNC_), 1);
	EXPECT_RET("preadv2 with RWF_NOWAIT of a cached file", preadv2_(fd, q, 1, 0, RWF_NOWAIT_), 4);
	EXPECT_ERRNO("preadv2 with an unknown flag", preadv2_(fd, q, 1, 0, 0x40000000), EOPNOTSUPP);
	EXPECT_ERRNO("preadv2 at -2", preadv2_(fd, q, 1, -2, 0), EINVAL);
	int pfd[2];
	pipe(pfd);
	EXPECT_ERRNO("preadv2 at an offset of a pipe", preadv2_(pfd[0], q, 1, 0, 0), ESPIPE);
	EXPECT_ERRNO("preadv2 with RWF_NOWAIT of an empty pipe", preadv2_(pfd[0], q, 1, -1, RWF_NOWAIT_), EAGAIN);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
}

static void check_big_file_and_sync(void)
{
	size_t n = 1 << 20;
	char *out = malloc(n), *in = malloc(n);
	for (size_t i = 0; i < n; i++)
		out[i] = (char)(i * 7 + (i >> 12));
	int fd = open("big", O_CREAT | O_TRUNC | O_RDWR, 0644);
	EXPECT_RET("write 1 MiB at once", write(fd, out, n), (long)n);
	EXPECT_RET("pread 1 MiB at once", pread(fd, in, n, 0), (long)n);
	EXPECT_RET("the 1 MiB reads back", memcmp(in, out, n), 0);
	struct stat st;
	fstat(fd, &st);
	EXPECT_RET("st_blocks covers the data", st.st_blocks * 512 >= (long)n, 1);
	EXPECT_RET("fsync of a file", fsync(fd), 0);
	EXPECT_RET("fdatasync of a file", fdatasync(fd), 0);
	EXPECT_RET("syncfs", syscall(SYS_syncfs, fd), 0);
	sync();
	tpass("sync returns");
	close(fd);
	EXPECT_ERRNO("fsync of a bad descriptor", fsync(99), EBADF);
	int fds[2];
	pipe(fds);
	EXPECT_ERRNO("fsync of a pipe", fsync(fds[0]), EINVAL);
	close(fds[0]);
	close(fds[1]);

	fd = open("sparse", O_CREAT | O_TRUNC | O_RDWR, 0644);
	ftruncate(fd, 1 << 30);
	fstat(fd, &st);
	EXPECT_RET("a 1 GiB sparse file", st.st_size, 1 << 30);
	EXPECT_RET("takes no blocks", st.st_blocks, 0);
	close(fd);
	unlink("sparse");
	free(out);
	free(in);
}

static void check_unlinked_but_open(void)
{
	int fd = make_file("ghost", "boo");
	EXPECT_RET("unlink an open file", unlink("ghost"), 0);
	EXPECT_ERRNO("the name is gone", open("ghost", O_RDONLY), ENOENT);
	char buf[4] = {0};
	EXPECT_RET("the open file still reads", pread(fd, buf, 3, 0), 3);
	EXPECT_RET("its data", strcmp(buf, "boo"), 0);
	struct stat st;
	fstat(fd, &st);
	EXPECT_RET("and has no links", st.st_nlink, 0);
	close(fd);
}

static void check_generic_ioctls(void)
{
	int fd = make_file("ioc", "0123456789");
	lseek(fd, 3, SEEK_SET);
	int n = -1;
	EXPECT_RET("FIONREAD on a regular file", ioctl(fd, FIONREAD, &n), 0);
	EXPECT_RET("counts from the offset to the end", n, 7);
	loff_t size = -1;
	EXPECT_RET("FIOQSIZE", ioctl(fd, FIOQSIZE, &size), 0);
	EXPECT_RET("gives the space the file takes", size >= 0, 1);
	EXPECT_RET("FIOCLEX", ioctl(fd, FIOCLEX), 0);
	EXPECT_RET("sets close-on-exec", fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_RET("FIONCLEX", ioctl(fd, FIONCLEX), 0);
	EXPECT_RET("clears it", fcntl(fd, F_GETFD), 0);
	int on = 1;
	EXPECT_RET("FIONBIO on", ioctl(fd, FIONBIO, &on), 0);
	EXPECT_RET("sets O_NONBLOCK", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0, 1);
	on = 0;
	ioctl(fd, FIONBIO, &on);
	EXPECT_RET("FIONBIO off clears it", fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	EXPECT_ERRNO("a terminal ioctl on a regular file", ioctl(fd, TCGETS, &n), ENOTTY);
	close(fd);
	fd = open("ioc", O_PATH);
	EXPECT_ERRNO("ioctl on O_PATH", ioctl(fd, FIOCLEX), EBADF);
	close(fd);
	unlink("ioc");
}

static void check_fallocate_and_fadvise(void)
{
	int fd = open("space", O_CREAT | O_TRUNC | O_RDWR, 0644);
	EXPECT_RET("fallocate 8 KiB", fallocate(fd, 0, 0, 8192), 0);
	struct stat st;
	fstat(fd, &st);
	EXPECT_RET("grows the file", st.st_size, 8192);
	EXPECT_RET("and takes the space", st.st_blocks >= 16, 1);
	EXPECT_RET("FALLOC_FL_KEEP_SIZE past the end", fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 4096), 0);
	fstat(fd, &st);
	EXPECT_RET("keeps the size", st.st_size, 8192);
	char buf[8192];
	memset(buf, 'a', sizeof buf);
	pwrite(fd, buf, sizeof buf, 0);
	EXPECT_RET("FALLOC_FL_PUNCH_HOLE", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 5000), 0);
	pread(fd, buf, sizeof buf, 0);
	int zeros = 1, kept = buf[99] == 'a' && buf[5100] == 'a';
	for (int i = 100; i < 5100; i++)
		zeros &= buf[i] == 0;
	EXPECT_RET("zeroes the range and nothing else", zeros && kept, 1);
	fstat(fd, &st);
	EXPECT_RET("the size stays", st.st_size, 8192);
	EXPECT_ERRNO("PUNCH_HOLE without KEEP_SIZE", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 1), EOPNOTSUPP);
	EXPECT_ERRNO("an unknown mode", fallocate(fd, 0x100, 0, 1), EOPNOTSUPP);
	EXPECT_ERRNO("a zero length", fallocate(fd, 0, 0, 0), EINVAL);
	EXPECT_ERRNO("a negative offset", fallocate(fd, 0, -1, 1), EINVAL);
	EXPECT_ERRNO("fallocate of a bad descriptor", fallocate(99, 0, 0, 1), EBADF);
	EXPECT_RET("fadvise64", syscall(SYS_fadvise64, fd, 0, 0, POSIX_FADV_SEQUENTIAL), 0);
	EXPECT_ERRNO("fadvise64 with unknown advice", syscall(SYS_fadvise64, fd, 0, 0, 77), EINVAL);
	close(fd);
	fd = open("space", O_RDONLY);
	EXPECT_ERRNO("fallocate on a read-only descriptor", fallocate(fd, 0, 0, 1), EBADF);
	close(fd);
	EXPECT_ERRNO("fallocate on a read-only directory descriptor", fallocate(open(".", O_RDONLY), 0, 0, 1), EBADF);
	int fds[2];
	pipe(fds);
	EXPECT_ERRNO("fallocate on a pipe", fallocate(fds[1], 0, 0, 1), ESPIPE);
	EXPECT_ERRNO("fadvise64 on a pipe", syscall(SYS_fadvise64, fds[0], 0, 0, 0), ESPIPE);
	close(fds[0]);
	close(fds[1]);
	unlink("space");
}

/* Removes everything this test made. */
static void cleanup(void)
{
	const char *files[] = {"new", "created", "rw", "shared", "app", "plain", "sub/inner", "vec", "big"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		unlink(files[i]);
	rmdir("sub");
	chdir("/");
	EXPECT_RET("the test directory is empty at the end", rmdir(dir), 0);
}

int main(void)
{
	strcpy(dir, "/tmp/fsfileXXXXXX");
	if (!mkdtemp(dir) || chdir(dir) != 0) {
		tfail("cannot make a test directory under /tmp: errno=%d %s", errno, errno_name(errno));
		return tdone();
	}
	check_create_and_modes();
	check_read_write_lseek();
	check_shared_offset();
	check_append_and_trunc();
	check_directories_and_paths();
	check_vectors();
	check_big_file_and_sync();
	check_unlinked_but_open();
	check_generic_ioctls();
	check_fallocate_and_fadvise();
	cleanup();
	return tdone();
}
