/*
 * Credentials, resource limits and the smaller process calls: set*id rules
 * for root and for an ordinary user, signal permission by uid, RLIMIT_NOFILE
 * and RLIMIT_NPROC enforced, RLIMIT_FSIZE (short writes, EFBIG and
 * SIGXFSZ), waitid, sched_yield, sysinfo.
 */
#include "common.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>

static int child_status(pid_t pid)
{
	int status = 0;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static int drop_to_user(void)
{
	if (syscall(SYS_setresgid, 1000, 1000, 1000) != 0 || syscall(SYS_setresuid, 1000, 1000, 1000) != 0)
		return 1;
	if (getuid() != 1000 || geteuid() != 1000 || getgid() != 1000)
		return 2;
	uid_t r, e, s;
	if (syscall(SYS_getresuid, &r, &e, &s) != 0 || r != 1000 || e != 1000 || s != 1000)
		return 3;
	if (syscall(SYS_setuid, 0) != -1 || errno != EPERM)
		return 4;
	if (syscall(SYS_setresuid, -1, 0, -1) != -1 || errno != EPERM)
		return 5;
	gid_t g = 5;
	if (syscall(SYS_setgroups, 1, &g) != -1 || errno != EPERM)
		return 6;
	/* The parent runs as root: an ordinary user may not signal it. */
	if (kill(getppid(), 0) != -1 || errno != EPERM)
		return 7;
	/* Its own processes it may. */
	if (kill(getpid(), 0) != 0)
		return 8;
	return 0;
}

/* As root only the length is checked here: the host's name is not touched. */
static int sethostname_rules(void)
{
	char name[70] = "x";
	if (syscall(SYS_sethostname, name, 65) != -1 || errno != EINVAL)
		return 1;
	if (syscall(SYS_setresuid, 1000, 1000, 1000) != 0)
		return 2;
	if (syscall(SYS_sethostname, name, 1) != -1 || errno != EPERM)
		return 3;
	return 0;
}

static int nproc_limit(void)
{
	struct rlimit one = {1, 1};
	if (setrlimit(RLIMIT_NPROC, &one) != 0 || syscall(SYS_setresuid, 1001, 1001, 1001) != 0)
		return 1;
	/* User 1001 owns this process already: no second one. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid > 0) {
		waitpid(pid, NULL, 0);
		return 2;
	}
	return errno == EAGAIN ? 0 : 3;
}

static int raise_hard_limit(void)
{
	struct rlimit l;
	getrlimit(RLIMIT_NOFILE, &l);
	struct rlimit lower = {64, 64};
	if (setrlimit(RLIMIT_NOFILE, &lower) != 0 || syscall(SYS_setresuid, 1000, 1000, 1000) != 0)
		return 1;
	struct rlimit higher = {64, 128};
	if (setrlimit(RLIMIT_NOFILE, &higher) != -1 || errno != EPERM)
		return 2;
	return 0;
}

static void check_credentials(void)
{
	EXPECT_RET("root: setresuid/setresgid to 1000, then the unprivileged rules hold", in_child(drop_to_user), 0);
	EXPECT_RET("RLIMIT_NPROC 1 for an ordinary user: fork -> EAGAIN", in_child(nproc_limit), 0);
	EXPECT_RET("sethostname: EINVAL past 64 bytes, EPERM for an ordinary user", in_child(sethostname_rules), 0);
	EXPECT_RET("an ordinary user cannot raise a hard limit", in_child(raise_hard_limit), 0);
	EXPECT_ERRNO("setuid(-1)", syscall(SYS_setuid, -1), EINVAL);
	int n = (int)syscall(SYS_getgroups, 0, NULL);
	if (n >= 0)
		tpass("getgroups(0, NULL) counts %d groups", n);
	else
		tfail("getgroups(0, NULL) -> %d errno=%d", n, errno);
}

static void check_nofile(void)
{
	struct rlimit old, l;
	getrlimit(RLIMIT_NOFILE, &old);
	l.rlim_cur = 16;
	l.rlim_max = old.rlim_max;
	EXPECT_RET("setrlimit(RLIMIT_NOFILE, 16)", setrlimit(RLIMIT_NOFILE, &l), 0);
	int last = -1, fd;
	while ((fd = dup(0)) >= 0)
		last = fd;
	int dup_errno = errno;
	EXPECT_RET("dup fails with EMFILE once 16 descriptors are open", dup_errno, EMFILE);
	EXPECT_RET("the last descriptor dup gave is 15", last, 15);
	EXPECT_ERRNO("F_DUPFD from 16", fcntl(0, F_DUPFD, 16), EINVAL);
	EXPECT_ERRNO("dup2 to 16", syscall(SYS_dup2, 0, 16), EBADF);
	for (fd = 3; fd <= 15; fd++)
		close(fd);
	setrlimit(RLIMIT_NOFILE, &old);
	struct rlimit bad = {20, 10};
	EXPECT_ERRNO("setrlimit with cur > max", setrlimit(RLIMIT_NOFILE, &bad), EINVAL);
	EXPECT_ERRNO("getrlimit(99)", syscall(SYS_getrlimit, 99, &l), EINVAL);
	struct rlimit got;
	EXPECT_RET("prlimit64(0, RLIMIT_NOFILE) reads the limit", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &got), 0);
	EXPECT_RET("it equals getrlimit's", got.rlim_cur == old.rlim_cur && got.rlim_max == old.rlim_max, 1);
}

static void check_waitid(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(3);
	siginfo_t si = {0};
	EXPECT_RET("waitid(P_PID, WEXITED|WNOWAIT)", waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	EXPECT_RET("si_code CLD_EXITED", si.si_code, CLD_EXITED);
	EXPECT_RET("si_status 3", si.si_status, 3);
	EXPECT_RET("si_pid is the child", si.si_pid, pid);
	EXPECT_RET("si_signo SIGCHLD", si.si_signo, SIGCHLD);
	int status = 0;
	EXPECT_RET("WNOWAIT left the child to reap with wait4", waitpid(pid, &status, 0), pid);
	EXPECT_ERRNO("waitid with no event flags", waitid(P_ALL, 0, &si, 0), EINVAL);
	EXPECT_ERRNO("waitid(P_PID) of a reaped child", waitid(P_PID, pid, &si, WEXITED), ECHILD);

	pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	si.si_pid = 1;
	EXPECT_RET("waitid WNOHANG while the child runs", waitid(P_PID, pid, &si, WEXITED | WNOHANG), 0);
	EXPECT_RET("... leaves si_pid 0", si.si_pid, 0);
	kill(pid, SIGSTOP);
	EXPECT_RET("waitid(WSTOPPED)", waitid(P_PID, pid, &si, WSTOPPED), 0);
	EXPECT_RET("si_code CLD_STOPPED", si.si_code, CLD_STOPPED);
	kill(pid, SIGKILL);
	EXPECT_RET("waitid(WEXITED) after SIGKILL", waitid(P_PID, pid, &si, WEXITED), 0);
	EXPECT_RET("si_code CLD_KILLED, si_status SIGKILL", si.si_code == CLD_KILLED && si.si_status == SIGKILL, 1);
}

static void check_misc(void)
{
	char name[16] = {0};
	EXPECT_RET("prctl(PR_SET_NAME, \"renamed\")", syscall(SYS_prctl, PR_SET_NAME, "renamed", 0, 0, 0), 0);
	syscall(SYS_prctl, PR_GET_NAME, name, 0, 0, 0);
	EXPECT_RET("PR_GET_NAME reads it back", strcmp(name, "renamed"), 0);
	unsigned long mask[4] = {0};
	long n = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
	EXPECT_RET("sched_getaffinity returns a whole number of longs", n > 0 && n % 8 == 0, 1);
	EXPECT_RET("... and a non-empty mask", mask[0] != 0, 1);
	EXPECT_ERRNO("sched_getaffinity with len 4", syscall(SYS_sched_getaffinity, 0, 4, mask), EINVAL);
	EXPECT_RET("sched_setaffinity to the same mask", syscall(SYS_sched_setaffinity, 0, sizeof mask, mask), 0);
	unsigned int header[2] = {0x12345678, 0}, data[6];
	EXPECT_RET("capget(unknown version, NULL) probes", syscall(SYS_capget, header, NULL), 0);
	EXPECT_RET("... and learns the preferred version 3", header[0], 0x20080522);
	header[0] = 0x12345678;
	EXPECT_ERRNO("capget(unknown version, data)", syscall(SYS_capget, header, data), EINVAL);
	EXPECT_RET("sched_yield", syscall(SYS_sched_yield), 0);
	struct sysinfo info;
	EXPECT_RET("sysinfo", sysinfo(&info), 0);
	EXPECT_RET("sysinfo: freeram <= totalram, both non-zero",
		   info.totalram > 0 && info.freeram > 0 && info.freeram <= info.totalram, 1);
	EXPECT_RET("sysinfo: at least this process", info.procs >= 1, 1);
	EXPECT_ERRNO("sysinfo(bad pointer)", syscall(SYS_sysinfo, (void *)1), EFAULT);
}

/* RLIMIT_FSIZE of 8 KiB in a child: SIGXFSZ ignored, then at its default
 * (the child dies of it). */
static void check_fsize(void)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/limits-fsize-%d", getpid());
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit r = {8192, 8192};
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &r);
		static char buf[10000];
		int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		int ok = write(fd, buf, sizeof buf) == 8192;
		ok = ok && write(fd, buf, 1) == -1 && errno == EFBIG;
		ok = ok && write(fd, buf, 0) == 0;
		ok = ok && pwrite(fd, buf, 100, 100) == 100;
		ok = ok && ftruncate(fd, 8193) == -1 && errno == EFBIG;
		ok = ok && ftruncate(fd, 8192) == 0 && ftruncate(fd, 100) == 0;
		ok = ok && truncate(path, 20000) == -1 && errno == EFBIG;
		ok = ok && fallocate(fd, 0, 0, 9000) == -1 && errno == EFBIG;
		signal(SIGXFSZ, SIG_DFL);
		lseek(fd, 8192, SEEK_SET);
		if (write(fd, buf, 1) < 0)
			_exit(3);
		_exit(ok ? 2 : 1);
	}
	int status = child_status(pid);
	unlink(path);
	/* child_status: 100 + the signal that killed the child. */
	EXPECT_RET("RLIMIT_FSIZE: writes cut at the limit, EFBIG past it, then SIGXFSZ kills", status, 100 + SIGXFSZ);
}

int main(void)
{
	check_credentials();
	check_nofile();
	check_fsize();
	check_waitid();
	check_misc();
	return tdone();
}
