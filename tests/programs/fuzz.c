/*
 * A system-call fuzzer: `fuzz SEED CALLS [root] [verbose] [trace]`.
 *
 * The parent forks NWORKERS workers. Each sets up a private scratch directory
 * /tmp/fuzz.W, opens one descriptor of every kind the kernel has (files,
 * directories, pipes, socket pairs of each type, listening and bound UNIX
 * sockets, epoll, eventfd, timerfd, signalfd, memfd, a message queue,
 * /dev/null, /proc files) and System V objects, drops to uid/gid 1000 (unless
 * `root`), and then makes random calls from the list of implemented ones with
 * arguments that know their types: descriptors of every kind, -1, closed and
 * huge ones; valid, NULL, unmapped, kernel-half and non-canonical pointers,
 * a buffer that ends at a page boundary before an inaccessible page and one
 * low in the address space (where a huge length still ends below the top of
 * user space, so the kernel must not trust it before copying); lengths,
 * flags, paths, signals, clocks. Half the time a call's arguments are aimed
 * past its first checks instead (aim: a descriptor of the right kind, valid
 * flags, the sizes the kernel expects). Calls that would end or wreck the test are
 * left out or tamed: no exit, exec, clone, mount, reboot or clock setting;
 * memory calls only touch a scratch region; destructive path calls only the
 * scratch directory; signals only go to the worker itself and its children;
 * SIGALRM (a 20 ms interval timer) interrupts any call that blocks.
 *
 * Each worker runs WORKER_LIFE calls and exits; the parent respawns workers
 * (and those that die) until CALLS calls were made in all, counted in shared
 * memory, and kills a worker that makes no progress for HANG_SECONDS (a
 * kernel hang, unless the worker blocked SIGALRM itself; a stopped worker
 * is killed too). Each worker's PRNG (xorshift64*) is seeded from SEED, its
 * slot and its generation, so a run is reproducible up to timing. The last
 * RING calls of each worker are kept in a shared ring the parent prints when
 * a worker hangs, and for every death with `verbose`; with `trace` every
 * worker writes each call to the console before making it (for a call that
 * panics the kernel).
 *
 * At the end the parent removes what the workers made, checks the system
 * still works (fork and wait, a file round trip in /tmp, a pipe, exec of
 * /bin/true) and, as init in the test VM, that free memory did not drop by
 * more than LEAK_LIMIT_KB.
 *
 * Natively it refuses to run as root: random calls could harm the host. Run
 * it there only as an unprivileged user with a small CALLS, if at all.
 */
#include "common.h"

#include <fcntl.h>
#include <ftw.h>
#include <linux/falloc.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#define NWORKERS 4
#define WORKER_LIFE 500
#define RING 32
#define HANG_SECONDS 10
#define MAX_IPC 2048
#define MAX_FDS 48
#define MAX_KIDS 8
#define PAGE 4096UL
#define BUF_PAGES 8
#define MEM_PAGES 16
#define ARG_PAGES 6
#define LOW_PAGES 4
#define LOW_ADDR 0x10000000UL
#define LEAK_LIMIT_KB (20 * 1024)
#define FUZZ_UID 1000
#define IPC_KEY_BASE 0x46555a00

#define KERNEL_PTR 0xffff800000000000UL
#define NONCANON_PTR 0x0000800000000000UL

/* One call in a worker's ring. */
struct entry {
	long seq;
	long nr;
	long a[6];
	long ret;
	int done;
};

/* A worker slot, in shared memory. */
struct slot {
	volatile pid_t pid;
	int gen;
	/* The step of worker_setup under way (a string of the program, the
	 * same address in parent and worker), NULL once it is done. */
	const char *volatile setup;
	volatile long progress;
	volatile long pos;
	long last; /* the parent's view: progress at `since` */
	double since;
	struct entry ring[RING];
};

struct shared {
	volatile long calls;
	long target;
	struct slot w[NWORKERS];
	volatile long made[256]; /* by index in calls[] */
	volatile long succeeded[256];
	volatile int nipc;
	struct {
		int kind;
		int id;
	} ipc[MAX_IPC];
};

static struct shared *sh;
static unsigned long seed;
static int root_mode, verbose, trace;

/* With `trace`, where each worker writes every call before making it. */
#define TRACE_FD 1000

/* ---- the worker's state and its PRNG ---- */

struct worker {
	int idx;
	uint64_t rng;
	char dir[64];
	char mqname[32];
	int fds[MAX_FDS];
	int nfds;
	int closed_fd;
	pid_t kids[MAX_KIDS];
	int nkids;
	int ipc_ids[3];
	/* Descriptors of the kinds some calls need, to pick half the time. */
	int mqfd, epfd, timerfd, sigfd, socks[10], nsocks;
	int timers[8], ntimers;
	long shm_addr;
	char *buf; /* BUF_PAGES pages, then an unmapped page */
	char *mem; /* MEM_PAGES pages the memory calls may change */
	char *hole; /* an unmapped page */
	char *alt; /* an alternate signal stack */
	char *arg; /* where structures for the calls are built */
	char *low; /* LOW_PAGES pages low in the address space: huge lengths stay below its top */
	size_t argoff;
};

static struct worker W;

static uint64_t rnd(void)
{
	uint64_t x = W.rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	W.rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static unsigned long below(unsigned long n)
{
	return n ? rnd() % n : 0;
}

static int one_in(unsigned n)
{
	return below(n) == 0;
}

/* Space for one argument structure in the arg area, which each call starts afresh. */
static void *arg_alloc(size_t n)
{
	n = (n + 15) & ~15UL;
	if (W.argoff + n > ARG_PAGES * PAGE)
		W.argoff = 0; /* not reached: a call needs less than the area */
	void *p = W.arg + W.argoff;
	W.argoff += n;
	return p;
}

static void fill_random(void *p, size_t n)
{
	unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		c[i] = (unsigned char)rnd();
}

/* ---- argument generators ---- */

static long gen_int(void)
{
	static const long v[] = { 0, 1, 2, 3, 4, 7, 8, 16, 64, 255, 256, 1024, 4096, 65535, 65536,
				  0x7fffffff, 0x80000000L, 0xffffffffL, -1, -2, -4096, 1L << 32,
				  1L << 40, 1L << 62, 0x7fffffffffffffffL, (long)0x8000000000000000UL };
	if (one_in(4))
		return (long)rnd();
	if (one_in(3))
		return (long)below(64);
	return v[below(sizeof v / sizeof v[0])];
}

static long gen_len(void)
{
	static const long v[] = { 0, 1, 2, 7, 8, 16, 100, 4095, 4096, 4097, 8192, 65536,
				  BUF_PAGES * 4096, 1 << 20, 0x7fffffff, -1, -4096, 1L << 40, 1L << 62 };
	if (one_in(4))
		return (long)below(512);
	return v[below(sizeof v / sizeof v[0])];
}

static long gen_flags(void)
{
	switch (below(6)) {
	case 0: return 0;
	case 1: return (long)(rnd() & 0xff);
	case 2: return (long)(rnd() & 0xfffff);
	case 3: return (long)(1UL << below(32));
	case 4: return (long)((1UL << below(32)) | (1UL << below(32)));
	default: return (long)rnd();
	}
}

/* A pointer for data: valid, at the edge of a mapping, or bad. */
static long gen_ptr(void)
{
	switch (below(12)) {
	case 0: return 0;
	case 1: return (long)W.hole;
	case 2: return (long)KERNEL_PTR + (long)(below(4) * PAGE);
	case 3: return (long)NONCANON_PTR - (long)below(16);
	case 4: return (long)(W.buf + BUF_PAGES * PAGE - 1 - below(64));
	case 5: return (long)(W.buf + BUF_PAGES * PAGE - 8 * below(8));
	case 6: return (long)(W.buf + below(16));
	case 7: return -1;
	case 8: return W.low ? (long)(W.low + below(LOW_PAGES * PAGE / 2)) : (long)W.buf;
	default: return (long)(W.buf + below(BUF_PAGES * PAGE / 2));
	}
}

static long gen_fd(void)
{
	switch (below(10)) {
	case 0: return -1;
	case 1: return W.closed_fd;
	case 2: return one_in(2) ? 0x7fffffff : 1 << 20;
	case 3: return (long)below(64);
	case 4: return -100; /* AT_FDCWD */
	default: return W.nfds ? W.fds[below(W.nfds)] : -1;
	}
}

static const char *const ro_paths[] = {
	"/", "/proc/self/stat", "/proc/self/maps", "/proc/meminfo", "/proc/self/status",
	"/proc/self/fd", "/proc/self/fd/3", "/proc/self/exe", "/proc/1/stat", "/dev/null",
	"/dev/zero", "/dev/full", "/dev/urandom", "/tmp", "/bin/busybox", "/proc/self/cwd",
	"/proc/uptime", "/proc/loadavg", "/dev", "/dev/tty", "/proc", "/proc/sys/kernel/ostype",
};

static const char *const scratch_names[] = {
	"file", "dir", "fifo", "link", "sock", "hard", "new", "dir/sub", "dir/f", "dangling",
	"loop", "ro", ".", "..", "", "file/x", "nonexistent", "dir/../file",
};

static long str_at_edge(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = W.buf + BUF_PAGES * PAGE - n;
	memcpy(p, s, n);
	return (long)p;
}

static long gen_bad_str(void)
{
	switch (below(6)) {
	case 0: return 0;
	case 1: return (long)W.hole;
	case 2: return (long)KERNEL_PTR;
	case 3: return (long)NONCANON_PTR - 1;
	case 4: { /* no NUL before the unmapped page */
		char *p = W.buf + BUF_PAGES * PAGE - 16;
		memset(p, 'a', 16);
		return (long)p;
	}
	default: { /* a name longer than PATH_MAX */
		char *p = arg_alloc(5000);
		memset(p, 'x', 4999);
		p[4999] = 0;
		for (int i = 0; i < 4999; i += 200)
			p[i] = '/';
		return (long)p;
	}
	}
}

/* A path in the scratch directory, absolute or relative, or a bad one. */
static long gen_wpath(void)
{
	if (one_in(8))
		return gen_bad_str();
	const char *name = scratch_names[below(sizeof scratch_names / sizeof scratch_names[0])];
	char *p = arg_alloc(128);
	if (one_in(3))
		snprintf(p, 128, "%s", name);
	else
		snprintf(p, 128, "%s/%s", W.dir, name);
	if (one_in(8))
		return str_at_edge(p);
	return (long)p;
}

/* A path for calls that do not change what they name. */
static long gen_path(void)
{
	if (one_in(2))
		return gen_wpath();
	if (one_in(10))
		return gen_bad_str();
	const char *p = ro_paths[below(sizeof ro_paths / sizeof ro_paths[0])];
	/* As root, fchmod on a read-only descriptor of it would end exec. */
	if (root_mode && strcmp(p, "/bin/busybox") == 0)
		p = "/proc/self/exe";
	return (long)p;
}

static long gen_name(void)
{
	static const char *const names[] = { "", "/", "//", "noslash", "/a/b", "/.", "/..", "x" };
	if (one_in(6))
		return gen_bad_str();
	if (one_in(3))
		return (long)names[below(sizeof names / sizeof names[0])];
	char *p = arg_alloc(48);
	snprintf(p, 48, "%s%s", W.mqname, one_in(2) ? "" : "b");
	return (long)p;
}

static long gen_xattr_name(void)
{
	static const char *const names[] = { "user.fuzz", "user.", "btrfs.compression",
					     "security.selinux", "trusted.x", "system.posix_acl_access",
					     "", "nonamespace", "user.a.b" };
	if (one_in(6))
		return gen_bad_str();
	return (long)names[below(sizeof names / sizeof names[0])];
}

static long gen_sig(void)
{
	static const int v[] = { 0, SIGHUP, SIGINT, SIGUSR1, SIGUSR2, SIGPIPE, SIGCHLD, SIGCONT,
				 SIGURG, SIGWINCH, SIGIO, 34, 64, 65, -1, SIGSEGV,
				 SIGTERM, SIGKILL, SIGSTOP, SIGTSTP, SIGPROF, SIGSYS, 32, 33, 64 };
	return v[below(sizeof v / sizeof v[0])];
}

static long gen_clock(void)
{
	static const long v[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
				  CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
				  CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, 8, 9, 11, 16, -1, 0x7fffffff,
				  -6 /* ~(0 << 3) | 2: own process CPU clock */, -14 };
	return v[below(sizeof v / sizeof v[0])];
}

static long gen_pid(void)
{
	switch (below(8)) {
	case 0: return 0;
	case 1: return getpid();
	case 2: return -getpid(); /* the worker leads its own group */
	case 3: return 0x7ffffff0; /* above any pid_max: no such process */
	case 4: return syscall(SYS_gettid);
	default: return W.nkids ? W.kids[below(W.nkids)] : getpid();
	}
}

static long gen_uid(void)
{
	static const long v[] = { 0, FUZZ_UID, 1001, 65534, -1, 0x7fffffff, 100000 };
	return v[below(sizeof v / sizeof v[0])];
}

static long gen_mode(void)
{
	static const long v[] = { 0, 0600, 0644, 0755, 0777, 07777, 04755, S_IFIFO | 0600,
				  S_IFCHR | 0600, S_IFBLK | 0600, S_IFSOCK | 0600, S_IFREG | 0644,
				  S_IFDIR | 0755, 0170000 | 0644, S_IFLNK | 0777 };
	return one_in(6) ? gen_flags() : v[below(sizeof v / sizeof v[0])];
}

static long gen_off(void)
{
	static const long v[] = { 0, 1, 4095, 4096, 1 << 20, 1L << 31, 1L << 40, 0x7fffffffffffffffL,
				  -1, -4096 };
	return v[below(sizeof v / sizeof v[0])];
}

/* A timespec of at most 10 ms, or an invalid one, or a bad pointer. */
static long gen_timeout(void)
{
	if (one_in(6))
		return gen_ptr();
	struct timespec *ts = arg_alloc(sizeof *ts);
	ts->tv_sec = 0;
	ts->tv_nsec = (long)below(10000000);
	if (one_in(8))
		ts->tv_nsec = one_in(2) ? 1000000000 : -1;
	if (one_in(10))
		ts->tv_sec = -1;
	return (long)ts;
}

/* A signal set that never blocks or waits for SIGALRM, the watchdog. */
static long gen_sigset(void)
{
	if (one_in(5)) {
		long p = gen_ptr();
		/* Random bytes in a buffer are a set too. */
		if ((p >= (long)W.buf && p <= (long)(W.buf + BUF_PAGES * PAGE - 8)) ||
		    (W.low && p >= (long)W.low && p <= (long)(W.low + LOW_PAGES * PAGE - 8)))
			*(uint64_t *)p &= ~(1ULL << (SIGALRM - 1));
		return p;
	}
	uint64_t *set = arg_alloc(16);
	set[0] = one_in(3) ? ~0ULL : rnd();
	set[1] = rnd();
	set[0] &= ~(1ULL << (SIGALRM - 1));
	return (long)set;
}

static long gen_sockaddr(void)
{
	if (one_in(5))
		return gen_ptr();
	struct sockaddr_un *sa = arg_alloc(sizeof *sa + 16);
	fill_random(sa, sizeof *sa);
	sa->sun_family = one_in(8) ? (sa_family_t)below(48) : AF_UNIX;
	switch (below(4)) {
	case 0:
		snprintf(sa->sun_path, sizeof sa->sun_path, "%s/s%d", W.dir, (int)below(3));
		break;
	case 1:
		sa->sun_path[0] = 0;
		snprintf(sa->sun_path + 1, sizeof sa->sun_path - 1, "fuzz%d.%d", W.idx, (int)below(3));
		break;
	case 2:
		snprintf(sa->sun_path, sizeof sa->sun_path, "%s/%s", W.dir,
			 one_in(2) ? "lsock" : "bsock");
		break;
	default:
		break;
	}
	return (long)sa;
}

static long gen_socklen(void)
{
	if (one_in(2))
		return sizeof(struct sockaddr_un);
	static const long v[] = { 0, 1, 2, 3, 16, 50, 110, 111, 112, 128, 4096, -1, 0x7fffffff };
	return v[below(sizeof v / sizeof v[0])];
}

static long gen_iovec(int *cnt)
{
	int n = (int)below(5);
	struct iovec *iov = arg_alloc(sizeof *iov * 5);
	for (int i = 0; i < n; i++) {
		iov[i].iov_base = (void *)gen_ptr();
		iov[i].iov_len = one_in(2) ? below(512) : (size_t)gen_len();
	}
	*cnt = one_in(8) ? (int)gen_int() : n;
	return one_in(8) ? gen_ptr() : (long)iov;
}

static long gen_msghdr(void)
{
	if (one_in(8))
		return gen_ptr();
	struct msghdr *m = arg_alloc(sizeof *m);
	int cnt;
	memset(m, 0, sizeof *m);
	m->msg_name = one_in(3) ? (void *)gen_sockaddr() : NULL;
	m->msg_namelen = m->msg_name ? (socklen_t)gen_socklen() : 0;
	m->msg_iov = (struct iovec *)gen_iovec(&cnt);
	m->msg_iovlen = (size_t)cnt;
	if (one_in(2)) {
		size_t n = 4 * sizeof(int);
		struct cmsghdr *c = arg_alloc(CMSG_SPACE(n) + 32);
		c->cmsg_len = one_in(6) ? (size_t)gen_len() : CMSG_LEN(below(n + 1));
		c->cmsg_level = one_in(8) ? (int)gen_int() : SOL_SOCKET;
		c->cmsg_type = one_in(2) ? SCM_RIGHTS : (one_in(2) ? SCM_CREDENTIALS : (int)gen_int());
		int *fds = (int *)CMSG_DATA(c);
		for (int i = 0; i < 4; i++)
			fds[i] = (int)gen_fd();
		if (c->cmsg_type == SCM_CREDENTIALS && one_in(2)) {
			struct ucred *u = (struct ucred *)CMSG_DATA(c);
			u->pid = getpid();
			u->uid = (uid_t)gen_uid();
			u->gid = (gid_t)gen_uid();
		}
		m->msg_control = c;
		m->msg_controllen = one_in(6) ? (size_t)gen_len() : CMSG_SPACE(n);
	}
	m->msg_flags = (int)gen_flags();
	return (long)m;
}

static long gen_ipc_id(void)
{
	if (one_in(4))
		return one_in(2) ? -1 : (long)below(64);
	return W.ipc_ids[below(3)];
}

static long gen_ipc_key(void)
{
	if (one_in(6))
		return IPC_PRIVATE;
	return IPC_KEY_BASE + W.idx * 4 + (long)below(4);
}

/* An address for the memory calls: in the scratch region, or bad. */
static long gen_maddr(void)
{
	switch (below(8)) {
	case 0: return 0;
	case 1: return (long)W.hole;
	case 2: return (long)KERNEL_PTR;
	case 3: return (long)NONCANON_PTR - (long)PAGE;
	case 4: return (long)(W.mem + below(MEM_PAGES * PAGE));
	default: return (long)(W.mem + below(MEM_PAGES) * PAGE);
	}
}

/* A length that keeps [addr, addr+len) inside the scratch region. */
static long gen_mlen(long addr)
{
	unsigned long a = (unsigned long)addr, m = (unsigned long)W.mem;
	if (one_in(6))
		return one_in(2) ? -1 : (long)0x8000000000000000UL;
	if (a >= m && a < m + MEM_PAGES * PAGE) {
		unsigned long room = m + MEM_PAGES * PAGE - a;
		return (long)(one_in(3) ? room : below(room + 1));
	}
	return (long)(below(2) * PAGE);
}

/* ---- the calls ---- */

enum arg {
	X, /* unused */
	I, /* integer */
	F, /* flags */
	L, /* length */
	P, /* data pointer */
	D, /* descriptor */
	RP, /* path, read-only use */
	WP, /* path in the scratch directory */
	SG, /* signal number */
	CK, /* clock id */
	PD, /* pid */
	UI, /* uid or gid */
	MD, /* mode */
	OF, /* offset */
	TO, /* timeout */
	SS, /* signal set */
	SA, /* socket address */
	SL, /* socket address length */
	MH, /* msghdr */
	IV, /* iovec array, the count follows */
	IC, /* the iovec count */
	IP, /* IPC id */
	IK, /* IPC key */
	NM, /* mqueue or memfd name */
	XN, /* xattr name */
	MA, /* scratch-region address */
	ML, /* scratch-region length after an MA */
};

struct call {
	long nr;
	const char *name;
	unsigned char a[6];
};

#define C(n, ...) { SYS_##n, #n, { __VA_ARGS__ } }

static const struct call calls[] = {
	C(read, D, P, L), C(write, D, P, L), C(close, D), C(open, RP, F, MD),
	C(stat, RP, P), C(fstat, D, P), C(lstat, RP, P), C(poll, P, I, I),
	C(lseek, D, OF, I), C(mmap, MA, ML, F, F, D, OF), C(mprotect, MA, ML, F),
	C(munmap, MA, ML), C(brk, I), C(rt_sigaction, SG, P, P, I),
	C(rt_sigprocmask, I, SS, P, I), C(ioctl, D, I, P), C(pread64, D, P, L, OF),
	C(pwrite64, D, P, L, OF), C(readv, D, IV, IC), C(writev, D, IV, IC),
	C(access, RP, I), C(pipe, P), C(select, I, P, P, P, P), C(sched_yield),
	C(mremap, MA, ML, L, F, MA), C(msync, MA, ML, F), C(mincore, MA, ML, P),
	C(madvise, MA, ML, I), C(mlock, MA, ML), C(munlock, MA, ML), C(mlock2, MA, ML, F),
	C(mlockall, F), C(munlockall), C(shmget, IK, L, F), C(shmat, IP, MA, F), C(shmctl, IP, I, P),
	C(dup, D), C(dup2, D, D), C(pause), C(nanosleep, TO, P), C(getitimer, I, P),
	C(alarm, I), C(setitimer, I, P, P), C(getpid), C(sendfile, D, D, P, L),
	C(socket, I, F, I), C(connect, D, SA, SL), C(accept, D, P, P), C(sendto, D, P, L, F, SA, SL),
	C(recvfrom, D, P, L, F, P, P), C(sendmsg, D, MH, F), C(recvmsg, D, MH, F),
	C(shutdown, D, I), C(bind, D, SA, SL), C(listen, D, I), C(getsockname, D, P, P),
	C(getpeername, D, P, P), C(socketpair, I, F, I, P), C(setsockopt, D, I, I, P, L),
	C(getsockopt, D, I, I, P, P), C(fork), C(wait4, PD, P, F, P), C(kill, PD, SG),
	C(uname, P), C(semget, IK, I, F), C(semop, IP, P, I), C(semctl, IP, I, I, P),
	C(shmdt, MA), C(msgget, IK, F), C(msgsnd, IP, P, L, F), C(msgrcv, IP, P, L, I, F),
	C(msgctl, IP, I, P), C(fcntl, D, I, I), C(flock, D, I), C(fsync, D), C(fdatasync, D),
	C(truncate, WP, OF), C(ftruncate, D, OF), C(getdents64, D, P, L), C(getcwd, P, L),
	C(chdir, RP), C(fchdir, D), C(rename, WP, WP), C(mkdir, WP, MD), C(rmdir, WP),
	C(creat, WP, MD), C(link, RP, WP), C(unlink, WP), C(symlink, RP, WP),
	C(readlink, RP, P, L), C(chmod, WP, MD), C(fchmod, D, MD), C(chown, WP, UI, UI),
	C(fchown, D, UI, UI), C(lchown, WP, UI, UI), C(umask, MD), C(gettimeofday, P, P),
	C(getrlimit, I, P), C(getrusage, I, P), C(sysinfo, P), C(times, P), C(getuid),
	C(syslog, I, P, L), C(getgid), C(setuid, UI), C(setgid, UI), C(geteuid), C(getegid),
	C(setpgid, PD, PD), C(getppid), C(getpgrp), C(setsid), C(setreuid, UI, UI),
	C(setregid, UI, UI), C(getgroups, I, P), C(setgroups, I, P), C(setresuid, UI, UI, UI),
	C(getresuid, P, P, P), C(setresgid, UI, UI, UI), C(getresgid, P, P, P), C(getpgid, PD),
	C(setfsuid, UI), C(setfsgid, UI), C(getsid, PD), C(capget, P, P), C(rt_sigpending, P, I),
	C(rt_sigtimedwait, SS, P, TO, I), C(rt_sigqueueinfo, PD, SG, P), C(rt_sigsuspend, SS, I),
	C(sigaltstack, P, P), C(utime, WP, P), C(mknod, WP, MD, I), C(statfs, RP, P),
	C(fstatfs, D, P), C(getpriority, I, PD), C(setpriority, I, PD, I),
	C(sched_setparam, PD, P), C(sched_getparam, PD, P), C(sched_setscheduler, PD, I, P),
	C(sched_getscheduler, PD), C(sched_get_priority_max, I), C(sched_get_priority_min, I),
	C(sched_rr_get_interval, PD, P), C(prctl, I, I, I, I, I), C(arch_prctl, I, P),
	C(setrlimit, I, P), C(sync), C(gettid), C(setxattr, WP, XN, P, L, F),
	C(lsetxattr, WP, XN, P, L, F), C(fsetxattr, D, XN, P, L, F), C(getxattr, RP, XN, P, L),
	C(lgetxattr, RP, XN, P, L), C(fgetxattr, D, XN, P, L), C(listxattr, RP, P, L),
	C(llistxattr, RP, P, L), C(flistxattr, D, P, L), C(removexattr, WP, XN),
	C(lremovexattr, WP, XN), C(fremovexattr, D, XN), C(tkill, PD, SG), C(time, P),
	C(futex, P, I, I, TO, P, I), C(sched_setaffinity, PD, L, P), C(sched_getaffinity, PD, L, P),
	C(set_tid_address, P), C(semtimedop, IP, P, I, TO), C(fadvise64, D, OF, L, I),
	C(timer_create, CK, P, P), C(timer_settime, I, F, P, P), C(timer_gettime, I, P),
	C(timer_getoverrun, I), C(timer_delete, I), C(clock_gettime, CK, P), C(clock_getres, CK, P),
	C(clock_nanosleep, CK, F, TO, P), C(epoll_wait, D, P, I, I), C(epoll_ctl, D, I, D, P),
	C(tgkill, PD, PD, SG), C(utimes, WP, P), C(mq_open, NM, F, MD, P), C(mq_unlink, NM),
	C(mq_timedsend, D, P, L, I, TO), C(mq_timedreceive, D, P, L, P, TO), C(mq_notify, D, P),
	C(mq_getsetattr, D, P, P), C(waitid, I, PD, P, F, P), C(openat, D, RP, F, MD),
	C(mkdirat, D, WP, MD), C(mknodat, D, WP, MD, I), C(fchownat, D, WP, UI, UI, F),
	C(futimesat, D, WP, P), C(newfstatat, D, RP, P, F), C(unlinkat, D, WP, F),
	C(renameat, D, WP, D, WP), C(linkat, D, RP, D, WP, F), C(symlinkat, RP, D, WP),
	C(readlinkat, D, RP, P, L), C(fchmodat, D, WP, MD), C(faccessat, D, RP, I),
	C(pselect6, I, P, P, P, TO, P), C(ppoll, P, I, TO, SS, I), C(set_robust_list, P, L),
	C(get_robust_list, PD, P, P), C(epoll_pwait, D, P, I, I, SS, I), C(utimensat, D, WP, P, F),
	C(signalfd, D, SS, I), C(timerfd_create, CK, F), C(eventfd, I), C(fallocate, D, F, OF, OF),
	C(timerfd_settime, D, F, P, P), C(timerfd_gettime, D, P), C(accept4, D, P, P, F),
	C(signalfd4, D, SS, I, F), C(eventfd2, I, F), C(epoll_create1, F), C(dup3, D, D, F),
	C(pipe2, P, F), C(preadv, D, IV, IC, OF), C(pwritev, D, IV, IC, OF),
	C(preadv2, D, IV, IC, OF, I, F), C(pwritev2, D, IV, IC, OF, I, F), C(splice, D, P, D, P, L, F),
	C(tee, D, D, L, F), C(vmsplice, D, IV, IC, F), C(copy_file_range, D, P, D, P, L, F),
	C(process_vm_readv, I, IV, IC, IV, IC, F), C(personality, F),
	C(sysfs, I, P, P), C(ustat, I, P), C(ioprio_get, I, PD), C(ioprio_set, I, PD, I), C(readahead, D, OF, L),
	C(sync_file_range, D, OF, L, F), C(kcmp, PD, PD, I, D, D), C(pidfd_open, PD, F), C(pidfd_getfd, D, D, F),
	C(inotify_init1, F), C(inotify_add_watch, D, RP, F), C(inotify_rm_watch, D, I),
	C(capget, P, P), C(capset, P, P),
	C(rt_tgsigqueueinfo, PD, PD, SG, P), C(recvmmsg, D, P, I, F, TO), C(prlimit64, PD, I, P, P),
	C(syncfs, D), C(sendmmsg, D, P, I, F), C(sched_setattr, PD, P, F), C(sched_getattr, PD, P, L, F),
	C(renameat2, D, WP, D, WP, F), C(memfd_create, NM, F), C(statx, D, RP, F, I, P),
	C(epoll_pwait2, D, P, I, TO, SS, I), C(faccessat2, D, RP, I, F), C(epoll_create, I),
};

#define NCALLS ((long)(sizeof calls / sizeof calls[0]))
_Static_assert(sizeof calls / sizeof calls[0] <= 256, "made[] and succeeded[] hold 256 calls");

static long gen_arg(int type, long *args, int i)
{
	int cnt;
	switch (type) {
	case I: return gen_int();
	case F: return gen_flags();
	case L: return gen_len();
	case P: return gen_ptr();
	case D: return gen_fd();
	case RP: return gen_path();
	case WP: return gen_wpath();
	case SG: return gen_sig();
	case CK: return gen_clock();
	case PD: return gen_pid();
	case UI: return gen_uid();
	case MD: return gen_mode();
	case OF: return gen_off();
	case TO: return gen_timeout();
	case SS: return gen_sigset();
	case SA: return gen_sockaddr();
	case SL: return gen_socklen();
	case MH: return gen_msghdr();
	case IV: {
		long v = gen_iovec(&cnt);
		args[i + 1] = cnt;
		return v;
	}
	case IC: return args[i];
	case IP: return gen_ipc_id();
	case IK: return gen_ipc_key();
	case NM: return gen_name();
	case XN: return gen_xattr_name();
	case MA: return gen_maddr();
	case ML: return gen_mlen(args[i - 1]);
	default: return 0;
	}
}

/* A signal a worker may send itself: no stops, no SIGALRM handling tricks. */
static long tame_sig(long sig)
{
	if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
		return SIGCONT;
	return sig;
}

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if ((sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP) &&
	    si->si_code > 0)
		signal(sig, SIG_DFL); /* a real fault: die of it on return */
}

/* rt_sigaction through musl, which supplies the restorer; or raw for bad pointers. */
static long do_sigaction(long *a)
{
	int sig = (int)a[0];
	if (sig == SIGALRM)
		sig = SIGUSR2;
	if (a[1] && one_in(4))
		return syscall(SYS_rt_sigaction, sig, a[1], a[2], 8);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	switch (below(3)) {
	case 0: sa.sa_handler = SIG_DFL; break;
	case 1: sa.sa_handler = SIG_IGN; break;
	default:
		sa.sa_sigaction = handler;
		sa.sa_flags |= SA_SIGINFO;
		break;
	}
	sa.sa_flags |= (int)(rnd() & (SA_RESTART | SA_NODEFER | SA_RESETHAND | SA_ONSTACK | SA_NOCLDSTOP |
				      SA_NOCLDWAIT));
	sigfillset(&sa.sa_mask);
	if (one_in(2))
		sigemptyset(&sa.sa_mask);
	/* musl copies the old action in user space: only into the buffer. */
	int old_ok = a[2] >= (long)W.buf && a[2] < (long)(W.buf + BUF_PAGES * PAGE) - 256;
	return sigaction(sig, a[1] ? &sa : NULL, old_ok ? (struct sigaction *)a[2] : NULL);
}

static void remember_ipc(int kind, long id)
{
	if (id < 0)
		return;
	int n = __sync_fetch_and_add(&sh->nipc, 1);
	if (n < MAX_IPC) {
		sh->ipc[n].kind = kind;
		sh->ipc[n].id = (int)id;
	}
}

static long do_fork(void)
{
	long pid = syscall(SYS_fork);
	if (pid == 0) {
		struct timespec ts = { 0, (long)below(3000000) };
		nanosleep(&ts, NULL);
		_exit((int)below(4));
	}
	if (pid > 0) {
		if (W.nkids == MAX_KIDS)
			W.nkids = 0;
		W.kids[W.nkids++] = (pid_t)pid;
	}
	return pid;
}

static void arm_watchdog(void)
{
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Whether n bytes at p lie in the worker's argument area. */
static int in_arg_area(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p, base = (uintptr_t)W.arg;
	return a >= base && a - base <= ARG_PAGES * PAGE - n;
}

static long pick_sock(long fd)
{
	return W.nsocks && one_in(2) ? W.socks[below(W.nsocks)] : fd;
}

static long gen_sembuf(void)
{
	struct sembuf *sb = arg_alloc(3 * sizeof *sb);
	for (int i = 0; i < 3; i++) {
		sb[i].sem_num = (unsigned short)below(4);
		sb[i].sem_op = (short)((long)below(5) - 2);
		sb[i].sem_flg = (short)((one_in(2) ? IPC_NOWAIT : 0) | (one_in(2) ? SEM_UNDO : 0));
	}
	return (long)sb;
}

/*
 * Half the time, arguments that get past the first checks: a descriptor of
 * the right kind, valid flags, sizes the kernel expects, so that the calls
 * reach their deeper paths too.
 */
static void aim(long nr, long *a)
{
	if (one_in(2))
		return;
	switch (nr) {
	case SYS_socket:
	case SYS_socketpair:
		a[0] = AF_UNIX;
		a[1] = (long)(1 + below(5)) | (one_in(2) ? SOCK_NONBLOCK : 0) | (one_in(2) ? SOCK_CLOEXEC : 0);
		a[2] = 0;
		break;
	case SYS_connect: case SYS_accept: case SYS_accept4: case SYS_recvfrom: case SYS_sendto:
	case SYS_sendmsg: case SYS_recvmsg: case SYS_sendmmsg: case SYS_recvmmsg: case SYS_bind:
	case SYS_listen: case SYS_shutdown: case SYS_getsockname: case SYS_getpeername:
		a[0] = pick_sock(a[0]);
		if (nr == SYS_accept4)
			a[3] &= SOCK_NONBLOCK | SOCK_CLOEXEC;
		if (nr == SYS_recvfrom || nr == SYS_sendto || nr == SYS_recvmsg || nr == SYS_sendmsg)
			a[nr == SYS_sendto || nr == SYS_recvfrom ? 3 : 2] = MSG_DONTWAIT;
		break;
	case SYS_setsockopt:
	case SYS_getsockopt: {
		int *len = arg_alloc(sizeof *len);
		*len = 4;
		a[0] = pick_sock(a[0]);
		a[1] = SOL_SOCKET;
		a[2] = (long)below(64);
		a[3] = (long)(W.buf + 64);
		a[4] = nr == SYS_setsockopt ? 4 : (long)len;
		break;
	}
	case SYS_mq_timedsend: case SYS_mq_timedreceive: case SYS_mq_notify: case SYS_mq_getsetattr:
		a[0] = W.mqfd;
		if (nr == SYS_mq_timedsend)
			a[2] = (long)below(80);
		if (nr == SYS_mq_timedreceive)
			a[2] = 64;
		break;
	case SYS_epoll_ctl: case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_epoll_pwait2:
		a[0] = W.epfd;
		if (nr == SYS_epoll_ctl)
			a[1] = (long)(1 + below(3));
		else
			a[2] = (long)(1 + below(8));
		if (nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2)
			a[5] = 8;
		break;
	case SYS_timerfd_settime:
	case SYS_timerfd_gettime:
		a[0] = W.timerfd;
		if (nr == SYS_timerfd_settime) {
			struct itimerspec *its = arg_alloc(sizeof *its);
			its->it_value.tv_sec = 0;
			its->it_value.tv_nsec = (long)below(20000000);
			its->it_interval = its->it_value;
			a[1] &= TFD_TIMER_ABSTIME;
			a[2] = (long)its;
		}
		break;
	case SYS_signalfd4:
	case SYS_signalfd:
		a[0] = one_in(2) ? W.sigfd : -1;
		a[2] = 8;
		if (nr == SYS_signalfd4)
			a[3] &= SFD_NONBLOCK | SFD_CLOEXEC;
		break;
	case SYS_timer_create: {
		struct sigevent *ev = arg_alloc(sizeof *ev);
		memset(ev, 0, sizeof *ev);
		ev->sigev_notify = one_in(2) ? SIGEV_NONE : SIGEV_SIGNAL;
		ev->sigev_signo = one_in(2) ? SIGALRM : SIGCHLD;
		a[1] = (long)ev;
		a[2] = (long)arg_alloc(sizeof(int));
		break;
	}
	case SYS_timer_settime: case SYS_timer_gettime: case SYS_timer_getoverrun: case SYS_timer_delete:
		if (W.ntimers)
			a[0] = W.timers[below(W.ntimers)];
		if (nr == SYS_timer_settime) {
			struct itimerspec *its = arg_alloc(sizeof *its);
			its->it_value.tv_sec = 0;
			its->it_value.tv_nsec = 1 + (long)below(20000000);
			its->it_interval = its->it_value;
			a[1] &= TIMER_ABSTIME;
			a[2] = (long)its;
		}
		break;
	case SYS_semop:
	case SYS_semtimedop:
		a[1] = gen_sembuf();
		a[2] = (long)(1 + below(3));
		break;
	case SYS_shmdt:
		a[0] = W.shm_addr;
		break;
	case SYS_shmat:
		a[1] = 0;
		break;
	case SYS_sched_setscheduler: {
		struct sched_param *sp = arg_alloc(sizeof *sp);
		sp->sched_priority = 0;
		a[1] = (long)below(6);
		a[2] = (long)sp;
		break;
	}
	case SYS_sched_setattr:
		a[2] = 0;
		break;
	case SYS_waitid:
		a[3] = WEXITED | WNOHANG | (one_in(2) ? WSTOPPED : 0);
		break;
	case SYS_set_robust_list:
		a[1] = 24;
		break;
	case SYS_fallocate:
		a[1] = one_in(2) ? 0 : FALLOC_FL_KEEP_SIZE;
		a[2] = (long)below(1 << 16);
		a[3] = (long)below(1 << 16);
		break;
	case SYS_rt_sigtimedwait:
		a[3] = 8;
		break;
	case SYS_setxattr: case SYS_lsetxattr: case SYS_fsetxattr:
		a[3] = (long)below(64);
		a[4] = (long)below(3);
		break;
	case SYS_getxattr: case SYS_lgetxattr: case SYS_fgetxattr:
		a[3] = (long)below(128);
		break;
	}
}

/* What some calls made, for later calls to use. */
static void remember(long nr, const long *a, long ret)
{
	if (ret < 0)
		return;
	if (nr == SYS_timer_create && in_arg_area((void *)a[2], sizeof(int)) && W.ntimers < 8)
		W.timers[W.ntimers++] = *(int *)a[2];
	if (nr == SYS_shmat)
		W.shm_addr = ret;
}

/* Makes the calls that need more than the bare system call. */
static long special(long nr, long *a)
{
	long ret;
	switch (nr) {
	case SYS_fork:
		return do_fork();
	case SYS_rt_sigaction:
		return do_sigaction(a);
	default: /* alarm, setitimer: then the watchdog timer again */
		ret = syscall(nr, a[0], a[1], a[2]);
		if (ret == -1)
			ret = -errno;
		arm_watchdog();
		return ret;
	}
}

/* Memory calls stay in the scratch region; sizes stay within what the guest can hold. */
static void tame_memory(long nr, long *a)
{
	switch (nr) {
	case SYS_brk:
		if (a[0] > 0 && a[0] < (long)NONCANON_PTR)
			a[0] = syscall(SYS_brk, 0) + (long)(below(4) * PAGE);
		break;
	case SYS_mmap:
		a[3] &= ~(long)(MAP_FIXED_NOREPLACE | MAP_POPULATE | MAP_LOCKED | MAP_GROWSDOWN);
		if (!(a[0] >= (long)W.mem && a[0] < (long)(W.mem + MEM_PAGES * PAGE)))
			a[3] &= ~(long)MAP_FIXED;
		if (a[1] > (long)(MEM_PAGES * PAGE) && (a[3] & MAP_FIXED))
			a[1] = (long)PAGE;
		if (one_in(2))
			a[3] = (a[3] & (MAP_FIXED | 0xff00)) | (one_in(2) ? MAP_PRIVATE : MAP_SHARED);
		if (one_in(2))
			a[3] |= MAP_ANONYMOUS;
		a[2] &= 0xf;
		break;
	case SYS_mlockall:
		/* Locking every mapping at once would fault all of them in. */
		a[0] |= MCL_ONFAULT;
		break;
	case SYS_mremap:
		if (a[2] > (long)(MEM_PAGES * PAGE))
			a[2] = one_in(2) ? -1 : (long)PAGE;
		if (a[3] & MREMAP_FIXED) {
			a[4] = (long)(W.mem + below(MEM_PAGES / 2) * PAGE);
			if (a[2] < 0 || a[2] > (long)(MEM_PAGES / 2 * PAGE))
				a[2] = (long)PAGE;
		}
		break;
	case SYS_shmat:
		a[2] &= ~(long)SHM_REMAP;
		break;
	case SYS_sendfile:
		/* From /dev/zero, a huge count fills tmpfs, and so the guest's memory. */
		if (a[3] < 0 || a[3] > 65536)
			a[3] = 65536;
		break;
	case SYS_shmget:
		if (a[1] > (1L << 24))
			a[1] = one_in(2) ? (long)PAGE : a[1] | (1L << 62);
		break;
	case SYS_fallocate:
		/* Real allocations: tmpfs has no size limit, so keep them small. */
		if (a[3] > (1L << 20) && a[3] < (1L << 60))
			a[3] = (long)PAGE;
		break;
	}
}

/* As root, calls that change what a path names only change the scratch directory. */
static void tame_paths(long nr, long *a)
{
	switch (nr) {
	case SYS_open:
	case SYS_openat:
		if (root_mode && (a[nr == SYS_open ? 1 : 2] & (O_ACCMODE | O_TRUNC | O_CREAT)))
			a[nr == SYS_open ? 0 : 1] = gen_wpath();
		break;
	case SYS_link:
		if (root_mode)
			a[0] = gen_wpath();
		break;
	case SYS_linkat:
		if (root_mode) {
			a[1] = gen_wpath();
			a[4] &= ~(long)AT_EMPTY_PATH;
		}
		break;
	case SYS_mknod:
	case SYS_mknodat: {
		static const long devs[] = { 0, 0x103, 0x105, 0x107, 0xf04d, -1 };
		a[nr == SYS_mknod ? 2 : 3] = devs[below(sizeof devs / sizeof devs[0])];
		break;
	}
	}
}

/* Structures the calls read, built so that they cannot wreck the worker. */
static void tame_structs(long nr, long *a)
{
	switch (nr) {
	case SYS_sched_setattr:
		if (a[1] >= (long)W.buf && a[1] < (long)(W.buf + BUF_PAGES * PAGE - 64)) {
			uint32_t *attr = (uint32_t *)a[1];
			attr[0] = one_in(2) ? 48 : (uint32_t)gen_len();
			if (attr[1] == SCHED_FIFO || attr[1] == SCHED_RR || one_in(2))
				attr[1] = (uint32_t)below(4) == 1 ? SCHED_IDLE : SCHED_OTHER;
		}
		break;
	case SYS_setrlimit:
	case SYS_prlimit64:
		if (nr == SYS_prlimit64) {
			a[0] = one_in(2) ? 0 : getpid();
			a[1] = (long)below(17);
		}
		if (a[nr == SYS_prlimit64 ? 2 : 1] >= (long)W.buf &&
		    a[nr == SYS_prlimit64 ? 2 : 1] < (long)(W.buf + BUF_PAGES * PAGE - 16)) {
			struct rlimit *r = (struct rlimit *)a[nr == SYS_prlimit64 ? 2 : 1];
			long res = a[nr == SYS_prlimit64 ? 1 : 0];
			r->rlim_cur = (rlim_t)gen_int();
			r->rlim_max = (rlim_t)gen_int();
			if (res == RLIMIT_NOFILE && r->rlim_cur < 256)
				r->rlim_cur = r->rlim_max = 256;
			if (res == RLIMIT_AS || res == RLIMIT_DATA || res == RLIMIT_STACK)
				r->rlim_cur = r->rlim_max = RLIM_INFINITY;
		}
		break;
	case SYS_sigaltstack:
		if (a[0] >= (long)W.buf && a[0] < (long)(W.buf + BUF_PAGES * PAGE - 32)) {
			stack_t *ss = (stack_t *)a[0];
			ss->ss_sp = W.alt;
			ss->ss_size = one_in(4) ? (size_t)gen_len() : 4 * PAGE;
			ss->ss_flags = one_in(4) ? (int)gen_flags() : (one_in(4) ? SS_DISABLE : 0);
			if ((size_t)ss->ss_size > 4 * PAGE && !(ss->ss_flags & SS_DISABLE))
				ss->ss_size = 4 * PAGE;
		}
		break;
	case SYS_fcntl:
		a[1] = one_in(8) ? a[1] : (long)below(48);
		if (a[1] == F_SETLK || a[1] == F_SETLKW || a[1] == F_GETLK || (a[1] >= 36 && a[1] <= 38)) {
			struct flock *fl = arg_alloc(sizeof *fl);
			fl->l_type = (short)below(4);
			fl->l_whence = (short)below(4);
			fl->l_start = gen_off();
			fl->l_len = one_in(2) ? (off_t)below(100) : gen_off();
			fl->l_pid = 0;
			a[2] = one_in(8) ? gen_ptr() : (long)fl;
		} else if (one_in(2)) {
			a[2] = (long)below(4096);
		}
		if (a[1] == F_SETOWN)
			a[2] = gen_pid();
		break;
	case SYS_ioctl: {
		static const long cmds[] = { 0x5401, 0x5402, 0x540f, 0x5410, 0x5413, 0x5414, 0x541b,
					     0x5421, 0x5450, 0x5451, 0x540e, 0x5422, 0x80086601,
					     0x40086602, 0x8004667d, 0x5429,
					     /* loop devices, loop-control, block devices */
					     0x4c00, 0x4c01, 0x4c02, 0x4c03, 0x4c04, 0x4c05, 0x4c06, 0x4c07,
					     0x4c08, 0x4c09, 0x4c0a, 0x4c80, 0x4c81, 0x4c82, 0x80081272,
					     0x1268, 0x125e };
		if (!one_in(4))
			a[1] = cmds[below(sizeof cmds / sizeof cmds[0])];
		if (a[1] == 0x5412 /* TIOCSTI */)
			a[1] = 0x5401;
		break;
	}
	}
}

/* Signals only to the worker itself, no console or TLS changes, no real-time policies. */
static void tame_misc(long nr, long *a)
{
	switch (nr) {
	case SYS_kill:
	case SYS_tkill:
	case SYS_rt_sigqueueinfo:
		a[1] = tame_sig(a[1]);
		break;
	case SYS_tgkill:
	case SYS_rt_tgsigqueueinfo:
		a[0] = getpid();
		a[2] = tame_sig(a[2]);
		break;
	case SYS_rt_sigprocmask:
		a[3] = one_in(4) ? a[3] : 8;
		break;
	case SYS_syslog:
		if (a[0] >= 6 && a[0] <= 8)
			a[0] = 3;
		break;
	case SYS_arch_prctl:
		a[0] = one_in(2) ? 0x1003 /* ARCH_GET_FS */ : 0x1004 /* ARCH_GET_GS */;
		break;
	case SYS_prctl:
		a[0] = (long)below(60);
		if (a[0] == PR_SET_MM || a[0] == PR_SET_SECCOMP || a[0] == 16 /* PR_SET_ENDIAN */)
			a[0] = PR_GET_NAME;
		if (a[0] == PR_SET_NAME || a[0] == PR_GET_NAME)
			a[1] = gen_ptr();
		break;
	case SYS_sched_setscheduler:
		if ((a[1] & ~0x40000000L) == SCHED_FIFO || (a[1] & ~0x40000000L) == SCHED_RR)
			a[1] = SCHED_OTHER;
		break;
	case SYS_getpriority:
	case SYS_setpriority:
		a[0] = (long)below(4);
		if (a[0] == PRIO_USER)
			a[1] = one_in(2) ? 0 : (root_mode ? 0 : FUZZ_UID);
		break;
	case SYS_setpgid:
		if (a[0] < 0)
			a[0] = 0;
		break;
	case SYS_waitid:
		a[0] = (long)below(5);
		break;
	case SYS_futex:
		a[1] = one_in(6) ? a[1] : (long)below(14) | (one_in(2) ? 128 : 0);
		break;
	}
}

/*
 * Adjusts the arguments of the calls that could otherwise end or wreck the
 * worker or the test; returns 1 when special() must make the call.
 */
static int tame(long nr, long *a)
{
	switch (nr) {
	case SYS_fork:
	case SYS_rt_sigaction:
		return 1;
	case SYS_setitimer:
	case SYS_alarm:
		return 1;
	}
	tame_memory(nr, a);
	tame_paths(nr, a);
	tame_structs(nr, a);
	tame_misc(nr, a);
	return 0;
}

static void record_result(long nr, long ret)
{
	if (ret < 0)
		return;
	if (nr == SYS_shmget)
		remember_ipc(0, ret);
	else if (nr == SYS_semget)
		remember_ipc(1, ret);
	else if (nr == SYS_msgget)
		remember_ipc(2, ret);
}

static const struct call *find_call(long nr)
{
	for (long i = 0; i < NCALLS; i++)
		if (calls[i].nr == nr)
			return &calls[i];
	return NULL;
}

/* A ring entry as text: the call with the arguments it uses, and its result. */
static void format_entry(char *line, size_t size, const struct entry *e)
{
	const struct call *c = find_call(e->nr);
	size_t n = (size_t)snprintf(line, size, "#%ld %s(", e->seq, c ? c->name : "?");
	for (int i = 0; i < 6 && c && c->a[i] != X && n < size; i++)
		n += (size_t)snprintf(line + n, size - n, "%s%#lx", i ? ", " : "", e->a[i]);
	if (n >= size)
		return;
	if (e->done)
		snprintf(line + n, size - n, ") = %ld", e->ret);
	else
		snprintf(line + n, size - n, ")%s", trace ? "" : " (no return)");
}

static void trace_call(const struct entry *e)
{
	char line[280];
	int pre = snprintf(line, sizeof line, "[%d] ", (int)getpid());
	format_entry(line + pre, sizeof line - (size_t)pre, e);
	size_t n = strlen(line);
	line[n++] = '\n';
	if (write(TRACE_FD, line, n) < 0)
		trace = 0;
}

static void one_call(struct slot *s)
{
	long ci = (long)below(NCALLS);
	W.argoff = 0;
	const struct call *c = &calls[ci];
	long a[6] = { 0 };
	for (int i = 0; i < 6; i++)
		a[i] = c->a[i] == X ? (long)rnd() : gen_arg(c->a[i], a, i);
	long ret;
	aim(c->nr, a);
	int spec = tame(c->nr, a);
	struct entry *e = &s->ring[s->pos % RING];
	e->done = 0;
	e->nr = c->nr;
	e->seq = __sync_fetch_and_add(&sh->calls, 1);
	memcpy(e->a, a, sizeof e->a);
	__sync_synchronize();
	s->pos++;
	if (trace)
		trace_call(e);
	if (spec) {
		ret = special(c->nr, a);
	} else {
		ret = syscall(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		if (ret == -1)
			ret = -errno;
	}
	e->ret = ret;
	e->done = 1;
	__sync_fetch_and_add(&sh->made[ci], 1);
	if (ret >= 0)
		__sync_fetch_and_add(&sh->succeeded[ci], 1);
	record_result(c->nr, ret);
	remember(c->nr, a, ret);
	s->progress++;
}

/* ---- worker setup ---- */

static const char *wipe_root;

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)f;
	if (wipe_root && strcmp(path, wipe_root) == 0)
		return 0;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Removes what an earlier worker left in dir, or dir itself when keep is NULL. */
/* Makes each directory readable and searchable again (an earlier worker
 * may have chmod-ed one shut), before the walk that removes. */
static int open_up(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)f;
	if (type == FTW_D || type == FTW_DNR)
		chmod(path, 0700);
	return 0;
}

static void wipe_dir(const char *keep)
{
	wipe_root = keep;
	nftw(W.dir, open_up, 16, FTW_PHYS);
	nftw(W.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void add_fd(int fd)
{
	if (fd >= 0 && W.nfds < MAX_FDS)
		W.fds[W.nfds++] = fd;
}

static void make_scratch_files(void)
{
	char p[128];
	snprintf(p, sizeof p, "%s/file", W.dir);
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_NONBLOCK, 0644);
	if (fd >= 0) {
		char data[3000];
		fill_random(data, sizeof data);
		if (write(fd, data, sizeof data) < 0)
			(void)0;
		add_fd(fd);
	}
	snprintf(p, sizeof p, "%s/dir", W.dir);
	mkdir(p, 0755);
	add_fd(open(p, O_RDONLY | O_DIRECTORY));
	/* O_NONBLOCK: a FIFO an earlier worker left here must not block. */
	snprintf(p, sizeof p, "%s/dir/f", W.dir);
	close(open(p, O_WRONLY | O_CREAT | O_NONBLOCK, 0600));
	snprintf(p, sizeof p, "%s/fifo", W.dir);
	mkfifo(p, 0600);
	add_fd(open(p, O_RDWR | O_NONBLOCK));
	snprintf(p, sizeof p, "%s/link", W.dir);
	if (symlink("file", p) != 0)
		(void)0;
	snprintf(p, sizeof p, "%s/loop", W.dir);
	if (symlink("loop", p) != 0)
		(void)0;
	snprintf(p, sizeof p, "%s/dangling", W.dir);
	if (symlink("nowhere", p) != 0)
		(void)0;
	char f[128];
	snprintf(f, sizeof f, "%s/file", W.dir);
	snprintf(p, sizeof p, "%s/hard", W.dir);
	link(f, p);
	snprintf(p, sizeof p, "%s/ro", W.dir);
	close(open(p, O_WRONLY | O_CREAT | O_NONBLOCK, 0400));
	add_fd(open(p, O_RDONLY | O_NONBLOCK));
}

static int unix_socket(int type, const char *name, int do_listen)
{
	int fd = socket(AF_UNIX, type | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", W.dir, name);
	unlink(sa.sun_path);
	bind(fd, (struct sockaddr *)&sa, sizeof sa);
	if (do_listen)
		listen(fd, 4);
	return fd;
}

static void add_sock(int fd)
{
	add_fd(fd);
	if (fd >= 0 && W.nsocks < 10)
		W.socks[W.nsocks++] = fd;
}

static void open_sockets(void)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	for (int i = 0; i < 3; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, types[i], 0, sv) == 0) {
			add_sock(sv[0]);
			add_sock(sv[1]);
		}
	}
	add_sock(unix_socket(SOCK_STREAM, "lsock", 1));
	add_sock(unix_socket(SOCK_DGRAM, "bsock", 0));
	add_sock(unix_socket(SOCK_SEQPACKET, "s0", 1));
	add_sock(socket(AF_UNIX, SOCK_STREAM, 0));
}

static void open_event_fds(void)
{
	int ep = epoll_create1(0);
	add_fd(ep);
	W.epfd = ep;
	for (int i = 0; i < W.nfds; i++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.fd = W.fds[i] };
		epoll_ctl(ep, EPOLL_CTL_ADD, W.fds[i], &ev);
	}
	add_fd(eventfd(3, EFD_NONBLOCK));
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct itimerspec its = { { 0, 5000000 }, { 0, 5000000 } };
	timerfd_settime(tfd, 0, &its, NULL);
	add_fd(tfd);
	W.timerfd = tfd;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	W.sigfd = signalfd(-1, &set, SFD_NONBLOCK);
	add_fd(W.sigfd);
	int mfd = (int)syscall(SYS_memfd_create, "fuzz", MFD_ALLOW_SEALING);
	if (mfd >= 0 && ftruncate(mfd, 3 * PAGE) == 0)
		add_fd(mfd);
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	W.mqfd = mq_open(W.mqname, O_RDWR | O_CREAT | O_NONBLOCK, 0600, &attr);
	add_fd(W.mqfd);
}

static void open_misc_fds(void)
{
	int p[2];
	if (pipe(p) == 0) {
		add_fd(p[0]);
		add_fd(p[1]);
		if (write(p[1], "x", 1) < 0)
			(void)0;
	}
	add_fd(open("/dev/null", O_RDWR));
	add_fd(open("/dev/zero", O_RDONLY));
	add_fd(open("/proc/self/stat", O_RDONLY));
	add_fd(open("/proc/self/maps", O_RDONLY));
	add_fd(open("/proc/meminfo", O_RDONLY));
	add_fd(open("/", O_RDONLY | O_DIRECTORY));
	add_fd(open("/proc/self", O_PATH));
	/* Root only (0660 root): a loop device and loop-control. */
	add_fd(open("/dev/loop7", O_RDWR));
	add_fd(open("/dev/loop-control", O_RDWR));
	W.closed_fd = open("/dev/null", O_RDONLY);
	close(W.closed_fd);
}

static void make_ipc(void)
{
	key_t k = IPC_KEY_BASE + W.idx * 4;
	W.ipc_ids[0] = shmget(k, 2 * PAGE, IPC_CREAT | 0600);
	W.ipc_ids[1] = semget(k + 1, 3, IPC_CREAT | 0600);
	W.ipc_ids[2] = msgget(k + 2, IPC_CREAT | 0600);
	remember_ipc(0, W.ipc_ids[0]);
	remember_ipc(1, W.ipc_ids[1]);
	remember_ipc(2, W.ipc_ids[2]);
}

static char *map_pages(size_t n)
{
	void *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(100);
	return p;
}

static void map_regions(void)
{
	W.buf = map_pages(BUF_PAGES + 2);
	mprotect(W.buf + BUF_PAGES * PAGE, 2 * PAGE, PROT_NONE);
	W.hole = W.buf + (BUF_PAGES + 1) * PAGE;
	fill_random(W.buf, BUF_PAGES * PAGE);
	W.mem = map_pages(MEM_PAGES);
	W.alt = map_pages(4);
	W.arg = map_pages(ARG_PAGES);
	W.low = mmap((void *)LOW_ADDR, LOW_PAGES * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (W.low != (char *)LOW_ADDR)
		W.low = NULL;
	else
		fill_random(W.low, LOW_PAGES * PAGE);
}

static void drop_privileges(void)
{
	if (root_mode)
		return;
	gid_t g = FUZZ_UID;
	if (setgroups(1, &g) != 0 && geteuid() == 0)
		_exit(101);
	if (setgid(FUZZ_UID) != 0 && geteuid() == 0)
		_exit(101);
	if (setuid(FUZZ_UID) != 0 && geteuid() == 0)
		_exit(101);
}

/* Notes the setup step about to run, for the parent's hang report. */
static void setup_step(int idx, const char *what)
{
	sh->w[idx].setup = what;
}

static void worker_setup(int idx, int gen)
{
	setup_step(idx, "start");
	memset(&W, 0, sizeof W);
	W.idx = idx;
	W.rng = (seed * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)(idx + 1) << 32) ^ (uint64_t)(gen + 1);
	for (int i = 0; i < 8; i++)
		rnd();
	snprintf(W.dir, sizeof W.dir, "/tmp/fuzz.%d", idx);
	snprintf(W.mqname, sizeof W.mqname, "/fuzz.%d", idx);
	if (trace)
		dup2(1, TRACE_FD);
	int null = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3; fd++)
		dup2(null, fd);
	if (null > 2)
		close(null);
	setup_step(idx, "setsid()");
	setsid();
	setup_step(idx, "drop_privileges()");
	drop_privileges();
	chmod(W.dir, 0755);
	if (chdir(W.dir) != 0)
		_exit(102);
	setup_step(idx, "wipe_dir(W.dir)");
	wipe_dir(W.dir);
	setup_step(idx, "map_regions()");
	map_regions();
	setup_step(idx, "make_scratch_files()");
	make_scratch_files();
	setup_step(idx, "open_misc_fds()");
	open_misc_fds();
	setup_step(idx, "open_sockets()");
	open_sockets();
	setup_step(idx, "open_event_fds()");
	open_event_fds();
	setup_step(idx, "make_ipc()");
	make_ipc();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGALRM, &sa, NULL);
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	setup_step(idx, "arm_watchdog()");
	arm_watchdog();
	setup_step(idx, NULL);
}

static void worker(int idx, int gen)
{
	struct slot *s = &sh->w[idx];
	worker_setup(idx, gen);
	for (int i = 0; i < WORKER_LIFE; i++) {
		if (sh->calls >= sh->target)
			break;
		one_call(s);
	}
	_exit(0);
}

/* ---- the parent ---- */

static const char *signame(int sig)
{
	static char b[16];
	const char *const names[] = { "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP",
				      "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV",
				      "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
				      "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN",
				      "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM",
				      "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS" };
	if (sig >= 0 && sig < 32)
		return names[sig];
	snprintf(b, sizeof b, "SIG%d", sig);
	return b;
}

/* One ring entry: the call with the arguments it uses, and its result. */
static void print_entry(const struct entry *e)
{
	char line[256];
	format_entry(line, sizeof line, e);
	printf("  %s\n", line);
}

static void list_dir(int idx);

static void print_ring(int idx, pid_t pid)
{
	struct slot *s = &sh->w[idx];
	long end = s->pos, start = end > RING ? end - RING : 0;
	printf("fuzz: worker %d (pid %d, generation %d, seed %lu): its last %ld calls:\n", idx,
	       (int)pid, s->gen, seed, end - start);
	if (s->setup) {
		printf("  (still setting up, in %s)\n", s->setup);
		list_dir(idx);
	}
	for (long i = start; i < end; i++)
		print_entry(&s->ring[i % RING]);
	fflush(stdout);
}

struct stats {
	int deaths;
	int hangs;
	int stopped;
	int muted;
	int by_signal[65];
	int spawned;
	int gens[NWORKERS];
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void spawn(int idx, struct stats *st)
{
	struct slot *s = &sh->w[idx];
	s->gen = st->gens[idx]++;
	st->spawned++;
	s->pos = 0;
	s->progress = 0;
	s->last = 0;
	s->since = now();
	s->setup = "fork()";
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		worker(idx, s->gen);
	s->pid = pid < 0 ? 0 : pid;
}

/* A worker's /proc/PID/status into text; 0 when it cannot be read. */
static int read_status(pid_t pid, char *text, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, text, size - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = 0;
	return 1;
}

/*
 * Whether a worker has SIGALRM, the watchdog, blocked or ignored: then its
 * calls may block for good by its own doing (a random mask or action that
 * got past the taming), which is not a kernel hang.
 */
static int alarm_off(pid_t pid)
{
	char text[4096];
	const char *keys[] = { "SigBlk:", "SigIgn:" };
	if (!read_status(pid, text, sizeof text))
		return 0;
	for (int i = 0; i < 2; i++) {
		char *p = strstr(text, keys[i]);
		if (p && (strtoull(p + strlen(keys[i]), NULL, 16) & (1ULL << (SIGALRM - 1))))
			return 1;
	}
	return 0;
}

/* The state and blocked signals of a worker that hangs, from /proc. */
/* One line per entry of a worker's directory tree: what its setup met. */
static int list_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)type;
	(void)f;
	printf("    %06o %5ld %s\n", (unsigned)st->st_mode, (long)st->st_size, path);
	return 0;
}

static void list_dir(int idx)
{
	char dir[64];
	snprintf(dir, sizeof dir, "/tmp/fuzz.%d", idx);
	printf("  its directory:\n");
	nftw(dir, list_one, 16, FTW_PHYS);
}

static void print_state(pid_t pid)
{
	char text[4096];
	if (!read_status(pid, text, sizeof text))
		return;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
		if (!strncmp(l, "State:", 6) || !strncmp(l, "SigBlk:", 7) || !strncmp(l, "SigPnd:", 7) ||
		    !strncmp(l, "ShdPnd:", 7) || !strncmp(l, "SigIgn:", 7) || !strncmp(l, "SigCgt:", 7))
			printf("  %s\n", l);
}

static void reap(pid_t pid, int status, struct stats *st)
{
	for (int i = 0; i < NWORKERS; i++) {
		if (sh->w[i].pid != pid)
			continue;
		if (WIFSTOPPED(status)) {
			/* A signal the worker sent itself, e.g. by a timer: not a hang. */
			st->stopped++;
			kill(pid, SIGKILL);
			return;
		}
		sh->w[i].pid = 0;
		if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0) {
			st->deaths++;
			if (WIFSIGNALED(status) && WTERMSIG(status) < 65)
				st->by_signal[WTERMSIG(status)]++;
			if (verbose) {
				if (WIFSIGNALED(status))
					printf("fuzz: worker %d killed by %s\n", i, signame(WTERMSIG(status)));
				else
					printf("fuzz: worker %d exited with %d\n", i, WEXITSTATUS(status));
				print_ring(i, pid);
			}
		}
		if (sh->calls < sh->target)
			spawn(i, st);
	}
}

static long mem_free_kb(void);

/*
 * In the test VM, when free memory runs low, what each worker is doing and
 * how much memory it holds: the call in flight that eats the memory.
 */
static void check_low_memory(void)
{
	static double last;
	if (getpid() != 1 || now() - last < 5)
		return;
	long free_kb = mem_free_kb();
	if (free_kb < 0 || free_kb > 64 * 1024)
		return;
	last = now();
	printf("fuzz: low memory, MemFree %ld kB; the workers:\n", free_kb);
	for (int i = 0; i < NWORKERS; i++) {
		struct slot *s = &sh->w[i];
		char text[4096];
		if (!s->pid || s->pos == 0 || !read_status(s->pid, text, sizeof text))
			continue;
		char *rss = strstr(text, "VmRSS:");
		char *nl = rss ? strchr(rss, '\n') : NULL;
		if (nl)
			*nl = 0;
		printf("fuzz: worker %d pid %d %s, in:\n", i, (int)s->pid, rss ? rss : "");
		print_entry(&s->ring[(s->pos - 1) % RING]);
	}
}

static void watch(struct stats *st)
{
	long report = sh->target / 10;
	for (;;) {
		int status, alive = 0;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG | WUNTRACED)) > 0)
			reap(pid, status, st);
		for (int i = 0; i < NWORKERS; i++) {
			struct slot *s = &sh->w[i];
			if (!s->pid)
				continue;
			alive++;
			if (s->progress != s->last) {
				s->last = s->progress;
				s->since = now();
			} else if (now() - s->since > 2 && alarm_off(s->pid)) {
				st->muted++;
				kill(s->pid, SIGKILL);
				s->since = now();
			} else if (now() - s->since > HANG_SECONDS) {
				printf("fuzz: worker %d made no progress for %d s: killing it\n", i,
				       HANG_SECONDS);
				print_ring(i, s->pid);
				print_state(s->pid);
				st->hangs++;
				kill(s->pid, SIGKILL);
				s->since = now();
			}
		}
		if (!alive && sh->calls >= sh->target)
			break;
		check_low_memory();
		if (report && sh->calls >= report) {
			if (getpid() == 1)
				printf("fuzz: %ld calls, MemFree %ld kB\n", sh->calls, mem_free_kb());
			else
				printf("fuzz: %ld calls\n", sh->calls);
			while (sh->calls >= report)
				report += sh->target / 10;
		}
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
}

/* ---- cleanup and the checks afterwards ---- */

static void cleanup(void)
{
	for (int i = 0; i < sh->nipc && i < MAX_IPC; i++) {
		if (sh->ipc[i].kind == 0)
			shmctl(sh->ipc[i].id, IPC_RMID, NULL);
		else if (sh->ipc[i].kind == 1)
			semctl(sh->ipc[i].id, 0, IPC_RMID);
		else
			msgctl(sh->ipc[i].id, IPC_RMID, NULL);
	}
	for (int i = 0; i < NWORKERS; i++) {
		char p[64];
		snprintf(p, sizeof p, "/fuzz.%d", i);
		mq_unlink(p);
		snprintf(p, sizeof p, "/fuzz.%db", i);
		mq_unlink(p);
		snprintf(W.dir, sizeof W.dir, "/tmp/fuzz.%d", i);
		chmod(W.dir, 0700);
		wipe_dir(NULL);
	}
	sync();
}

static void check_fork(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	int status = 0;
	EXPECT_RET("after the fuzzing, fork and wait give the child's status 7",
		   pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		   7);
}

static void check_file(void)
{
	const char *path = "/tmp/fuzz.check";
	char out[] = "written after the fuzzing", in[64] = { 0 };
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	int ok = fd >= 0 && write(fd, out, sizeof out) == (ssize_t)sizeof out &&
		 pread(fd, in, sizeof in, 0) == (ssize_t)sizeof out && memcmp(in, out, sizeof out) == 0;
	if (fd >= 0)
		close(fd);
	unlink(path);
	EXPECT_RET("after the fuzzing, a file in /tmp reads back what was written", ok, 1);
}

static void check_pipe(void)
{
	int p[2];
	char c = 0;
	int ok = pipe(p) == 0 && write(p[1], "p", 1) == 1 && read(p[0], &c, 1) == 1 && c == 'p';
	close(p[0]);
	close(p[1]);
	EXPECT_RET("after the fuzzing, a pipe carries a byte", ok, 1);
}

static void check_exec(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		printf("fuzz: exec /bin/true: %s\n", errno_name(errno));
		_exit(127);
	}
	int status = -1;
	EXPECT_RET("after the fuzzing, /bin/true runs and exits with 0",
		   pid > 0 && waitpid(pid, &status, 0) == pid ? status : -1, 0);
	struct stat st;
	if (status != 0 && stat("/bin/busybox", &st) == 0)
		printf("fuzz: /bin/busybox: mode %o, uid %d, size %ld\n", st.st_mode, (int)st.st_uid,
		       (long)st.st_size);
}

static long mem_free_kb(void)
{
	char text[4096];
	long kb = -1;
	int fd = open("/proc/meminfo", O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = 0;
	char *p = strstr(text, "MemFree:");
	if (p)
		kb = strtol(p + 8, NULL, 10);
	return kb;
}

static void make_dirs(void)
{
	for (int i = 0; i < NWORKERS; i++) {
		char p[64];
		snprintf(p, sizeof p, "/tmp/fuzz.%d", i);
		mkdir(p, 0755);
		if (!root_mode && geteuid() == 0 && chown(p, FUZZ_UID, FUZZ_UID) != 0)
			tfail("chown %s: %s", p, errno_name(errno));
	}
}

static void setup_as_init(void)
{
	struct stat st;
	if (getpid() != 1)
		return;
	if (stat("/proc/self", &st) != 0) {
		mkdir("/proc", 0555);
		if (mount("proc", "/proc", "proc", 0, NULL) != 0)
			tfail("mount -t proc proc /proc: %s", errno_name(errno));
	}
}

static void report(struct stats *st)
{
	printf("fuzz: %ld calls, %d worker deaths (signals:", sh->calls, st->deaths);
	int any = 0;
	for (int s = 1; s < 65; s++) {
		if (st->by_signal[s]) {
			printf(" %s %d", signame(s), st->by_signal[s]);
			any = 1;
		}
	}
	printf("%s), %d stopped and %d stuck with SIGALRM blocked killed, %d workers started\n",
	       any ? "" : " none", st->stopped, st->muted, st->spawned);
	fflush(stdout);
	int ok = 0;
	for (long i = 0; i < NCALLS; i++)
		ok += sh->succeeded[i] > 0;
	printf("fuzz: %d of %ld system calls succeeded at least once; never:", ok, NCALLS);
	for (long i = 0; i < NCALLS; i++)
		if (sh->made[i] && !sh->succeeded[i])
			printf(" %s", calls[i].name);
	printf("\n");
	EXPECT_RET("no worker hung in a call", st->hangs, 0);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: fuzz SEED CALLS [root] [verbose] [trace]\n");
		return 2;
	}
	seed = strtoul(argv[1], NULL, 0);
	long target = strtol(argv[2], NULL, 0);
	for (int i = 3; i < argc; i++) {
		root_mode |= strcmp(argv[i], "root") == 0;
		verbose |= strcmp(argv[i], "verbose") == 0;
		trace |= strcmp(argv[i], "trace") == 0;
	}
	if (geteuid() == 0 && getpid() != 1) {
		fprintf(stderr, "fuzz: refusing to run as root outside the test VM (run it as init)\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup_as_init();
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		tfail("mmap of the shared state: %s", errno_name(errno));
		return tdone();
	}
	sh->target = target;
	printf("fuzz: seed %lu, %ld calls, %d workers%s\n", seed, target, NWORKERS,
	       root_mode ? ", as root" : ", as uid 1000");
	sync();
	long free_before = mem_free_kb();
	make_dirs();
	struct stats st;
	memset(&st, 0, sizeof st);
	double t0 = now();
	for (int i = 0; i < NWORKERS; i++)
		spawn(i, &st);
	watch(&st);
	printf("fuzz: %.1f s\n", now() - t0);
	report(&st);
	cleanup();
	check_fork();
	check_file();
	check_pipe();
	check_exec();
	if (getpid() == 1) {
		sync();
		long free_after = mem_free_kb();
		printf("fuzz: MemFree before %ld kB, after %ld kB\n", free_before, free_after);
		EXPECT_RET("free memory did not drop by more than 20 MiB",
			   free_before - free_after <= LEAK_LIMIT_KB, 1);
	}
	return tdone();
}
