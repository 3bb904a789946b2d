/*
 * Helpers shared by the AF_UNIX conformance programs (unix.c, unixmsg.c).
 */
#ifndef TESTS_SOCKTEST_H
#define TESTS_SOCKTEST_H

#include <signal.h>
#include <stddef.h>
#include <unistd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#define SA(a) ((struct sockaddr *)(a))
#define SUN_OFF offsetof(struct sockaddr_un, sun_path)

/* A pathname address; returns its length with the terminating NUL. */
static T_UNUSED socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	strncpy(a->sun_path, path, sizeof a->sun_path - 1);
	return SUN_OFF + strlen(a->sun_path) + 1;
}

static void t_on_alarm(int sig)
{
	(void)sig;
}

/*
 * Runs one group of checks under a 10 s alarm whose handler has no
 * SA_RESTART: a call that a broken kernel never finishes fails with EINTR
 * instead of hanging the run.
 */
static T_UNUSED void run(void (*fn)(void))
{
	struct sigaction sa = {.sa_handler = t_on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	alarm(10);
	fn();
	alarm(0);
}

#endif
