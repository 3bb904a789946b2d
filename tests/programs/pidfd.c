/*
 * Process descriptors: pidfd_open (close-on-exec, EINVAL for a thread, a
 * bad pid or flags, ESRCH for a reaped process), poll readable once the
 * process exits, pidfd_send_signal (kill's rules; a caller's siginfo must
 * name the signal), pidfd_getfd (a duplicate of another process's
 * descriptor; EBADF, EPERM, ESRCH), fdinfo's Pid line, clone3 with
 * CLONE_PIDFD (EFAULT for a bad place), waitid(P_PIDFD) with a
 * non-blocking pidfd (EAGAIN), clone's CLONE_PARENT, and kcmp's view of
 * the files and memory two processes share.
 */
#include "common.h"
#include "procparse.h"

#include <fcntl.h>
#include <linux/kcmp.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define PIDFD_NONBLOCK O_NONBLOCK

static int pidfd_open(pid_t pid, unsigned flags)
{
	return syscall(SYS_pidfd_open, pid, flags);
}

static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags)
{
	return syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

static int pidfd_getfd(int fd, int target, unsigned flags)
{
	return syscall(SYS_pidfd_getfd, fd, target, flags);
}

static int readable(int fd, int timeout_ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static void *idle_thread(void *arg)
{
	*(volatile pid_t *)arg = (pid_t)syscall(SYS_gettid);
	pause();
	return NULL;
}

static void check_open_and_poll(void)
{
	int ready[2];
	pipe(ready);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		read(ready[0], &c, 1);
		_exit(7);
	}
	int fd = pidfd_open(pid, 0);
	EXPECT_RET("pidfd_open of a child", fd >= 0, 1);
	EXPECT_RET("a pidfd is close-on-exec", fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	EXPECT_RET("it does not poll readable while the process runs", readable(fd, 50), 0);
	char path[64], line[128];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "r");
	int shown = -1;
	while (f && fgets(line, sizeof(line), f))
		sscanf(line, "Pid: %d", &shown);
	if (f)
		fclose(f);
	EXPECT_RET("fdinfo names its pid", shown, pid);
	char buf[8];
	EXPECT_ERRNO("read of a pidfd", read(fd, buf, sizeof(buf)), EINVAL);
	write(ready[1], "x", 1);
	EXPECT_RET("it polls readable once the process exited", readable(fd, 5000), 1);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	EXPECT_RET("waitid(P_PIDFD)", waitid(P_PIDFD, fd, &si, WEXITED), 0);
	EXPECT_RET("reports that child", si.si_pid == pid && si.si_status == 7, 1);
	EXPECT_ERRNO("pidfd_send_signal to a reaped process", pidfd_send_signal(fd, SIGTERM, NULL, 0), ESRCH);
	close(fd);
	EXPECT_ERRNO("pidfd_open of a reaped process", pidfd_open(pid, 0), ESRCH);
	EXPECT_ERRNO("pidfd_open of pid 0", pidfd_open(0, 0), EINVAL);
	EXPECT_ERRNO("pidfd_open with unknown flags", pidfd_open(getpid(), 1), EINVAL);
	volatile pid_t tid = 0;
	pthread_t t;
	pthread_create(&t, NULL, idle_thread, (void *)&tid);
	while (!tid)
		sched_yield();
	/* EINVAL on Linux 6.1; 6.9 and later, which open threads on request, say ENOENT. */
	errno = 0;
	int thread_fd = pidfd_open(tid, 0);
	int refused = thread_fd == -1 && (errno == EINVAL || errno == ENOENT);
	EXPECT_RET("pidfd_open of a thread other than the leader fails", refused, 1);
	close(ready[0]);
	close(ready[1]);
}

static void check_signal_and_getfd(void)
{
	int fd_pipe[2];
	pipe(fd_pipe);
	pid_t pid = fork();
	if (pid == 0) {
		close(fd_pipe[1]);
		pause();
		_exit(0);
	}
	int fd = pidfd_open(pid, PIDFD_NONBLOCK);
	siginfo_t si;
	EXPECT_ERRNO("waitid on a non-blocking pidfd of a running child", waitid(P_PIDFD, fd, &si, WEXITED), EAGAIN);
	int copy = pidfd_getfd(fd, fd_pipe[0], 0);
	EXPECT_RET("pidfd_getfd duplicates the child's descriptor", copy >= 0, 1);
	write(fd_pipe[1], "z", 1);
	char c = 0;
	EXPECT_RET("the duplicate reads what the pipe holds", read(copy, &c, 1) == 1 && c == 'z', 1);
	EXPECT_RET("it is close-on-exec", fcntl(copy, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	EXPECT_RET("kcmp(KCMP_FILE): the duplicate is the child's open file",
		   syscall(SYS_kcmp, getpid(), pid, KCMP_FILE, copy, fd_pipe[0]), 0);
	long order = syscall(SYS_kcmp, getpid(), pid, KCMP_FILE, fd_pipe[1], fd_pipe[0]);
	EXPECT_RET("another file orders as 1 or 2", order == 1 || order == 2, 1);
	EXPECT_RET("and the other way round the other", syscall(SYS_kcmp, pid, getpid(), KCMP_FILE, fd_pipe[0], fd_pipe[1]),
		   3 - order);
	EXPECT_RET("kcmp(KCMP_VM): a fork's child has its own memory", syscall(SYS_kcmp, getpid(), pid, KCMP_VM, 0, 0) != 0,
		   1);
	EXPECT_RET("kcmp(KCMP_FILES) of a process with itself", syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILES, 0, 0),
		   0);
	EXPECT_ERRNO("kcmp of an unknown type", syscall(SYS_kcmp, getpid(), pid, 99, 0, 0), EINVAL);
	EXPECT_ERRNO("kcmp of a closed descriptor", syscall(SYS_kcmp, getpid(), pid, KCMP_FILE, 99, 0), EBADF);
	EXPECT_ERRNO("pidfd_getfd of a descriptor the child lacks", pidfd_getfd(fd, 99, 0), EBADF);
	EXPECT_ERRNO("pidfd_getfd with flags", pidfd_getfd(fd, fd_pipe[0], 1), EINVAL);
	int self = pidfd_open(getpid(), 0);
	int own = pidfd_getfd(self, fd_pipe[1], 0);
	EXPECT_RET("pidfd_getfd of the caller's own descriptor", own >= 0, 1);
	close(own);
	close(self);
	EXPECT_ERRNO("pidfd_getfd on a descriptor that is no pidfd", pidfd_getfd(fd_pipe[1], 0, 0), EBADF);
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR1;
	si.si_code = SI_QUEUE;
	EXPECT_ERRNO("pidfd_send_signal with a siginfo of another signal", pidfd_send_signal(fd, SIGTERM, &si, 0),
		     EINVAL);
	EXPECT_ERRNO("pidfd_send_signal with unknown flags", pidfd_send_signal(fd, SIGTERM, NULL, 0x100), EINVAL);
	EXPECT_ERRNO("pidfd_send_signal on a pipe", pidfd_send_signal(fd_pipe[1], SIGTERM, NULL, 0), EBADF);
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d", pid);
	int procdir = open(dir, O_DIRECTORY | O_RDONLY);
	EXPECT_RET("pidfd_send_signal through a /proc/PID directory", pidfd_send_signal(procdir, 0, NULL, 0), 0);
	close(procdir);
	EXPECT_RET("pidfd_send_signal(SIGTERM)", pidfd_send_signal(fd, SIGTERM, NULL, 0), 0);
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_RET("the child died of it", WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, 1);
	EXPECT_ERRNO("pidfd_getfd of a process that is gone", pidfd_getfd(fd, 0, 0), ESRCH);
	close(copy);
	close(fd);
	close(fd_pipe[0]);
	close(fd_pipe[1]);

	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	fd = pidfd_open(pid, 0);
	int as_nobody = fork();
	if (as_nobody == 0) {
		setresuid(65534, 65534, 65534);
		_exit(pidfd_send_signal(fd, SIGTERM, NULL, 0) == -1 && errno == EPERM &&
				       pidfd_getfd(fd, 0, 0) == -1 && errno == EPERM
			       ? 0
			       : 1);
	}
	waitpid(as_nobody, &status, 0);
	EXPECT_RET("another user may neither signal it nor take its descriptors (EPERM)", status, 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
}

static void check_clone(void)
{
	int pidfd = -1;
	struct clone_args args;
	memset(&args, 0, sizeof(args));
	args.flags = CLONE_PIDFD;
	args.pidfd = (uintptr_t)&pidfd;
	args.exit_signal = SIGCHLD;
	long pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		_exit(3);
	EXPECT_RET("clone3 with CLONE_PIDFD", pid > 0 && pidfd >= 0, 1);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	EXPECT_RET("waitid on its pidfd", waitid(P_PIDFD, pidfd, &si, WEXITED), 0);
	EXPECT_RET("finds the child", si.si_pid == pid && si.si_status == 3, 1);
	close(pidfd);
	args.pidfd = 8;
	EXPECT_ERRNO("clone3 with CLONE_PIDFD at a bad address", syscall(SYS_clone3, &args, sizeof(args)), EFAULT);

	/* CLONE_PARENT: the grandchild is reaped by this process. */
	pid_t middle = fork();
	if (middle == 0) {
		long g = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
		if (g == 0)
			_exit(getppid() == getppid() ? 5 : 6);
		_exit(g > 0 ? 0 : 1);
	}
	int status = -1;
	waitpid(middle, &status, 0);
	EXPECT_RET("clone(CLONE_PARENT) works", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	pid_t got = waitpid(-1, &status, 0);
	EXPECT_RET("the CLONE_PARENT child is this process's child", got > 0 && WEXITSTATUS(status) == 5, 1);
}

int main(void)
{
	proc_mount_if_needed();
	check_open_and_poll();
	check_signal_and_getfd();
	check_clone();
	return tdone();
}
