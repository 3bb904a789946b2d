/*
 * AF_INET sockets on the loopback interface (127.0.0.1 only), and ping
 * sockets where the host lets this group open them. socket (types,
 * protocols, flags), bind (kernel-chosen ports, address checks, EADDRINUSE,
 * SO_REUSEADDR over a TIME_WAIT port), TCP (connect, accept and the peer
 * addresses, 1 MiB from client to server and a reply, shutdown, EPIPE
 * after the peer closed, ECONNREFUSED, non-blocking connect and SO_ERROR,
 * EAGAIN, poll readiness, MSG_PEEK, the errors of calls in the wrong state,
 * socket options, INADDR_ANY), UDP (sendto/recvfrom and source addresses,
 * datagram boundaries, MSG_TRUNC, connect and AF_UNSPEC, autobind,
 * EDESTADDRREQ, the 65507-byte limit, poll) and read/write on TCP.
 * Every port is chosen by the kernel (bind to port 0), so runs never collide.
 */

/* common.h names the errnos most programs meet; this one meets a few more. */
#define errno_name common_errno_name
#include "common.h"
#undef errno_name

#include "socktest.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/time.h>
#include <time.h>

#define LOOPBACK "127.0.0.1"
#define BULK_SIZE (1 << 20)    /* client to server in the big transfer */
#define CHUNK 16384            /* write size of the big transfer */
#define UDP_MAX 65507          /* 65535 - 20 (IPv4 header) - 8 (UDP header) */
#define WAIT_MS 5000           /* longest wait for anything that must happen */
#define BUF_SIZE 65536         /* SO_RCVBUF / SO_SNDBUF request */
#define EPIPE_TRIES 50         /* writes after the peer closed, 10 ms apart */

static const char *errno_name(int e)
{
	switch (e) {
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case EINPROGRESS: return "EINPROGRESS";
	case EDESTADDRREQ: return "EDESTADDRREQ";
	default: return common_errno_name(e);
	}
}

/* 127.0.0.1:port (port in host order). */
static socklen_t lo_addr(struct sockaddr_in *a, unsigned port)
{
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof *a;
}

/* getsockname into a; returns its port in host order, or -1. */
static int local_addr(int s, struct sockaddr_in *a)
{
	socklen_t len = sizeof *a;
	memset(a, 0, sizeof *a);
	if (getsockname(s, SA(a), &len) != 0 || len != sizeof *a)
		return -1;
	return ntohs(a->sin_port);
}

static int is_loopback(const struct sockaddr_in *a)
{
	return a->sin_family == AF_INET && a->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
}

/* A socket of the given type bound to 127.0.0.1 on a port the kernel picks; a gets the address. */
static int bound_socket(int type, struct sockaddr_in *a)
{
	int s = socket(AF_INET, type, 0);
	lo_addr(a, 0);
	if (s < 0 || bind(s, SA(a), sizeof *a) != 0 || local_addr(s, a) <= 0) {
		tfail("cannot bind a socket to " LOOPBACK ":0: errno=%d %s", errno, errno_name(errno));
		return -1;
	}
	return s;
}

/* A TCP listener on 127.0.0.1, port chosen by the kernel. */
static int tcp_listener(struct sockaddr_in *a)
{
	int l = bound_socket(SOCK_STREAM, a);
	if (l >= 0 && listen(l, 8) != 0)
		tfail("listen: errno=%d %s", errno, errno_name(errno));
	return l;
}

/* A port on 127.0.0.1 nobody listens on: bound once by the kernel's choice, then closed. */
static unsigned free_port(void)
{
	struct sockaddr_in a;
	int s = bound_socket(SOCK_STREAM, &a);
	close(s);
	return ntohs(a.sin_port);
}

/* A blocking TCP client connected to a, or -1 with errno set. */
static int tcp_client(const struct sockaddr_in *a)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0)
		return -1;
	if (connect(c, (const struct sockaddr *)a, sizeof *a) != 0) {
		int e = errno;
		close(c);
		errno = e;
		return -1;
	}
	return c;
}

/* Waits up to WAIT_MS for events on fd; the revents, 0 on timeout. */
static int wait_for(int fd, short events)
{
	struct pollfd pf = {fd, events, 0};
	if (poll(&pf, 1, WAIT_MS) != 1)
		return 0;
	return pf.revents;
}

/* accept once a connection is pending, so that a missing one fails instead of hanging. */
static int accept_within(int l, struct sockaddr_in *a)
{
	socklen_t len = sizeof *a;
	if (!(wait_for(l, POLLIN) & POLLIN)) {
		errno = ETIMEDOUT;
		return -1;
	}
	return accept(l, SA(a), &len);
}

/* A connected TCP pair over loopback: *c the client, *s the accepted end. */
static int tcp_pair(int *c, int *s)
{
	struct sockaddr_in a, peer;
	int l = tcp_listener(&a);
	*c = tcp_client(&a);
	*s = *c >= 0 ? accept_within(l, &peer) : -1;
	close(l);
	if (*c < 0 || *s < 0) {
		tfail("cannot make a TCP pair: errno=%d %s", errno, errno_name(errno));
		return -1;
	}
	return 0;
}

static int sockopt_int(int s, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof v;
	if (getsockopt(s, level, name, &v, &len) != 0 || len != sizeof v)
		return -1000 - errno;
	return v;
}

static int set_int(int s, int level, int name, int v)
{
	return setsockopt(s, level, name, &v, sizeof v);
}

static int set_nonblock(int s)
{
	return fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
}

/* A recv that waits at most WAIT_MS for data. */
static ssize_t recv_within(int s, void *buf, size_t len, int flags)
{
	if (!(wait_for(s, POLLIN) & POLLIN)) {
		errno = ETIMEDOUT;
		return -1;
	}
	return recv(s, buf, len, flags);
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i % 251);
}

/* 1. socket. */
static void test_socket(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT_RET("socket(AF_INET, SOCK_STREAM, 0)", s >= 0, 1);
	close(s);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	EXPECT_RET("socket(AF_INET, SOCK_DGRAM, 0)", s >= 0, 1);
	close(s);
	s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	EXPECT_RET("socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)", s >= 0, 1);
	close(s);
	EXPECT_ERRNO("socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP),
		     EPROTONOSUPPORT);
	EXPECT_ERRNO("socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP)", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP),
		     EPROTONOSUPPORT);
	/* Linux has no AF_INET SOCK_SEQPACKET without the SCTP module. */
	EXPECT_ERRNO("socket(AF_INET, SOCK_SEQPACKET, 0)", socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	EXPECT_RET("socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC)", s >= 0, 1);
	EXPECT_RET("F_GETFL is O_RDWR|O_NONBLOCK", fcntl(s, F_GETFL), O_RDWR | O_NONBLOCK);
	EXPECT_RET("F_GETFD is FD_CLOEXEC", fcntl(s, F_GETFD), FD_CLOEXEC);
	close(s);
}

/* 2. bind. */
static void test_bind(void)
{
	struct sockaddr_in a, got;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT_RET("bind to " LOOPBACK ":0", bind(s, SA(&a), lo_addr(&a, 0)), 0);
	socklen_t len = sizeof got;
	memset(&got, 0x55, sizeof got);
	EXPECT_RET("getsockname after bind", getsockname(s, SA(&got), &len), 0);
	EXPECT_RET("returns sizeof(struct sockaddr_in)", len, sizeof got);
	EXPECT_RET("with AF_INET and " LOOPBACK, is_loopback(&got), 1);
	EXPECT_RET("and a port chosen by the kernel", got.sin_port != 0, 1);
	len = sizeof got;
	EXPECT_ERRNO("getsockname into NULL with room", getsockname(s, NULL, &len), EFAULT);
	EXPECT_ERRNO("getsockname with a NULL length", getsockname(s, SA(&got), NULL), EFAULT);
	len = (socklen_t)-1;
	EXPECT_ERRNO("getsockname with a negative length", getsockname(s, SA(&got), &len), EINVAL);
	/* A bound socket may not take a port below 1024 without privilege. */
	pid_t child = fork();
	if (child == 0) {
		struct sockaddr_in low;
		int t = socket(AF_INET, SOCK_STREAM, 0);
		if (setuid(65534) != 0)
			_exit(3);
		_exit(bind(t, SA(&low), lo_addr(&low, 463)) == -1 && errno == EACCES ? 0 : 1);
	}
	int st = 0;
	waitpid(child, &st, 0);
	EXPECT_RET("bind to port 463 as uid 65534: EACCES", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
	EXPECT_ERRNO("bind of a bound socket", bind(s, SA(&a), sizeof a), EINVAL);

	int s2 = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT_ERRNO("bind with addrlen sizeof(sockaddr_in) - 1", bind(s2, SA(&a), sizeof a - 1), EINVAL);
	struct sockaddr_in six = a;
	six.sin_family = AF_INET6;
	EXPECT_ERRNO("bind with sin_family AF_INET6", bind(s2, SA(&six), sizeof six), EAFNOSUPPORT);
	struct sockaddr_in far = a;
	inet_pton(AF_INET, "192.0.2.1", &far.sin_addr);
	far.sin_port = 0;
	EXPECT_ERRNO("bind to 192.0.2.1, not a local address", bind(s2, SA(&far), sizeof far), EADDRNOTAVAIL);
	EXPECT_RET("listen on the bound socket", listen(s, 8), 0);
	EXPECT_ERRNO("bind of another socket to the listener's address", bind(s2, SA(&got), sizeof got),
		     EADDRINUSE);
	close(s);
	close(s2);
}

/*
 * A port left in TIME_WAIT: the accepted end closes first, so the server side
 * holds the TIME_WAIT (or still FIN_WAIT2, which binds the same way).
 */
static void test_bind_time_wait(void)
{
	struct sockaddr_in a, peer;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	set_int(l, SOL_SOCKET, SO_REUSEADDR, 1);
	lo_addr(&a, 0);
	if (bind(l, SA(&a), sizeof a) != 0 || local_addr(l, &a) <= 0 || listen(l, 8) != 0) {
		tfail("cannot set up a SO_REUSEADDR listener: errno=%d %s", errno, errno_name(errno));
		return;
	}
	int c = tcp_client(&a);
	int s = accept_within(l, &peer);
	char b;
	close(s);
	int eof = c >= 0 && recv_within(c, &b, 1, 0) == 0;
	close(c);
	close(l);
	EXPECT_RET("a connection closed by the server end first (client reads EOF)", eof, 1);
	s = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT_ERRNO("bind without SO_REUSEADDR to that TIME_WAIT port", bind(s, SA(&a), sizeof a), EADDRINUSE);
	set_int(s, SOL_SOCKET, SO_REUSEADDR, 1);
	EXPECT_RET("bind with SO_REUSEADDR to that TIME_WAIT port", bind(s, SA(&a), sizeof a), 0);
	EXPECT_RET("and listen there", listen(s, 8), 0);
	close(s);
}

struct bulk {
	int fd;
	int wrote_all;
	int shut;
	char reply[8];
	ssize_t reply_len;
};

/* The client side of the big transfer: BULK_SIZE bytes, shutdown(SHUT_WR), then the reply. */
static void *bulk_client(void *arg)
{
	struct bulk *b = arg;
	static unsigned char buf[CHUNK];
	size_t sent = 0;
	while (sent < BULK_SIZE) {
		for (size_t i = 0; i < CHUNK; i++)
			buf[i] = pattern(sent + i);
		ssize_t n = write(b->fd, buf, CHUNK);
		if (n <= 0)
			break;
		sent += n; /* after a short write the next round rebuilds from `sent` */
	}
	b->wrote_all = sent == BULK_SIZE;
	b->shut = shutdown(b->fd, SHUT_WR) == 0;
	b->reply_len = 0;
	ssize_t n;
	while ((n = read(b->fd, b->reply + b->reply_len, sizeof b->reply - b->reply_len)) > 0)
		b->reply_len += n;
	return NULL;
}

/* 3a. connect, accept, addresses, data both ways, shutdown. */
static void test_tcp_transfer(void)
{
	struct sockaddr_in a, peer, cl, got;
	int l = tcp_listener(&a);
	int c = tcp_client(&a);
	EXPECT_RET("blocking connect to a listener on " LOOPBACK, c >= 0, 1);
	memset(&peer, 0, sizeof peer);
	int s = accept_within(l, &peer);
	EXPECT_RET("accept", s >= 0, 1);
	EXPECT_RET("accept's peer address is " LOOPBACK, is_loopback(&peer), 1);
	EXPECT_RET("and the client's port", local_addr(c, &cl) == ntohs(peer.sin_port), 1);
	socklen_t len = sizeof got;
	int ok = getpeername(c, SA(&got), &len) == 0 && len == sizeof got;
	EXPECT_RET("getpeername of the client is the listener's address",
		   ok && is_loopback(&got) && got.sin_port == a.sin_port, 1);
	ok = local_addr(s, &got) == ntohs(a.sin_port) && is_loopback(&got);
	EXPECT_RET("getsockname of the accepted socket is the listener's address", ok, 1);
	close(l);

	struct bulk b = {.fd = c};
	pthread_t t;
	if (pthread_create(&t, NULL, bulk_client, &b) != 0) {
		tfail("pthread_create");
		return;
	}
	static unsigned char buf[CHUNK];
	size_t got_bytes = 0;
	int same = 1;
	ssize_t n;
	while ((n = read(s, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			same &= buf[i] == pattern(got_bytes + i);
		got_bytes += n;
	}
	EXPECT_RET("the server reads 1 MiB, then 0 after the client's shutdown(SHUT_WR)",
		   n == 0 && got_bytes == BULK_SIZE, 1);
	EXPECT_RET("with every byte as sent", same, 1);
	EXPECT_RET("reply from the server after the client's shutdown", write(s, "done", 4), 4);
	EXPECT_RET("shutdown(SHUT_WR) of the server end", shutdown(s, SHUT_WR), 0);
	pthread_join(t, NULL);
	EXPECT_RET("the client wrote 1 MiB and shut down its side", b.wrote_all && b.shut, 1);
	EXPECT_RET("the client reads the reply, then 0",
		   b.reply_len == 4 && memcmp(b.reply, "done", 4) == 0, 1);
	close(c);
	close(s);
}

/* 3b. Writes after the peer closed, connection refused, non-blocking connect. */
static double seconds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* SO_RCVTIMEO bounds a blocking receive (EAGAIN when it runs out), on TCP
 * and UDP alike; getsockopt gives the time back. */
static void test_timeouts(void)
{
	int c, s;
	if (tcp_pair(&c, &s) != 0)
		return;
	struct timeval tv = {.tv_sec = 0, .tv_usec = 100000}, got = {0};
	socklen_t len = sizeof got;
	EXPECT_RET("SO_RCVTIMEO of 100 ms", setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
	EXPECT_RET("getsockopt gives it back",
		   getsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &got, &len) == 0 && got.tv_sec == 0 && got.tv_usec == 100000, 1);
	char b[4];
	double t = seconds_now();
	EXPECT_ERRNO("a TCP recv with nothing to read", recv(c, b, sizeof b, 0), EAGAIN);
	EXPECT_RET("ends after the timeout, not before", seconds_now() - t >= 0.09, 1);
	tv.tv_usec = 1000000;
	EXPECT_ERRNO("a timeout with tv_usec of a million", setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), EDOM);
	close(c);
	close(s);
	struct sockaddr_in a;
	int u = bound_socket(SOCK_DGRAM, &a);
	tv.tv_usec = 50000;
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	t = seconds_now();
	EXPECT_ERRNO("a UDP recv with no datagram", recv(u, b, sizeof b, 0), EAGAIN);
	EXPECT_RET("ends after its 50 ms timeout", seconds_now() - t >= 0.045, 1);
	close(u);
}

/* Closing a socket with unread data resets the connection: the peer's
 * next receive fails with ECONNRESET, and the one after reads the end. */
static void test_tcp_reset(void)
{
	int c, s;
	if (tcp_pair(&c, &s) != 0)
		return;
	char b[8];
	EXPECT_RET("send 4 bytes the peer will not read", send(c, "left", 4, 0), 4);
	EXPECT_RET("which arrive", recv_within(s, b, 4, MSG_PEEK), 4);
	close(s);
	EXPECT_ERRNO("recv after the peer closed with unread data (RST)", recv_within(c, b, sizeof b, 0), ECONNRESET);
	EXPECT_RET("then recv reads the end", recv(c, b, sizeof b, MSG_DONTWAIT), 0);
	close(c);
	/* SO_LINGER with a zero time: close resets at once, even with
	 * nothing unread. */
	if (tcp_pair(&c, &s) != 0)
		return;
	struct linger lg = {1, 0}, got = {0, 0};
	socklen_t len = sizeof got;
	EXPECT_RET("SO_LINGER {1, 0}", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
	EXPECT_RET("getsockopt gives it back",
		   getsockopt(s, SOL_SOCKET, SO_LINGER, &got, &len) == 0 && got.l_onoff == 1 && got.l_linger == 0, 1);
	close(s);
	EXPECT_ERRNO("recv after the peer closed lingering 0 s (RST)", recv_within(c, b, sizeof b, 0), ECONNRESET);
	close(c);
}

static void test_tcp_errors(void)
{
	int c, s;
	if (tcp_pair(&c, &s) != 0)
		return;
	close(s);
	/* The first writes may still succeed; the peer's RST turns a later one into an error. */
	int err = 0;
	for (int i = 0; i < EPIPE_TRIES && !err; i++) {
		if (send(c, "x", 1, MSG_NOSIGNAL) < 0)
			err = errno;
		else
			usleep(10000);
	}
	if (err == EPIPE || err == ECONNRESET)
		tpass("send after the peer closed fails with %s", errno_name(err));
	else
		tfail("send after the peer closed: errno=%d %s, expected EPIPE or ECONNRESET", err,
		      errno_name(err));
	EXPECT_ERRNO("and the next send", send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	close(c);

	struct sockaddr_in a;
	lo_addr(&a, free_port());
	EXPECT_ERRNO("connect to a port nobody listens on", tcp_client(&a), ECONNREFUSED);

	struct sockaddr_in la, peer;
	int l = tcp_listener(&la);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	errno = 0;
	int r = connect(c, SA(&la), sizeof la);
	int e = errno;
	if (r == 0 || (r == -1 && e == EINPROGRESS))
		tpass("non-blocking connect to a listener -> %s", r == 0 ? "0" : "-1 EINPROGRESS");
	else
		tfail("non-blocking connect to a listener -> %d errno=%d %s", r, e, errno_name(e));
	EXPECT_RET("poll then reports POLLOUT", wait_for(c, POLLOUT) & (POLLOUT | POLLERR), POLLOUT);
	EXPECT_RET("and SO_ERROR is 0", sockopt_int(c, SOL_SOCKET, SO_ERROR), 0);
	s = accept_within(l, &peer);
	EXPECT_RET("the listener accepts it", s >= 0, 1);
	close(s);
	close(c);
	close(l);

	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	errno = 0;
	r = connect(c, SA(&a), sizeof a);
	e = errno;
	if (r == -1 && e == EINPROGRESS) {
		tpass("non-blocking connect to a closed port -> -1 EINPROGRESS");
		EXPECT_RET("poll then reports the socket ready", wait_for(c, POLLOUT) != 0, 1);
		EXPECT_RET("and SO_ERROR is ECONNREFUSED", sockopt_int(c, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
		EXPECT_RET("which reading it clears", sockopt_int(c, SOL_SOCKET, SO_ERROR), 0);
	} else if (r == -1 && e == ECONNREFUSED) {
		tpass("non-blocking connect to a closed port -> -1 ECONNREFUSED at once");
	} else {
		tfail("non-blocking connect to a closed port -> %d errno=%d %s", r, e, errno_name(e));
	}
	close(c);
}

/* 3c. Readiness and calls in the wrong state. */
static void test_tcp_state(void)
{
	struct sockaddr_in a, got;
	int l = tcp_listener(&a);
	set_nonblock(l);
	EXPECT_ERRNO("accept on a non-blocking listener with nothing pending", accept(l, NULL, NULL), EAGAIN);
	struct pollfd pf = {l, POLLIN, 0};
	EXPECT_RET("poll on a listener with nothing pending", poll(&pf, 1, 0), 0);
	int c = tcp_client(&a);
	EXPECT_RET("poll on the listener shows POLLIN once a client connected", wait_for(l, POLLIN), POLLIN);
	int s = accept(l, NULL, NULL);
	EXPECT_RET("accept of that client", s >= 0, 1);
	EXPECT_RET("the accepted socket does not inherit O_NONBLOCK", fcntl(s, F_GETFL) & O_NONBLOCK, 0);

	set_nonblock(s);
	char buf[16];
	EXPECT_ERRNO("recv on a non-blocking connected socket with no data", recv(s, buf, sizeof buf, 0), EAGAIN);
	EXPECT_RET("send 8 bytes", send(c, "peekaboo", 8, 0), 8);
	char peek[16] = {0};
	EXPECT_RET("recv with MSG_PEEK", recv_within(s, peek, sizeof peek, MSG_PEEK), 8);
	memset(buf, 0, sizeof buf);
	EXPECT_RET("a normal recv then gets them again", recv(s, buf, sizeof buf, 0), 8);
	EXPECT_RET("the same bytes", memcmp(peek, "peekaboo", 8) == 0 && memcmp(buf, "peekaboo", 8) == 0, 1);
	EXPECT_ERRNO("and the queue is empty afterwards", recv(s, buf, sizeof buf, 0), EAGAIN);

	EXPECT_ERRNO("listen on a connected socket", listen(c, 8), EINVAL);
	EXPECT_ERRNO("connect on a connected socket", connect(c, SA(&a), sizeof a), EISCONN);
	EXPECT_ERRNO("accept on a connected, non-listening socket", accept(c, NULL, NULL), EINVAL);
	close(c);
	close(s);
	close(l);

	int u = socket(AF_INET, SOCK_STREAM, 0);
	socklen_t len = sizeof got;
	memset(&got, 0x55, sizeof got);
	int ok = getsockname(u, SA(&got), &len) == 0 && len == sizeof got && got.sin_family == AF_INET;
	EXPECT_RET("getsockname of an unbound socket is 0.0.0.0:0",
		   ok && got.sin_addr.s_addr == htonl(INADDR_ANY) && got.sin_port == 0, 1);
	len = sizeof got;
	EXPECT_ERRNO("getpeername of an unconnected socket", getpeername(u, SA(&got), &len), ENOTCONN);
	/* Linux answers a send on a never-connected stream socket with EPIPE (and SIGPIPE). */
	EXPECT_ERRNO("send on an unconnected TCP socket", send(u, "x", 1, MSG_NOSIGNAL), EPIPE);
	EXPECT_ERRNO("accept on an unbound, non-listening socket", accept(u, NULL, NULL), EINVAL);
	close(u);
}

/* 3d. Socket options. */
static void test_tcp_options(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT_RET("TCP_NODELAY is off by default", sockopt_int(s, IPPROTO_TCP, TCP_NODELAY), 0);
	EXPECT_RET("setsockopt TCP_NODELAY 1", set_int(s, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	EXPECT_RET("getsockopt TCP_NODELAY is nonzero", sockopt_int(s, IPPROTO_TCP, TCP_NODELAY) > 0, 1);
	EXPECT_RET("setsockopt SO_KEEPALIVE 1", set_int(s, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
	EXPECT_RET("getsockopt SO_KEEPALIVE is 1", sockopt_int(s, SOL_SOCKET, SO_KEEPALIVE), 1);
	EXPECT_RET("setsockopt SO_KEEPALIVE 0", set_int(s, SOL_SOCKET, SO_KEEPALIVE, 0), 0);
	EXPECT_RET("getsockopt SO_KEEPALIVE is 0", sockopt_int(s, SOL_SOCKET, SO_KEEPALIVE), 0);
	EXPECT_RET("setsockopt SO_OOBINLINE 1", set_int(s, SOL_SOCKET, SO_OOBINLINE, 1), 0);
	EXPECT_RET("getsockopt SO_OOBINLINE is 1", sockopt_int(s, SOL_SOCKET, SO_OOBINLINE), 1);
	int v = 0;
	socklen_t vl = sizeof v;
	EXPECT_ERRNO("getsockopt at a level nobody knows", getsockopt(s, 500, SO_OOBINLINE, &v, &vl), EOPNOTSUPP);
	EXPECT_ERRNO("getsockopt at UDP's level of a TCP socket", getsockopt(s, IPPROTO_UDP, 1, &v, &vl), EOPNOTSUPP);
	EXPECT_ERRNO("getsockopt of an unknown IP option", getsockopt(s, IPPROTO_IP, -1, &v, &vl), ENOPROTOOPT);
	EXPECT_ERRNO("setsockopt at a level nobody knows", setsockopt(s, 500, 1, &v, sizeof v), ENOPROTOOPT);
	EXPECT_RET("setsockopt SO_REUSEADDR 1", set_int(s, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	EXPECT_RET("getsockopt SO_REUSEADDR is nonzero", sockopt_int(s, SOL_SOCKET, SO_REUSEADDR) > 0, 1);
	/* Linux doubles the requested size for its bookkeeping. */
	EXPECT_RET("setsockopt SO_RCVBUF 65536", set_int(s, SOL_SOCKET, SO_RCVBUF, BUF_SIZE), 0);
	EXPECT_RET("getsockopt SO_RCVBUF is at least 65536", sockopt_int(s, SOL_SOCKET, SO_RCVBUF) >= BUF_SIZE, 1);
	EXPECT_RET("setsockopt SO_SNDBUF 65536", set_int(s, SOL_SOCKET, SO_SNDBUF, BUF_SIZE), 0);
	EXPECT_RET("getsockopt SO_SNDBUF is at least 65536", sockopt_int(s, SOL_SOCKET, SO_SNDBUF) >= BUF_SIZE, 1);
	/* Root may go past net.core.wmem_max (212992) with the FORCE form. */
	EXPECT_RET("setsockopt SO_SNDBUFFORCE 1 MiB as root", set_int(s, SOL_SOCKET, SO_SNDBUFFORCE, 1 << 20), 0);
	EXPECT_RET("getsockopt SO_SNDBUF is doubled, 2 MiB", sockopt_int(s, SOL_SOCKET, SO_SNDBUF), 2 << 20);
	EXPECT_RET("SO_TYPE is SOCK_STREAM", sockopt_int(s, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
#ifdef SO_DOMAIN
	EXPECT_RET("SO_DOMAIN is AF_INET", sockopt_int(s, SOL_SOCKET, SO_DOMAIN), AF_INET);
#endif
#ifdef SO_PROTOCOL
	EXPECT_RET("SO_PROTOCOL is IPPROTO_TCP", sockopt_int(s, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
#endif
	EXPECT_RET("SO_ERROR of a fresh socket is 0", sockopt_int(s, SOL_SOCKET, SO_ERROR), 0);
	close(s);
}

/* 3e. INADDR_ANY on either side. */
static void test_tcp_any(void)
{
	struct sockaddr_in a, any, peer, got;
	int l = tcp_listener(&a);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	memset(&any, 0, sizeof any);
	any.sin_family = AF_INET;
	any.sin_addr.s_addr = htonl(INADDR_ANY);
	EXPECT_RET("bind a client to 0.0.0.0:0", bind(c, SA(&any), sizeof any), 0);
	EXPECT_RET("it connects to " LOOPBACK, connect(c, SA(&a), sizeof a), 0);
	EXPECT_RET("and then has " LOOPBACK " as its local address", local_addr(c, &got) > 0 && is_loopback(&got),
		   1);
	int s = accept_within(l, &peer);
	EXPECT_RET("the listener accepts it", s >= 0, 1);
	close(s);
	close(c);
	close(l);

	l = socket(AF_INET, SOCK_STREAM, 0);
	int port = -1;
	if (bind(l, SA(&any), sizeof any) == 0 && listen(l, 8) == 0)
		port = local_addr(l, &got);
	EXPECT_RET("a listener on 0.0.0.0:0 gets a port", port > 0, 1);
	lo_addr(&a, port);
	c = tcp_client(&a);
	EXPECT_RET("a connect to " LOOPBACK " reaches it", c >= 0, 1);
	s = accept_within(l, &peer);
	EXPECT_RET("it accepts the connection from " LOOPBACK, s >= 0 && is_loopback(&peer), 1);
	EXPECT_RET("whose local address is " LOOPBACK, local_addr(s, &got) == port && is_loopback(&got), 1);
	close(s);
	close(c);
	close(l);
}

/* 4a. UDP datagrams between two bound sockets. */
static void test_udp_datagrams(void)
{
	struct sockaddr_in aa, ba, from;
	int a = bound_socket(SOCK_DGRAM, &aa);
	int b = bound_socket(SOCK_DGRAM, &ba);
	EXPECT_RET("SO_TYPE is SOCK_DGRAM", sockopt_int(a, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
#ifdef SO_PROTOCOL
	EXPECT_RET("SO_PROTOCOL is IPPROTO_UDP", sockopt_int(a, SOL_SOCKET, SO_PROTOCOL), IPPROTO_UDP);
#endif
	struct pollfd pf = {b, POLLIN | POLLOUT, 0};
	EXPECT_RET("poll on an empty UDP socket shows POLLOUT only", poll(&pf, 1, 0) == 1 ? pf.revents : -1,
		   POLLOUT);
	EXPECT_RET("sendto", sendto(a, "hello", 5, 0, SA(&ba), sizeof ba), 5);
	wait_for(b, POLLIN); /* loopback delivery may lag behind sendto's return */
	pf.revents = 0;
	EXPECT_RET("poll then shows POLLIN and POLLOUT", poll(&pf, 1, 0) == 1 ? pf.revents : -1, POLLIN | POLLOUT);
	char buf[64] = {0};
	socklen_t len = sizeof from;
	memset(&from, 0, sizeof from);
	ssize_t n = wait_for(b, POLLIN) ? recvfrom(b, buf, sizeof buf, 0, SA(&from), &len) : -1;
	EXPECT_RET("recvfrom gets the datagram", n == 5 && memcmp(buf, "hello", 5) == 0, 1);
	EXPECT_RET("from the sender's address and port",
		   len == sizeof from && is_loopback(&from) && from.sin_port == aa.sin_port, 1);

	/* Three datagrams of different sizes; each is filled with its own size's low byte. */
	static const size_t sizes[] = {1, 100, 1000};
	static char big[UDP_MAX + 1];
	for (int i = 0; i < 3; i++) {
		memset(big, (int)(sizes[i] & 0xff), sizes[i]);
		sendto(a, big, sizes[i], 0, SA(&ba), sizeof ba);
	}
	/* Loopback keeps their order in practice, but the boundaries are what is checked. */
	int seen = 0, intact = 1;
	for (int i = 0; i < 3; i++) {
		n = recv_within(b, big, sizeof big, 0);
		for (int j = 0; j < 3; j++)
			if (n == (ssize_t)sizes[j]) {
				seen |= 1 << j;
				for (ssize_t k = 0; k < n; k++)
					intact &= big[k] == (char)(sizes[j] & 0xff);
			}
	}
	EXPECT_RET("three datagrams of 1, 100 and 1000 bytes come back as three of those sizes", seen, 7);
	EXPECT_RET("each with its own bytes", intact, 1);

	/* A short buffer truncates the datagram, and the rest of it is gone. */
	memset(big, 'T', 100);
	sendto(a, big, 100, 0, SA(&ba), sizeof ba);
	struct iovec iov = {buf, 10};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	n = wait_for(b, POLLIN) ? recvmsg(b, &mh, 0) : -1;
	EXPECT_RET("recvmsg of a 100-byte datagram into 10 bytes", n, 10);
	EXPECT_RET("sets MSG_TRUNC in msg_flags", (mh.msg_flags & MSG_TRUNC) != 0, 1);
	EXPECT_ERRNO("the rest of the datagram is discarded", recv(b, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	set_nonblock(b);
	EXPECT_ERRNO("recv on an empty non-blocking UDP socket", recv(b, buf, sizeof buf, 0), EAGAIN);

	/* The largest IPv4 UDP payload is 65507 bytes. */
	memset(big, 'M', UDP_MAX + 1);
	EXPECT_RET("sendto of a 65507-byte datagram", sendto(a, big, UDP_MAX, 0, SA(&ba), sizeof ba), UDP_MAX);
	EXPECT_RET("arrives whole", recv_within(b, big, sizeof big, 0), UDP_MAX);
	EXPECT_ERRNO("sendto of a 65508-byte datagram", sendto(a, big, UDP_MAX + 1, 0, SA(&ba), sizeof ba),
		     EMSGSIZE);
	close(a);
	close(b);
}

/* 4b. Connected UDP sockets, AF_UNSPEC, autobind, EDESTADDRREQ. */
static void test_udp_connect(void)
{
	struct sockaddr_in aa, ba, from, got;
	int a = bound_socket(SOCK_DGRAM, &aa);
	int b = bound_socket(SOCK_DGRAM, &ba);
	char buf[16] = {0};
	EXPECT_RET("connect a UDP socket", connect(a, SA(&ba), sizeof ba), 0);
	socklen_t len = sizeof got;
	int ok = getpeername(a, SA(&got), &len) == 0 && len == sizeof got;
	EXPECT_RET("getpeername gives the peer", ok && is_loopback(&got) && got.sin_port == ba.sin_port, 1);
	EXPECT_RET("send without an address", send(a, "conn", 4, 0), 4);
	len = sizeof from;
	ssize_t n = wait_for(b, POLLIN) ? recvfrom(b, buf, sizeof buf, 0, SA(&from), &len) : -1;
	EXPECT_RET("reaches the peer", n == 4 && memcmp(buf, "conn", 4) == 0 && from.sin_port == aa.sin_port, 1);
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	EXPECT_RET("connect with AF_UNSPEC", connect(a, &unspec, sizeof unspec), 0);
	len = sizeof got;
	EXPECT_ERRNO("dissolves the association: getpeername", getpeername(a, SA(&got), &len), ENOTCONN);
	/* Linux keeps the bound address but lets go of a port that the kernel chose (bind to port 0). */
	EXPECT_RET("the socket keeps " LOOPBACK " but its kernel-chosen port is released",
		   local_addr(a, &got) == 0 && is_loopback(&got), 1);
	EXPECT_ERRNO("send without an address afterwards", send(a, "x", 1, 0), EDESTADDRREQ);

	int u = socket(AF_INET, SOCK_DGRAM, 0);
	EXPECT_RET("an unbound UDP socket has port 0", local_addr(u, &got), 0);
	EXPECT_RET("sendto from it", sendto(u, "auto", 4, 0, SA(&ba), sizeof ba), 4);
	int port = local_addr(u, &got);
	EXPECT_RET("binds it to a port chosen by the kernel", port > 0, 1);
	EXPECT_RET("on 0.0.0.0", got.sin_addr.s_addr, htonl(INADDR_ANY));
	len = sizeof from;
	n = wait_for(b, POLLIN) ? recvfrom(b, buf, sizeof buf, 0, SA(&from), &len) : -1;
	EXPECT_RET("and the datagram comes from that port", n == 4 && ntohs(from.sin_port) == port, 1);
	close(u);
	/* Linux binds a port in send() before it finds no destination. */
	u = socket(AF_INET, SOCK_DGRAM, 0);
	EXPECT_ERRNO("send on an unconnected UDP socket without an address", send(u, "x", 1, 0), EDESTADDRREQ);
	EXPECT_RET("still binds it to a port", local_addr(u, &got) > 0, 1);
	close(u);
	close(a);
	close(b);
}

/* 5. read and write on a connected TCP socket. */
static void test_read_write(void)
{
	int c, s;
	if (tcp_pair(&c, &s) != 0)
		return;
	char buf[16] = {0};
	EXPECT_RET("write on a TCP socket", write(c, "abc", 3), 3);
	EXPECT_RET("read on its peer", wait_for(s, POLLIN) ? read(s, buf, sizeof buf) : -1, 3);
	EXPECT_RET("gets the bytes", memcmp(buf, "abc", 3), 0);
	EXPECT_RET("write the other way", write(s, "defg", 4), 4);
	memset(buf, 0, sizeof buf);
	EXPECT_RET("read on the client", wait_for(c, POLLIN) ? read(c, buf, sizeof buf) : -1, 4);
	EXPECT_RET("gets those bytes", memcmp(buf, "defg", 4), 0);
	close(s);
	EXPECT_RET("read after the peer closed returns 0", wait_for(c, POLLIN) ? read(c, buf, sizeof buf) : -1, 0);
	close(c);
}

/*
 * 6. Ping sockets (SOCK_DGRAM, IPPROTO_ICMP), where net.ipv4.ping_group_range
 * lets this group open one (Linux's default lets no group): an echo request
 * to 127.0.0.1 comes back as a reply with the same sequence and data; the
 * kernel sets the identifier (the socket's port); other message types are
 * refused.
 */
static void test_ping_socket(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (s < 0 && errno == EACCES) {
		tconf("ping sockets are closed to this group (net.ipv4.ping_group_range)");
		return;
	}
	EXPECT_RET("socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)", s >= 0, 1);
	if (s < 0)
		return;
	struct sockaddr_in to, from, name;
	lo_addr(&to, 0);
	unsigned char req[8 + 16] = {ICMP_ECHO, 0};
	req[6] = 0;
	req[7] = 7; /* sequence 7 */
	memcpy(req + 8, "kestrel-ping-123", 16);
	EXPECT_RET("sendto of an echo request to " LOOPBACK, sendto(s, req, sizeof req, 0, SA(&to), sizeof to),
		   (long)sizeof req);
	unsigned char reply[64];
	socklen_t len = sizeof from;
	ssize_t n = wait_for(s, POLLIN) ? recvfrom(s, reply, sizeof reply, 0, SA(&from), &len) : -1;
	int ok = n == (ssize_t)sizeof req && reply[0] == ICMP_ECHOREPLY && reply[7] == 7 &&
		 memcmp(reply + 8, req + 8, 16) == 0 && is_loopback(&from);
	EXPECT_RET("the echo reply comes back from " LOOPBACK " with the sequence and data", ok, 1);
	int port = local_addr(s, &name);
	EXPECT_RET("the identifier is the socket's port", port > 0 && n >= 8 && ((reply[4] << 8) | reply[5]) == port, 1);
	unsigned char timestamp[20] = {13, 0};
	EXPECT_ERRNO("a message that is not an echo request", sendto(s, timestamp, sizeof timestamp, 0, SA(&to), sizeof to),
		     EINVAL);
	close(s);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	run(test_socket);
	run(test_bind);
	run(test_bind_time_wait);
	run(test_tcp_transfer);
	run(test_tcp_errors);
	run(test_tcp_reset);
	run(test_timeouts);
	run(test_tcp_state);
	run(test_tcp_options);
	run(test_tcp_any);
	run(test_udp_datagrams);
	run(test_udp_connect);
	run(test_read_write);
	run(test_ping_socket);
	return tdone();
}
