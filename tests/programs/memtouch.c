/*
 * A helper for the process-tools script: maps N MiB (default 32), waits
 * for SIGUSR1, then touches every page, says so, and waits to be killed.
 * Not a conformance program.
 */
#include "common.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 32;
	sigset_t usr1, none;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&none);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	signal(SIGUSR1, on_usr1);
	char *p = mmap(NULL, (size_t)mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("memtouch: mmap failed: %s\n", errno_name(errno));
		return 1;
	}
	printf("memtouch: mapped %ld MiB\n", mib);
	fflush(stdout);
	while (!go)
		sigsuspend(&none);
	for (long i = 0; i < mib << 20; i += 4096)
		p[i] = 1;
	printf("memtouch: touched %ld MiB\n", mib);
	fflush(stdout);
	for (;;)
		pause();
}
