/*
 * Loopback TCP connections opened and closed in a quick loop (COUNT, 300
 * by default): each closing connection passes through TIME_WAIT, which
 * keeps its port for a minute (its buffers are freed). If the guest runs
 * out of socket memory, that must be an error (ENOBUFS from connect or listen, as Linux gives when
 * socket memory is short), never a kernel panic; afterwards fork and a
 * pipe still work. Prints "sockflood: N connections, M refused".
 */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>

static int one_connection(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	int ok = l >= 0 && c >= 0 && bind(l, (struct sockaddr *)&a, sizeof a) == 0 &&
		 getsockname(l, (struct sockaddr *)&a, &len) == 0 && listen(l, 1) == 0 &&
		 connect(c, (struct sockaddr *)&a, sizeof a) == 0;
	int err = errno;
	if (ok) {
		int s = accept(l, NULL, NULL);
		char b = 'x';
		ok = s >= 0 && send(c, &b, 1, 0) == 1 && recv(s, &b, 1, 0) == 1;
		if (s >= 0)
			close(s);
	}
	close(c);
	close(l);
	return ok ? 0 : err;
}

int main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 300;
	int made = 0, refused = 0, other = 0;
	for (int i = 0; i < count; i++) {
		int e = one_connection();
		if (e == 0)
			made++;
		else if (e == ENOBUFS || e == ENOMEM)
			refused++;
		else if (other++ == 0)
			tfail("connection %d: %s", i, errno_name(e));
	}
	printf("sockflood: %d connections, %d refused\n", made, refused);
	EXPECT_RET("every connection was made or refused for memory", other, 0);
	int p[2];
	EXPECT_RET("a pipe afterwards", pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0)
		_exit(write(p[1], "k", 1) == 1 ? 5 : 6);
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_RET("fork afterwards", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 5);
	return tdone();
}
