/*
 * Processes: fork, vfork, posix_spawn (clone with CLONE_VM|CLONE_VFORK),
 * execve and its errors, wait4 and its status encoding, getppid, process
 * groups and sessions. Run as `process` (or any path): it re-executes itself
 * through argv[0] with a role argument for the exec checks.
 */
#include "common.h"
#include "procparse.h"

#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static volatile int shared_value;

static int exec_child_role(int argc, char **argv)
{
	/* Started through execve: check what the parent passed. */
	const char *marker = getenv("PROCESS_TEST_MARKER");
	if (argc != 3 || strcmp(argv[2], "second") != 0 || !marker || strcmp(marker, "yes") != 0)
		return 1;
	return 42;
}

static int wait_status(pid_t pid, int options, int *status)
{
	return (int)syscall(SYS_wait4, pid, status, options, NULL);
}

static void check_fork_exit_status(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	int status = 0;
	int got = wait_status(pid, 0, &status);
	if (got == pid && WIFEXITED(status) && WEXITSTATUS(status) == 7)
		tpass("fork: child exit(7) reaped by wait4 with status %#x", status);
	else
		tfail("fork: wait4 -> %d status %#x, expected %d and exit status 7", got, status, pid);
}

static void check_fork_copies_memory(void)
{
	shared_value = 1;
	pid_t pid = fork();
	if (pid == 0) {
		shared_value = 2;
		_exit(getppid() == (pid_t)syscall(SYS_getppid) ? 0 : 1);
	}
	int status = 0;
	wait_status(pid, 0, &status);
	if (shared_value == 1)
		tpass("fork: the child's write is not seen by the parent");
	else
		tfail("fork: the parent sees the child's write (%d)", shared_value);
}

static void check_getppid(void)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		_exit(getppid() == parent ? 0 : 1);
	int status = 0;
	wait_status(pid, 0, &status);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		tpass("getppid in the child is the parent's pid %d", parent);
	else
		tfail("getppid in the child differs from the parent's pid (status %#x)", status);
}

static void check_vfork_shares_memory(void)
{
	shared_value = 1;
	pid_t pid = vfork();
	if (pid == 0) {
		shared_value = 5;
		_exit(3);
	}
	int status = 0;
	int got = wait_status(pid, 0, &status);
	if (shared_value == 5)
		tpass("vfork: the child's write is seen by the parent");
	else
		tfail("vfork: the parent does not see the child's write (%d)", shared_value);
	if (got == pid && WIFEXITED(status) && WEXITSTATUS(status) == 3)
		tpass("vfork: child _exit(3) reaped with status %#x", status);
	else
		tfail("vfork: wait4 -> %d status %#x", got, status);
}

static void check_wnohang(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (volatile unsigned long i = 0; i < 300000000ul; i++)
			;
		_exit(9);
	}
	int status = 0;
	EXPECT_RET("wait4(child, WNOHANG) while the child runs", wait_status(pid, WNOHANG, &status), 0);
	int got = wait_status(pid, 0, &status);
	if (got == pid && WIFEXITED(status) && WEXITSTATUS(status) == 9)
		tpass("wait4 blocks until the busy child exits (status %#x)", status);
	else
		tfail("wait4 -> %d status %#x, expected exit status 9", got, status);
}

static void check_wait_any_and_echild(void)
{
	pid_t a = fork();
	if (a == 0)
		_exit(1);
	pid_t b = fork();
	if (b == 0)
		_exit(2);
	int seen = 0, status;
	for (int i = 0; i < 2; i++) {
		int got = wait_status(-1, 0, &status);
		if (got == a && WEXITSTATUS(status) == 1)
			seen |= 1;
		if (got == b && WEXITSTATUS(status) == 2)
			seen |= 2;
	}
	if (seen == 3)
		tpass("wait4(-1) reaps both children with their statuses");
	else
		tfail("wait4(-1) reaped %#x of the two children", seen);
	EXPECT_ERRNO("wait4(-1) with no children left", wait_status(-1, 0, &status), ECHILD);
	EXPECT_ERRNO("wait4(reaped pid)", wait_status(a, 0, &status), ECHILD);
	EXPECT_ERRNO("wait4(-1, bad options)", wait_status(-1, 0x100, &status), EINVAL);
	EXPECT_ERRNO("getpgid(reaped pid)", syscall(SYS_getpgid, a), ESRCH);
}

static void check_killed_by_signal(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		*(volatile int *)0 = 1;
		_exit(0);
	}
	int status = 0;
	wait_status(pid, 0, &status);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
		tpass("a child writing to NULL is reported killed by SIGSEGV (status %#x)", status);
	else
		tfail("child writing to NULL: status %#x, expected WTERMSIG SIGSEGV", status);
}

static void check_execve(const char *self)
{
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = {(char *)self, "exec-child", "second", NULL};
		char *envp[] = {"PROCESS_TEST_MARKER=yes", NULL};
		execve(self, argv, envp);
		_exit(100 + errno);
	}
	int status = 0;
	wait_status(pid, 0, &status);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 42)
		tpass("execve runs the program with the given argv and envp (exit 42)");
	else
		tfail("execve child: status %#x, expected exit status 42", status);

	char *argv[] = {"x", NULL};
	EXPECT_ERRNO("execve(\"/no/such/file\")", syscall(SYS_execve, "/no/such/file", argv, environ), ENOENT);
	EXPECT_ERRNO("execve(\"/\"), a directory", syscall(SYS_execve, "/", argv, environ), EACCES);
	EXPECT_ERRNO("execve(bad path pointer)", syscall(SYS_execve, (char *)1, argv, environ), EFAULT);
	char *bad_argv[] = {"x", (char *)1, NULL};
	EXPECT_ERRNO("execve(argv with a bad pointer)", syscall(SYS_execve, self, bad_argv, environ), EFAULT);
	EXPECT_ERRNO("execve(\"\")", syscall(SYS_execve, "", argv, environ), ENOENT);
}

static void check_posix_spawn(const char *self)
{
	pid_t pid;
	char *argv[] = {(char *)self, "exec-child", "second", NULL};
	char *envp[] = {"PROCESS_TEST_MARKER=yes", NULL};
	int err = posix_spawn(&pid, self, NULL, NULL, argv, envp);
	int status = 0;
	if (err == 0)
		wait_status(pid, 0, &status);
	if (err == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 42)
		tpass("posix_spawn (clone CLONE_VM|CLONE_VFORK) runs the child (exit 42)");
	else
		tfail("posix_spawn -> %d, status %#x", err, status);
	char *nargv[] = {"x", NULL};
	err = posix_spawn(&pid, "/no/such/file", NULL, NULL, nargv, envp);
	if (err == ENOENT)
		tpass("posix_spawn of a missing file -> ENOENT");
	else
		tfail("posix_spawn of a missing file -> %d, expected ENOENT", err);
}

static void check_groups_and_sessions(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		int ok = syscall(SYS_setpgid, 0, 0) == 0 && getpgrp() == getpid() &&
			 syscall(SYS_getpgid, 0) == getpid();
		/* A process-group leader cannot create a session. */
		ok = ok && syscall(SYS_setsid) == -1 && errno == EPERM;
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	wait_status(pid, 0, &status);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		tpass("setpgid(0, 0) makes a group led by the child; then setsid -> EPERM");
	else
		tfail("setpgid/getpgrp/setsid in a child: status %#x", status);

	pid = fork();
	if (pid == 0) {
		pid_t me = getpid();
		int ok = syscall(SYS_setsid) == me && syscall(SYS_getsid, 0) == me && getpgrp() == me;
		_exit(ok ? 0 : 1);
	}
	wait_status(pid, 0, &status);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		tpass("setsid in a child returns its pid and leads a new session and group");
	else
		tfail("setsid in a child: status %#x", status);
	EXPECT_ERRNO("setpgid(0, -1)", syscall(SYS_setpgid, 0, -1), EINVAL);
	EXPECT_ERRNO("setpgid(-1, 0)", syscall(SYS_setpgid, -1, 0), EINVAL);
	EXPECT_ERRNO("getpgid(-1)", syscall(SYS_getpgid, -1), ESRCH);
	EXPECT_ERRNO("getsid(-1)", syscall(SYS_getsid, -1), ESRCH);
	EXPECT_RET("getsid(0) equals getsid(getpid())", syscall(SYS_getsid, 0), syscall(SYS_getsid, getpid()));

	/* A child that has run execve cannot be moved: EACCES (LTP setpgid03). */
	int p[2];
	if (pipe(p) != 0)
		return;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execl("/bin/sh", "sh", "-c", "echo x; exec sleep 5", (char *)NULL);
		execl("/bin/busybox", "sh", "-c", "echo x; exec sleep 5", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char c;
	if (read(p[0], &c, 1) == 1)
		EXPECT_ERRNO("setpgid of a child that ran execve", syscall(SYS_setpgid, pid, pid), EACCES);
	else
		tfail("the child did not run its shell");
	close(p[0]);
	kill(pid, SIGKILL);
	wait_status(pid, 0, &status);
}

/* PR_SET_PDEATHSIG: a grandchild that asked gets its signal when its
 * parent exits; the setting is not inherited over fork. */
static volatile sig_atomic_t pdeath_got;
static void on_pdeath(int sig)
{
	pdeath_got = sig;
}

static void check_pdeath_signal(void)
{
	EXPECT_ERRNO("PR_SET_PDEATHSIG 65", prctl(PR_SET_PDEATHSIG, 65), EINVAL);
	int p[2], r[2];
	if (pipe(p) != 0 || pipe(r) != 0)
		return;
	pid_t mid = fork();
	if (mid == 0) {
		pid_t c = fork();
		if (c == 0) {
			signal(SIGUSR1, on_pdeath);
			prctl(PR_SET_PDEATHSIG, SIGUSR1);
			int inherited = -1;
			pid_t g = fork();
			if (g == 0) {
				prctl(PR_GET_PDEATHSIG, &inherited);
				_exit(inherited == 0 ? 0 : 1);
			}
			int st = 0;
			waitpid(g, &st, 0);
			if (write(p[1], "r", 1) != 1)
				_exit(1);
			for (int i = 0; i < 500 && !pdeath_got; i++)
				usleep(10000);
			char verdict = pdeath_got == SIGUSR1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 'y' : 'n';
			if (write(r[1], &verdict, 1) != 1)
				_exit(1);
			_exit(0);
		}
		char x;
		if (read(p[0], &x, 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	close(r[1]);
	int status = 0;
	waitpid(mid, &status, 0);
	char verdict = 0;
	if (read(r[0], &verdict, 1) != 1)
		verdict = 0;
	close(p[0]);
	close(r[0]);
	EXPECT_RET("PR_SET_PDEATHSIG: SIGUSR1 when the parent exits, not inherited", verdict, 'y');
}

/* A child that never yields must not starve its parent: the parent's ten
 * short sleeps complete (a starved parent would never get here). */
static void check_no_starvation(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			;
	}
	for (int i = 0; i < 10; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_RET("the parent ran ten sleeps beside a spinning child, then killed it",
		   WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, 1);
}

static void check_many_forks(void)
{
	int bad = 0;
	for (int i = 0; i < 200; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(i & 0xff);
		int status = 0;
		if (pid < 0 || wait_status(pid, 0, &status) != pid || WEXITSTATUS(status) != (i & 0xff))
			bad++;
	}
	if (bad == 0)
		tpass("200 fork+exit+wait cycles, each status right");
	else
		tfail("%d of 200 fork+exit+wait cycles went wrong", bad);
}

/* /proc/self/timerslack_ns as a number; -1 without it. */
static long proc_timer_slack(void)
{
	FILE *f = fopen("/proc/self/timerslack_ns", "r");
	long v = -1;
	if (f && fscanf(f, "%ld", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

static int write_timer_slack(const char *text)
{
	FILE *f = fopen("/proc/self/timerslack_ns", "w");
	if (!f)
		return -1;
	int ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* PR_SET_TIMERSLACK and /proc/self/timerslack_ns: the value set is the
 * value read; 0 gives back the default, which a child takes from its
 * creator's slack at fork. */
static void check_timer_slack(void)
{
	proc_mount_if_needed();
	long initial = prctl(PR_GET_TIMERSLACK);
	EXPECT_RET("PR_GET_TIMERSLACK is /proc/self/timerslack_ns", proc_timer_slack(), initial);
	EXPECT_RET("PR_SET_TIMERSLACK 1", prctl(PR_SET_TIMERSLACK, 1), 0);
	EXPECT_RET("PR_GET_TIMERSLACK after it", prctl(PR_GET_TIMERSLACK), 1);
	EXPECT_RET("PR_SET_TIMERSLACK 0 gives back the default", prctl(PR_SET_TIMERSLACK, 0) == 0 && prctl(PR_GET_TIMERSLACK) == initial, 1);
	EXPECT_RET("writing 12345 to /proc/self/timerslack_ns", write_timer_slack("12345\n"), 0);
	EXPECT_RET("PR_GET_TIMERSLACK reads it", prctl(PR_GET_TIMERSLACK), 12345);
	pid_t pid = fork();
	if (pid == 0) {
		long inherited = prctl(PR_GET_TIMERSLACK);
		prctl(PR_SET_TIMERSLACK, 0);
		_exit(inherited == 12345 && prctl(PR_GET_TIMERSLACK) == 12345 ? 0 : 1);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_RET("a child's slack and default are its parent's slack at fork", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	EXPECT_RET("writing 0 to /proc/self/timerslack_ns gives back the default",
		   write_timer_slack("0") == 0 && prctl(PR_GET_TIMERSLACK) == initial, 1);
}

/* PR_SET_CHILD_SUBREAPER: a grandchild whose parent exits becomes this
 * process's child (its getppid changes to us, and waitpid reaps it); the
 * flag is not inherited. */
static void check_child_subreaper(void)
{
	int flag = -1;
	EXPECT_RET("PR_SET_CHILD_SUBREAPER 1", prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	EXPECT_RET("PR_GET_CHILD_SUBREAPER", prctl(PR_GET_CHILD_SUBREAPER, &flag) == 0 && flag == 1, 1);
	pid_t me = getpid();
	int fds[2];
	if (pipe(fds) != 0)
		return;
	pid_t child = fork();
	if (child == 0) {
		int inherited = -1;
		prctl(PR_GET_CHILD_SUBREAPER, &inherited);
		if (fork() == 0) {
			/* The grandchild: reports whether it was reparented to us. */
			char ok = 'n';
			for (int i = 0; i < 2000 && ok == 'n'; i++) {
				if (getppid() == me)
					ok = 'y';
				else
					usleep(1000);
			}
			struct { pid_t pid; char ok; } report = {getpid(), ok};
			write(fds[1], &report, sizeof report);
			_exit(7);
		}
		_exit(inherited == 0 ? 0 : 1);
	}
	close(fds[1]);
	int status = -1;
	waitpid(child, &status, 0);
	EXPECT_RET("a subreaper's child does not inherit the flag", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	struct { pid_t pid; char ok; } report = {0, 0};
	if (read(fds[0], &report, sizeof report) != sizeof report)
		report.ok = 0;
	close(fds[0]);
	EXPECT_RET("the orphaned grandchild's parent is now the subreaper", report.ok, 'y');
	status = -1;
	/* By its pid: as init, this process has other orphans to reap too. */
	pid_t reaped = report.pid > 0 ? waitpid(report.pid, &status, 0) : -1;
	EXPECT_RET("the subreaper reaps it", reaped == report.pid && WIFEXITED(status) && WEXITSTATUS(status) == 7, 1);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* /proc/sys/kernel/ns_last_pid: the next fork gets the pid after it. */
static void check_ns_last_pid(void)
{
	int fd = open("/proc/sys/kernel/ns_last_pid", O_RDWR);
	EXPECT_RET("open ns_last_pid", fd >= 0, 1);
	const char *wanted = "30000";
	EXPECT_RET("write 30000 to it", write(fd, wanted, strlen(wanted)), 5);
	close(fd);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	EXPECT_RET("the next fork's child is pid 30001", pid, 30001);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0)
		return exec_child_role(argc, argv);
	check_fork_exit_status();
	check_fork_copies_memory();
	check_getppid();
	check_vfork_shares_memory();
	check_wnohang();
	check_wait_any_and_echild();
	check_killed_by_signal();
	check_execve(argv[0]);
	check_posix_spawn(argv[0]);
	check_groups_and_sessions();
	check_pdeath_signal();
	check_timer_slack();
	check_child_subreaper();
	check_no_starvation();
	check_many_forks();
	check_ns_last_pid();
	return tdone();
}
