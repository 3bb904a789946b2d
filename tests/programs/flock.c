/*
 * File locks across processes: flock(2) (LOCK_SH/EX/UN/NB, conversion,
 * sharing by dup and fork, release at the last close, EINTR), POSIX record
 * locks through fcntl F_GETLK/F_SETLK/F_SETLKW (ranges, whence, split and
 * merge, EAGAIN, EDEADLK, EBADF, EINVAL, EOVERFLOW, release at any close
 * and at exit), OFD locks (F_OFD_*: owned by the open file description,
 * conflicting with POSIX locks), and their lines in /proc/locks.
 *
 * A helper process with its own open of the file takes the other side:
 * the parent sends it requests through a pipe and reads the answers from
 * another, so every step is sequenced without timing. Short poll timeouts
 * only check that a blocked request has not been answered yet.
 */
#include "common.h"
#include "procparse.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#define PATH "/tmp/flock.test"

/* Linux's <asm-generic/fcntl.h> values, which musl's headers lack. */
#define LOCK_MAND 32
#define LOCK_READ 64

enum op { OP_FCNTL, OP_FLOCK, OP_SETLKW_OR_DROP, OP_EXIT };

struct request {
	int op;
	int cmd; /* fcntl command, or flock operation */
	struct flock fl;
};

struct reply {
	int err; /* 0 or the errno */
	struct flock fl;
};

/* The other process: its own open of PATH, driven through two pipes. */
struct helper {
	pid_t pid;
	int to;
	int from;
};

static struct flock lk(short type, short whence, off_t start, off_t len)
{
	struct flock fl;
	memset(&fl, 0, sizeof fl);
	fl.l_type = type;
	fl.l_whence = whence;
	fl.l_start = start;
	fl.l_len = len;
	return fl;
}

static int lock_err(int fd, int cmd, struct flock fl)
{
	return fcntl(fd, cmd, &fl) == 0 ? 0 : errno;
}

static void helper_serve(int in, int out)
{
	int fd = open(PATH, O_RDWR);
	struct request rq;
	while (read(in, &rq, sizeof rq) == sizeof rq) {
		struct reply rp = {0};
		rp.fl = rq.fl;
		switch (rq.op) {
		case OP_FCNTL:
			rp.err = fcntl(fd, rq.cmd, &rp.fl) == 0 ? 0 : errno;
			break;
		case OP_FLOCK:
			rp.err = flock(fd, rq.cmd) == 0 ? 0 : errno;
			break;
		case OP_SETLKW_OR_DROP:
			/* Wait for the lock; in a deadlock, give up everything. */
			rp.err = fcntl(fd, F_SETLKW, &rp.fl) == 0 ? 0 : errno;
			if (rp.err == EDEADLK)
				lock_err(fd, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));
			break;
		default:
			_exit(0);
		}
		if (write(out, &rp, sizeof rp) != sizeof rp)
			_exit(1);
	}
	_exit(0);
}

static struct helper helper_start(void)
{
	int down[2], up[2];
	struct helper h = {-1, -1, -1};
	if (pipe(down) || pipe(up)) {
		tfail("pipe: %s", errno_name(errno));
		return h;
	}
	h.pid = fork();
	if (h.pid == 0) {
		close(down[1]);
		close(up[0]);
		helper_serve(down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);
	h.to = down[1];
	h.from = up[0];
	return h;
}

static void helper_send(struct helper *h, int op, int cmd, struct flock fl)
{
	struct request rq = {op, cmd, fl};
	if (write(h->to, &rq, sizeof rq) != sizeof rq)
		tfail("write to the helper: %s", errno_name(errno));
}

static struct reply helper_reply(struct helper *h)
{
	struct reply rp;
	if (read(h->from, &rp, sizeof rp) != sizeof rp) {
		tfail("no answer from the helper");
		rp.err = -1;
	}
	return rp;
}

/* True if the helper has answered within ms milliseconds. */
static int helper_answered(struct helper *h, int ms)
{
	struct pollfd p = {h->from, POLLIN, 0};
	return poll(&p, 1, ms) == 1;
}

static struct reply helper_fcntl(struct helper *h, int cmd, struct flock fl)
{
	helper_send(h, OP_FCNTL, cmd, fl);
	return helper_reply(h);
}

static int helper_flock(struct helper *h, int operation)
{
	helper_send(h, OP_FLOCK, operation, lk(0, 0, 0, 0));
	return helper_reply(h).err;
}

static void helper_stop(struct helper *h)
{
	helper_send(h, OP_EXIT, 0, lk(0, 0, 0, 0));
	close(h->to);
	close(h->from);
	waitpid(h->pid, NULL, 0);
}

static void expect_err(const char *what, int got, int expected)
{
	if (got == expected)
		tpass("%s -> %s", what, errno_name(expected));
	else
		tfail("%s -> %s, expected %s", what, errno_name(got), errno_name(expected));
}

/* The errno a forked child's one call ends with, as its exit status. */
static int in_child_flock(int fd, int operation)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(flock(fd, operation) == 0 ? 0 : errno);
	int status = -1;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int in_child_fcntl(int fd, int cmd, struct flock fl)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(lock_err(fd, cmd, fl));
	int status = -1;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int open_file(void)
{
	int fd = open(PATH, O_RDWR);
	if (fd < 0)
		tfail("open %s: %s", PATH, errno_name(errno));
	return fd;
}

static void check_flock_basics(struct helper *h)
{
	int fd = open_file();
	EXPECT_RET("flock(LOCK_EX)", flock(fd, LOCK_EX), 0);
	expect_err("another open file's LOCK_EX|LOCK_NB", helper_flock(h, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	expect_err("another open file's LOCK_SH|LOCK_NB", helper_flock(h, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	expect_err("a forked child's LOCK_EX|LOCK_NB on the shared open file", in_child_flock(fd, LOCK_EX | LOCK_NB), 0);
	int copy = dup(fd);
	close(fd);
	expect_err("the lock stays while a dup is open", helper_flock(h, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	close(copy);
	expect_err("closing the last descriptor released it", helper_flock(h, LOCK_EX | LOCK_NB), 0);
	expect_err("LOCK_UN", helper_flock(h, LOCK_UN), 0);
	expect_err("LOCK_UN with no lock held", helper_flock(h, LOCK_UN), 0);

	fd = open_file();
	EXPECT_RET("flock(LOCK_SH)", flock(fd, LOCK_SH), 0);
	expect_err("a second LOCK_SH is shared", helper_flock(h, LOCK_SH | LOCK_NB), 0);
	/* Linux drops the old lock before trying the new one. */
	EXPECT_ERRNO("converting to LOCK_EX while another holds LOCK_SH", flock(fd, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	expect_err("the failed conversion gave up our LOCK_SH", helper_flock(h, LOCK_EX | LOCK_NB), 0);
	EXPECT_ERRNO("LOCK_SH against another's LOCK_EX", flock(fd, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	helper_flock(h, LOCK_UN);
	EXPECT_RET("LOCK_SH once it is gone", flock(fd, LOCK_SH | LOCK_NB), 0);
	EXPECT_RET("converting LOCK_SH to LOCK_EX", flock(fd, LOCK_EX | LOCK_NB), 0);
	expect_err("LOCK_SH against the converted lock", helper_flock(h, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	EXPECT_RET("converting LOCK_EX to LOCK_SH", flock(fd, LOCK_SH), 0);
	expect_err("LOCK_SH after the downgrade", helper_flock(h, LOCK_SH | LOCK_NB), 0);
	helper_flock(h, LOCK_UN);
	EXPECT_RET("LOCK_UN", flock(fd, LOCK_UN), 0);

	EXPECT_ERRNO("flock(fd, 0)", flock(fd, 0), EINVAL);
	EXPECT_ERRNO("flock(fd, LOCK_SH|LOCK_EX)", flock(fd, LOCK_SH | LOCK_EX), EINVAL);
	EXPECT_ERRNO("flock(fd, LOCK_NB) alone", flock(fd, LOCK_NB), EINVAL);
	EXPECT_ERRNO("flock(-1, LOCK_EX)", flock(-1, LOCK_EX), EBADF);
	EXPECT_ERRNO("a bad operation is EINVAL before a bad descriptor", flock(-1, 0), EINVAL);
	EXPECT_RET("LOCK_MAND is ignored, even on a bad descriptor", flock(-1, LOCK_MAND | LOCK_READ), 0);
	close(fd);
	EXPECT_ERRNO("flock on a closed descriptor", flock(fd, LOCK_EX), EBADF);
}

static void check_flock_waits(struct helper *h)
{
	int fd = open_file();
	flock(fd, LOCK_EX);
	helper_send(h, OP_FLOCK, LOCK_EX, lk(0, 0, 0, 0));
	if (!helper_answered(h, 200))
		tpass("a blocking LOCK_EX waits while the lock is held");
	else
		tfail("a blocking LOCK_EX returned while the lock was held");
	flock(fd, LOCK_UN);
	expect_err("the waiting LOCK_EX got the lock after LOCK_UN", helper_reply(h).err, 0);
	EXPECT_ERRNO("our LOCK_EX|LOCK_NB now fails", flock(fd, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	helper_flock(h, LOCK_UN);

	/* flock and POSIX locks do not see each other. */
	flock(fd, LOCK_EX);
	expect_err("a POSIX write lock beside a flock lock",
		   helper_fcntl(h, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 0)).err, 0);
	helper_fcntl(h, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));
	close(fd);
}

/* Where a child's SIGALRM handler tells the parent it ran. */
static int alarm_pipe = -1;

static void on_alarm(int sig)
{
	(void)sig;
	if (write(alarm_pipe, "!", 1) != 1)
		_exit(99);
}

/*
 * A child blocks on a lock the parent holds and gets SIGALRM. Without
 * SA_RESTART the wait ends with EINTR; with it, the call goes on waiting
 * and takes the lock once the parent, told the handler ran, lets go.
 */
static int interrupted_wait(int fd, int use_flock, int restart)
{
	int p[2];
	if (pipe(p))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		alarm_pipe = p[1];
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_alarm;
		sa.sa_flags = restart ? SA_RESTART : 0;
		sigaction(SIGALRM, &sa, NULL);
		int mine = open(PATH, O_RDWR);
		alarm(1);
		if (use_flock)
			_exit(flock(mine, LOCK_EX) == 0 ? 0 : errno);
		_exit(lock_err(mine, F_SETLKW, lk(F_WRLCK, SEEK_SET, 0, 1)));
	}
	close(p[1]);
	char c;
	if (read(p[0], &c, 1) != 1)
		tfail("the child's SIGALRM handler did not run");
	close(p[0]);
	if (restart) {
		flock(fd, LOCK_UN);
		lock_err(fd, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));
	}
	int status = -1;
	waitpid(pid, &status, 0);
	flock(fd, LOCK_EX);
	lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 1));
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void check_interrupted_waits(void)
{
	int fd = open_file();
	flock(fd, LOCK_EX);
	lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 1));
	expect_err("a blocking flock interrupted by a signal", interrupted_wait(fd, 1, 0), EINTR);
	expect_err("F_SETLKW interrupted by a signal", interrupted_wait(fd, 0, 0), EINTR);
	expect_err("a blocking flock restarted after an SA_RESTART handler", interrupted_wait(fd, 1, 1), 0);
	expect_err("F_SETLKW restarted after an SA_RESTART handler", interrupted_wait(fd, 0, 1), 0);
	int path = open(PATH, O_PATH);
	EXPECT_ERRNO("flock on an O_PATH descriptor", flock(path, LOCK_SH), EBADF);
	close(path);
	close(fd);
}

static void check_posix_conflicts(struct helper *h)
{
	int fd = open_file();
	EXPECT_RET("F_SETLK F_WRLCK bytes 0..9", fcntl(fd, F_SETLK, &(struct flock){F_WRLCK, SEEK_SET, 0, 10, 0}), 0);
	expect_err("a forked child is another owner", in_child_fcntl(fd, F_SETLK, lk(F_RDLCK, SEEK_SET, 0, 1)),
		   EAGAIN);
	struct reply r = helper_fcntl(h, F_GETLK, lk(F_RDLCK, SEEK_SET, 5, 1));
	if (r.err == 0 && r.fl.l_type == F_WRLCK && r.fl.l_whence == SEEK_SET && r.fl.l_start == 0 &&
	    r.fl.l_len == 10 && r.fl.l_pid == getpid())
		tpass("F_GETLK reports the conflicting lock and its l_pid");
	else
		tfail("F_GETLK -> %s type %d start %lld len %lld pid %d", errno_name(r.err), r.fl.l_type,
		      (long long)r.fl.l_start, (long long)r.fl.l_len, r.fl.l_pid);
	expect_err("another process's F_SETLK F_RDLCK", helper_fcntl(h, F_SETLK, lk(F_RDLCK, SEEK_SET, 9, 5)).err,
		   EAGAIN);
	expect_err("another process's lock beside it", helper_fcntl(h, F_SETLK, lk(F_WRLCK, SEEK_SET, 10, 5)).err, 0);
	struct flock own = lk(F_WRLCK, SEEK_SET, 0, 10);
	fcntl(fd, F_GETLK, &own);
	if (own.l_type == F_UNLCK)
		tpass("F_GETLK does not report our own lock");
	else
		tfail("F_GETLK reported our own lock: type %d start %lld", own.l_type, (long long)own.l_start);
	r = helper_fcntl(h, F_GETLK, lk(F_WRLCK, SEEK_SET, 100, 0));
	expect_err("F_GETLK with no conflict", r.err, 0);
	if (r.fl.l_type == F_UNLCK && r.fl.l_start == 100)
		tpass("F_GETLK with no conflict sets l_type F_UNLCK, leaves the rest");
	else
		tfail("F_GETLK with no conflict: type %d start %lld", r.fl.l_type, (long long)r.fl.l_start);
	EXPECT_RET("our own locks do not conflict: F_SETLK F_RDLCK over them",
		   lock_err(fd, F_SETLK, lk(F_RDLCK, SEEK_SET, 0, 10)), 0);
	expect_err("the converted read lock is shared", helper_fcntl(h, F_SETLK, lk(F_RDLCK, SEEK_SET, 0, 10)).err,
		   0);
	expect_err("but a write lock is not", helper_fcntl(h, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 1)).err, EAGAIN);
	helper_fcntl(h, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));
	EXPECT_RET("F_SETLK F_UNLCK everything", lock_err(fd, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0)), 0);
	close(fd);
}

/* The helper's F_GETLK view of our locks over [start, start+len). */
static struct flock seen(struct helper *h, off_t start, off_t len)
{
	return helper_fcntl(h, F_GETLK, lk(F_WRLCK, SEEK_SET, start, len)).fl;
}

static void expect_seen(struct helper *h, const char *what, off_t at, short type, off_t start, off_t len)
{
	struct flock fl = seen(h, at, 1);
	if (fl.l_type == type && (type == F_UNLCK || (fl.l_start == start && fl.l_len == len)))
		tpass("%s", what);
	else
		tfail("%s: type %d start %lld len %lld, expected type %d start %lld len %lld", what, fl.l_type,
		      (long long)fl.l_start, (long long)fl.l_len, type, (long long)start, (long long)len);
}

static void check_posix_ranges(struct helper *h)
{
	int fd = open_file();
	lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 100));
	lock_err(fd, F_SETLK, lk(F_UNLCK, SEEK_SET, 40, 20));
	expect_seen(h, "unlocking the middle splits a lock: head", 39, F_WRLCK, 0, 40);
	expect_seen(h, "unlocking the middle splits a lock: tail", 60, F_WRLCK, 60, 40);
	expect_seen(h, "unlocking the middle splits a lock: hole", 50, F_UNLCK, 0, 0);
	lock_err(fd, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));

	lock_err(fd, F_SETLK, lk(F_RDLCK, SEEK_SET, 0, 10));
	lock_err(fd, F_SETLK, lk(F_RDLCK, SEEK_SET, 20, 10));
	lock_err(fd, F_SETLK, lk(F_RDLCK, SEEK_SET, 10, 10));
	expect_seen(h, "adjacent read locks merge into one", 15, F_RDLCK, 0, 30);
	lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, 10, 10));
	expect_seen(h, "a write lock in the middle cuts the read lock", 5, F_RDLCK, 0, 10);
	expect_seen(h, "the write lock itself", 12, F_WRLCK, 10, 10);
	expect_seen(h, "the read lock's tail", 25, F_RDLCK, 20, 10);
	lock_err(fd, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));

	EXPECT_RET("l_len 0 locks to EOF", lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, 50, 0)), 0);
	expect_seen(h, "a lock to EOF reports l_len 0, far past the end", 1 << 30, F_WRLCK, 50, 0);
	lock_err(fd, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));
	EXPECT_RET("a negative l_len locks the bytes before l_start",
		   lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, 20, -10)), 0);
	expect_seen(h, "l_start 20 l_len -10 covers 10..19", 10, F_WRLCK, 10, 10);
	expect_seen(h, "and not byte 20", 20, F_UNLCK, 0, 0);
	lock_err(fd, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));
	lseek(fd, 30, SEEK_SET);
	EXPECT_RET("SEEK_CUR", lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_CUR, 5, 1)), 0);
	expect_seen(h, "SEEK_CUR counts from the file offset", 35, F_WRLCK, 35, 1);
	EXPECT_RET("SEEK_END", lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_END, -1, 1)), 0);
	expect_seen(h, "SEEK_END counts from the file size", 99, F_WRLCK, 99, 1);
	lock_err(fd, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));
	close(fd);
}

static void check_posix_errors(void)
{
	int fd = open_file();
	expect_err("l_type 5", lock_err(fd, F_SETLK, lk(5, SEEK_SET, 0, 1)), EINVAL);
	expect_err("l_whence 7", lock_err(fd, F_SETLK, lk(F_WRLCK, 7, 0, 1)), EINVAL);
	expect_err("a start before the file", lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, -1, 1)), EINVAL);
	expect_err("a negative length past the start", lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, 5, -6)), EINVAL);
	expect_err("SEEK_END start before the file", lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_END, -101, 1)), EINVAL);
	expect_err("F_GETLK with F_UNLCK", lock_err(fd, F_GETLK, lk(F_UNLCK, SEEK_SET, 0, 1)), EINVAL);
	expect_err("a start past OFFSET_MAX", lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_END, INT64_MAX, 1)), EOVERFLOW);
	expect_err("an end past OFFSET_MAX", lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, 2, INT64_MAX)), EOVERFLOW);
	expect_err("the last byte exactly", lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, INT64_MAX, 1)), 0);
	lock_err(fd, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));
	expect_err("fcntl(-1, F_SETLK)", lock_err(-1, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 1)), EBADF);
	close(fd);
	int ro = open(PATH, O_RDONLY), wo = open(PATH, O_WRONLY);
	expect_err("F_WRLCK on a read-only descriptor", lock_err(ro, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 1)), EBADF);
	expect_err("F_RDLCK on a write-only descriptor", lock_err(wo, F_SETLK, lk(F_RDLCK, SEEK_SET, 0, 1)), EBADF);
	expect_err("F_RDLCK on a read-only descriptor", lock_err(ro, F_SETLK, lk(F_RDLCK, SEEK_SET, 0, 1)), 0);
	expect_err("F_UNLCK on a write-only descriptor", lock_err(wo, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 1)), 0);
	expect_err("F_GETLK F_WRLCK on a read-only descriptor", lock_err(ro, F_GETLK, lk(F_WRLCK, SEEK_SET, 0, 1)),
		   0);
	int path = open(PATH, O_PATH);
	expect_err("F_SETLK on an O_PATH descriptor", lock_err(path, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 1)), EBADF);
	close(path);
	close(ro);
	close(wo);
}

static void check_posix_release(struct helper *h)
{
	int fd = open_file();
	lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 0));
	int other = open(PATH, O_RDONLY);
	close(other);
	expect_err("closing another descriptor of the file released our POSIX lock",
		   helper_fcntl(h, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 1)).err, 0);
	helper_fcntl(h, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));
	lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 0));
	int copy = dup(fd);
	close(copy);
	expect_err("closing a dup released it too", helper_fcntl(h, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 1)).err, 0);
	helper_fcntl(h, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));

	pid_t pid = fork();
	if (pid == 0) {
		lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 0));
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	expect_err("a child's POSIX lock went when it exited", lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 0)),
		   0);
	close(fd);
}

static void check_posix_waits(struct helper *h)
{
	int fd = open_file();
	lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 10));
	helper_send(h, OP_FCNTL, F_SETLKW, lk(F_WRLCK, SEEK_SET, 5, 1));
	if (!helper_answered(h, 200))
		tpass("F_SETLKW waits while the range is locked");
	else
		tfail("F_SETLKW returned while the range was locked");
	lock_err(fd, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 5));
	if (!helper_answered(h, 100))
		tpass("unlocking bytes it does not want leaves it waiting");
	else
		tfail("F_SETLKW returned while its byte was still locked");
	lock_err(fd, F_SETLK, lk(F_UNLCK, SEEK_SET, 5, 5));
	expect_err("F_SETLKW got the lock once it was unlocked", helper_reply(h).err, 0);
	struct flock fl = lk(F_RDLCK, SEEK_SET, 0, 0);
	fcntl(fd, F_GETLK, &fl);
	if (fl.l_type == F_WRLCK && fl.l_pid == h->pid && fl.l_start == 5 && fl.l_len == 1)
		tpass("F_GETLK shows the waiter's new lock with its pid");
	else
		tfail("F_GETLK after the wait: type %d pid %d start %lld", fl.l_type, fl.l_pid, (long long)fl.l_start);
	helper_fcntl(h, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));

	/* A deadlock: we hold byte 0, the helper byte 1, each wants the other's. */
	lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 1));
	helper_fcntl(h, F_SETLK, lk(F_WRLCK, SEEK_SET, 1, 1));
	helper_send(h, OP_SETLKW_OR_DROP, F_SETLKW, lk(F_WRLCK, SEEK_SET, 0, 1));
	helper_answered(h, 200); /* most likely it sleeps first; either order is checked */
	int ours = lock_err(fd, F_SETLKW, lk(F_WRLCK, SEEK_SET, 1, 1));
	if (ours == EDEADLK)
		lock_err(fd, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));
	int theirs = helper_reply(h).err;
	if ((ours == EDEADLK && theirs == 0) || (ours == 0 && theirs == EDEADLK))
		tpass("two processes waiting on each other: one F_SETLKW fails with EDEADLK (ours %s, theirs %s)",
		      errno_name(ours), errno_name(theirs));
	else
		tfail("deadlock: ours %s, theirs %s", errno_name(ours), errno_name(theirs));
	lock_err(fd, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));
	helper_fcntl(h, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));
	close(fd);
}

/*
 * Three processes, each holding one byte and waiting for the next one's:
 * the request that closes the circle fails with EDEADLK (its maker then
 * lets go of everything), and the other two get their bytes in turn.
 */
static void check_deadlock_chain(void)
{
	struct helper hs[3];
	for (int i = 0; i < 3; i++) {
		hs[i] = helper_start();
		helper_fcntl(&hs[i], F_SETLK, lk(F_WRLCK, SEEK_SET, i, 1));
	}
	for (int i = 0; i < 3; i++) {
		helper_send(&hs[i], OP_SETLKW_OR_DROP, F_SETLKW, lk(F_WRLCK, SEEK_SET, (i + 1) % 3, 1));
		helper_answered(&hs[i], 200); /* lets it sleep first; any order is checked */
	}
	int deadlocks = 0, granted = 0, other = 0;
	for (int answers = 0; answers < 3;) {
		struct pollfd p[3];
		for (int i = 0; i < 3; i++)
			p[i] = (struct pollfd){hs[i].from, POLLIN, 0};
		if (poll(p, 3, -1) < 1)
			break;
		for (int i = 0; i < 3; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			answers++;
			int err = helper_reply(&hs[i]).err;
			if (err == EDEADLK) {
				deadlocks++;
			} else if (err == 0) {
				granted++;
				helper_fcntl(&hs[i], F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));
			} else {
				other++;
			}
		}
	}
	if (deadlocks == 1 && granted == 2 && other == 0)
		tpass("a circle of three waiting processes: one EDEADLK, the other two get their locks");
	else
		tfail("a circle of three: %d EDEADLK, %d granted, %d other", deadlocks, granted, other);
	for (int i = 0; i < 3; i++)
		helper_stop(&hs[i]);
}

static void check_ofd(struct helper *h)
{
	int fd = open_file(), fd2 = open_file();
	struct flock bad = lk(F_WRLCK, SEEK_SET, 0, 1);
	bad.l_pid = 1;
	expect_err("F_OFD_SETLK with l_pid set", lock_err(fd, F_OFD_SETLK, bad), EINVAL);
	expect_err("F_OFD_GETLK with l_pid set", lock_err(fd, F_OFD_GETLK, bad), EINVAL);
	EXPECT_RET("F_OFD_SETLK F_WRLCK 0..9", lock_err(fd, F_OFD_SETLK, lk(F_WRLCK, SEEK_SET, 0, 10)), 0);
	expect_err("another open file of the same process conflicts",
		   lock_err(fd2, F_OFD_SETLK, lk(F_WRLCK, SEEK_SET, 5, 1)), EAGAIN);
	expect_err("and so does our own POSIX lock", lock_err(fd2, F_SETLK, lk(F_WRLCK, SEEK_SET, 5, 1)), EAGAIN);
	struct flock fl = lk(F_RDLCK, SEEK_SET, 0, 1);
	fcntl(fd2, F_GETLK, &fl);
	if (fl.l_type == F_WRLCK && fl.l_pid == -1)
		tpass("F_GETLK reports an OFD lock with l_pid -1");
	else
		tfail("F_GETLK of an OFD lock: type %d pid %d", fl.l_type, fl.l_pid);
	int copy = dup(fd);
	expect_err("a dup shares the OFD lock", lock_err(copy, F_OFD_SETLK, lk(F_WRLCK, SEEK_SET, 0, 10)), 0);
	expect_err("so does a forked child", in_child_fcntl(fd, F_OFD_SETLK, lk(F_WRLCK, SEEK_SET, 0, 10)), 0);
	close(fd2);
	expect_err("closing another descriptor keeps OFD locks",
		   helper_fcntl(h, F_SETLK, lk(F_RDLCK, SEEK_SET, 0, 1)).err, EAGAIN);
	helper_send(h, OP_FCNTL, F_OFD_SETLKW, lk(F_RDLCK, SEEK_SET, 9, 1));
	if (!helper_answered(h, 200))
		tpass("F_OFD_SETLKW waits");
	else
		tfail("F_OFD_SETLKW returned while the range was locked");
	close(copy);
	close(fd);
	expect_err("F_OFD_SETLKW got the lock after the last close", helper_reply(h).err, 0);
	fd = open_file();
	fl = lk(F_WRLCK, SEEK_SET, 0, 0);
	fcntl(fd, F_OFD_GETLK, &fl);
	if (fl.l_type == F_RDLCK && fl.l_start == 9 && fl.l_len == 1 && fl.l_pid == -1)
		tpass("F_OFD_GETLK shows the helper's OFD read lock");
	else
		tfail("F_OFD_GETLK: type %d start %lld pid %d", fl.l_type, (long long)fl.l_start, fl.l_pid);
	helper_fcntl(h, F_OFD_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));
	close(fd);
}

/* The line of /proc/locks (after "N: ") that is `want`, if any. */
static int proc_locks_has(const char *want)
{
	FILE *f = fopen("/proc/locks", "r");
	if (!f)
		return 0;
	char line[256];
	int found = 0;
	while (fgets(line, sizeof line, f)) {
		char *text = strstr(line, ": ");
		line[strcspn(line, "\n")] = 0;
		if (text && strcmp(text + 2, want) == 0)
			found = 1;
	}
	fclose(f);
	return found;
}

static void check_proc_locks(void)
{
	proc_mount_if_needed();
	int fd = open_file(), fd2 = open_file();
	struct stat st;
	fstat(fd, &st);
	char id[64], want[160];
	snprintf(id, sizeof id, "%02x:%02x:%llu", major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino);
	flock(fd, LOCK_EX);
	lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 10));
	lock_err(fd, F_SETLK, lk(F_RDLCK, SEEK_SET, 20, 0));
	lock_err(fd2, F_OFD_SETLK, lk(F_RDLCK, SEEK_SET, 30, 5));
	const char *lines[][2] = {
		{"FLOCK  ADVISORY  WRITE %d %s 0 EOF", "a FLOCK line"},
		{"POSIX  ADVISORY  WRITE %d %s 0 9", "a POSIX write line"},
		{"POSIX  ADVISORY  READ %d %s 20 EOF", "a POSIX read line to EOF"},
		{"OFDLCK ADVISORY  READ -1 %s 30 34", "an OFDLCK line"},
	};
	for (int i = 0; i < 4; i++) {
		if (i == 3)
			snprintf(want, sizeof want, lines[i][0], id);
		else
			snprintf(want, sizeof want, lines[i][0], getpid(), id);
		if (proc_locks_has(want))
			tpass("/proc/locks has %s: \"%s\"", lines[i][1], want);
		else
			tfail("/proc/locks lacks \"%s\"", want);
	}
	close(fd);
	snprintf(want, sizeof want, "POSIX  ADVISORY  WRITE %d %s 0 9", getpid(), id);
	if (!proc_locks_has(want))
		tpass("/proc/locks drops the POSIX lines at close");
	else
		tfail("/proc/locks still shows \"%s\"", want);
	close(fd2);
	snprintf(want, sizeof want, "OFDLCK ADVISORY  READ -1 %s 30 34", id);
	if (!proc_locks_has(want))
		tpass("/proc/locks drops the OFDLCK line at the last close");
	else
		tfail("/proc/locks still shows \"%s\"", want);
}

/* The number of the /proc/locks line whose text (after "N: ") is `want`; -1 if none. */
static int proc_locks_id(const char *want)
{
	FILE *f = fopen("/proc/locks", "r");
	if (!f)
		return -1;
	char line[256];
	int id = -1;
	while (fgets(line, sizeof line, f)) {
		char *text = strstr(line, ": ");
		line[strcspn(line, "\n")] = 0;
		if (text && strcmp(text + 2, want) == 0)
			id = atoi(line);
	}
	fclose(f);
	return id;
}

/* Waits (boundedly) for the helper's request to show as a waiter line. */
static int proc_locks_waiter_id(const char *want)
{
	int id = -1;
	for (int i = 0; i < 1000 && id < 0; i++) {
		id = proc_locks_id(want);
		if (id < 0)
			usleep(10000);
	}
	return id;
}

static void check_proc_waiters(struct helper *h)
{
	int fd = open_file();
	struct stat st;
	fstat(fd, &st);
	char id[64], holder[160], waiter[160];
	snprintf(id, sizeof id, "%02x:%02x:%llu", major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino);

	lock_err(fd, F_SETLK, lk(F_WRLCK, SEEK_SET, 0, 10));
	helper_send(h, OP_FCNTL, F_SETLKW, lk(F_RDLCK, SEEK_SET, 5, 1));
	snprintf(holder, sizeof holder, "POSIX  ADVISORY  WRITE %d %s 0 9", getpid(), id);
	snprintf(waiter, sizeof waiter, "-> POSIX  ADVISORY  READ %d %s 5 5", h->pid, id);
	int w = proc_locks_waiter_id(waiter), held = proc_locks_id(holder);
	if (w > 0 && w == held)
		tpass("/proc/locks shows a blocked F_SETLKW under the lock in its way: \"%d: %s\"", w, waiter);
	else
		tfail("/proc/locks: waiter \"%s\" at %d, holder at %d", waiter, w, held);
	lock_err(fd, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));
	expect_err("the listed waiter got its lock", helper_reply(h).err, 0);
	if (proc_locks_id(waiter) < 0)
		tpass("/proc/locks no longer lists it as waiting");
	else
		tfail("/proc/locks still lists \"%s\"", waiter);
	helper_fcntl(h, F_SETLK, lk(F_UNLCK, SEEK_SET, 0, 0));

	flock(fd, LOCK_EX);
	helper_send(h, OP_FLOCK, LOCK_SH, lk(0, 0, 0, 0));
	snprintf(holder, sizeof holder, "FLOCK  ADVISORY  WRITE %d %s 0 EOF", getpid(), id);
	snprintf(waiter, sizeof waiter, "-> FLOCK  ADVISORY  READ %d %s 0 EOF", h->pid, id);
	w = proc_locks_waiter_id(waiter);
	held = proc_locks_id(holder);
	if (w > 0 && w == held)
		tpass("/proc/locks shows a blocked flock under the lock in its way: \"%d: %s\"", w, waiter);
	else
		tfail("/proc/locks: waiter \"%s\" at %d, holder at %d", waiter, w, held);
	flock(fd, LOCK_UN);
	expect_err("the waiting flock got its lock", helper_reply(h).err, 0);
	helper_flock(h, LOCK_UN);
	close(fd);
}

static int make_file(void)
{
	int fd = open(PATH, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char buf[100] = {0};
	if (fd < 0 || write(fd, buf, sizeof buf) != sizeof buf) {
		tfail("create %s: %s", PATH, errno_name(errno));
		return -1;
	}
	close(fd);
	return 0;
}

int main(void)
{
	alarm(120); /* a hang guard: nothing here waits for time */
	signal(SIGPIPE, SIG_IGN);
	if (make_file())
		return tdone();
	struct helper h = helper_start();
	check_flock_basics(&h);
	check_flock_waits(&h);
	check_interrupted_waits();
	check_posix_conflicts(&h);
	check_posix_ranges(&h);
	check_posix_errors();
	check_posix_release(&h);
	check_posix_waits(&h);
	check_deadlock_chain();
	check_ofd(&h);
	check_proc_locks();
	check_proc_waiters(&h);
	helper_stop(&h);
	unlink(PATH);
	return tdone();
}
