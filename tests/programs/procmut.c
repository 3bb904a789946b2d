/*
 * Writes to /proc: every writable file under /proc/sys, and the writable
 * files of this process (comm, oom_score_adj), take a list of awkward
 * payloads (empty, signs, overflowing numbers, hex, several fields, junk
 * after a number, NUL bytes, a page and more of text) at offset 0 and past
 * it, as root. Each write may succeed or fail with an errno; the value
 * read back must still be readable, and the file's first value is
 * restored after each write. Then fork, System V IPC, message queues and
 * the host name must still work. Guest only (it runs as root and changes
 * the kernel's settings): not in tests/run-native.
 *
 *   procmut            prints "procmut: N files, W writes, A accepted" and
 *                      TPASS/TFAIL lines; run as init it mounts /proc.
 */
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char files[128][512];
static int nfiles;

static void find_writable(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)) && nfiles < 128) {
		if (e->d_name[0] == '.')
			continue;
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			find_writable(path);
		else if (S_ISREG(st.st_mode) && (st.st_mode & 0200))
			snprintf(files[nfiles++], sizeof files[0], "%s", path);
	}
	if (d)
		closedir(d);
}

static ssize_t read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

static int write_at(const char *path, const char *data, size_t len, off_t at)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = at ? pwrite(fd, data, len, at) : write(fd, data, len);
	close(fd);
	return n < 0 ? -1 : 0;
}

int main(void)
{
	struct stat st;
	if (stat("/proc/self", &st) != 0) {
		mkdir("/proc", 0555);
		mount("proc", "/proc", "proc", 0, NULL);
	}
	find_writable("/proc/sys");
	snprintf(files[nfiles++], sizeof files[0], "/proc/self/comm");
	snprintf(files[nfiles++], sizeof files[0], "/proc/self/oom_score_adj");
	static char big[70000];
	memset(big, '7', sizeof big);
	static const char *payloads[] = {"", "\n", "0", "1", "-1", "2147483647", "2147483648", "-2147483649",
					 "18446744073709551615", "99999999999999999999999", "0x10", "010",
					 "1 2 3 4 5 6", "  7\n", "5x", "abc", "+3", "1\t2", "-", "4194304",
					 "300", "4194305"};
	int npayloads = sizeof payloads / sizeof payloads[0];
	long writes = 0, accepted = 0, unreadable = 0;
	for (int f = 0; f < nfiles; f++) {
		char original[4096];
		if (read_file(files[f], original, sizeof original) < 0) {
			tfail("%s: cannot read it before writing", files[f]);
			continue;
		}
		for (int p = 0; p < npayloads + 4; p++) {
			const char *data = p < npayloads ? payloads[p] : big;
			size_t len = p < npayloads ? strlen(data) : (size_t[]){4096, 4097, sizeof big, 3}[p - npayloads];
			if (p == npayloads + 3)
				data = "1\0002";
			for (int at = 0; at < 2; at++) {
				writes++;
				accepted += write_at(files[f], data, len, at ? 1 + 4095 * (p % 2) : 0) == 0;
				char back[4096];
				if (read_file(files[f], back, sizeof back) < 0) {
					unreadable++;
					tfail("%s: unreadable after writing payload %d", files[f], p);
				}
				/* Without its newline: comm keeps one, as on Linux. */
				size_t olen = strlen(original);
				write_at(files[f], original, olen && original[olen - 1] == '\n' ? olen - 1 : olen, 0);
			}
		}
		char now[4096];
		read_file(files[f], now, sizeof now);
		/* Taint flags can be set, never cleared, as on Linux; drop_caches
		 * reads back the last value written and refuses 0, its first. */
		if (strcmp(now, original) != 0 && !strstr(files[f], "/tainted") && !strstr(files[f], "/drop_caches"))
			tfail("%s: not restored: \"%.40s\", was \"%.40s\"", files[f], now, original);
	}
	printf("procmut: %d files, %ld writes, %ld accepted\n", nfiles, writes, accepted);
	EXPECT_RET("every file stayed readable", unreadable, 0);

	int children = 0;
	for (int i = 0; i < 200; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid > 0 && waitpid(pid, NULL, 0) == pid)
			children++;
	}
	EXPECT_RET("200 forks after the writes", children, 200);
	int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	EXPECT_RET("shmget still works", shm >= 0, 1);
	shmctl(shm, IPC_RMID, NULL);
	mqd_t q = mq_open("/procmut", O_RDWR | O_CREAT, 0600, NULL);
	EXPECT_RET("mq_open with the default attributes still works", q != (mqd_t)-1, 1);
	mq_close(q);
	mq_unlink("/procmut");
	return tdone();
}
