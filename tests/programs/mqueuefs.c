/*
 * The mqueue filesystem: mount -t mqueue lists the system's message
 * queues as regular files (mode, owner, size 80, the sticky 1777
 * directory, statfs's magic; times in whole seconds, set by sends and
 * reads), a
 * read gives the queue's "QSIZE:..." line,
 * unlink is mq_unlink (a descriptor keeps the queue), open(O_CREAT) and
 * mknod make a queue of the default sizes that mq_open finds, open(2) of
 * a queue gives a descriptor mq_timedsend takes, what makes or moves
 * other names is EPERM, every mount shows the same queues, another user
 * may create but not remove root's queues, a read-only remount stops
 * creation (EROFS), and /proc/self/fd names a queue descriptor "/NAME".
 * Runs as root; cleans up after itself.
 */
#include "common.h"
#include "procparse.h"

#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define MQUEUE_MAGIC 0x19800202
#define OTHER_UID 1000
#define FILENT_SIZE 80

static char dir[64], dir2[64];
static char names[4][64];

/* The queue names of this run, as mq_open's kernel side takes them. */
static const char *qname(int n)
{
	if (!names[n][0])
		snprintf(names[n], sizeof names[n], "kestrel-mqfs-%d-%d", (int)getpid(), n);
	return names[n];
}

/* The file of queue `n` in mount `d`. */
static const char *in(const char *d, int n)
{
	static char bufs[4][192];
	static int next;
	char *b = bufs[next++ % 4];
	snprintf(b, sizeof bufs[0], "%s/%s", d, qname(n));
	return b;
}

static long mqopen(const char *name, int oflag, int mode, struct mq_attr *attr)
{
	return syscall(SYS_mq_open, name, oflag, mode, attr);
}

static long mqattr(long fd, struct mq_attr *old)
{
	return syscall(SYS_mq_getsetattr, fd, NULL, old);
}

static long mqsend(long fd, const char *msg, size_t len, unsigned prio)
{
	return syscall(SYS_mq_timedsend, fd, msg, len, prio, NULL);
}

static long mqrecv(long fd, char *buf, size_t len, unsigned *prio)
{
	return syscall(SYS_mq_timedreceive, fd, buf, len, prio, NULL);
}

static long mqunlink(const char *name)
{
	return syscall(SYS_mq_unlink, name);
}

/* Reads a whole small file into buf (NUL-terminated); bytes read or -1. */
static long slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	long n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

static long long ns_of(struct timespec t)
{
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Waits past the next whole second: the filesystem keeps whole seconds
 * (Linux's mqueue never sets a finer s_time_gran). */
static void next_second(void)
{
	struct timespec pause = {1, 100000000L};
	nanosleep(&pause, NULL);
}

static struct stat stat_of(const char *path)
{
	struct stat st;
	memset(&st, 0, sizeof st);
	stat(path, &st);
	return st;
}

static int whole_seconds(const struct stat *st)
{
	return st->st_atim.tv_nsec == 0 && st->st_mtim.tv_nsec == 0 && st->st_ctim.tv_nsec == 0;
}

/* d_type of `name` in directory `d`, or -1 when it is not listed. */
static int listed(const char *d, const char *name)
{
	DIR *dp = opendir(d);
	int type = -1;
	struct dirent *e;
	while (dp && (e = readdir(dp)))
		if (strcmp(e->d_name, name) == 0)
			type = e->d_type;
	if (dp)
		closedir(dp);
	return type;
}

static void test_mount(void)
{
	char text[4096];
	EXPECT_RET("mqueue is in /proc/filesystems",
		   slurp("/proc/filesystems", text, sizeof text) > 0 && strstr(text, "nodev\tmqueue\n") != NULL, 1);
	EXPECT_RET("mount -t mqueue", mount("none", dir, "mqueue", 0, NULL), 0);
	EXPECT_ERRNO("an option it does not know", mount("none", dir2, "mqueue", 0, "mode=0700"), EINVAL);
	EXPECT_RET("a second mount", mount("none", dir2, "mqueue", 0, NULL), 0);
	struct statfs sf;
	EXPECT_RET("statfs", statfs(dir, &sf), 0);
	EXPECT_RET("  f_type is MQUEUE_MAGIC", sf.f_type, MQUEUE_MAGIC);
	struct stat st;
	EXPECT_RET("stat the root", stat(dir, &st), 0);
	EXPECT_RET("  a sticky directory for all", st.st_mode, S_IFDIR | 01777);
	EXPECT_RET("  two links", st.st_nlink, 2);
	EXPECT_RET("/proc/mounts shows it",
		   slurp("/proc/mounts", text, sizeof text) > 0 && strstr(text, " mqueue rw") != NULL, 1);
}

static void test_listing(void)
{
	struct mq_attr a = {.mq_maxmsg = 4, .mq_msgsize = 64};
	long q = mqopen(qname(0), O_CREAT | O_EXCL | O_RDWR, 0640, &a);
	EXPECT_RET("mq_open creates queue 0", q >= 0, 1);
	EXPECT_RET("  listed as a regular file", listed(dir, qname(0)), DT_REG);
	EXPECT_RET("  in the other mount too", listed(dir2, qname(0)), DT_REG);
	struct stat st;
	EXPECT_RET("stat its file", stat(in(dir, 0), &st), 0);
	EXPECT_RET("  mode as created", st.st_mode, S_IFREG | 0640);
	EXPECT_RET("  owner", st.st_uid == getuid() && st.st_gid == getgid(), 1);
	EXPECT_RET("  one link", st.st_nlink, 1);
	EXPECT_RET("  size FILENT_SIZE", st.st_size, FILENT_SIZE);

	struct stat dirst;
	EXPECT_RET("  times in whole seconds, the directory's too",
		   stat(dir, &dirst) == 0 && whole_seconds(&st) && whole_seconds(&dirst), 1);

	struct stat before = st;
	next_second();
	EXPECT_RET("send 5 bytes at priority 1", mqsend(q, "hello", 5, 1), 0);
	EXPECT_RET("send 6 bytes at priority 0", mqsend(q, "world!", 6, 0), 0);
	struct stat after = stat_of(in(dir, 0));
	EXPECT_RET("  a send sets access, modification and change time",
		   ns_of(after.st_atim) > ns_of(before.st_atim) && ns_of(after.st_mtim) > ns_of(before.st_mtim) &&
			   ns_of(after.st_ctim) > ns_of(before.st_ctim),
		   1);
	char text[256], expected[256];
	snprintf(expected, sizeof expected, "QSIZE:%-10lu NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n", 11UL, 0, 0, 0);
	before = after;
	next_second();
	EXPECT_RET("read the file", slurp(in(dir, 0), text, sizeof text), (long)strlen(expected));
	EXPECT_RET("  the QSIZE line", strcmp(text, expected), 0);
	after = stat_of(in(dir, 0));
	EXPECT_RET("  a read sets access and change time, not modification time",
		   ns_of(after.st_atim) > ns_of(before.st_atim) && ns_of(after.st_mtim) == ns_of(before.st_mtim) &&
			   ns_of(after.st_ctim) > ns_of(before.st_ctim),
		   1);
	EXPECT_RET("  size still FILENT_SIZE", stat(in(dir, 0), &st) == 0 && st.st_size == FILENT_SIZE, 1);

	char link[128], want[128];
	snprintf(link, sizeof link, "/proc/self/fd/%ld", q);
	snprintf(want, sizeof want, "/%s", qname(0));
	long n = readlink(link, text, sizeof text - 1);
	text[n > 0 ? n : 0] = 0;
	EXPECT_RET("/proc/self/fd names it /NAME", strcmp(text, want), 0);

	int fd = open(in(dir, 0), O_RDWR);
	EXPECT_RET("open(2) the file", fd >= 0, 1);
	EXPECT_RET("  not close-on-exec", fcntl(fd, F_GETFD), 0);
	EXPECT_RET("  mq_getsetattr takes it", mqattr(fd, &a) == 0 && a.mq_maxmsg == 4 && a.mq_curmsgs == 2, 1);
	unsigned prio = 9;
	EXPECT_RET("  mq_timedreceive takes it", mqrecv(fd, text, sizeof text, &prio), 5);
	EXPECT_RET("  the priority-1 message", memcmp(text, "hello", 5) == 0 && prio == 1, 1);
	EXPECT_ERRNO("  write(2) has no meaning", write(fd, "x", 1), EINVAL);
	close(fd);

	EXPECT_RET("unlink the file", unlink(in(dir, 0)), 0);
	EXPECT_RET("  gone from the listing", listed(dir2, qname(0)), -1);
	EXPECT_ERRNO("  mq_open finds no queue", mqopen(qname(0), O_RDWR, 0, NULL), ENOENT);
	EXPECT_RET("  the descriptor keeps it", mqrecv(q, text, sizeof text, NULL), 6);
	strcat(want, " (deleted)");
	n = readlink(link, text, sizeof text - 1);
	text[n > 0 ? n : 0] = 0;
	EXPECT_RET("  /proc/self/fd adds (deleted)", strcmp(text, want), 0);
	close((int)q);
}

static void test_create(void)
{
	char text[64];
	long msg_default = slurp("/proc/sys/fs/mqueue/msg_default", text, sizeof text) > 0 ? atol(text) : 10;
	long size_default = slurp("/proc/sys/fs/mqueue/msgsize_default", text, sizeof text) > 0 ? atol(text) : 8192;
	int fd = open(in(dir, 1), O_CREAT | O_EXCL | O_RDWR, 0600);
	EXPECT_RET("open(O_CREAT) in the directory", fd >= 0, 1);
	struct mq_attr a;
	long q = mqopen(qname(1), O_RDWR, 0, NULL);
	EXPECT_RET("  mq_open finds the queue", q >= 0, 1);
	EXPECT_RET("  of the default sizes",
		   mqattr(q, &a) == 0 && a.mq_maxmsg == msg_default && a.mq_msgsize == size_default, 1);
	static char big[1 << 16];
	EXPECT_RET("  a send on mq_open's descriptor", mqsend(q, "x", 1, 0), 0);
	EXPECT_RET("  is received on open's", mqrecv(fd, big, sizeof big, NULL), 1);
	struct stat st;
	EXPECT_RET("  mode 0600 in the other mount", stat(in(dir2, 1), &st) == 0 && st.st_mode == (S_IFREG | 0600), 1);
	close(fd);
	close((int)q);
	EXPECT_RET("mknod of a regular file makes a queue", mknod(in(dir, 2), S_IFREG | 0600, 0), 0);
	q = mqopen(qname(2), O_RDONLY, 0, NULL);
	EXPECT_RET("  mq_open finds it", q >= 0, 1);
	close((int)q);
	EXPECT_RET("mq_unlink removes the file", mqunlink(qname(2)), 0);
	EXPECT_ERRNO("  stat finds nothing", stat(in(dir, 2), &st), ENOENT);
}

static void test_refused(void)
{
	char path[192];
	snprintf(path, sizeof path, "%s/sub", dir);
	EXPECT_ERRNO("mkdir", mkdir(path, 0755), EPERM);
	EXPECT_ERRNO("symlink", symlink("x", path), EPERM);
	EXPECT_ERRNO("mkfifo", mkfifo(path, 0600), EPERM);
	EXPECT_ERRNO("link", link(in(dir, 1), path), EPERM);
	EXPECT_ERRNO("rename", rename(in(dir, 1), path), EPERM);
	EXPECT_ERRNO("rmdir of a queue", rmdir(in(dir, 1)), ENOTDIR);
	EXPECT_ERRNO("open(O_CREAT|O_EXCL) of a queue", open(in(dir, 1), O_CREAT | O_EXCL | O_RDWR, 0600), EEXIST);
}

/*
 * A read-only remount of one mount makes the one filesystem read-only:
 * mq_open can no longer create, nor mq_unlink remove (EROFS), opening an
 * existing queue still works. It would stop every queue creation on the
 * machine for a moment, so natively it runs only when asked
 * (MQUEUEFS_REMOUNT=1); as init in the kernel under test, always.
 */
static void test_read_only(void)
{
	if (getpid() != 1 && !getenv("MQUEUEFS_REMOUNT")) {
		printf("TINFO: the read-only remount is not tried on this host (MQUEUEFS_REMOUNT=1 does)\n");
		return;
	}
	EXPECT_RET("remount read-only", mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
	EXPECT_ERRNO("  mq_open cannot create", mqopen(qname(3), O_CREAT | O_RDWR, 0600, NULL), EROFS);
	EXPECT_ERRNO("  nor open(O_CREAT) in the other mount", open(in(dir2, 3), O_CREAT | O_RDWR, 0600), EROFS);
	long q = mqopen(qname(1), O_RDONLY, 0, NULL);
	EXPECT_RET("  an existing queue opens", q >= 0, 1);
	close((int)q);
	EXPECT_ERRNO("  mq_unlink cannot remove", mqunlink(qname(1)), EROFS);
	EXPECT_RET("remount read-write", mount(NULL, dir, NULL, MS_REMOUNT, NULL), 0);
	q = mqopen(qname(3), O_CREAT | O_EXCL | O_RDWR, 0600, NULL);
	EXPECT_RET("  mq_open creates again", q >= 0, 1);
	close((int)q);
	EXPECT_RET("  and mq_unlink removes", mqunlink(qname(3)), 0);
}

/* As another user: may make a queue in the sticky directory, and remove
 * it, but not root's. */
static int other_user(void)
{
	if (unlink(in(dir, 1)) != -1 || errno != EPERM)
		return 1;
	int fd = open(in(dir, 3), O_CREAT | O_EXCL | O_RDWR, 0600);
	if (fd < 0)
		return 2;
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_uid != OTHER_UID || st.st_gid != OTHER_UID)
		return 3;
	close(fd);
	if (unlink(in(dir, 3)) != 0)
		return 4;
	return 0;
}

static void test_other_user(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(OTHER_UID) != 0 || setuid(OTHER_UID) != 0)
			_exit(99);
		_exit(other_user());
	}
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("another user creates and removes its own, not root's", WIFEXITED(status) ? WEXITSTATUS(status) : 98,
		   0);
	EXPECT_RET("  root's is still there", listed(dir, qname(1)), DT_REG);
}

int main(void)
{
	proc_mount_if_needed();
	umask(022);
	snprintf(dir, sizeof dir, "/tmp/kestrel-mqfs-%d", (int)getpid());
	snprintf(dir2, sizeof dir2, "/tmp/kestrel-mqfs-%d-2", (int)getpid());
	if (mkdir(dir, 0755) != 0 || mkdir(dir2, 0755) != 0) {
		tfail("mkdir under /tmp: %s", strerror(errno));
		return tdone();
	}
	test_mount();
	test_listing();
	test_create();
	test_refused();
	test_read_only();
	test_other_user();
	for (int n = 0; n < 4; n++)
		mqunlink(qname(n));
	EXPECT_RET("umount", umount(dir), 0);
	EXPECT_RET("umount the other", umount(dir2), 0);
	rmdir(dir);
	rmdir(dir2);
	return tdone();
}
