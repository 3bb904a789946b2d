/*
 * AF_UNIX sockets, part one: the calls and their checks. socket and
 * socketpair (types, flags, errors), bind (pathname, abstract and automatic
 * names, getsockname), connect (errors, permissions, getpeername), listen
 * and accept (backlog, accept4 flags, peer addresses), socket options and
 * ioctls (SO_PEERCRED across a setuid child, buffer sizes, timeouts), poll
 * readiness, /proc/self/fd and /proc/net/unix, musl's nscd lookup behind
 * getpwnam/getgrnam, and a descriptor cycle left in flight.
 * Data transfer, control messages and shutdown are in unixmsg.c.
 */
#include "common.h"
#include "procparse.h"
#include "socktest.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>

#define USER 1000
#define GROUP 1000

#ifndef SIOCINQ
#define SIOCINQ FIONREAD
#endif
#ifndef SIOCOUTQ
#define SIOCOUTQ TIOCOUTQ
#endif

/* An abstract address: a NUL, then name without a terminator. */
static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, name, strlen(name));
	return SUN_OFF + 1 + strlen(name);
}

/* A fresh name under /tmp for this process: /tmp/unix-PID-tag. */
static void tmp_path(char *buf, size_t size, const char *tag)
{
	snprintf(buf, size, "/tmp/unix-%d-%s", (int)getpid(), tag);
	unlink(buf);
}

/* A socket of the given type bound to path, listening if it is connection-based. */
static int server_at(const char *path, int type)
{
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, path);
	int s = socket(AF_UNIX, type, 0);
	if (s < 0 || bind(s, SA(&a), len) != 0 || (type != SOCK_DGRAM && listen(s, 8) != 0)) {
		tfail("cannot set up a server at %s: errno=%d %s", path, errno, errno_name(errno));
		return -1;
	}
	return s;
}

/* A stream client connected to path, or -1 with errno set. */
static int client_to(const char *path, int type)
{
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, path);
	int c = socket(AF_UNIX, type, 0);
	if (c < 0)
		return -1;
	if (connect(c, SA(&a), len) != 0) {
		int e = errno;
		close(c);
		errno = e;
		return -1;
	}
	return c;
}

/* accept4 once a connection is pending, so that a missing one fails instead of hanging. */
static int accept_within(int l, struct sockaddr_un *a, socklen_t *len, int flags)
{
	struct pollfd pf = {l, POLLIN, 0};
	if (poll(&pf, 1, 5000) != 1) {
		errno = ETIMEDOUT;
		return -1;
	}
	return accept4(l, SA(a), len, flags);
}

/* Runs fn(arg) in a child with uid and gid 1000; returns its exit status (-1 if it died). */
static int as_user(int (*fn)(const void *), const void *arg)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setgid(GROUP) != 0 || setuid(USER) != 0)
			_exit(254);
		_exit(fn(arg));
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int child_connect(const void *path)
{
	int c = client_to(path, SOCK_STREAM);
	return c >= 0 ? 0 : errno;
}

static int sockopt_int(int s, int name)
{
	int v = -1;
	socklen_t len = sizeof v;
	if (getsockopt(s, SOL_SOCKET, name, &v, &len) != 0 || len != sizeof v)
		return -1000 - errno;
	return v;
}

/* 1. socket and socketpair. */
static void test_socket(void)
{
	static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
	static const char *const names[] = {"SOCK_STREAM", "SOCK_DGRAM", "SOCK_SEQPACKET"};
	char what[128];
	for (int i = 0; i < 3; i++) {
		int s = syscall(SYS_socket, AF_UNIX, types[i] | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		snprintf(what, sizeof what, "socket(AF_UNIX, %s|SOCK_NONBLOCK|SOCK_CLOEXEC)", names[i]);
		EXPECT_RET(what, s >= 0, 1);
		EXPECT_RET("F_GETFL is O_RDWR|O_NONBLOCK", fcntl(s, F_GETFL), O_RDWR | O_NONBLOCK);
		EXPECT_RET("F_GETFD is FD_CLOEXEC", fcntl(s, F_GETFD), FD_CLOEXEC);
		EXPECT_RET("SO_TYPE", sockopt_int(s, SO_TYPE), types[i]);
		close(s);
		int sv[2] = {-1, -1};
		snprintf(what, sizeof what, "socketpair(AF_UNIX, %s|SOCK_CLOEXEC)", names[i]);
		EXPECT_RET(what, syscall(SYS_socketpair, AF_UNIX, types[i] | SOCK_CLOEXEC, 0, sv), 0);
		EXPECT_RET("both ends are FD_CLOEXEC", fcntl(sv[0], F_GETFD) & fcntl(sv[1], F_GETFD), FD_CLOEXEC);
		EXPECT_RET("and blocking", fcntl(sv[1], F_GETFL), O_RDWR);
		EXPECT_RET("SO_TYPE of the pair", sockopt_int(sv[1], SO_TYPE), types[i]);
		close(sv[0]);
		close(sv[1]);
	}
	EXPECT_ERRNO("socket with type 99", syscall(SYS_socket, AF_UNIX, 99, 0), EINVAL);
	EXPECT_ERRNO("socket with an unknown flag in the type", syscall(SYS_socket, AF_UNIX, SOCK_STREAM | 0x100, 0),
		   EINVAL);
	EXPECT_ERRNO("socket(AF_UNIX, SOCK_RDM)", syscall(SYS_socket, AF_UNIX, SOCK_RDM, 0), ESOCKTNOSUPPORT);
	EXPECT_ERRNO("socket(AF_UNIX, SOCK_STREAM, protocol 2)", syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 2),
		   EPROTONOSUPPORT);
	int s = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, PF_UNIX);
	EXPECT_RET("socket(AF_UNIX, SOCK_STREAM, PF_UNIX)", s >= 0, 1);
	close(s);
	s = syscall(SYS_socket, AF_UNIX, SOCK_RAW, 0);
	EXPECT_RET("socket(AF_UNIX, SOCK_RAW) makes a datagram socket", sockopt_int(s, SO_TYPE), SOCK_DGRAM);
	close(s);
	EXPECT_ERRNO("socket of family 255", syscall(SYS_socket, 255, SOCK_STREAM, 0), EAFNOSUPPORT);
	EXPECT_ERRNO("socket of family AF_MAX (46)", syscall(SYS_socket, 46, SOCK_DGRAM, 0), EAFNOSUPPORT);
	int sv[2];
	EXPECT_ERRNO("socketpair of family 255", syscall(SYS_socketpair, 255, SOCK_STREAM, 0, sv), EAFNOSUPPORT);
	EXPECT_ERRNO("socketpair with type 99", syscall(SYS_socketpair, AF_UNIX, 99, 0, sv), EINVAL);
	EXPECT_ERRNO("socketpair into a bad pointer", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, (void *)8),
		   EFAULT);

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct stat st;
	EXPECT_RET("fstat of a socket", fstat(sv[0], &st), 0);
	EXPECT_RET("st_mode is S_IFSOCK|0777", st.st_mode, S_IFSOCK | 0777);
	struct stat st1;
	EXPECT_RET("the two ends have different inodes", fstat(sv[1], &st1) == 0 && st1.st_ino != st.st_ino, 1);
	EXPECT_RET("write to a stream socket", write(sv[0], "hello", 5), 5);
	char buf[16] = {0};
	EXPECT_RET("read from its peer", read(sv[1], buf, sizeof buf), 5);
	EXPECT_RET("gets the bytes", memcmp(buf, "hello", 5), 0);
	EXPECT_ERRNO("lseek on a socket", lseek(sv[0], 0, SEEK_SET), ESPIPE);
	EXPECT_ERRNO("pread on a socket", pread(sv[0], buf, 1, 0), ESPIPE);
	close(sv[0]);
	close(sv[1]);
}

/* 2a. Pathname addresses. */
static void test_bind_path(void)
{
	char p[96], q[96], r[96];
	tmp_path(p, sizeof p, "bind");
	struct sockaddr_un a, got;
	socklen_t len = path_addr(&a, p), glen;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_RET("bind to a new path", bind(s, SA(&a), len), 0);
	struct stat st;
	EXPECT_RET("stat of the bound path", stat(p, &st), 0);
	EXPECT_RET("is a socket node", S_ISSOCK(st.st_mode), 1);
	EXPECT_RET("with mode 0777 & ~umask (022)", st.st_mode & 07777, 0755);
	EXPECT_RET("owned by the caller", st.st_uid == geteuid() && st.st_gid == getegid(), 1);
	EXPECT_ERRNO("open of a socket node", open(p, O_RDWR), ENXIO);
	int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_ERRNO("a second bind to the same path", bind(s2, SA(&a), len), EADDRINUSE);
	int s3 = socket(AF_UNIX, SOCK_DGRAM, 0);
	EXPECT_ERRNO("bind of a datagram socket to that path", bind(s3, SA(&a), len), EADDRINUSE);
	tmp_path(q, sizeof q, "bind2");
	struct sockaddr_un b;
	socklen_t blen = path_addr(&b, q);
	EXPECT_ERRNO("bind of an already bound socket", bind(s, SA(&b), blen), EINVAL);
	EXPECT_ERRNO("stat shows the second path was not made", stat(q, &st), ENOENT);

	glen = sizeof got;
	memset(&got, 0x55, sizeof got);
	EXPECT_RET("getsockname of a pathname socket", getsockname(s, SA(&got), &glen), 0);
	EXPECT_RET("has length offsetof(sun_path) + strlen + 1", glen, len);
	EXPECT_RET("and the path", got.sun_family == AF_UNIX && strcmp(got.sun_path, p) == 0, 1);
	glen = 4;
	EXPECT_RET("getsockname into a 4-byte buffer", getsockname(s, SA(&got), &glen), 0);
	EXPECT_RET("returns the full length", glen, len);

	/* An address without its NUL is stored with one. */
	EXPECT_RET("bind with an addrlen that leaves out the NUL", bind(s3, SA(&b), blen - 1), 0);
	glen = sizeof got;
	getsockname(s3, SA(&got), &glen);
	EXPECT_RET("getsockname counts the NUL", glen, blen);

	/* Errors of the address itself. */
	tmp_path(r, sizeof r, "nodir/sock");
	socklen_t rlen = path_addr(&b, r);
	EXPECT_ERRNO("bind in a missing directory", bind(s2, SA(&b), rlen), ENOENT);
	tmp_path(r, sizeof r, "file");
	close(creat(r, 0644));
	strcat(r, "/sock");
	rlen = path_addr(&b, r);
	EXPECT_ERRNO("bind under a regular file", bind(s2, SA(&b), rlen), ENOTDIR);
	r[strlen(r) - 5] = 0;
	rlen = path_addr(&b, r);
	EXPECT_ERRNO("bind onto an existing regular file", bind(s2, SA(&b), rlen), EADDRINUSE);
	unlink(r);
	path_addr(&b, p);
	EXPECT_ERRNO("bind with addrlen 0", syscall(SYS_bind, s2, &b, 0), EINVAL);
	EXPECT_ERRNO("bind with addrlen 1", syscall(SYS_bind, s2, &b, 1), EINVAL);
	EXPECT_ERRNO("bind with addrlen sizeof(sockaddr_un) + 1", syscall(SYS_bind, s2, &b, sizeof b + 1), EINVAL);
	b.sun_family = AF_INET;
	EXPECT_ERRNO("bind with sun_family AF_INET", syscall(SYS_bind, s2, &b, rlen), EINVAL);
	EXPECT_ERRNO("bind to a bad address pointer", syscall(SYS_bind, s2, (void *)8, rlen), EFAULT);

	/* Unlinking the node frees the name; the socket keeps its address. */
	EXPECT_RET("unlink of the bound path", unlink(p), 0);
	glen = sizeof got;
	getsockname(s, SA(&got), &glen);
	EXPECT_RET("the socket keeps its name", glen == len && strcmp(got.sun_path, p) == 0, 1);
	EXPECT_RET("another socket can bind the name now", bind(s2, SA(&a), len), 0);
	unlink(p);
	unlink(q);
	close(s);
	close(s2);
	close(s3);
}

/* 2b. Abstract and automatic names, unbound sockets. */
static void test_bind_abstract(void)
{
	char name[64];
	snprintf(name, sizeof name, "kestrel-unix-%d", (int)getpid());
	struct sockaddr_un a, got;
	socklen_t len = abstract_addr(&a, name), glen;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_RET("bind to an abstract name", bind(s, SA(&a), len), 0);
	struct stat st;
	EXPECT_ERRNO("no file of that name appears", stat(name, &st), ENOENT);
	int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_ERRNO("a second bind of the same abstract name", bind(s2, SA(&a), len), EADDRINUSE);
	EXPECT_RET("the name with one more NUL byte is another name", bind(s2, SA(&a), len + 1), 0);
	int s3 = socket(AF_UNIX, SOCK_DGRAM, 0);
	EXPECT_RET("a datagram socket may bind the stream socket's abstract name", bind(s3, SA(&a), len), 0);
	int c = socket(AF_UNIX, SOCK_DGRAM, 0);
	EXPECT_RET("and a datagram connect to the name finds it", connect(c, SA(&a), len), 0);
	close(c);
	close(s3);
	glen = sizeof got;
	EXPECT_RET("getsockname of an abstract socket", getsockname(s, SA(&got), &glen), 0);
	EXPECT_RET("returns the bound length", glen, len);
	EXPECT_RET("and the name", memcmp(&got, &a, len), 0);
	close(s);
	close(s2);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_RET("the name is free again after close", bind(s, SA(&a), len), 0);
	close(s);

	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	glen = sizeof got;
	memset(&got, 0x55, sizeof got);
	EXPECT_RET("getsockname of an unbound socket", getsockname(s, SA(&got), &glen), 0);
	EXPECT_RET("has length sizeof(sa_family_t)", glen == sizeof(sa_family_t) && got.sun_family == AF_UNIX, 1);
	struct sockaddr_un fam = {.sun_family = AF_UNIX};
	EXPECT_RET("bind with addrlen sizeof(sa_family_t) autobinds",
		   syscall(SYS_bind, s, &fam, sizeof(sa_family_t)), 0);
	glen = sizeof got;
	getsockname(s, SA(&got), &glen);
	EXPECT_RET("the automatic name has length offsetof(sun_path) + 6", glen, SUN_OFF + 6);
	int hex = got.sun_path[0] == 0;
	for (int i = 1; i < 6; i++)
		hex &= (got.sun_path[i] >= '0' && got.sun_path[i] <= '9') ||
		       (got.sun_path[i] >= 'a' && got.sun_path[i] <= 'f');
	EXPECT_RET("and is a NUL and 5 lowercase hex digits", hex, 1);
	struct sockaddr_un first = got;
	EXPECT_RET("autobind of a bound socket does nothing and succeeds",
		   syscall(SYS_bind, s, &fam, sizeof(sa_family_t)), 0);
	glen = sizeof got;
	getsockname(s, SA(&got), &glen);
	EXPECT_RET("the name stays", glen == SUN_OFF + 6 && memcmp(&got, &first, glen) == 0, 1);
	close(s);
}

/* 3. connect and getpeername. */
static void test_connect(void)
{
	char p[96], f[96], d[96], b[96];
	tmp_path(p, sizeof p, "conn");
	tmp_path(f, sizeof f, "plain");
	tmp_path(d, sizeof d, "dgram");
	tmp_path(b, sizeof b, "nolisten");
	close(creat(f, 0666));
	EXPECT_ERRNO("connect to a plain file", client_to(f, SOCK_STREAM), ECONNREFUSED);
	EXPECT_ERRNO("connect to a missing path", client_to(p, SOCK_STREAM), ENOENT);
	int ds = server_at(d, SOCK_DGRAM);
	EXPECT_ERRNO("stream connect to a datagram socket", client_to(d, SOCK_STREAM), EPROTOTYPE);
	EXPECT_ERRNO("seqpacket connect to a datagram socket", client_to(d, SOCK_SEQPACKET), EPROTOTYPE);
	int bs = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a, got;
	socklen_t len = path_addr(&a, b), glen;
	bind(bs, SA(&a), len);
	EXPECT_ERRNO("connect to a bound stream socket that does not listen", client_to(b, SOCK_STREAM), ECONNREFUSED);

	int l = server_at(p, SOCK_STREAM);
	EXPECT_ERRNO("seqpacket connect to a stream listener", client_to(p, SOCK_SEQPACKET), EPROTOTYPE);
	chmod(p, 0700);
	EXPECT_RET("uid 1000 connecting to a 0700 root socket: EACCES", as_user(child_connect, p), EACCES);
	chmod(p, 0777);
	EXPECT_RET("uid 1000 connecting to a 0777 socket succeeds", as_user(child_connect, p), 0);
	int junk = accept_within(l, NULL, NULL, 0);
	close(junk);
	int c = client_to(p, SOCK_STREAM);
	EXPECT_RET("connect to a listening socket", c >= 0, 1);
	glen = sizeof got;
	EXPECT_RET("getpeername of the client", getpeername(c, SA(&got), &glen), 0);
	EXPECT_RET("is the server's path", glen == SUN_OFF + strlen(p) + 1 && strcmp(got.sun_path, p) == 0, 1);
	glen = sizeof got;
	getsockname(c, SA(&got), &glen);
	EXPECT_RET("the unbound client's own name has length sizeof(sa_family_t)", glen, sizeof(sa_family_t));
	len = path_addr(&a, p);
	EXPECT_ERRNO("connect of a connected socket", connect(c, SA(&a), len), EISCONN);
	int s = accept_within(l, NULL, NULL, 0);
	glen = sizeof got;
	getsockname(s, SA(&got), &glen);
	EXPECT_RET("the accepted socket's name is the listener's path", strcmp(got.sun_path, p), 0);
	glen = sizeof got;
	EXPECT_RET("getpeername of the accepted socket", getpeername(s, SA(&got), &glen), 0);
	EXPECT_RET("is the unbound client: length sizeof(sa_family_t)", glen, sizeof(sa_family_t));
	close(s);
	close(c);

	c = socket(AF_UNIX, SOCK_STREAM, 0);
	glen = sizeof got;
	EXPECT_ERRNO("getpeername of an unconnected socket", getpeername(c, SA(&got), &glen), ENOTCONN);
	EXPECT_ERRNO("getpeername of a listening socket", getpeername(l, SA(&got), &glen), ENOTCONN);
	EXPECT_ERRNO("connect with addrlen 0", syscall(SYS_connect, c, &a, 0), EINVAL);
	EXPECT_ERRNO("connect with addrlen sizeof(sockaddr_un) + 1", syscall(SYS_connect, c, &a, sizeof a + 1), EINVAL);
	a.sun_family = AF_INET;
	EXPECT_ERRNO("connect with sun_family AF_INET", syscall(SYS_connect, c, &a, len), EINVAL);
	close(c);

	/* Abstract listener. */
	char name[64];
	snprintf(name, sizeof name, "kestrel-conn-%d", (int)getpid());
	socklen_t alen = abstract_addr(&a, name);
	int al = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	bind(al, SA(&a), alen);
	listen(al, 1);
	c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	EXPECT_RET("connect to an abstract seqpacket listener", connect(c, SA(&a), alen), 0);
	glen = sizeof got;
	getpeername(c, SA(&got), &glen);
	EXPECT_RET("getpeername gives the abstract name", glen == alen && memcmp(&got, &a, alen) == 0, 1);
	close(c);
	close(al);
	c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	EXPECT_ERRNO("connect to an abstract name nobody has", connect(c, SA(&a), alen), ECONNREFUSED);
	close(c);

	close(l);
	EXPECT_ERRNO("connect to the node of a closed listener", client_to(p, SOCK_STREAM), ECONNREFUSED);
	unlink(p);
	unlink(f);
	unlink(d);
	unlink(b);
	close(ds);
	close(bs);
}

/* 3b. Socket calls on descriptors that are not sockets. */
static void test_not_socket(void)
{
	int fds[2];
	pipe(fds);
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, "/tmp/x"), glen = sizeof a;
	int v = 1;
	char c, w[80];
	struct msghdr mh = {0};
	const char *on;
#define ON(call) (snprintf(w, sizeof w, "%s on %s", (call), on), w)
	for (int i = 0; i < 2; i++) {
		int fd = i ? 999 : fds[0];
		int e = i ? EBADF : ENOTSOCK;
		on = i ? "a descriptor that is not open" : "a pipe";
		EXPECT_ERRNO(ON("bind"), bind(fd, SA(&a), len), e);
		EXPECT_ERRNO(ON("connect"), connect(fd, SA(&a), len), e);
		EXPECT_ERRNO(ON("listen"), listen(fd, 1), e);
		EXPECT_ERRNO(ON("accept"), accept(fd, NULL, NULL), e);
		EXPECT_ERRNO(ON("accept4"), accept4(fd, NULL, NULL, SOCK_CLOEXEC), e);
		EXPECT_ERRNO(ON("getsockname"), getsockname(fd, SA(&a), &glen), e);
		EXPECT_ERRNO(ON("getpeername"), getpeername(fd, SA(&a), &glen), e);
		EXPECT_ERRNO(ON("shutdown"), shutdown(fd, SHUT_RDWR), e);
		EXPECT_ERRNO(ON("setsockopt"), setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &v, sizeof v), e);
		glen = sizeof v;
		EXPECT_ERRNO(ON("getsockopt"), getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &glen), e);
		EXPECT_ERRNO(ON("sendto"), sendto(fd, "x", 1, 0, NULL, 0), e);
		EXPECT_ERRNO(ON("recvfrom"), recvfrom(fd, &c, 1, MSG_DONTWAIT, NULL, NULL), e);
		EXPECT_ERRNO(ON("sendmsg"), syscall(SYS_sendmsg, fd, &mh, 0), e);
		EXPECT_ERRNO(ON("recvmsg"), syscall(SYS_recvmsg, fd, &mh, MSG_DONTWAIT), e);
	}
#undef ON
	close(fds[0]);
	close(fds[1]);
}

/* 4. listen and accept. */
static void test_listen_accept(void)
{
	char p[96], q[96];
	tmp_path(p, sizeof p, "listen");
	tmp_path(q, sizeof q, "client");
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_ERRNO("listen on an unbound stream socket", listen(s, 1), EINVAL);
	close(s);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	EXPECT_ERRNO("listen on a datagram socket", listen(s, 1), EOPNOTSUPP);
	EXPECT_ERRNO("accept on a datagram socket", accept(s, NULL, NULL), EOPNOTSUPP);
	close(s);
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	EXPECT_ERRNO("listen on a connected socket", listen(sv[0], 1), EINVAL);
	close(sv[0]);
	close(sv[1]);

	struct sockaddr_un a, got;
	socklen_t len = path_addr(&a, p), glen;
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(l, SA(&a), len);
	EXPECT_ERRNO("accept on a bound socket that does not listen", accept(l, NULL, NULL), EINVAL);
	EXPECT_RET("SO_ACCEPTCONN before listen", sockopt_int(l, SO_ACCEPTCONN), 0);
	EXPECT_RET("listen on a bound stream socket", listen(l, 5), 0);
	EXPECT_RET("SO_ACCEPTCONN after listen", sockopt_int(l, SO_ACCEPTCONN), 1);
	EXPECT_RET("listen again changes the backlog", listen(l, 5), 0);
	EXPECT_ERRNO("accept4 with an unknown flag", syscall(SYS_accept4, l, NULL, NULL, 0x1), EINVAL);
	fcntl(l, F_SETFL, O_NONBLOCK);
	EXPECT_ERRNO("accept on an O_NONBLOCK listener with nothing pending", accept(l, NULL, NULL), EAGAIN);
	fcntl(l, F_SETFL, 0);

	int c = client_to(p, SOCK_STREAM);
	EXPECT_RET("a client writes before it is accepted", write(c, "early", 5), 5);
	glen = sizeof got;
	memset(&got, 0x55, sizeof got);
	s = accept_within(l, &got, &glen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	EXPECT_RET("accept4(SOCK_NONBLOCK|SOCK_CLOEXEC)", s >= 0, 1);
	EXPECT_RET("the new descriptor has O_NONBLOCK", fcntl(s, F_GETFL), O_RDWR | O_NONBLOCK);
	EXPECT_RET("and FD_CLOEXEC", fcntl(s, F_GETFD), FD_CLOEXEC);
	EXPECT_RET("the unbound peer's address has length sizeof(sa_family_t)",
		   glen == sizeof(sa_family_t) && got.sun_family == AF_UNIX, 1);
	char buf[16] = {0};
	EXPECT_RET("the server reads the early bytes after accept", read(s, buf, sizeof buf), 5);
	EXPECT_RET("intact", memcmp(buf, "early", 5), 0);
	close(s);
	close(c);

	c = socket(AF_UNIX, SOCK_STREAM, 0);
	socklen_t qlen = path_addr(&a, q);
	bind(c, SA(&a), qlen);
	path_addr(&a, p);
	connect(c, SA(&a), len);
	glen = sizeof got;
	s = accept_within(l, &got, &glen, 0);
	EXPECT_RET("accept gives a bound peer's path", glen == qlen && strcmp(got.sun_path, q) == 0, 1);
	EXPECT_RET("accept's descriptor is blocking, no FD_CLOEXEC",
		   fcntl(s, F_GETFL) == O_RDWR && fcntl(s, F_GETFD) == 0, 1);
	close(s);
	close(c);
	close(l);
	unlink(p);
	unlink(q);
}

/* 4b. The backlog: listen(fd, 1) queues two connections. */
static void test_backlog(void)
{
	char p[96];
	tmp_path(p, sizeof p, "backlog");
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, p);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(l, SA(&a), len);
	listen(l, 1);
	int cs[8], n = 0, err = 0;
	while (n < 8) {
		cs[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(cs[n], SA(&a), len) != 0) {
			err = errno;
			close(cs[n]);
			break;
		}
		n++;
	}
	EXPECT_RET("nonblocking connects to a listen(fd, 1) socket that succeed", n, 2);
	if (err == EAGAIN)
		tpass("the next nonblocking connect -> -1 EAGAIN");
	else
		tfail("the next nonblocking connect -> errno=%d %s, expected EAGAIN", err, errno_name(err));
	struct pollfd pf = {l, POLLIN, 0};
	EXPECT_RET("the listener polls readable", poll(&pf, 1, 5000) == 1 && pf.revents == POLLIN, 1);

	pid_t pid = fork();
	if (pid == 0) {
		alarm(5);
		int c = client_to(p, SOCK_STREAM);
		_exit(c >= 0 && write(c, "C", 1) == 1 ? 0 : 1);
	}
	int s = accept_within(l, NULL, NULL, 0);
	close(s);
	for (int i = 0; i < 2; i++) {
		s = accept_within(l, NULL, NULL, 0);
		char c = 0;
		if (i == 1) {
			EXPECT_RET("the blocked connect completes after an accept", read(s, &c, 1), 1);
			EXPECT_RET("and its byte arrives", c, 'C');
		}
		close(s);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("the blocking connecting child exited 0", status, 0);
	for (int i = 0; i < n; i++)
		close(cs[i]);
	close(l);
	unlink(p);
}

/* 8a. SO_PEERCRED, on a pair and across a setuid client. */
static pid_t server_pid;

static int child_peercred(const void *path)
{
	alarm(5);
	int c = client_to(path, SOCK_STREAM);
	if (c < 0)
		return 10;
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof cr)
		return 11;
	if (cr.pid != server_pid || cr.uid != 0 || cr.gid != 0)
		return 12;
	char x;
	return read(c, &x, 1) == 1 ? 0 : 13;
}

static void test_peercred(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct ucred cr = {0};
	socklen_t len = sizeof cr;
	EXPECT_RET("SO_PEERCRED of a socketpair", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &len), 0);
	EXPECT_RET("is our own pid, uid and gid",
		   len == sizeof cr && cr.pid == getpid() && cr.uid == getuid() && cr.gid == getgid(), 1);
	close(sv[0]);
	close(sv[1]);

	char p[96];
	tmp_path(p, sizeof p, "cred");
	int l = server_at(p, SOCK_STREAM);
	chmod(p, 0777);
	server_pid = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setgid(GROUP) != 0 || setuid(USER) != 0)
			_exit(254);
		_exit(child_peercred(p));
	}
	int s = accept_within(l, NULL, NULL, 0);
	len = sizeof cr;
	memset(&cr, 0, sizeof cr);
	EXPECT_RET("SO_PEERCRED of an accepted socket", getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len), 0);
	EXPECT_RET("is the setuid client's pid", cr.pid, pid);
	EXPECT_RET("uid 1000 and gid 1000", cr.uid == USER && cr.gid == GROUP, 1);
	write(s, "k", 1);
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("the client's SO_PEERCRED shows the server's pid, uid 0, gid 0 (child status)", status, 0);
	close(s);
	close(l);
	unlink(p);
}

/* 8b. The other options. */
static void test_options(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	int s = sv[0];
	EXPECT_RET("SO_DOMAIN", sockopt_int(s, SO_DOMAIN), AF_UNIX);
	EXPECT_RET("SO_PROTOCOL", sockopt_int(s, SO_PROTOCOL), 0);
	EXPECT_RET("SO_ERROR", sockopt_int(s, SO_ERROR), 0);
	int v = 1;
	EXPECT_RET("SO_PASSCRED is off by default", sockopt_int(s, SO_PASSCRED), 0);
	EXPECT_RET("setsockopt SO_PASSCRED 1", setsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, sizeof v), 0);
	EXPECT_RET("SO_PASSCRED reads back 1", sockopt_int(s, SO_PASSCRED), 1);
	EXPECT_RET("setsockopt SO_REUSEADDR 1", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v), 0);
	EXPECT_RET("SO_REUSEADDR reads back 1", sockopt_int(s, SO_REUSEADDR), 1);

	v = 10000;
	EXPECT_RET("setsockopt SO_SNDBUF 10000", setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof v), 0);
	EXPECT_RET("SO_SNDBUF reads back doubled", sockopt_int(s, SO_SNDBUF), 20000);
	EXPECT_RET("setsockopt SO_RCVBUF 10000", setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v), 0);
	EXPECT_RET("SO_RCVBUF reads back doubled", sockopt_int(s, SO_RCVBUF), 20000);
	v = 1;
	setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
	EXPECT_RET("SO_SNDBUF 1 is raised to the minimum", sockopt_int(s, SO_SNDBUF), 4608);
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
	EXPECT_RET("SO_RCVBUF 1 is raised to the minimum", sockopt_int(s, SO_RCVBUF), 2304);

	/* A small send buffer fills up. */
	fcntl(s, F_SETFL, O_NONBLOCK);
	static char chunk[4096];
	long total = 0, n;
	while (total < (4 << 20) && (n = write(s, chunk, sizeof chunk)) > 0)
		total += n;
	int e = errno;
	EXPECT_RET("nonblocking writes with a small SO_SNDBUF stop with EAGAIN", total < (4 << 20) && e == EAGAIN, 1);
	struct pollfd pf = {s, POLLOUT, 0};
	EXPECT_RET("and the socket does not poll writable", poll(&pf, 1, 0), 0);
	close(sv[0]);
	close(sv[1]);

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	s = sv[0];
	struct timeval tv = {0, 100000}, got = {0};
	socklen_t len = sizeof got;
	EXPECT_RET("setsockopt SO_RCVTIMEO 100 ms", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
	EXPECT_RET("getsockopt SO_RCVTIMEO", getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
	EXPECT_RET("reads back 100 ms", len == sizeof got && got.tv_sec == 0 && got.tv_usec == 100000, 1);
	char c;
	EXPECT_ERRNO("recv on an empty socket with SO_RCVTIMEO times out", recv(s, &c, 1, 0), EAGAIN);
	tv.tv_sec = 2;
	tv.tv_usec = 500000;
	EXPECT_RET("setsockopt SO_SNDTIMEO 2.5 s", setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), 0);
	len = sizeof got;
	getsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &got, &len);
	EXPECT_RET("SO_SNDTIMEO reads back 2.5 s", got.tv_sec == 2 && got.tv_usec == 500000, 1);
	tv.tv_usec = 1000000;
	EXPECT_ERRNO("SO_RCVTIMEO with tv_usec 1000000",
		   syscall(SYS_setsockopt, s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), EDOM);
	EXPECT_ERRNO("SO_RCVTIMEO with a short optlen", syscall(SYS_setsockopt, s, SOL_SOCKET, SO_RCVTIMEO, &tv, 4),
		   EINVAL);

	v = 1;
	EXPECT_ERRNO("setsockopt of an unknown SOL_SOCKET option",
		   syscall(SYS_setsockopt, s, SOL_SOCKET, 9999, &v, sizeof v), ENOPROTOOPT);
	len = sizeof v;
	EXPECT_ERRNO("getsockopt of an unknown SOL_SOCKET option",
		   syscall(SYS_getsockopt, s, SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT);
	EXPECT_ERRNO("setsockopt at level SOL_TCP", syscall(SYS_setsockopt, s, 6, 1, &v, sizeof v), EOPNOTSUPP);
	EXPECT_ERRNO("getsockopt at level 12345", syscall(SYS_getsockopt, s, 12345, 1, &v, &len), EOPNOTSUPP);
	EXPECT_ERRNO("setsockopt SO_REUSEADDR with optlen 2",
		   syscall(SYS_setsockopt, s, SOL_SOCKET, SO_REUSEADDR, &v, 2), EINVAL);
	len = (socklen_t)-1;
	EXPECT_ERRNO("getsockopt with a negative optlen", syscall(SYS_getsockopt, s, SOL_SOCKET, SO_TYPE, &v, &len),
		   EINVAL);
	close(sv[0]);
	close(sv[1]);
}

/* 8c. ioctls. */
static void test_ioctls(void)
{
	int sv[2], n = -1;
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	EXPECT_RET("FIONREAD of an empty stream socket", ioctl(sv[1], FIONREAD, &n) == 0 ? n : -1, 0);
	write(sv[0], "abc", 3);
	write(sv[0], "defg", 4);
	EXPECT_RET("FIONREAD counts the bytes of two writes", ioctl(sv[1], FIONREAD, &n) == 0 ? n : -1, 7);
	EXPECT_RET("SIOCINQ too", ioctl(sv[1], SIOCINQ, &n) == 0 ? n : -1, 7);
	EXPECT_RET("SIOCOUTQ of the writer is nonzero while unread", ioctl(sv[0], SIOCOUTQ, &n) == 0 && n > 0, 1);
	char buf[16];
	read(sv[1], buf, sizeof buf);
	EXPECT_RET("SIOCOUTQ is 0 once the peer read everything", ioctl(sv[0], SIOCOUTQ, &n) == 0 ? n : -1, 0);
	struct termios t;
	EXPECT_ERRNO("TCGETS on a socket", ioctl(sv[0], TCGETS, &t), ENOTTY);
	close(sv[0]);
	close(sv[1]);

	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	write(sv[0], "12345", 5);
	write(sv[0], "1234567", 7);
	EXPECT_RET("FIONREAD of a datagram socket is the first message's size",
		   ioctl(sv[1], FIONREAD, &n) == 0 ? n : -1, 5);
	close(sv[0]);
	close(sv[1]);

	char p[96];
	tmp_path(p, sizeof p, "ioctl");
	int l = server_at(p, SOCK_STREAM);
	EXPECT_ERRNO("FIONREAD of a listening socket", ioctl(l, FIONREAD, &n), EINVAL);
	close(l);
	unlink(p);
}

/* 9. poll and select readiness. */
static void test_poll(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct pollfd pf = {sv[0], POLLIN | POLLOUT, -1};
	EXPECT_RET("a fresh connected pair polls", poll(&pf, 1, 0), 1);
	EXPECT_RET("writable and not readable", pf.revents, POLLOUT);
	write(sv[1], "x", 1);
	poll(&pf, 1, 0);
	EXPECT_RET("after the peer writes: readable and writable", pf.revents, POLLIN | POLLOUT);
	char c;
	read(sv[0], &c, 1);
	pid_t pid = fork();
	if (pid == 0)
		_exit(write(sv[1], "y", 1) == 1 ? 0 : 1);
	pf.events = POLLIN;
	EXPECT_RET("a blocking poll wakes when a child writes", poll(&pf, 1, 5000) == 1 && pf.revents == POLLIN, 1);
	waitpid(pid, NULL, 0);
	close(sv[0]);
	close(sv[1]);

	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	pf.fd = s;
	pf.events = POLLIN | POLLOUT;
	poll(&pf, 1, 0);
	EXPECT_RET("an unconnected stream socket polls POLLOUT|POLLHUP", pf.revents, POLLOUT | POLLHUP);
	close(s);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	pf.fd = s;
	poll(&pf, 1, 0);
	EXPECT_RET("an unconnected datagram socket polls POLLOUT", pf.revents, POLLOUT);
	close(s);

	char p[96];
	tmp_path(p, sizeof p, "poll");
	int l = server_at(p, SOCK_STREAM);
	pf.fd = l;
	EXPECT_RET("a listener with nothing pending is not ready", poll(&pf, 1, 0), 0);
	int c1 = client_to(p, SOCK_STREAM);
	poll(&pf, 1, 0);
	EXPECT_RET("a listener with a pending connection polls POLLIN only", pf.revents, POLLIN);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(l, &rs);
	struct timeval tv = {5, 0};
	EXPECT_RET("select sees the listener readable", select(l + 1, &rs, NULL, NULL, &tv) == 1 && FD_ISSET(l, &rs),
		   1);
	close(accept_within(l, NULL, NULL, 0));
	EXPECT_RET("not ready again once accepted", poll(&pf, 1, 0), 0);
	close(c1);
	close(l);
	unlink(p);
}

/* 10. /proc/self/fd and /proc/net/unix. */
struct unix_line {
	unsigned long flags, type, st, inode;
	char path[128];
};

/* Finds the /proc/net/unix line of inode ino; 1 if found, 0 if not, -1 on a bad file. */
static int proc_net_unix(unsigned long ino, struct unix_line *u)
{
	static const char header[] = "Num       RefCount Protocol Flags    Type St Inode Path\n";
	char line[512];
	FILE *f = fopen("/proc/net/unix", "r");
	if (!f)
		return -1;
	int found = -1;
	if (fgets(line, sizeof line, f) && strcmp(line, header) == 0)
		found = 0;
	while (found == 0 && fgets(line, sizeof line, f)) {
		unsigned long ref, proto;
		int end = 0;
		if (sscanf(line, "%*s %lx %lx %lx %lx %lx %lu%n", &ref, &proto, &u->flags, &u->type, &u->st,
			   &u->inode, &end) < 6 || u->inode != ino)
			continue;
		found = 1;
		char *path = line + end;
		path += *path == ' ';
		path[strcspn(path, "\n")] = 0;
		snprintf(u->path, sizeof u->path, "%s", path);
	}
	fclose(f);
	return found;
}

static void test_proc(void)
{
	char p[96], link[64], target[64], want[80];
	tmp_path(p, sizeof p, "proc");
	int l = server_at(p, SOCK_STREAM);
	struct stat st;
	fstat(l, &st);
	snprintf(link, sizeof link, "/proc/self/fd/%d", l);
	snprintf(want, sizeof want, "socket:[%lu]", (unsigned long)st.st_ino);
	long n = readlink(link, target, sizeof target - 1);
	target[n > 0 ? n : 0] = 0;
	EXPECT_RET("readlink of /proc/self/fd/N is socket:[st_ino]", strcmp(target, want), 0);
	struct unix_line u;
	EXPECT_RET("/proc/net/unix has its header and a line for the listener", proc_net_unix(st.st_ino, &u), 1);
	EXPECT_RET("with the bound path", strcmp(u.path, p), 0);
	EXPECT_RET("flags 00010000 (listening)", u.flags, 0x10000);
	EXPECT_RET("type 0001 (stream)", u.type, SOCK_STREAM);
	EXPECT_RET("state 01 (unconnected)", u.st, 1);
	close(l);
	unlink(p);

	char name[64];
	snprintf(name, sizeof name, "kestrel-proc-%d", (int)getpid());
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, name);
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	bind(d, SA(&a), len);
	fstat(d, &st);
	snprintf(want, sizeof want, "@%s", name);
	EXPECT_RET("an abstract datagram socket is listed", proc_net_unix(st.st_ino, &u), 1);
	EXPECT_RET("as @name", strcmp(u.path, want), 0);
	EXPECT_RET("with flags 0 and type 0002", u.flags == 0 && u.type == SOCK_DGRAM, 1);
	close(d);
	EXPECT_RET("and no longer after close", proc_net_unix(st.st_ino, &u), 0);
}

/* 11. musl asks nscd over AF_UNIX before it gives up on a name. */
static void test_nss(void)
{
	errno = 0;
	struct group *g = getgrnam("no-such-group-kestrel");
	int e = errno;
	EXPECT_RET("getgrnam of an unknown group is NULL", g == NULL, 1);
	if (e == 0 || e == ENOENT)
		tpass("getgrnam leaves errno 0 or ENOENT (%s)", errno_name(e));
	else
		tfail("getgrnam left errno=%d %s, expected 0 or ENOENT", e, errno_name(e));
	errno = 0;
	struct passwd *pw = getpwnam("no-such-user-kestrel");
	e = errno;
	EXPECT_RET("getpwnam of an unknown user is NULL", pw == NULL, 1);
	if (e == 0 || e == ENOENT)
		tpass("getpwnam leaves errno 0 or ENOENT (%s)", errno_name(e));
	else
		tfail("getpwnam left errno=%d %s, expected 0 or ENOENT", e, errno_name(e));
}

/* Sends one byte and descriptor fd over s. */
static long send_fd(int s, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} c;
	memset(&c, 0, sizeof c);
	struct iovec iov = {"c", 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof c.buf};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(s, &mh, 0);
}

/*
 * 12. Sockets whose only references are in flight in their own queues. The
 * collection is asynchronous on newer Linux, so only the survival of the
 * system is checked.
 */
static void test_cycle(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	EXPECT_RET("send a socket into its own receive queue", send_fd(sv[0], sv[1]), 1);
	EXPECT_RET("close both ends of the cycle", close(sv[0]) == 0 && close(sv[1]) == 0, 1);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	EXPECT_RET("send each end of a stream pair to the other", send_fd(sv[0], sv[0]) + send_fd(sv[1], sv[1]), 2);
	EXPECT_RET("close both ends of that cycle", close(sv[0]) == 0 && close(sv[1]) == 0, 1);
	int ok = socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && write(sv[0], "z", 1) == 1;
	char c = 0;
	ok = ok && read(sv[1], &c, 1) == 1 && c == 'z';
	EXPECT_RET("a new socketpair works afterwards", ok, 1);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	proc_mount_if_needed();
	umask(022);
	chdir("/tmp");
	run(test_socket);
	run(test_bind_path);
	run(test_bind_abstract);
	run(test_connect);
	run(test_not_socket);
	run(test_listen_accept);
	run(test_backlog);
	run(test_peercred);
	run(test_options);
	run(test_ioctls);
	run(test_poll);
	run(test_proc);
	run(test_nss);
	run(test_cycle);
	return tdone();
}
