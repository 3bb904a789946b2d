/*
 * Device files and FIFOs: /dev/null, zero, full, random, urandom (and the
 * console and tty nodes), /tmp, device nodes made with mknod and opened by
 * number (ENXIO without a driver), mknod's type checks, and FIFOs made with
 * mkfifo: blocking and O_NONBLOCK opens, data through them, EOF.
 */
#include "common.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

static char dir[64];

static int is_chr(const char *path, unsigned maj, unsigned min)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(maj, min);
}

static int all_zero(const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i])
			return 0;
	return 1;
}

static void check_dev_nodes(void)
{
	struct stat st;
	EXPECT_RET("/dev is a directory", stat("/dev", &st) == 0 && S_ISDIR(st.st_mode), 1);
	EXPECT_RET("/tmp is a sticky world-writable directory",
		   stat("/tmp", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 01777) == 01777, 1);
	EXPECT_RET("/dev/null is char 1,3", is_chr("/dev/null", 1, 3), 1);
	EXPECT_RET("/dev/zero is char 1,5", is_chr("/dev/zero", 1, 5), 1);
	EXPECT_RET("/dev/full is char 1,7", is_chr("/dev/full", 1, 7), 1);
	EXPECT_RET("/dev/random is char 1,8", is_chr("/dev/random", 1, 8), 1);
	EXPECT_RET("/dev/urandom is char 1,9", is_chr("/dev/urandom", 1, 9), 1);
	EXPECT_RET("/dev/tty is char 5,0", is_chr("/dev/tty", 5, 0), 1);
	EXPECT_RET("/dev/console is char 5,1", is_chr("/dev/console", 5, 1), 1);
	EXPECT_RET("/dev/null is rw for everyone", stat("/dev/null", &st) == 0 && (st.st_mode & 0666) == 0666, 1);
}

static void check_memory_devices(void)
{
	static char buf[1 << 20];
	int fd = open("/dev/null", O_RDWR);
	EXPECT_RET("read /dev/null is end of file", read(fd, buf, 100), 0);
	EXPECT_RET("writes to /dev/null vanish", write(fd, "abc", 3), 3);
	EXPECT_RET("lseek on /dev/null gives 0", lseek(fd, 100, SEEK_SET), 0);
	EXPECT_RET("pread on /dev/null", pread(fd, buf, 10, 5), 0);
	EXPECT_RET("pwrite on /dev/null", pwrite(fd, buf, 10, 5), 10);
	EXPECT_ERRNO("fsync on /dev/null", fsync(fd), EINVAL);
	close(fd);

	fd = open("/dev/zero", O_RDWR);
	memset(buf, 'x', sizeof buf);
	EXPECT_RET("read 1 MiB of /dev/zero at once", read(fd, buf, sizeof buf), (long)sizeof buf);
	EXPECT_RET("all zeroes", all_zero(buf, sizeof buf), 1);
	EXPECT_RET("write to /dev/zero", write(fd, "abc", 3), 3);
	EXPECT_RET("lseek on /dev/zero gives 0", lseek(fd, 10, SEEK_CUR), 0);
	close(fd);

	fd = open("/dev/full", O_RDWR);
	EXPECT_ERRNO("write to /dev/full", write(fd, "abc", 3), ENOSPC);
	EXPECT_ERRNO("even of 0 bytes", write(fd, "", 0), ENOSPC);
	memset(buf, 'x', 16);
	EXPECT_RET("read /dev/full gives zeroes", read(fd, buf, 16) == 16 && all_zero(buf, 16), 1);
	close(fd);

	const char *rnd[] = {"/dev/random", "/dev/urandom"};
	for (int i = 0; i < 2; i++) {
		char a[64], b[64];
		fd = open(rnd[i], O_RDONLY);
		int ok = read(fd, a, sizeof a) == sizeof a && read(fd, b, sizeof b) == sizeof b;
		close(fd);
		if (ok && !all_zero(a, sizeof a) && memcmp(a, b, sizeof a) != 0)
			tpass("%s gives different, non-zero bytes each read", rnd[i]);
		else
			tfail("%s: reads failed or repeated", rnd[i]);
	}
	fd = open("/dev/urandom", O_RDONLY);
	EXPECT_RET("read 1 MiB of /dev/urandom at once", read(fd, buf, sizeof buf), (long)sizeof buf);
	EXPECT_RET("writing to /dev/urandom is allowed", write(open("/dev/urandom", O_WRONLY), "seed", 4), 4);
	close(fd);
}

static void check_mknod(void)
{
	EXPECT_RET("mknod a character device 1,3", mknod("mynull", S_IFCHR | 0666, makedev(1, 3)), 0);
	EXPECT_RET("stat shows the device number", is_chr("mynull", 1, 3), 1);
	int fd = open("mynull", O_RDWR);
	char buf[8];
	EXPECT_RET("it is a null device wherever it is", write(fd, "x", 1) == 1 && read(fd, buf, 8) == 0, 1);
	close(fd);
	EXPECT_RET("mknod of 1,5", mknod("myzero", S_IFCHR | 0600, makedev(1, 5)), 0);
	fd = open("myzero", O_RDONLY);
	memset(buf, 'x', sizeof buf);
	EXPECT_RET("reads zeroes", read(fd, buf, 8) == 8 && all_zero(buf, 8), 1);
	close(fd);
	mknod("nodriver", S_IFCHR | 0600, makedev(240, 77));
	EXPECT_ERRNO("open of a character device without a driver", open("nodriver", O_RDONLY), ENXIO);
	mknod("noblock", S_IFBLK | 0600, makedev(240, 77));
	EXPECT_ERRNO("open of a block device without a driver", open("noblock", O_RDONLY), ENXIO);
	EXPECT_ERRNO("mknod of a directory", mknod("d", S_IFDIR | 0755, 0), EPERM);
	EXPECT_ERRNO("mknod of an unknown type", mknod("bad", 0170000 | 0644, 0), EINVAL);
	EXPECT_ERRNO("mknod over an existing name", mknod("mynull", S_IFCHR | 0666, makedev(1, 3)), EEXIST);
	EXPECT_RET("mknod with type 0 makes a regular file", mknod("reg", 0644, 0), 0);
	struct stat st;
	stat("reg", &st);
	EXPECT_RET("a regular file", S_ISREG(st.st_mode) && st.st_rdev == 0, 1);
	EXPECT_RET("mknodat(S_IFREG)", mknodat(AT_FDCWD, "reg2", S_IFREG | 0600, 0), 0);
	unlink("mynull");
	unlink("myzero");
	unlink("nodriver");
	unlink("noblock");
	unlink("reg");
	unlink("reg2");
}

static void check_fifos(void)
{
	EXPECT_RET("mkfifo", mkfifo("fifo", 0644), 0);
	struct stat st;
	EXPECT_RET("it is a FIFO", stat("fifo", &st) == 0 && S_ISFIFO(st.st_mode), 1);
	EXPECT_ERRNO("O_WRONLY|O_NONBLOCK without a reader", open("fifo", O_WRONLY | O_NONBLOCK), ENXIO);
	int r = open("fifo", O_RDONLY | O_NONBLOCK);
	EXPECT_RET("O_RDONLY|O_NONBLOCK opens at once", r >= 0, 1);
	char buf[16] = {0};
	EXPECT_RET("read with no writer is end of file", read(r, buf, sizeof buf), 0);
	int w = open("fifo", O_WRONLY | O_NONBLOCK);
	EXPECT_RET("O_WRONLY|O_NONBLOCK with a reader", w >= 0, 1);
	EXPECT_ERRNO("read of an empty FIFO with a writer", read(r, buf, sizeof buf), EAGAIN);
	EXPECT_RET("write through the FIFO", write(w, "abc", 3), 3);
	EXPECT_RET("read it back", read(r, buf, sizeof buf) == 3 && memcmp(buf, "abc", 3) == 0, 1);
	EXPECT_ERRNO("lseek on a FIFO", lseek(r, 0, SEEK_SET), ESPIPE);
	fstat(r, &st);
	EXPECT_RET("fstat of an open FIFO", S_ISFIFO(st.st_mode), 1);
	close(w);
	close(r);

	int rw = open("fifo", O_RDWR);
	EXPECT_RET("O_RDWR opens without a partner", rw >= 0, 1);
	EXPECT_RET("and talks to itself", write(rw, "xy", 2) == 2 && read(rw, buf, 2) == 2, 1);
	close(rw);

	/* Blocking opens wait for each other. */
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("fifo", O_WRONLY);
		_exit(fd >= 0 && write(fd, "from child", 10) == 10 ? 0 : 1);
	}
	r = open("fifo", O_RDONLY);
	EXPECT_RET("a blocking O_RDONLY open meets the writer", r >= 0, 1);
	memset(buf, 0, sizeof buf);
	long n = 0, got;
	while ((got = read(r, buf + n, sizeof buf - 1 - n)) > 0)
		n += got;
	EXPECT_RET("reads what the child wrote, then end of file", n == 10 && strcmp(buf, "from child") == 0, 1);
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("the child's open and write worked", status, 0);
	close(r);
	unlink("fifo");

	int fds[2];
	pipe(fds);
	fstat(fds[0], &st);
	EXPECT_RET("a pipe is a FIFO to fstat", S_ISFIFO(st.st_mode), 1);
	struct stat st2;
	fstat(fds[1], &st2);
	EXPECT_RET("both ends share one inode", st.st_ino, st2.st_ino);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	strcpy(dir, "/tmp/fsdevXXXXXX");
	if (!mkdtemp(dir) || chdir(dir) != 0) {
		tfail("cannot make a test directory under /tmp: errno=%d %s", errno, errno_name(errno));
		return tdone();
	}
	check_dev_nodes();
	check_memory_devices();
	check_mknod();
	check_fifos();
	chdir("/");
	EXPECT_RET("the test directory is empty at the end", rmdir(dir), 0);
	return tdone();
}
