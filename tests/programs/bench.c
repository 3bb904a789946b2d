/*
 * The project's benchmark program: latency of the process, memory and IPC
 * paths (getpid, clock_gettime through the vDSO, stat, open+close, fork+exit+wait, fork+exec+wait, page
 * faults, mmap, threads, pipe, UNIX stream socket and TCP loopback round
 * trips and throughput, epoll_wait with 1 and 1,000 registered descriptors, an
 * eventfd round trip, context switches between two
 * processes on one CPU through a pipe and through futexes, the wake-up
 * latency of a real-time task beside a spinning one), file throughput on
 * the initramfs's /tmp, the wall time of real programs' workloads (when
 * scripts/bench put them in /real), and the state at start (uptime, free
 * memory).
 *
 *   bench                  the figures above
 *   bench smp [procs=N]    for SMP: the wall time of N processes (2 by
 *                          default) doing the same work side by side (pure
 *                          user-mode integer work; busybox shell pipelines,
 *                          all fork, exec and pipes), which scripts/bench
 *                          takes at -smp 1 and -smp N for the speedup;
 *                          then, with at least 2 CPUs, a munmap that needs
 *                          a TLB shootdown, an IPI round trip (membarrier)
 *                          and round trips between threads
 *                          pinned on CPUs 0 and 1 (through a futex, and
 *                          spinning on shared memory); with fewer, "bench:
 *                          smp: unavailable (...)" instead
 *
 * Run as init on kestrel and on Linux alike (scripts/bench compares the
 * two; arguments come after "--" on the kernel command line). Prints
 * "bench: cpus: K" (the CPUs sched_getaffinity shows), one "bench: NAME:
 * VALUE UNIT ..." line per figure, where UNIT is "us per op", "MiB/s",
 * "ms" or "MiB free", then "bench: done". Speed is not checked.
 */
#include "common.h"

#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void *nothing(void *arg)
{
	return arg;
}

static void report(const char *name, double start, int ops)
{
	printf("bench: %s: %.3f us per op (%d ops)\n", name, (now_us() - start) / ops, ops);
	fflush(stdout);
}

static void pin_to_cpu0(void)
{
	pin_to_cpu(0);
}

/* Two processes on one CPU taking turns through a shared futex word: each
 * turn is one context switch. */
static void futex_switches(void)
{
	volatile uint32_t *turn = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int ops = 5000;
	pin_to_cpu0();
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < ops; i++) {
			while (*turn != 1)
				syscall(SYS_futex, turn, FUTEX_WAIT, 0, NULL, NULL, 0);
			*turn = 0;
			syscall(SYS_futex, turn, FUTEX_WAKE, 1, NULL, NULL, 0);
		}
		_exit(0);
	}
	double t = now_us();
	for (int i = 0; i < ops; i++) {
		*turn = 1;
		syscall(SYS_futex, turn, FUTEX_WAKE, 1, NULL, NULL, 0);
		while (*turn != 0)
			syscall(SYS_futex, turn, FUTEX_WAIT, 1, NULL, NULL, 0);
	}
	printf("bench: context switch (futex, one CPU): %.3f us per op (%d ops)\n", (now_us() - t) / (2 * ops), 2 * ops);
	fflush(stdout);
	waitpid(pid, NULL, 0);
	munmap((void *)turn, 4096);
}

/* A SCHED_FIFO process sleeping 1 ms at a time beside a spinning one on
 * the same CPU: how late it runs after its deadline. */
static void rt_wakeup_latency(void)
{
	pin_to_cpu0();
	pid_t spin = fork();
	if (spin == 0) {
		for (;;)
			;
	}
	pid_t rt = fork();
	if (rt == 0) {
		struct sched_param p = {.sched_priority = 50};
		if (sched_setscheduler(0, SCHED_FIFO, &p) != 0 && syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &p) != 0)
			_exit(1);
		int ops = 200;
		double late = 0;
		for (int i = 0; i < ops; i++) {
			double before = now_us();
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
			late += now_us() - before - 1000;
		}
		printf("bench: real-time wake-up latency beside a spinner: %.3f us per op (%d ops)\n", late / ops, ops);
		fflush(stdout);
		_exit(0);
	}
	waitpid(rt, NULL, 0);
	kill(spin, SIGKILL);
	waitpid(spin, NULL, 0);
}

/* Guest time since boot and free memory as init starts. */
static void state_at_start(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	printf("bench: uptime at start: %.1f ms\n", ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
	struct sysinfo si;
	sysinfo(&si);
	printf("bench: free memory at start: %.1f MiB free\n", (double)si.freeram * si.mem_unit / (1 << 20));
	fflush(stdout);
}

static void getpid_latency(void)
{
	int ops = 100000;
	double t = now_us();
	for (int i = 0; i < ops; i++)
		syscall(SYS_getpid);
	report("getpid", t, ops);
}

/* libc's clock_gettime: through the vDSO, without entering the kernel. */
static void clock_gettime_latency(void)
{
	int ops = 100000;
	struct timespec ts;
	double t = now_us();
	for (int i = 0; i < ops; i++)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	report("clock_gettime", t, ops);
}

/* Path walk and inode lookup of a file two levels down. */
static void stat_and_open(void)
{
	const char *path = "/bin/busybox";
	struct stat st;
	int ops = 20000;
	double t = now_us();
	for (int i = 0; i < ops; i++)
		stat(path, &st);
	report("stat", t, ops);
	t = now_us();
	for (int i = 0; i < ops; i++)
		close(open(path, O_RDONLY));
	report("open+close", t, ops);
}

static void fork_exit_wait(const char *name, int ops)
{
	double t = now_us();
	for (int i = 0; i < ops; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
	report(name, t, ops);
}

static void fork_exec_wait(const char *name, char *const args[], int ops)
{
	double t = now_us();
	for (int i = 0; i < ops; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			execv(args[0], args);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
	}
	report(name, t, ops);
}

/* fork+exit+wait of a process with 10 MiB of touched memory. */
static void fork_big_process(void)
{
	size_t big = 10 << 20;
	char *mem = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (size_t i = 0; i < big; i += 4096)
		mem[i] = 1;
	fork_exit_wait("fork+exit+wait with 10 MiB touched", 100);
	munmap(mem, big);
}

/* First touch of each page of a fresh mapping, then map/unmap cycles. */
static void memory_paths(void)
{
	size_t fault_len = 16 << 20;
	char *mem = mmap(NULL, fault_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t = now_us();
	for (size_t i = 0; i < fault_len; i += 4096)
		mem[i] = 1;
	report("page fault (4 KiB, first touch)", t, (int)(fault_len / 4096));
	munmap(mem, fault_len);

	int ops = 2000;
	t = now_us();
	for (int i = 0; i < ops; i++) {
		char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		munmap(m, 1 << 20);
	}
	report("mmap+munmap of 1 MiB", t, ops);
}

static void thread_create_join(void)
{
	int ops = 300;
	double t = now_us();
	for (int i = 0; i < ops; i++) {
		pthread_t th;
		pthread_create(&th, NULL, nothing, NULL);
		pthread_join(th, NULL);
	}
	report("pthread_create+join", t, ops);
}

/* Free memory before and after 1,000 fork+exit+wait cycles: a leak shows. */
static void fork_leak_check(void)
{
	struct sysinfo si;
	sysinfo(&si);
	unsigned long before = si.freeram * si.mem_unit;
	for (int i = 0; i < 1000; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
	sysinfo(&si);
	printf("bench: free memory before 1000 forks: %lu KiB, after: %lu KiB\n", before / 1024,
	       si.freeram * si.mem_unit / 1024);
}

/* Descriptors for a ping-pong: the parent writes to[0] and reads back[0],
 * the child reads to[1] and writes back[1]. */
struct channel {
	int to[2], back[2];
};

static int pipe_channel(struct channel *ch)
{
	int ping[2], pong[2];
	if (pipe(ping) != 0 || pipe(pong) != 0)
		return -1;
	*ch = (struct channel){{ping[1], ping[0]}, {pong[0], pong[1]}};
	return 0;
}

static int unix_channel(struct channel *ch)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	*ch = (struct channel){{sv[0], sv[1]}, {dup(sv[0]), dup(sv[1])}};
	return 0;
}

/* A connected TCP pair over 127.0.0.1 (Nagle off, for the round trips). */
static int tcp_channel(struct channel *ch)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	int one = 1;
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) != 0 || connect(c, (struct sockaddr *)&a, sizeof a) != 0)
		return -1;
	int s = accept(l, NULL, NULL);
	close(l);
	if (s < 0)
		return -1;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	*ch = (struct channel){{c, s}, {dup(c), dup(s)}};
	return 0;
}

/* Linux leaves lo down until user space brings it up (as init, nothing
 * has): up, so that the TCP figures can use 127.0.0.1. */
static void bring_lo_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq req;
	memset(&req, 0, sizeof req);
	strcpy(req.ifr_name, "lo");
	if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &req) == 0 && !(req.ifr_flags & IFF_UP)) {
		req.ifr_flags |= IFF_UP | IFF_RUNNING;
		ioctl(s, SIOCSIFFLAGS, &req);
	}
	if (s >= 0)
		close(s);
}

/* One byte back and forth between two processes; with both on one CPU
 * each round trip is two context switches. */
static void ping_pong(const char *name, int (*make)(struct channel *), int switches_per_op)
{
	struct channel ch;
	if (make(&ch) != 0)
		return;
	int ops = 5000;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(ch.to[0]);
		close(ch.back[0]);
		while (read(ch.to[1], &c, 1) == 1)
			if (write(ch.back[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	close(ch.to[1]);
	close(ch.back[1]);
	double t = now_us();
	for (int i = 0; i < ops; i++) {
		char c = 'x';
		if (write(ch.to[0], &c, 1) != 1 || read(ch.back[0], &c, 1) != 1)
			break;
	}
	printf("bench: %s: %.3f us per op (%d ops)\n", name, (now_us() - t) / (ops * switches_per_op),
	       ops * switches_per_op);
	fflush(stdout);
	close(ch.to[0]);
	close(ch.back[0]);
	waitpid(pid, NULL, 0);
}

/* 64 MiB from a child to its parent in 64 KiB writes. */
static void throughput(const char *name, int (*make)(struct channel *))
{
	struct channel ch;
	size_t piece = 64 << 10, total = 64 << 20;
	char *buf = malloc(piece);
	if (!buf || make(&ch) != 0)
		return;
	memset(buf, 'k', piece);
	double t = now_us();
	pid_t pid = fork();
	if (pid == 0) {
		close(ch.to[1]);
		for (size_t done = 0; done < total; done += piece)
			if (write(ch.to[0], buf, piece) != (ssize_t)piece)
				_exit(1);
		_exit(0);
	}
	close(ch.to[0]);
	size_t got = 0;
	ssize_t n;
	while (got < total && (n = read(ch.to[1], buf, piece)) > 0)
		got += n;
	printf("bench: %s: %.1f MiB/s\n", name, (got >> 20) / ((now_us() - t) / 1e6));
	fflush(stdout);
	close(ch.to[1]);
	close(ch.back[0]);
	close(ch.back[1]);
	waitpid(pid, NULL, 0);
	free(buf);
}

/* epoll_wait on `registered` eventfds of which one is ready (level
 * triggered, timeout 0): the cost of one call that reports one event. */
static void epoll_wait_latency(int registered)
{
	int ep = epoll_create1(0);
	int *fds = malloc(sizeof(int) * registered);
	if (ep < 0 || !fds)
		return;
	for (int i = 0; i < registered; i++) {
		fds[i] = eventfd(0, EFD_NONBLOCK);
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		if (fds[i] < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0)
			return;
	}
	eventfd_write(fds[registered - 1], 1);
	int ops = 20000;
	struct epoll_event got;
	double t = now_us();
	for (int i = 0; i < ops; i++)
		if (epoll_wait(ep, &got, 1, 0) != 1)
			break;
	char name[64];
	snprintf(name, sizeof name, "epoll_wait, %d registered, 1 ready", registered);
	report(name, t, ops);
	for (int i = 0; i < registered; i++)
		close(fds[i]);
	close(ep);
	free(fds);
}

/* Two processes on one CPU passing a count back and forth through two
 * eventfds. */
static void eventfd_round_trip(void)
{
	int ping = eventfd(0, 0), pong = eventfd(0, 0);
	int ops = 5000;
	eventfd_t v;
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < ops; i++)
			if (eventfd_read(ping, &v) != 0 || eventfd_write(pong, 1) != 0)
				_exit(1);
		_exit(0);
	}
	double t = now_us();
	for (int i = 0; i < ops; i++)
		if (eventfd_write(ping, 1) != 0 || eventfd_read(pong, &v) != 0)
			break;
	report("eventfd round trip", t, ops);
	waitpid(pid, NULL, 0);
	close(ping);
	close(pong);
}

/* Write a 32 MiB file in 64 KiB pieces on /tmp, read it back, remove it. */
static void tmp_file_throughput(void)
{
	const char *path = "/tmp/bench.data";
	size_t piece = 64 << 10, total = 32 << 20;
	char *buf = malloc(piece);
	memset(buf, 'k', piece);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || !buf)
		return;
	double t = now_us();
	for (size_t done = 0; done < total; done += piece)
		if (write(fd, buf, piece) != (ssize_t)piece)
			break;
	printf("bench: file write (/tmp): %.1f MiB/s\n", (total >> 20) / ((now_us() - t) / 1e6));
	lseek(fd, 0, SEEK_SET);
	t = now_us();
	while (read(fd, buf, piece) > 0)
		;
	printf("bench: file read (/tmp): %.1f MiB/s\n", (total >> 20) / ((now_us() - t) / 1e6));
	fflush(stdout);
	close(fd);
	unlink(path);
	free(buf);
}

/* The same fixed amount of integer work in each process: a xorshift
 * generator, all in registers, no system call. */
static uint64_t crunch(long rounds)
{
	uint64_t x = 88172645463325252ull, sum = 0;
	for (long i = 0; i < rounds; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		sum += x;
	}
	return sum;
}

static volatile uint64_t crunch_sink;

/* `procs` processes, each running `work` (forked from this one): the wall
 * time from the first fork to the last wait in ms, the best of 3 runs (a
 * busy host slows some). */
static void side_by_side(const char *what, int procs, void (*work)(void))
{
	pid_t pids[64];
	if (procs > 64)
		procs = 64;
	double best = 0;
	int failed = 0;
	for (int run = 0; run < 3 && !failed; run++) {
		double t = now_us();
		for (int i = 0; i < procs; i++) {
			pids[i] = fork();
			if (pids[i] == 0) {
				work();
				_exit(0);
			}
		}
		for (int i = 0; i < procs; i++) {
			int status = 0;
			if (pids[i] < 0 || waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
			    WEXITSTATUS(status) != 0)
				failed = 1;
		}
		double ms = (now_us() - t) / 1e3;
		if (run == 0 || ms < best)
			best = ms;
	}
	if (failed)
		printf("bench: %d %s failed\n", procs, what);
	else
		printf("bench: %d %s: %.1f ms (best of 3)\n", procs, what, best);
	fflush(stdout);
}

static void cpu_work(void)
{
	crunch_sink = crunch(200000000);
}

/* A shell loop of three-process pipelines: every pass forks the shell
 * three times, execs busybox twice and passes bytes through two pipes. */
static void pipeline_work(void)
{
	execl("/bin/sh", "sh", "-c",
	      "i=0; while [ $i -lt 40 ]; do echo kestrel | cat | wc -c >/dev/null || exit 1; i=$((i+1)); done",
	      (char *)NULL);
	_exit(127);
}

static void parallel_work(int procs)
{
	side_by_side("CPU-bound processes", procs, cpu_work);
	side_by_side("shell pipeline loops", procs, pipeline_work);
}

/* A thread of this process pinned on CPU 1, spinning in user mode until
 * told to stop: its CPU has the address space loaded, so an unmap on CPU 0
 * must flush CPU 1's TLB too. */
struct spinner {
	atomic_int running, stop;
};

static void *spin_on_cpu1(void *arg)
{
	struct spinner *s = arg;
	if (pin_to_cpu(1) != 0)
		return NULL;
	atomic_store(&s->running, 1);
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed))
		;
	return NULL;
}

/* mmap, touch 4 pages, munmap, in a loop (at most 1,000 times or 5 s). */
static void map_touch_unmap(const char *name)
{
	int ops = 0;
	double t = now_us();
	while (ops < 1000 && (ops % 64 != 0 || now_us() - t < 5e6)) {
		char *m = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return;
		for (int p = 0; p < 4; p++)
			m[p * 4096] = 1;
		munmap(m, 4 * 4096);
		ops++;
	}
	report(name, t, ops);
}

/* membarrier(PRIVATE_EXPEDITED) while a thread spins on CPU 1: one IPI
 * to that CPU and the wait for its answer (at most 5,000 or 5 s). */
static void ipi_round_trip(void)
{
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) != 0)
		return;
	int ops = 0;
	double t = now_us();
	while (ops < 5000 && (ops % 64 != 0 || now_us() - t < 5e6)) {
		syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
		ops++;
	}
	report("IPI round trip (membarrier, a thread spinning on CPU 1)", t, ops);
}

static void tlb_shootdown(void)
{
	pin_to_cpu0();
	map_touch_unmap("mmap+touch+munmap of 4 pages, alone");
	static struct spinner s;
	pthread_t th;
	if (pthread_create(&th, NULL, spin_on_cpu1, &s) != 0)
		return;
	while (!atomic_load(&s.running))
		sched_yield();
	map_touch_unmap("mmap+touch+munmap of 4 pages, a thread spinning on CPU 1");
	ipi_round_trip();
	atomic_store(&s.stop, 1);
	pthread_join(th, NULL);
}

/* Two threads on CPUs 0 and 1 taking turns through one word: `turn` is 1
 * when the partner's turn, 0 when the main thread's. With futexes each
 * waits asleep (FUTEX_WAIT) and each wake-up of the other CPU's thread is
 * a reschedule IPI; spinning, neither enters the kernel. */
struct pingpong {
	_Atomic uint32_t turn;
	atomic_int stop, ready;
	int use_futex;
};

static void wait_turn(struct pingpong *p, uint32_t other)
{
	while (atomic_load(&p->turn) == other) {
		if (p->use_futex)
			syscall(SYS_futex, &p->turn, FUTEX_WAIT_PRIVATE, other, NULL, NULL, 0);
		else
			__builtin_ia32_pause();
	}
}

static void give_turn(struct pingpong *p, uint32_t to)
{
	atomic_store(&p->turn, to);
	if (p->use_futex)
		syscall(SYS_futex, &p->turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *partner_on_cpu1(void *arg)
{
	struct pingpong *p = arg;
	if (pin_to_cpu(1) != 0)
		return NULL;
	atomic_store(&p->ready, 1);
	for (;;) {
		wait_turn(p, 0);
		if (atomic_load(&p->stop))
			return NULL;
		give_turn(p, 0);
	}
}

/* Round trips (at most `max` or 5 s) between this thread on CPU 0 and a
 * partner on CPU 1. */
static void cross_cpu_ping_pong(const char *name, int use_futex, int max)
{
	static struct pingpong p;
	p = (struct pingpong){.use_futex = use_futex};
	pin_to_cpu0();
	pthread_t th;
	if (pthread_create(&th, NULL, partner_on_cpu1, &p) != 0)
		return;
	while (!atomic_load(&p.ready))
		sched_yield();
	int ops = 0;
	double t = now_us();
	while (ops < max && (ops % 64 != 0 || now_us() - t < 5e6)) {
		give_turn(&p, 1);
		wait_turn(&p, 1);
		ops++;
	}
	report(name, t, ops);
	atomic_store(&p.stop, 1);
	give_turn(&p, 1);
	pthread_join(th, NULL);
}

static void smp_figures(int cpus)
{
	if (cpus < 2) {
		printf("bench: smp: unavailable (sched_getaffinity shows %d CPU%s)\n", cpus, cpus == 1 ? "" : "s");
		fflush(stdout);
		return;
	}
	tlb_shootdown();
	cross_cpu_ping_pong("futex round trip, threads on CPUs 0 and 1", 1, 2000);
	cross_cpu_ping_pong("spinning round trip, threads on CPUs 0 and 1", 0, 10000);
}

/* A real program's workload (scripts/bench puts the programs in /real):
 * its wall time, fork and exec included; skipped when it is absent. */
/* A /proc/meminfo field in KiB (-1 if absent). */
static long meminfo_kib(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long value = -1;
	size_t n = strlen(field);
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			value = atol(line + n + 1);
	if (f)
		fclose(f);
	return value;
}

/* What free(1) calls "used" (procps: total - free - buffers - cache,
 * cache being Cached + SReclaimable), at the prompt's state. */
static void memory_used(void)
{
	mkdir("/proc", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	long used = meminfo_kib("MemTotal") - meminfo_kib("MemFree") - meminfo_kib("Buffers") - meminfo_kib("Cached") -
		    meminfo_kib("SReclaimable");
	printf("bench: memory used at start (free's used): %.1f MiB used\n", used / 1024.0);
	fflush(stdout);
}

/* What a sleeping busybox process costs: free memory before and after
 * starting `count` of them, divided. */
static void sleeping_processes(int count)
{
	pid_t *pids = calloc(count, sizeof(pid_t));
	long before = meminfo_kib("MemFree");
	int started = 0;
	for (; started < count; started++) {
		pids[started] = fork();
		if (pids[started] == 0) {
			execl("/bin/sleep", "sleep", "600", (char *)NULL);
			_exit(127);
		}
		if (pids[started] < 0)
			break;
	}
	sleep(2); /* every child reaches its sleep */
	long after = meminfo_kib("MemFree");
	for (int i = 0; i < started; i++)
		kill(pids[i], SIGKILL);
	for (int i = 0; i < started; i++)
		waitpid(pids[i], NULL, 0);
	free(pids);
	if (started == count && before > 0)
		printf("bench: memory per sleeping busybox process (%d): %.1f KiB per process\n", count,
		       (double)(before - after) / count);
	else
		printf("bench: sleeping processes: started %d of %d\n", started, count);
	fflush(stdout);
}

static void real_program(const char *name, char *const argv[])
{
	if (access(argv[0], X_OK) != 0)
		return;
	double t = now_us();
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		report(name, t, 1);
	else
		printf("bench: %s failed (status %#x)\n", name, status);
}

static void real_programs(void)
{
	char *httpd[] = {"/real/httpd", "8140", "50", "10", NULL};
	real_program("program httpd on tokio (50 clients x 10 requests)", httpd);
	char *parsum[] = {"/real/parsum", "1000000", NULL};
	real_program("program parsum on rayon (1M numbers)", parsum);
	char *kvdb[] = {"/real/kvdb", "/tmp/bench.redb", "2000", NULL};
	real_program("program kvdb on redb (2000 records in 20 transactions)", kvdb);
	unlink("/tmp/bench.redb");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exit") == 0)
		return 0;
	int smp = 0, procs = 2;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "smp") == 0)
			smp = 1;
		else if (strncmp(argv[i], "procs=", 6) == 0)
			procs = atoi(argv[i] + 6);
	}
	if (procs < 1)
		procs = 1;
	cpu_set_t all;
	CPU_ZERO(&all);
	int cpus = sched_getaffinity(0, sizeof(all), &all) == 0 ? CPU_COUNT(&all) : 1;
	printf("bench: cpus: %d\n", cpus);
	fflush(stdout);
	if (smp) {
		parallel_work(procs);
		smp_figures(cpus);
		printf("bench: done\n");
		return 0;
	}
	state_at_start();
	memory_used();
	getpid_latency();
	clock_gettime_latency();
	stat_and_open();
	fork_exit_wait("fork+exit+wait", 300);
	char *self[] = {argv[0], "exit", NULL};
	fork_exec_wait("fork+exec+wait", self, 100);
	char *busybox_true[] = {"/bin/true", NULL};
	fork_exec_wait("fork+exec+wait of busybox true", busybox_true, 100);
	fork_big_process();
	sleeping_processes(1000);
	memory_paths();
	thread_create_join();
	fork_leak_check();
	ping_pong("pipe round trip", pipe_channel, 1);
	ping_pong("UNIX stream round trip", unix_channel, 1);
	throughput("pipe throughput", pipe_channel);
	throughput("UNIX stream throughput", unix_channel);
	bring_lo_up();
	ping_pong("TCP loopback round trip", tcp_channel, 1);
	throughput("TCP loopback throughput", tcp_channel);
	pin_to_cpu0();
	ping_pong("context switch (pipe, one CPU)", pipe_channel, 2);
	futex_switches();
	rt_wakeup_latency();
	epoll_wait_latency(1);
	epoll_wait_latency(1000);
	eventfd_round_trip();
	tmp_file_throughput();
	real_programs();
	printf("bench: done\n");
	return 0;
}
