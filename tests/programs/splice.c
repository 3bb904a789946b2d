/*
 * splice, tee, vmsplice and copy_file_range: bytes between a file and a
 * pipe at an offset or at the file's position, between two pipes (moved
 * by splice, copied by tee), between user memory and a pipe, and between
 * two files; waiting rules (EAGAIN with SPLICE_F_NONBLOCK, 0 at a pipe's
 * end, EPIPE without a reader) and the errnos for files that cannot take
 * part, offsets on pipes, bad flags and overlapping copies.
 */
#include "common.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define DIR_PATH "/tmp/splice.d"

static int make_file(const char *name, const char *content)
{
	char path[128];
	snprintf(path, sizeof(path), DIR_PATH "/%s", name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	write(fd, content, strlen(content));
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void check_file_and_pipe(void)
{
	int p[2];
	pipe(p);
	int src = make_file("src", "0123456789");
	loff_t off = 2;
	char buf[32] = {0};
	EXPECT_RET("splice file -> pipe at an offset", splice(src, &off, p[1], NULL, 5, 0), 5);
	EXPECT_RET("the offset moves past them", off, 7);
	EXPECT_RET("the file's position stays", lseek(src, 0, SEEK_CUR), 0);
	EXPECT_RET("the pipe holds them", read(p[0], buf, sizeof(buf)), 5);
	EXPECT_RET("in order", memcmp(buf, "23456", 5), 0);
	EXPECT_RET("splice file -> pipe at the file's position", splice(src, NULL, p[1], NULL, 4, 0), 4);
	EXPECT_RET("the position moves", lseek(src, 0, SEEK_CUR), 4);
	read(p[0], buf, sizeof(buf));
	EXPECT_RET("from the start", memcmp(buf, "0123", 4), 0);
	off = 10;
	EXPECT_RET("splice at the end of the file", splice(src, &off, p[1], NULL, 4, 0), 0);

	int dst = make_file("dst", "");
	write(p[1], "abcdef", 6);
	off = 3;
	EXPECT_RET("splice pipe -> file takes what the pipe holds", splice(p[0], NULL, dst, &off, 100, 0), 6);
	EXPECT_RET("the offset moves", off, 9);
	memset(buf, 0, sizeof(buf));
	EXPECT_RET("the file has them at offset 3", pread(dst, buf, sizeof(buf), 0), 9);
	EXPECT_RET("after a hole of zeroes", memcmp(buf, "\0\0\0abcdef", 9), 0);
	EXPECT_ERRNO("an empty pipe with SPLICE_F_NONBLOCK",
		     splice(p[0], NULL, dst, NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
	EXPECT_ERRNO("an offset on the pipe's side", splice(p[0], &off, dst, NULL, 10, 0), ESPIPE);
	EXPECT_ERRNO("unknown flags", splice(src, NULL, p[1], NULL, 1, 0x100), EINVAL);
	EXPECT_RET("a length of 0", splice(src, NULL, p[1], NULL, 0, 0), 0);
	EXPECT_ERRNO("file -> file", splice(src, NULL, dst, NULL, 1, 0), EINVAL);
	int efd = eventfd(0, 0);
	EXPECT_ERRNO("eventfd -> pipe", splice(efd, NULL, p[1], NULL, 1, 0), EINVAL);
	int dir = open(DIR_PATH, O_RDONLY | O_DIRECTORY);
	EXPECT_ERRNO("directory -> pipe", splice(dir, NULL, p[1], NULL, 1, 0), EINVAL);
	int wronly = open(DIR_PATH "/src", O_WRONLY);
	EXPECT_ERRNO("a write-only input", splice(wronly, NULL, p[1], NULL, 1, 0), EBADF);
	EXPECT_ERRNO("a pipe's read end as the output", splice(src, NULL, p[0], NULL, 1, 0), EBADF);
	close(wronly);
	close(dir);
	close(efd);
	close(p[1]);
	EXPECT_RET("a pipe with no writer gives 0", splice(p[0], NULL, dst, NULL, 10, 0), 0);
	close(p[0]);

	pipe(p);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	EXPECT_ERRNO("a pipe with no reader", splice(src, NULL, p[1], NULL, 1, 0), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
	close(src);
	close(dst);
}

static void check_pipes(void)
{
	int a[2], b[2];
	pipe(a);
	pipe(b);
	char buf[32] = {0};
	write(a[1], "hello", 5);
	EXPECT_RET("tee copies between pipes", tee(a[0], b[1], 100, 0), 5);
	EXPECT_RET("the copy arrived", read(b[0], buf, sizeof(buf)), 5);
	EXPECT_RET("splice moves between pipes", splice(a[0], NULL, b[1], NULL, 3, 0), 3);
	EXPECT_RET("the source kept what tee copied, less what splice moved", read(a[0], buf, sizeof(buf)), 2);
	EXPECT_RET("the rest", memcmp(buf, "lo", 2), 0);
	EXPECT_RET("the moved bytes", read(b[0], buf, sizeof(buf)), 3);
	EXPECT_ERRNO("splice of a pipe into itself", splice(a[0], NULL, a[1], NULL, 1, 0), EINVAL);
	EXPECT_ERRNO("tee of a pipe into itself", tee(a[0], a[1], 1, 0), EINVAL);
	EXPECT_ERRNO("tee from an empty pipe with SPLICE_F_NONBLOCK", tee(a[0], b[1], 1, SPLICE_F_NONBLOCK), EAGAIN);
	int f = make_file("tee", "x");
	EXPECT_ERRNO("tee from a file", tee(f, b[1], 1, 0), EINVAL);
	EXPECT_ERRNO("tee with unknown flags", tee(a[0], b[1], 1, 0x100), EINVAL);

	struct iovec iov[2] = {{"abc", 3}, {"defg", 4}};
	EXPECT_RET("vmsplice user memory -> pipe", vmsplice(a[1], iov, 2, 0), 7);
	char x[3] = {0}, y[8] = {0};
	struct iovec out[2] = {{x, 3}, {y, 8}};
	EXPECT_RET("vmsplice pipe -> user memory", vmsplice(a[0], out, 2, 0), 7);
	EXPECT_RET("the bytes land across the vectors", memcmp(x, "abc", 3) == 0 && memcmp(y, "defg", 4) == 0, 1);
	EXPECT_ERRNO("vmsplice of an empty pipe with SPLICE_F_NONBLOCK", vmsplice(a[0], out, 2, SPLICE_F_NONBLOCK),
		     EAGAIN);
	EXPECT_ERRNO("vmsplice on a file", vmsplice(f, iov, 2, 0), EBADF);
	int c[2];
	pipe(c);
	int size = fcntl(c[1], F_GETPIPE_SZ);
	/* Page-aligned: Linux fills a pipe a page per slot. */
	static char big[1 << 20] __attribute__((aligned(4096)));
	struct iovec all = {big, (size_t)size};
	EXPECT_RET("vmsplice fills an empty pipe", vmsplice(c[1], &all, 1, 0), size);
	EXPECT_ERRNO("vmsplice into a full pipe with SPLICE_F_NONBLOCK", vmsplice(c[1], iov, 1, SPLICE_F_NONBLOCK),
		     EAGAIN);
	close(c[0]);
	close(c[1]);
	close(f);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

static long copy_range(int in, loff_t *off_in, int out, loff_t *off_out, size_t len, unsigned flags)
{
	return syscall(SYS_copy_file_range, in, off_in, out, off_out, len, flags);
}

static void check_copy_file_range(void)
{
	int src = make_file("csrc", "abcdefghijklmnop");
	int dst = make_file("cdst", "");
	loff_t in = 3, out = 0;
	char buf[32] = {0};
	EXPECT_RET("copy_file_range at offsets", copy_range(src, &in, dst, &out, 5, 0), 5);
	EXPECT_RET("both offsets move", in == 8 && out == 5, 1);
	EXPECT_RET("the positions stay", lseek(src, 0, SEEK_CUR) == 0 && lseek(dst, 0, SEEK_CUR) == 0, 1);
	pread(dst, buf, sizeof(buf), 0);
	EXPECT_RET("the bytes copied", memcmp(buf, "defgh", 5), 0);
	EXPECT_RET("copy_file_range at the files' positions", copy_range(src, NULL, dst, NULL, 100, 0), 16);
	EXPECT_RET("positions move by what was copied", lseek(src, 0, SEEK_CUR) == 16 && lseek(dst, 0, SEEK_CUR) == 16,
		   1);
	EXPECT_RET("at the end of the input", copy_range(src, NULL, dst, NULL, 100, 0), 0);
	in = 0;
	out = 4;
	EXPECT_ERRNO("overlapping ranges of one file", copy_range(src, &in, src, &out, 8, 0), EINVAL);
	EXPECT_ERRNO("flags", copy_range(src, &in, dst, &out, 1, 1), EINVAL);
	int dir = open(DIR_PATH, O_RDONLY | O_DIRECTORY);
	EXPECT_ERRNO("a directory", copy_range(dir, NULL, dst, NULL, 1, 0), EISDIR);
	int p[2];
	pipe(p);
	EXPECT_ERRNO("a pipe", copy_range(p[0], NULL, dst, NULL, 1, 0), EINVAL);
	int rdonly = open(DIR_PATH "/cdst", O_RDONLY);
	EXPECT_ERRNO("a read-only output", copy_range(src, &in, rdonly, NULL, 1, 0), EBADF);
	close(rdonly);
	close(p[0]);
	close(p[1]);
	close(dir);
	close(src);
	close(dst);
}

int main(void)
{
	mkdir("/tmp", 01777);
	mkdir(DIR_PATH, 0700);
	check_file_and_pipe();
	check_pipes();
	check_copy_file_range();
	return tdone();
}
