/*
 * Latency figures for the process and IPC paths: getpid, fork+exit+wait,
 * fork+exec+wait and a pipe round trip between two processes. Prints one
 * "bench: NAME: X us per op (N ops)" line each; speed is not checked.
 */
#include "common.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void report(const char *name, double start, int ops)
{
	printf("bench: %s: %.3f us per op (%d ops)\n", name, (now_us() - start) / ops, ops);
	fflush(stdout);
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
	return 0;
}
