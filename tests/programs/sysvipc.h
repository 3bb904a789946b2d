/*
 * What the System V IPC programs share: waiting for a child, and the
 * /proc files that show the objects and their limits.
 */
#ifndef TESTS_SYSVIPC_H
#define TESTS_SYSVIPC_H

#include "common.h"
#include "procparse.h"

#include <stdlib.h>
#include <sys/wait.h>

/* Waits for a child; its exit code, or 128 + the signal that ended it. */
static T_UNUSED int wait_child(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Checks that /proc/sys/kernel/NAME reads `expected`. */
static T_UNUSED void expect_limit(const char *name, const char *expected)
{
	char path[64], buf[128];
	snprintf(path, sizeof path, "/proc/sys/kernel/%s", name);
	proc_mount_if_needed();
	long n = read_file(path, buf, sizeof buf);
	if (n > 0 && strcmp(buf, expected) == 0)
		tpass("%s reads Linux's default", path);
	else
		tfail("%s -> \"%s\" (%ld), expected \"%s\"", path, n > 0 ? buf : "", n, expected);
}

/* Checks that /proc/sysvipc/KIND starts with `header_start` and has a line
 * for the object (its key and id, then `mode` in octal). */
static T_UNUSED void expect_sysvipc_line(const char *kind, const char *header_start, int key, int id, int mode)
{
	static char buf[16384];
	char path[64], want[64];
	snprintf(path, sizeof path, "/proc/sysvipc/%s", kind);
	snprintf(want, sizeof want, "%10d %10d  %4o ", key, id, mode);
	proc_mount_if_needed();
	long n = read_file(path, buf, sizeof buf);
	if (n > 0 && strncmp(buf, header_start, strlen(header_start)) == 0 && strstr(buf, want))
		tpass("%s lists the object: \"%s\"", path, want);
	else
		tfail("%s has no \"%s\" (or its header differs):\n%s", path, want, n > 0 ? buf : "");
}

#endif
