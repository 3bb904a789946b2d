/*
 * The benchmark's network figures, between the guest and a server on the
 * host (scripts/bench runs it, reached through QEMU's user network at
 * 10.0.2.2): a TCP round trip of one byte, and the throughput of a 32 MiB
 * send. Run as init on kestrel and on Linux alike, with a virtio-net card:
 *
 *   benchnet port=P
 *
 * It loads the kernel modules listed in /lib/modules/bench/order if there
 * are any (Linux's virtio-net driver; kestrel has its own and answers
 * finit_module with ENOSYS), gives eth0 the address 10.0.2.15/24 through
 * the netdevice ioctls, and prints "bench: NAME: VALUE UNIT" lines like the
 * benchmark program, then "bench: done". The server answers a connection
 * that starts with 'e' by echoing each byte, and one that starts with 's'
 * and a 64-bit length by reading that many bytes and sending one back.
 */
#include "common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#define MODULES "/lib/modules/bench"
/* Round trips timed, at most, and for at most this long. */
#define ROUND_TRIPS 2000
#define MAX_US 5e6
#define SEND_BYTES (32 << 20)
#define PIECE (64 << 10)

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void load_modules(void)
{
	FILE *order = fopen(MODULES "/order", "r");
	if (!order)
		return;
	char name[64];
	while (fscanf(order, "%63s", name) == 1) {
		char path[128];
		snprintf(path, sizeof path, MODULES "/%s.ko", name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST)
			printf("benchnet: loading %s: %s\n", name, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	fclose(order);
}

static int set_addr(int s, const char *ifname, unsigned long cmd, const char *addr)
{
	struct ifreq req;
	memset(&req, 0, sizeof req);
	strcpy(req.ifr_name, ifname);
	struct sockaddr_in *a = (struct sockaddr_in *)&req.ifr_addr;
	a->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &a->sin_addr);
	return ioctl(s, cmd, &req);
}

/* eth0 up with 10.0.2.15/24; 0 on success. */
static int configure_eth0(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq req;
	memset(&req, 0, sizeof req);
	strcpy(req.ifr_name, "eth0");
	int ok = s >= 0 && set_addr(s, "eth0", SIOCSIFADDR, "10.0.2.15") == 0 &&
		 set_addr(s, "eth0", SIOCSIFNETMASK, "255.255.255.0") == 0 && ioctl(s, SIOCGIFFLAGS, &req) == 0;
	if (ok) {
		req.ifr_flags |= IFF_UP | IFF_RUNNING;
		ok = ioctl(s, SIOCSIFFLAGS, &req) == 0;
	}
	if (!ok)
		printf("benchnet: configuring eth0: %s\n", strerror(errno));
	if (s >= 0)
		close(s);
	return ok ? 0 : -1;
}

/* A connection to the host's server in `mode`; retried for up to 10 s
 * while the link comes up. */
static int connect_host(int port, char mode)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, "10.0.2.2", &a.sin_addr);
	double start = now_us();
	while (now_us() - start < 10e6) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
			int one = 1;
			setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			if (write(s, &mode, 1) == 1)
				return s;
		}
		if (s >= 0)
			close(s);
		usleep(100000);
	}
	printf("benchnet: cannot reach 10.0.2.2:%d: %s\n", port, strerror(errno));
	return -1;
}

static void round_trip(int port)
{
	int s = connect_host(port, 'e');
	if (s < 0)
		return;
	int ops = 0;
	double t = now_us();
	char c = 'x';
	while (ops < ROUND_TRIPS && (ops % 64 != 0 || now_us() - t < MAX_US)) {
		if (write(s, &c, 1) != 1 || read(s, &c, 1) != 1)
			break;
		ops++;
	}
	if (ops > 0)
		printf("bench: TCP round trip to the host: %.3f us per op (%d ops)\n", (now_us() - t) / ops, ops);
	close(s);
}

static void throughput(int port)
{
	int s = connect_host(port, 's');
	char *buf = malloc(PIECE);
	if (s < 0 || !buf)
		return;
	memset(buf, 'k', PIECE);
	uint64_t total = SEND_BYTES;
	double t = now_us();
	if (write(s, &total, sizeof total) != sizeof total)
		return;
	for (uint64_t sent = 0; sent < total;) {
		ssize_t n = write(s, buf, PIECE);
		if (n <= 0)
			return;
		sent += n;
	}
	char ack;
	if (read(s, &ack, 1) == 1)
		printf("bench: TCP throughput to the host: %.1f MiB/s\n", (total >> 20) / ((now_us() - t) / 1e6));
	close(s);
}

int main(int argc, char **argv)
{
	int port = 0;
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], "port=", 5) == 0)
			port = atoi(argv[i] + 5);
	load_modules();
	if (port > 0 && configure_eth0() == 0) {
		round_trip(port);
		throughput(port);
	}
	printf("bench: done\n");
	fflush(stdout);
	return 0;
}
