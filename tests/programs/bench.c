/*
 * Latency figures for the process and IPC paths: getpid, fork+exit+wait,
 * fork+exec+wait, a pipe round trip between two processes, context
 * switches between two processes on one CPU (through a pipe and through
 * futexes), and the wake-up latency of a real-time task while another
 * spins. Prints one "bench: NAME: X us per op (N ops)" line each; speed is
 * not checked.
 */
#include "common.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
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
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
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

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exit") == 0)
		return 0;
	int ops = 100000;
	double t = now_us();
	for (int i = 0; i < ops; i++)
		syscall(SYS_getpid);
	report("getpid", t, ops);

	ops = 300;
	t = now_us();
	for (int i = 0; i < ops; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
	report("fork+exit+wait", t, ops);

	ops = 100;
	t = now_us();
	for (int i = 0; i < ops; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			char *args[] = {argv[0], "exit", NULL};
			execv(argv[0], args);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
	}
	report("fork+exec+wait", t, ops);

	/* fork+exit+wait of a process with 10 MiB of touched memory. */
	size_t big = 10 << 20;
	char *mem = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (size_t i = 0; i < big; i += 4096)
		mem[i] = 1;
	ops = 100;
	t = now_us();
	for (int i = 0; i < ops; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
	report("fork+exit+wait with 10 MiB touched", t, ops);
	munmap(mem, big);

	/* Page-fault cost: first touch of each page of a fresh mapping. */
	size_t fault_len = 16 << 20;
	mem = mmap(NULL, fault_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t = now_us();
	for (size_t i = 0; i < fault_len; i += 4096)
		mem[i] = 1;
	report("page fault (4 KiB, first touch)", t, (int)(fault_len / 4096));
	munmap(mem, fault_len);

	ops = 2000;
	t = now_us();
	for (int i = 0; i < ops; i++) {
		char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		munmap(m, 1 << 20);
	}
	report("mmap+munmap of 1 MiB", t, ops);

	ops = 300;
	t = now_us();
	for (int i = 0; i < ops; i++) {
		pthread_t th;
		pthread_create(&th, NULL, nothing, NULL);
		pthread_join(th, NULL);
	}
	report("pthread_create+join", t, ops);

	/* Free memory before and after 1,000 fork+exit+wait cycles. */
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

	int ping[2], pong[2];
	if (pipe(ping) != 0 || pipe(pong) != 0)
		return 1;
	ops = 5000;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(ping[1]);
		close(pong[0]);
		while (read(ping[0], &c, 1) == 1)
			if (write(pong[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	close(ping[0]);
	close(pong[1]);
	t = now_us();
	for (int i = 0; i < ops; i++) {
		char c = 'x';
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			return 1;
	}
	report("pipe round trip", t, ops);
	close(ping[1]);
	waitpid(pid, NULL, 0);
	futex_switches();
	rt_wakeup_latency();
	return 0;
}
