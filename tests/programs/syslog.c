/*
 * syslog(2), the kernel log as busybox dmesg reads it: the buffer size, a
 * read of the whole log whose lines carry "<level>" prefixes, and Linux's
 * EINVAL cases. Where the host forbids reading the log (EPERM), the checks
 * that need it are TCONF.
 */
#include "common.h"

#include <stdlib.h>

#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_CONSOLE_LEVEL 8
#define SYSLOG_ACTION_SIZE_BUFFER 10

int main(void)
{
	long size = syscall(SYS_syslog, SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	if (size < 0 && errno == EPERM) {
		tconf("syslog(SIZE_BUFFER) -> EPERM: reading the kernel log is not allowed here");
		return tdone();
	}
	if (size > 0)
		tpass("syslog(SIZE_BUFFER) -> %ld bytes", size);
	else
		tfail("syslog(SIZE_BUFFER) -> %ld errno=%d %s", size, errno, errno_name(errno));

	char *buf = calloc(1, size > 0 ? (size_t)size + 1 : 1);
	long n = syscall(SYS_syslog, SYSLOG_ACTION_READ_ALL, buf, size > 0 ? size : 0);
	if (n > 0 && n <= size)
		tpass("syslog(READ_ALL) -> %ld bytes", n);
	else
		tfail("syslog(READ_ALL) -> %ld errno=%d %s", n, errno, errno_name(errno));
	if (n > 3 && buf[0] == '<' && buf[1] >= '0' && buf[1] <= '7' && buf[2] == '>')
		tpass("the log starts with a <level> prefix: %.3s", buf);
	else if (n > 0)
		tfail("the log does not start with <level>: %.10s", buf);

	/* Only whole records are returned: none of the log's lines fits in 8 bytes. */
	long small = syscall(SYS_syslog, SYSLOG_ACTION_READ_ALL, buf, 8);
	EXPECT_RET("syslog(READ_ALL, buf, 8), too small for any whole line", small, 0);
	if (n > 0 && buf[n - 1] == '\n')
		tpass("syslog(READ_ALL) ends with a whole line");
	else if (n > 0)
		tfail("syslog(READ_ALL) ends inside a line");

	EXPECT_ERRNO("syslog(READ_ALL, NULL, 16)", syscall(SYS_syslog, SYSLOG_ACTION_READ_ALL, NULL, 16), EINVAL);
	EXPECT_ERRNO("syslog(READ_ALL, buf, -1)", syscall(SYS_syslog, SYSLOG_ACTION_READ_ALL, buf, -1), EINVAL);
	EXPECT_RET("syslog(READ_ALL, buf, 0)", syscall(SYS_syslog, SYSLOG_ACTION_READ_ALL, buf, 0), 0);
	EXPECT_ERRNO("syslog(CONSOLE_LEVEL, NULL, 0)", syscall(SYS_syslog, SYSLOG_ACTION_CONSOLE_LEVEL, NULL, 0),
		     EINVAL);
	EXPECT_ERRNO("syslog(CONSOLE_LEVEL, NULL, 9)", syscall(SYS_syslog, SYSLOG_ACTION_CONSOLE_LEVEL, NULL, 9),
		     EINVAL);
	EXPECT_ERRNO("syslog(99, NULL, 0)", syscall(SYS_syslog, 99, NULL, 0), EINVAL);
	free(buf);
	return tdone();
}
