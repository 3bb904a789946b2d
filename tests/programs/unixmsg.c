/*
 * AF_UNIX sockets, part two: moving data. shutdown (EOF, EPIPE and SIGPIPE,
 * POLLRDHUP and POLLHUP, a peer closed with unread data), the send and
 * receive calls (send/recv, sendto/recvfrom, sendmsg/recvmsg with several
 * iovecs, sendmmsg/recvmmsg, MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL, MSG_TRUNC),
 * datagram and seqpacket message boundaries, datagram addressing, a 1 MiB
 * stream echo between processes, and control messages (SCM_RIGHTS between
 * processes, MSG_CMSG_CLOEXEC, MSG_CTRUNC, descriptors released with their
 * message, SCM_CREDENTIALS and its permission checks).
 * The calls, addresses, connections and options are in unix.c.
 */
#include "common.h"
#include "procparse.h"
#include "socktest.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#define USER 1000
#define GROUP 1000

/* A fresh name under /tmp for this process: /tmp/unixmsg-PID-tag. */
static void tmp_path(char *buf, size_t size, const char *tag)
{
	snprintf(buf, size, "/tmp/unixmsg-%d-%s", (int)getpid(), tag);
	unlink(buf);
}

/* A socket of type bound to path (listening unless it is a datagram socket). */
static int bound_at(const char *path, int type)
{
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, path);
	int s = socket(AF_UNIX, type, 0);
	if (s < 0 || bind(s, SA(&a), len) != 0 || (type != SOCK_DGRAM && listen(s, 4) != 0))
		tfail("cannot bind a socket to %s: errno=%d %s", path, errno, errno_name(errno));
	return s;
}

/* Waits up to 5 s for fd to become readable, so that a wrong result fails instead of hanging. */
static int readable(int fd)
{
	struct pollfd pf = {fd, POLLIN, 0};
	return poll(&pf, 1, 5000) == 1;
}

static int short_poll(int fd, short events)
{
	struct pollfd pf = {fd, events, 0};
	return poll(&pf, 1, 0) == 1 ? pf.revents : 0;
}

static volatile sig_atomic_t got_sigpipe;

static void on_sigpipe(int sig)
{
	(void)sig;
	got_sigpipe++;
}

/* 5a. shutdown(SHUT_WR) and shutdown(SHUT_RD). */
static void test_shutdown(void)
{
	int sv[2];
	char buf[16];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[0], "data", 4);
	EXPECT_RET("shutdown(SHUT_WR)", shutdown(sv[0], SHUT_WR), 0);
	EXPECT_RET("the peer polls POLLIN|POLLOUT|POLLRDHUP", short_poll(sv[1], POLLIN | POLLOUT | POLLRDHUP),
		   POLLIN | POLLOUT | POLLRDHUP);
	EXPECT_RET("the peer reads the data first", read(sv[1], buf, sizeof buf), 4);
	EXPECT_RET("then EOF", read(sv[1], buf, sizeof buf), 0);
	EXPECT_RET("and EOF again", read(sv[1], buf, sizeof buf), 0);
	EXPECT_ERRNO("send after own SHUT_WR with MSG_NOSIGNAL", send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	struct sigaction sa = {.sa_handler = on_sigpipe}, old;
	sigaction(SIGPIPE, &sa, &old);
	got_sigpipe = 0;
	EXPECT_ERRNO("write after own SHUT_WR", write(sv[0], "x", 1), EPIPE);
	EXPECT_RET("raised SIGPIPE once", got_sigpipe, 1);
	got_sigpipe = 0;
	send(sv[0], "x", 1, MSG_NOSIGNAL);
	EXPECT_RET("MSG_NOSIGNAL raised none", got_sigpipe, 0);
	EXPECT_RET("the other direction still works", write(sv[1], "back", 4), 4);
	EXPECT_RET("and is read", read(sv[0], buf, sizeof buf), 4);
	EXPECT_RET("the half-closed socket polls POLLOUT only", short_poll(sv[0], POLLIN | POLLOUT | POLLRDHUP),
		   POLLOUT);
	shutdown(sv[1], SHUT_WR);
	EXPECT_RET("with both directions shut: POLLIN|POLLOUT|POLLRDHUP|POLLHUP",
		   short_poll(sv[0], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
	EXPECT_ERRNO("shutdown with how 3", shutdown(sv[0], 3), EINVAL);
	EXPECT_ERRNO("shutdown with how -1", shutdown(sv[0], -1), EINVAL);
	close(sv[0]);
	close(sv[1]);

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	EXPECT_RET("shutdown(SHUT_RD)", shutdown(sv[0], SHUT_RD), 0);
	EXPECT_RET("own read returns 0", read(sv[0], buf, sizeof buf), 0);
	EXPECT_RET("own POLLIN|POLLRDHUP, still writable", short_poll(sv[0], POLLIN | POLLOUT | POLLRDHUP),
		   POLLIN | POLLOUT | POLLRDHUP);
	EXPECT_ERRNO("the peer's send to it", send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
	EXPECT_RET("own writes still arrive", write(sv[0], "ok", 2) == 2 && read(sv[1], buf, sizeof buf) == 2, 1);
	EXPECT_RET("shutdown(SHUT_RDWR) of the peer", shutdown(sv[1], SHUT_RDWR), 0);
	EXPECT_RET("the peer polls POLLIN|POLLOUT|POLLRDHUP|POLLHUP", short_poll(sv[1], POLLIN | POLLOUT | POLLRDHUP),
		   POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
	close(sv[0]);
	close(sv[1]);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_RET("shutdown of an unconnected stream socket", shutdown(s, SHUT_RDWR), 0);
	close(s);
	sigaction(SIGPIPE, &old, NULL);
}

/* 5b. The peer goes away. */
static void test_peer_close(void)
{
	int sv[2];
	char buf[16];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[1], "last", 4);
	close(sv[1]);
	EXPECT_RET("after the peer closed: POLLIN|POLLOUT|POLLRDHUP|POLLHUP",
		   short_poll(sv[0], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
	EXPECT_RET("its last bytes are still read", read(sv[0], buf, sizeof buf), 4);
	EXPECT_RET("then EOF", read(sv[0], buf, sizeof buf), 0);
	EXPECT_ERRNO("send to the closed peer", send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	close(sv[0]);

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[0], "unread", 6);
	close(sv[1]);
	EXPECT_RET("a peer closed with our data unread: POLLIN|POLLOUT|POLLRDHUP|POLLHUP|POLLERR",
		   short_poll(sv[0], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP | POLLHUP | POLLERR);
	EXPECT_ERRNO("the next read", read(sv[0], buf, sizeof buf), ECONNRESET);
	EXPECT_RET("then EOF", read(sv[0], buf, sizeof buf), 0);
	close(sv[0]);

	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	write(sv[1], "m", 1);
	close(sv[1]);
	EXPECT_RET("seqpacket: the message sent before close arrives", recv(sv[0], buf, sizeof buf, 0), 1);
	EXPECT_RET("then recv returns 0", recv(sv[0], buf, sizeof buf, 0), 0);
	EXPECT_ERRNO("send to the closed seqpacket peer", send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	close(sv[0]);

	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	close(sv[1]);
	EXPECT_ERRNO("datagram send to a closed peer", send(sv[0], "x", 1, 0), ECONNREFUSED);
	EXPECT_ERRNO("and then, disconnected", send(sv[0], "x", 1, 0), ENOTCONN);
	close(sv[0]);
}

/* 6a. Stream send and receive calls. */
static void test_stream_calls(void)
{
	int sv[2];
	char buf[64] = {0};
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	EXPECT_RET("send", send(sv[0], "abc", 3, 0), 3);
	EXPECT_RET("recv with MSG_PEEK", recv(sv[1], buf, sizeof buf, MSG_PEEK), 3);
	EXPECT_RET("recv gets the same bytes", recv(sv[1], buf + 8, sizeof buf - 8, 0) == 3 &&
		   memcmp(buf, "abc", 3) == 0 && memcmp(buf + 8, "abc", 3) == 0, 1);
	EXPECT_ERRNO("recv with MSG_DONTWAIT on an empty socket", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	EXPECT_ERRNO("recv of 0 bytes with MSG_DONTWAIT on an empty socket", recv(sv[1], buf, 0, MSG_DONTWAIT), EAGAIN);
	send(sv[0], "q", 1, 0);
	EXPECT_RET("recv of 0 bytes with data queued", recv(sv[1], buf, 0, MSG_DONTWAIT), 0);
	EXPECT_RET("leaves the data", recv(sv[1], buf, sizeof buf, 0), 1);
	EXPECT_RET("sendto without an address", sendto(sv[0], "xy", 2, 0, NULL, 0), 2);
	struct sockaddr_un from;
	socklen_t flen = sizeof from;
	EXPECT_RET("recvfrom", recvfrom(sv[1], buf, sizeof buf, 0, SA(&from), &flen), 2);
	EXPECT_RET("gives an unbound peer's address length 0", flen, 0);
	struct sockaddr_un a;
	socklen_t alen = path_addr(&a, "/tmp/nowhere");
	EXPECT_ERRNO("sendto with an address on a connected stream socket", sendto(sv[0], "x", 1, 0, SA(&a), alen),
		   EISCONN);

	struct iovec out[3] = {{"one-", 4}, {"two-", 4}, {"three", 5}};
	struct msghdr mh = {.msg_iov = out, .msg_iovlen = 3};
	EXPECT_RET("sendmsg of three iovecs", sendmsg(sv[0], &mh, 0), 13);
	char p1[5] = {0}, p2[16] = {0};
	struct iovec in[2] = {{p1, 4}, {p2, sizeof p2}};
	struct msghdr rh = {.msg_iov = in, .msg_iovlen = 2};
	EXPECT_RET("recvmsg into two iovecs", recvmsg(sv[1], &rh, 0), 13);
	EXPECT_RET("fills them in order", strcmp(p1, "one-") == 0 && strcmp(p2, "two-three") == 0, 1);
	EXPECT_RET("with msg_flags 0", rh.msg_flags, 0);
	close(sv[0]);
	close(sv[1]);

	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_ERRNO("send on an unconnected stream socket", send(s, "x", 1, MSG_NOSIGNAL), ENOTCONN);
	EXPECT_ERRNO("sendto with an address on an unconnected stream socket",
		   sendto(s, "x", 1, MSG_NOSIGNAL, SA(&a), alen), EOPNOTSUPP);
	EXPECT_ERRNO("recv on an unconnected stream socket", recv(s, buf, 1, MSG_DONTWAIT), EINVAL);
	close(s);
}

/* 6b. MSG_WAITALL waits for all the bytes, or the end of the stream. */
static void test_waitall(void)
{
	int sv[2];
	static char buf[128];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec nap = {0, 20000000};
		memset(buf, 'w', 50);
		if (write(sv[1], buf, 50) != 50)
			_exit(1);
		nanosleep(&nap, NULL);
		_exit(write(sv[1], buf, 50) == 50 ? 0 : 1);
	}
	EXPECT_RET("recv(MSG_WAITALL) of 100 bytes written as 2 x 50 by a child",
		   recv(sv[0], buf, 100, MSG_WAITALL), 100);
	waitpid(pid, NULL, 0);
	write(sv[1], buf, 30);
	close(sv[1]);
	EXPECT_RET("recv(MSG_WAITALL) returns what came before EOF", recv(sv[0], buf, 100, MSG_WAITALL), 30);
	close(sv[0]);
}

/* 6c. Datagrams: boundaries, truncation, addresses. */
static void test_dgram(void)
{
	char sp[96], cp[96], buf[64];
	tmp_path(sp, sizeof sp, "dsrv");
	tmp_path(cp, sizeof cp, "dcli");
	int srv = bound_at(sp, SOCK_DGRAM), cli = bound_at(cp, SOCK_DGRAM);
	struct sockaddr_un sa, from;
	socklen_t slen = path_addr(&sa, sp), flen;
	EXPECT_RET("sendto a bound datagram socket", sendto(cli, "one", 3, 0, SA(&sa), slen), 3);
	EXPECT_RET("a second datagram", sendto(cli, "two!!", 5, 0, SA(&sa), slen), 5);
	flen = sizeof from;
	EXPECT_RET("recvfrom gets the first alone", recvfrom(srv, buf, sizeof buf, 0, SA(&from), &flen), 3);
	EXPECT_RET("with the sender's path", flen == SUN_OFF + strlen(cp) + 1 && strcmp(from.sun_path, cp) == 0, 1);
	EXPECT_RET("recv gets the second", recv(srv, buf, sizeof buf, 0), 5);

	sendto(cli, "abcdefgh", 8, 0, SA(&sa), slen);
	EXPECT_RET("recv with MSG_PEEK", recv(srv, buf, sizeof buf, MSG_PEEK), 8);
	EXPECT_RET("recv with MSG_TRUNC and a 3-byte buffer gives the real length", recv(srv, buf, 3, MSG_TRUNC), 8);
	sendto(cli, "abcdefgh", 8, 0, SA(&sa), slen);
	struct iovec iov = {buf, 3};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	EXPECT_RET("recvmsg into 3 bytes truncates", recvmsg(srv, &mh, 0), 3);
	EXPECT_RET("and sets MSG_TRUNC", mh.msg_flags, MSG_TRUNC);
	EXPECT_ERRNO("the rest is gone", recv(srv, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	EXPECT_RET("an empty datagram is sent", sendto(cli, "", 0, 0, SA(&sa), slen), 0);
	EXPECT_RET("and received as 0 bytes", recv(srv, buf, sizeof buf, MSG_DONTWAIT), 0);
	EXPECT_ERRNO("and consumed", recv(srv, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);

	/* A datagram socket connected to itself talks to itself. */
	EXPECT_RET("a datagram socket connects to its own address", connect(srv, SA(&sa), slen), 0);
	EXPECT_RET("sends to itself", send(srv, "me", 2, 0), 2);
	EXPECT_RET("and polls POLLIN|POLLOUT", short_poll(srv, POLLIN | POLLOUT), POLLIN | POLLOUT);
	EXPECT_RET("and receives its own datagram", recv(srv, buf, sizeof buf, MSG_DONTWAIT), 2);
	struct sockaddr_un unspec = {.sun_family = AF_UNSPEC};
	connect(srv, SA(&unspec), sizeof(sa_family_t));

	int u = socket(AF_UNIX, SOCK_DGRAM, 0);
	sendto(u, "u", 1, 0, SA(&sa), slen);
	flen = sizeof from;
	EXPECT_RET("recvfrom a datagram of an unbound sender", recvfrom(srv, buf, sizeof buf, 0, SA(&from), &flen), 1);
	EXPECT_RET("gives address length 0", flen, 0);
	EXPECT_ERRNO("send on an unconnected datagram socket", send(u, "x", 1, 0), ENOTCONN);
	EXPECT_RET("connect a datagram socket", connect(u, SA(&sa), slen), 0);
	EXPECT_RET("then send needs no address", send(u, "c", 1, 0), 1);
	EXPECT_RET("and arrives", recv(srv, buf, sizeof buf, 0), 1);
	struct sockaddr_un un = {.sun_family = AF_UNSPEC};
	EXPECT_RET("connect to AF_UNSPEC dissolves the association", connect(u, SA(&un), sizeof un), 0);
	EXPECT_ERRNO("send is unconnected again", send(u, "x", 1, 0), ENOTCONN);

	struct sockaddr_un ca;
	socklen_t clen = path_addr(&ca, cp);
	connect(srv, SA(&ca), clen);
	EXPECT_ERRNO("sendto a socket connected to someone else", sendto(u, "x", 1, 0, SA(&sa), slen), EPERM);
	EXPECT_RET("its peer may send", sendto(cli, "p", 1, 0, SA(&sa), slen), 1);
	close(u);

	char np[96];
	tmp_path(np, sizeof np, "none");
	struct sockaddr_un na;
	socklen_t nlen = path_addr(&na, np);
	EXPECT_ERRNO("sendto a missing path", sendto(cli, "x", 1, 0, SA(&na), nlen), ENOENT);
	close(creat(np, 0644));
	EXPECT_ERRNO("sendto a plain file", sendto(cli, "x", 1, 0, SA(&na), nlen), ECONNREFUSED);
	unlink(np);
	int st = bound_at(np, SOCK_STREAM);
	EXPECT_ERRNO("sendto a stream socket's path", sendto(cli, "x", 1, 0, SA(&na), nlen), EPROTOTYPE);
	close(st);
	unlink(np);

	int v = 2304;
	setsockopt(cli, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
	static char big[8192];
	EXPECT_ERRNO("a datagram of 8192 bytes with SO_SNDBUF 4608", sendto(cli, big, sizeof big, 0, SA(&sa), slen),
		   EMSGSIZE);
	EXPECT_RET("one of 4000 bytes fits", sendto(cli, big, 4000, 0, SA(&sa), slen), 4000);
	close(srv);
	close(cli);
	unlink(sp);
	unlink(cp);
}

/* 6d. sendmmsg and recvmmsg: three datagrams in one call each way. */
static void test_mmsg(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	static const char *const words[] = {"a", "bb", "ccc"};
	struct iovec out[3], in[3];
	struct mmsghdr om[3], im[3];
	char bufs[3][16];
	memset(om, 0, sizeof om);
	memset(im, 0, sizeof im);
	for (int i = 0; i < 3; i++) {
		out[i] = (struct iovec){(void *)words[i], strlen(words[i])};
		om[i].msg_hdr.msg_iov = &out[i];
		om[i].msg_hdr.msg_iovlen = 1;
		in[i] = (struct iovec){bufs[i], sizeof bufs[i]};
		im[i].msg_hdr.msg_iov = &in[i];
		im[i].msg_hdr.msg_iovlen = 1;
	}
	EXPECT_RET("sendmmsg of three datagrams", syscall(SYS_sendmmsg, sv[0], om, 3, 0), 3);
	EXPECT_RET("sets each msg_len", om[0].msg_len == 1 && om[1].msg_len == 2 && om[2].msg_len == 3, 1);
	EXPECT_RET("recvmmsg of three", syscall(SYS_recvmmsg, sv[1], im, 3, 0, NULL), 3);
	EXPECT_RET("with their own lengths", im[0].msg_len == 1 && im[1].msg_len == 2 && im[2].msg_len == 3, 1);
	EXPECT_RET("and contents", memcmp(bufs[2], "ccc", 3) == 0 && bufs[1][0] == 'b', 1);
	syscall(SYS_sendmmsg, sv[0], om, 2, 0);
	EXPECT_RET("recvmmsg(MSG_DONTWAIT) of 3 when 2 are queued",
		   syscall(SYS_recvmmsg, sv[1], im, 3, MSG_DONTWAIT, NULL), 2);
	EXPECT_ERRNO("recvmmsg(MSG_DONTWAIT) with none queued", syscall(SYS_recvmmsg, sv[1], im, 3, MSG_DONTWAIT, NULL),
		   EAGAIN);
	close(sv[0]);
	close(sv[1]);
}

/* 6e. Seqpacket keeps boundaries. */
static void test_seqpacket(void)
{
	int sv[2];
	char buf[64];
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	send(sv[0], "ab", 2, 0);
	send(sv[0], "cdef", 4, 0);
	EXPECT_RET("seqpacket: the first message alone", recv(sv[1], buf, sizeof buf, 0), 2);
	EXPECT_RET("then the second", recv(sv[1], buf, sizeof buf, 0), 4);
	send(sv[0], "0123456789", 10, 0);
	struct iovec iov = {buf, 4};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	EXPECT_RET("recvmsg into 4 bytes truncates", recvmsg(sv[1], &mh, 0), 4);
	EXPECT_RET("and sets MSG_TRUNC", mh.msg_flags, MSG_TRUNC);
	EXPECT_ERRNO("the rest is gone", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	close(sv[0]);
	close(sv[1]);
}

/* 6f. 1 MiB echoed by a child, written and read concurrently. */
static void echo_child(int s)
{
	static char buf[7000];
	long n;
	while ((n = read(s, buf, sizeof buf)) > 0)
		for (long off = 0, w; off < n; off += w)
			if ((w = write(s, buf + off, n - off)) <= 0)
				_exit(1);
	_exit(n == 0 ? 0 : 2);
}

static void test_echo(void)
{
	enum { TOTAL = 1 << 20 };
	static unsigned char out[TOTAL], in[TOTAL];
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		echo_child(sv[1]);
	}
	close(sv[1]);
	for (long i = 0; i < TOTAL; i++)
		out[i] = (unsigned char)(i * 131 + (i >> 12));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	long sent = 0, got = 0, n;
	while (got < TOTAL) {
		struct pollfd pf = {sv[0], POLLIN | (sent < TOTAL ? POLLOUT : 0), 0};
		if (poll(&pf, 1, 5000) <= 0)
			break;
		if (!(pf.revents & (POLLIN | POLLOUT)))
			break;
		if (pf.revents & POLLIN) {
			if ((n = read(sv[0], in + got, TOTAL - got)) <= 0)
				break;
			got += n;
		}
		if (pf.revents & POLLOUT) {
			n = write(sv[0], out + sent, TOTAL - sent < 65536 ? TOTAL - sent : 65536);
			sent += n > 0 ? n : 0;
			if (sent == TOTAL)
				shutdown(sv[0], SHUT_WR);
		}
	}
	fcntl(sv[0], F_SETFL, 0);
	EXPECT_RET("1 MiB echoed through a stream socketpair", got == TOTAL && sent == TOTAL, 1);
	EXPECT_RET("byte for byte", memcmp(in, out, TOTAL), 0);
	EXPECT_RET("then EOF from the echoing child", readable(sv[0]) ? read(sv[0], in, 16) : -1, 0);
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("the child exited 0", status, 0);
	close(sv[0]);
}

/* Control-message buffers, aligned for struct cmsghdr. */
union cbuf {
	char buf[CMSG_SPACE(4 * sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
	struct cmsghdr align;
};

/* Sends one byte with an SCM_RIGHTS message of n descriptors. */
static long send_fds(int s, const int *fds, int n)
{
	union cbuf c;
	memset(&c, 0, sizeof c);
	struct iovec iov = {"F", 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
			    .msg_controllen = CMSG_SPACE(n * sizeof(int))};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(s, &mh, 0);
}

/*
 * Receives one byte and the descriptors of an SCM_RIGHTS message into fds
 * (at most 4) with a control buffer of controllen bytes. Returns the number
 * of descriptors, or -1; *mflags gets msg_flags.
 */
static int recv_fds(int s, int *fds, size_t controllen, int flags, int *mflags)
{
	union cbuf c;
	char byte;
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = controllen ? c.buf : NULL,
			    .msg_controllen = controllen};
	if (!readable(s) || recvmsg(s, &mh, flags) != 1)
		return -1;
	*mflags = mh.msg_flags;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (!cm)
		return 0;
	if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	int n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
	return n;
}

/* 7a. SCM_RIGHTS. */
static void test_rights(void)
{
	int sv[2], fds[4] = {-1, -1, -1, -1}, mflags = -1;
	char path[96], buf[32] = {0};
	tmp_path(path, sizeof path, "passed");
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
		if (fd < 0 || write(fd, "from the child", 14) != 14 || unlink(path) != 0)
			_exit(1);
		_exit(send_fds(sv[1], &fd, 1) == 1 ? 0 : 2);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("a child sends the descriptor of an unlinked file and exits", status, 0);
	EXPECT_RET("the parent receives one descriptor", recv_fds(sv[0], fds, sizeof(union cbuf), 0, &mflags), 1);
	EXPECT_RET("without FD_CLOEXEC", fcntl(fds[0], F_GETFD), 0);
	EXPECT_RET("it reads the file the child wrote", pread(fds[0], buf, sizeof buf, 0), 14);
	EXPECT_RET("the same bytes", strcmp(buf, "from the child"), 0);
	EXPECT_RET("and shares the child's file offset", lseek(fds[0], 0, SEEK_CUR), 14);
	close(fds[0]);
	close(sv[0]);
	close(sv[1]);

	int p[2];
	pipe(p);
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	EXPECT_RET("sendmsg with two descriptors", send_fds(sv[0], p, 2), 1);
	close(p[0]);
	close(p[1]);
	EXPECT_RET("recvmsg(MSG_CMSG_CLOEXEC) gets both",
		   recv_fds(sv[1], fds, sizeof(union cbuf), MSG_CMSG_CLOEXEC, &mflags), 2);
	EXPECT_RET("both usable: a write to one is read from the other",
		   write(fds[1], "pipe", 4) == 4 && read(fds[0], buf, sizeof buf) == 4, 1);
	EXPECT_RET("both have FD_CLOEXEC", fcntl(fds[0], F_GETFD) & fcntl(fds[1], F_GETFD), FD_CLOEXEC);

	int three[3] = {fds[0], fds[1], fds[1]};
	send_fds(sv[0], three, 3);
	EXPECT_RET("a control buffer with room for one descriptor takes one",
		   recv_fds(sv[1], fds + 2, CMSG_LEN(sizeof(int)), 0, &mflags), 1);
	EXPECT_RET("and sets MSG_CTRUNC", mflags, MSG_CTRUNC);
	close(fds[2]);
	send_fds(sv[0], &fds[1], 1);
	close(fds[1]);
	EXPECT_RET("recvmsg without a control buffer", recv_fds(sv[1], fds + 2, 0, 0, &mflags), 0);
	EXPECT_RET("sets MSG_CTRUNC", mflags, MSG_CTRUNC);
	EXPECT_RET("and closes the descriptor: the pipe reads EOF",
		   readable(fds[0]) ? read(fds[0], buf, sizeof buf) : -1, 0);
	close(fds[0]);

	int bad = 999;
	EXPECT_ERRNO("SCM_RIGHTS with a closed descriptor", send_fds(sv[0], &bad, 1), EBADF);
	close(sv[0]);
	close(sv[1]);
}

/* 7b. Descriptors in flight go away with the socket that queues them. */
static void test_inflight(void)
{
	int sv[2], p[2];
	char c;
	pipe(p);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	send_fds(sv[0], &p[1], 1);
	close(p[1]);
	EXPECT_RET("a pipe's write end in flight keeps the pipe open",
		   short_poll(p[0], POLLIN), 0);
	close(sv[0]);
	close(sv[1]);
	EXPECT_RET("closing the sockets releases it: the pipe reads EOF",
		   readable(p[0]) ? read(p[0], &c, 1) : -1, 0);
	close(p[0]);
}

/* 7c. Malformed control messages. */
static void test_bad_cmsg(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	union cbuf c;
	memset(&c, 0, sizeof c);
	struct iovec iov = {"x", 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
			    .msg_controllen = CMSG_SPACE(sizeof(int))};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = 99;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	EXPECT_ERRNO("sendmsg with an unknown SOL_SOCKET cmsg type", syscall(SYS_sendmsg, sv[0], &mh, 0), EINVAL);
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_SPACE(sizeof(int)) + 8;
	EXPECT_ERRNO("sendmsg with cmsg_len past msg_controllen", syscall(SYS_sendmsg, sv[0], &mh, 0), EINVAL);
	cm->cmsg_type = SCM_CREDENTIALS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	EXPECT_ERRNO("SCM_CREDENTIALS of the wrong size", syscall(SYS_sendmsg, sv[0], &mh, 0), EINVAL);
	close(sv[0]);
	close(sv[1]);
}

/* Sends one byte with an SCM_CREDENTIALS message. */
static long send_creds(int s, pid_t pid, uid_t uid, gid_t gid)
{
	union cbuf c;
	memset(&c, 0, sizeof c);
	struct iovec iov = {"C", 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
			    .msg_controllen = CMSG_SPACE(sizeof(struct ucred))};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	struct ucred cr = {pid, uid, gid};
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_CREDENTIALS;
	cm->cmsg_len = CMSG_LEN(sizeof cr);
	memcpy(CMSG_DATA(cm), &cr, sizeof cr);
	return sendmsg(s, &mh, 0);
}

/* Receives one byte; 1 and *cr if an SCM_CREDENTIALS message came, 0 if none, -1 on error. */
static int recv_creds(int s, struct ucred *cr)
{
	union cbuf c;
	char byte;
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof c};
	if (!readable(s) || recvmsg(s, &mh, 0) != 1)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (!cm)
		return 0;
	if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_CREDENTIALS ||
	    cm->cmsg_len != CMSG_LEN(sizeof *cr))
		return -1;
	memcpy(cr, CMSG_DATA(cm), sizeof *cr);
	return 1;
}

/* What a child with uid and gid 1000 may claim; its exit status says which check failed. */
static int user_creds(int s, pid_t other)
{
	if (setgroups(0, NULL) != 0 || setgid(GROUP) != 0 || setuid(USER) != 0)
		return 10;
	if (send_creds(s, getpid(), USER, GROUP) != 1)
		return 11;
	if (send_creds(s, other, USER, GROUP) != -1 || errno != EPERM)
		return 12;
	if (send_creds(s, getpid(), 0, GROUP) != -1 || errno != EPERM)
		return 13;
	if (send_creds(s, getpid(), USER, 0) != -1 || errno != EPERM)
		return 14;
	return 0;
}

/* 7d. SCM_CREDENTIALS and SO_PASSCRED. */
static void test_creds(void)
{
	int sv[2], on = 1;
	struct ucred cr;
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	send(sv[0], "n", 1, 0);
	EXPECT_RET("without SO_PASSCRED no credentials arrive", recv_creds(sv[1], &cr), 0);
	setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
	pid_t pid = fork();
	if (pid == 0)
		_exit(send(sv[0], "c", 1, 0) == 1 ? 0 : 1);
	memset(&cr, 0, sizeof cr);
	EXPECT_RET("with SO_PASSCRED a plain send from a child brings SCM_CREDENTIALS", recv_creds(sv[1], &cr), 1);
	EXPECT_RET("with the child's pid", cr.pid, pid);
	EXPECT_RET("and uid 0, gid 0", cr.uid == 0 && cr.gid == 0, 1);
	waitpid(pid, NULL, 0);
	EXPECT_RET("sending our own credentials explicitly", send_creds(sv[0], getpid(), 0, 0), 1);
	EXPECT_RET("arrive", recv_creds(sv[1], &cr) == 1 && cr.pid == getpid() && cr.uid == 0, 1);

	int gate[2];
	pipe(gate);
	pid_t other = fork();
	if (other == 0) {
		char c;
		_exit(read(gate[0], &c, 1) == 1 ? 0 : 1);
	}
	EXPECT_RET("root may claim another live process's pid", send_creds(sv[0], other, 0, 0), 1);
	EXPECT_RET("and the receiver sees that pid", recv_creds(sv[1], &cr) == 1 && cr.pid == other, 1);
	EXPECT_RET("root may claim uid and gid 1000", send_creds(sv[0], getpid(), USER, GROUP), 1);
	EXPECT_RET("and the receiver sees them", recv_creds(sv[1], &cr) == 1 && cr.uid == USER && cr.gid == GROUP, 1);
	EXPECT_ERRNO("a pid that does not exist", send_creds(sv[0], 4000000, 0, 0), ESRCH);

	pid = fork();
	if (pid == 0)
		_exit(user_creds(sv[0], other));
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("uid 1000 may send its own credentials, EPERM for another pid, uid 0 or gid 0 (child status)",
		   status, 0);
	EXPECT_RET("the receiver sees the child's uid 1000",
		   recv_creds(sv[1], &cr) == 1 && cr.pid == pid && cr.uid == USER && cr.gid == GROUP, 1);
	write(gate[1], "g", 1);
	waitpid(other, NULL, 0);
	close(gate[0]);
	close(gate[1]);
	close(sv[0]);
	close(sv[1]);
}

/* Whether /proc/net/unix lists a socket of inode `ino`. */
static int listed(unsigned long ino)
{
	FILE *f = fopen("/proc/net/unix", "r");
	char line[512];
	int found = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long inode;
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu", &inode) == 1 && inode == ino)
			found = 1;
	}
	fclose(f);
	return found;
}

/*
 * 7d. A socket in its own queue, which no descriptor reaches any more, is
 * freed once another UNIX socket is released. Linux collects in the
 * background, so each try releases another socket and waits a little.
 */
static void test_cycle_collected(void)
{
	int sv[2], other[2];
	struct stat st;
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	fstat(sv[1], &st);
	EXPECT_RET("sending a socket into its own queue", send_fds(sv[0], &sv[1], 1), 1);
	close(sv[0]);
	close(sv[1]);
	EXPECT_RET("/proc/net/unix lists it while it is in flight", listed(st.st_ino), 1);
	/* Each release of a UNIX socket runs (or, on Linux, schedules) the
	 * collector; give a background one a second. */
	int still = 1;
	for (int i = 0; i < 50 && still; i++) {
		socketpair(AF_UNIX, SOCK_STREAM, 0, other);
		close(other[0]);
		close(other[1]);
		still = listed(st.st_ino);
		if (still)
			usleep(20000);
	}
	EXPECT_RET("and no longer once other sockets are released", still, 0);
}

int main(void)
{
	proc_mount_if_needed();
	run(test_shutdown);
	run(test_peer_close);
	run(test_stream_calls);
	run(test_waitall);
	run(test_dgram);
	run(test_mmsg);
	run(test_seqpacket);
	run(test_echo);
	run(test_rights);
	run(test_inflight);
	run(test_bad_cmsg);
	run(test_creds);
	run(test_cycle_collected);
	return tdone();
}
