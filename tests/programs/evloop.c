/*
 * A small event loop, the way servers use epoll: one epoll_wait loop serves
 * a UNIX stream socket under /tmp (10 client processes connect, send
 * "ping N" and expect it echoed back), a pipe fanned in from 100 writer
 * processes (one line each), a timerfd ticking every 10 ms, and a signalfd
 * for SIGCHLD (children reaped with waitpid(WNOHANG)) and SIGTERM. When every
 * client and writer is done, the loop sends itself SIGTERM and stops when the
 * signalfd reports it.
 */
#include "common.h"
#include "socktest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#define WRITERS 100
#define CLIENTS 10
#define CHILDREN (WRITERS + CLIENTS)

/* Tags in the epoll data word; a connection's tag is its descriptor. */
enum { TAG_LISTEN = 1000, TAG_FANIN, TAG_TIMER, TAG_SIGNAL };

struct conn {
	char buf[256];
	size_t len;
};

static char path[64];
static pid_t kids[CHILDREN];
static int kid_status[CHILDREN];
static int kid_reaped[CHILDREN];
static struct conn *conns[TAG_LISTEN];

/* A client: connect, send "ping N\n", expect the same line back, then close. */
static void client(int n)
{
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || connect(s, SA(&a), len) != 0)
		_exit(2);
	char line[32], back[32];
	int l = snprintf(line, sizeof line, "ping %d\n", n);
	if (write(s, line, l) != l)
		_exit(3);
	int got = 0;
	while (got < l) {
		long r = read(s, back + got, sizeof back - got);
		if (r <= 0)
			_exit(4);
		got += r;
	}
	_exit(got == l && memcmp(back, line, l) == 0 ? 0 : 5);
}

static void writer(int fd, int n)
{
	char line[32];
	int l = snprintf(line, sizeof line, "fan %d\n", n);
	_exit(write(fd, line, l) == l ? 0 : 1);
}

static void reap(int *reaped)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < CHILDREN; i++) {
			if (kids[i] == pid && !kid_reaped[i]) {
				kid_reaped[i] = 1;
				kid_status[i] = status;
				(*reaped)++;
			}
		}
	}
}

static void test_evloop(void)
{
	int seen[WRITERS] = {0}, bad_lines = 0, echoed = 0, closed = 0, reaped = 0;
	uint64_t ticks = 0;
	int fanin_eof = 0, term_sent = 0, term_ok = 0, running = 1;
	struct signalfd_siginfo term = {0};

	snprintf(path, sizeof path, "/tmp/evloop-%d.sock", (int)getpid());
	unlink(path);
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigaction(SIGCHLD, &dfl, NULL);
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &old);

	struct sockaddr_un a;
	socklen_t alen = path_addr(&a, path);
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, SA(&a), alen) != 0 || listen(ls, 16) != 0) {
		tfail("listening socket at %s: %s", path, errno_name(errno));
		return;
	}
	int fanin[2];
	if (pipe2(fanin, O_CLOEXEC) != 0) {
		tfail("pipe2: %s", errno_name(errno));
		return;
	}
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (ep < 0 || tfd < 0 || sfd < 0) {
		tfail("epoll %d, timerfd %d, signalfd %d: %s", ep, tfd, sfd, errno_name(errno));
		return;
	}
	struct itimerspec tick = {.it_value = {0, 10000000}, .it_interval = {0, 10000000}};
	timerfd_settime(tfd, 0, &tick, NULL);
	struct epoll_event ev = {.events = EPOLLIN};
	int ok = 1;
	ev.data.u64 = TAG_LISTEN;
	ok &= epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) == 0;
	ev.data.u64 = TAG_FANIN;
	ok &= epoll_ctl(ep, EPOLL_CTL_ADD, fanin[0], &ev) == 0;
	ev.data.u64 = TAG_TIMER;
	ok &= epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) == 0;
	ev.data.u64 = TAG_SIGNAL;
	ok &= epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) == 0;
	if (ok)
		tpass("registered the listening socket, the fan-in pipe, the timerfd and the signalfd");
	else
		tfail("epoll_ctl ADD of the loop's descriptors: %s", errno_name(errno));

	for (int i = 0; i < CLIENTS; i++) {
		kids[WRITERS + i] = fork();
		if (kids[WRITERS + i] == 0) {
			close(fanin[1]);
			client(i);
		}
	}
	for (int i = 0; i < WRITERS; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			writer(fanin[1], i);
	}
	close(fanin[1]);
	int forked = 0;
	for (int i = 0; i < CHILDREN; i++)
		forked += kids[i] > 0;
	if (forked == CHILDREN)
		tpass("forked %d writers and %d clients", WRITERS, CLIENTS);
	else
		tfail("forked only %d of %d children", forked, CHILDREN);

	char fbuf[512];
	size_t flen = 0;
	while (running) {
		struct epoll_event evs[16];
		int n = epoll_wait(ep, evs, 16, -1);
		if (n < 0) {
			tfail("epoll_wait: %s (the loop stalled: eof %d, %d echoed, %d closed, %d reaped, %llu ticks)",
			      errno_name(errno), fanin_eof, echoed, closed, reaped, (unsigned long long)ticks);
			break;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			if (tag == TAG_LISTEN) {
				int c;
				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					if (c >= TAG_LISTEN) {
						tfail("descriptor %d out of range", c);
						close(c);
						continue;
					}
					conns[c] = calloc(1, sizeof(struct conn));
					struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP, .data.u64 = c};
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
				}
			} else if (tag == TAG_FANIN) {
				long r = read(fanin[0], fbuf + flen, sizeof fbuf - 1 - flen);
				if (r > 0) {
					flen += r;
					char *start = fbuf, *nl;
					while ((nl = memchr(start, '\n', fbuf + flen - start))) {
						*nl = '\0';
						int k = -1;
						if (sscanf(start, "fan %d", &k) == 1 && k >= 0 && k < WRITERS)
							seen[k]++;
						else
							bad_lines++;
						start = nl + 1;
					}
					flen = fbuf + flen - start;
					memmove(fbuf, start, flen);
				} else if (r == 0) {
					fanin_eof = 1;
					epoll_ctl(ep, EPOLL_CTL_DEL, fanin[0], NULL);
				}
			} else if (tag == TAG_TIMER) {
				uint64_t t;
				if (read(tfd, &t, sizeof t) == sizeof t)
					ticks += t;
			} else if (tag == TAG_SIGNAL) {
				struct signalfd_siginfo si;
				while (read(sfd, &si, sizeof si) == sizeof si) {
					if (si.ssi_signo == SIGCHLD) {
						reap(&reaped);
					} else if (si.ssi_signo == SIGTERM) {
						term = si;
						term_ok = 1;
						running = 0;
					}
				}
			} else {
				int c = (int)tag;
				struct conn *cn = conns[c];
				long r = read(c, cn->buf + cn->len, sizeof cn->buf - cn->len);
				if (r > 0) {
					cn->len += r;
					char *nl;
					while ((nl = memchr(cn->buf, '\n', cn->len))) {
						size_t l = nl - cn->buf + 1;
						if (write(c, cn->buf, l) == (long)l)
							echoed++;
						memmove(cn->buf, cn->buf + l, cn->len - l);
						cn->len -= l;
					}
				} else if (r == 0 || (r < 0 && errno != EAGAIN)) {
					epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL);
					close(c);
					free(cn);
					conns[c] = NULL;
					closed++;
				}
			}
		}
		if (!term_sent && fanin_eof && closed == CLIENTS && reaped == CHILDREN && ticks >= 1) {
			kill(getpid(), SIGTERM);
			term_sent = 1;
		}
	}
	timerfd_settime(tfd, 0, &(struct itimerspec){0}, NULL);

	int once = 0, missing = 0, dup = 0;
	for (int i = 0; i < WRITERS; i++) {
		once += seen[i] == 1;
		missing += seen[i] == 0;
		dup += seen[i] > 1;
	}
	if (once == WRITERS && bad_lines == 0 && fanin_eof)
		tpass("all %d fan-in lines received exactly once, then end of file", WRITERS);
	else
		tfail("fan-in: %d once, %d missing, %d repeated, %d malformed, eof %d", once, missing, dup, bad_lines,
		      fanin_eof);
	int clients_ok = 0;
	for (int i = WRITERS; i < CHILDREN; i++)
		clients_ok += kid_reaped[i] && WIFEXITED(kid_status[i]) && WEXITSTATUS(kid_status[i]) == 0;
	if (echoed == CLIENTS && closed == CLIENTS && clients_ok == CLIENTS)
		tpass("all %d clients got their line echoed back and hung up", CLIENTS);
	else
		tfail("clients: %d lines echoed, %d connections closed, %d clients exited 0", echoed, closed,
		      clients_ok);
	if (ticks >= 1)
		tpass("the 10 ms timerfd ticked (%llu ticks)", (unsigned long long)ticks);
	else
		tfail("no timer tick seen");
	if (term_ok && term.ssi_signo == SIGTERM && term.ssi_pid == (uint32_t)getpid() && term.ssi_code == SI_USER)
		tpass("SIGTERM received via the signalfd (SI_USER, ssi_pid is ours)");
	else
		tfail("SIGTERM: received %d, signo %u, pid %u (ours %d), code %d", term_ok, term.ssi_signo,
		      term.ssi_pid, (int)getpid(), term.ssi_code);
	int exited_ok = 0;
	for (int i = 0; i < CHILDREN; i++)
		exited_ok += kid_reaped[i] && WIFEXITED(kid_status[i]) && WEXITSTATUS(kid_status[i]) == 0;
	if (exited_ok == CHILDREN)
		tpass("all %d children were reaped through SIGCHLD and exited 0", CHILDREN);
	else
		tfail("%d of %d children reaped with exit status 0 (%d reaped)", exited_ok, CHILDREN, reaped);

	for (int c = 0; c < TAG_LISTEN; c++) {
		if (conns[c]) {
			close(c);
			free(conns[c]);
			conns[c] = NULL;
		}
	}
	/* Nothing of the mask may stay pending when it is unblocked. */
	struct signalfd_siginfo si;
	while (read(sfd, &si, sizeof si) > 0)
		;
	close(ep);
	close(tfd);
	close(sfd);
	close(ls);
	close(fanin[0]);
	unlink(path);
	/* Any child left over (after a failure) is reaped here. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(void)
{
	run(test_evloop);
	return tdone();
}
