/*
 * Signals: handlers with siginfo and ucontext, masks and pending sets,
 * SA_RESETHAND, SA_NODEFER, SA_RESTART against EINTR, SA_ONSTACK, SIGCHLD,
 * stop and continue, default actions, fault signals caught and escaped with
 * siglongjmp, timers (setitimer, alarm, nanosleep) and rt_sigtimedwait.
 */
#include "common.h"

#include <fenv.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>

static volatile sig_atomic_t hits;
static volatile int seen_signo, seen_code, seen_pid, seen_blocked_inside, seen_round;
static volatile uintptr_t seen_addr, seen_local;

static void on_info(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	sigset_t now;
	hits++;
	seen_signo = si->si_signo;
	seen_code = si->si_code;
	seen_pid = si->si_pid;
	sigprocmask(SIG_BLOCK, NULL, &now);
	seen_blocked_inside = sigismember(&now, sig);
	seen_round = fegetround();
	(void)uc;
}

static void on_plain(int sig)
{
	int local;
	(void)sig;
	hits++;
	seen_local = (uintptr_t)&local;
}

static int install(int sig, void (*h)(int), int flags)
{
	struct sigaction sa = {0};
	sa.sa_handler = h;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

static void check_handler_and_siginfo(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	EXPECT_RET("sigaction(SIGUSR1, SA_SIGINFO handler)", sigaction(SIGUSR1, &sa, NULL), 0);
	hits = 0;
	fesetround(FE_DOWNWARD);
	EXPECT_RET("kill(getpid(), SIGUSR1)", kill(getpid(), SIGUSR1), 0);
	int round_after = fegetround();
	fesetround(FE_TONEAREST);
	EXPECT_RET("the handler ran once", hits, 1);
	EXPECT_RET("si_signo", seen_signo, SIGUSR1);
	EXPECT_RET("si_code is SI_USER", seen_code, SI_USER);
	EXPECT_RET("si_pid is the sender", seen_pid, getpid());
	EXPECT_RET("the signal is blocked inside its handler", seen_blocked_inside, 1);
	EXPECT_RET("the handler starts with the default rounding mode", seen_round, FE_TONEAREST);
	EXPECT_RET("the interrupted code's rounding mode comes back after the handler", round_after, FE_DOWNWARD);

	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESETHAND;
	sigaction(SIGUSR1, &sa, NULL);
	kill(getpid(), SIGUSR1);
	EXPECT_RET("SA_NODEFER: not blocked inside the handler", seen_blocked_inside, 0);
	struct sigaction now;
	sigaction(SIGUSR1, NULL, &now);
	EXPECT_RET("SA_RESETHAND: back to SIG_DFL after one delivery", now.sa_handler == SIG_DFL, 1);
	EXPECT_RET("  the flags stay (SA_SIGINFO, SA_NODEFER, SA_RESETHAND)",
		   (now.sa_flags & (SA_SIGINFO | SA_NODEFER | SA_RESETHAND)) == (SA_SIGINFO | SA_NODEFER | SA_RESETHAND), 1);
}

static void check_mask_and_pending(void)
{
	install(SIGUSR2, on_plain, 0);
	sigset_t set, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	hits = 0;
	kill(getpid(), SIGUSR2);
	EXPECT_RET("a blocked signal is not delivered", hits, 0);
	sigpending(&pend);
	EXPECT_RET("it is in sigpending's set", sigismember(&pend, SIGUSR2), 1);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	EXPECT_RET("unblocking delivers it at once", hits, 1);
	EXPECT_ERRNO("rt_sigprocmask with sigsetsize 4", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4), EINVAL);
	EXPECT_ERRNO("rt_sigprocmask with a bad how", syscall(SYS_rt_sigprocmask, 7, &set, NULL, 8), EINVAL);
	struct sigaction sa = {0};
	sa.sa_handler = on_plain;
	EXPECT_ERRNO("sigaction(SIGKILL)", syscall(SYS_rt_sigaction, SIGKILL, &sa, NULL, 8), EINVAL);
	EXPECT_ERRNO("sigaction(SIGSTOP)", syscall(SYS_rt_sigaction, SIGSTOP, &sa, NULL, 8), EINVAL);
	EXPECT_ERRNO("sigaction(65)", syscall(SYS_rt_sigaction, 65, NULL, NULL, 8), EINVAL);
	EXPECT_ERRNO("kill(getpid(), 65)", syscall(SYS_kill, getpid(), 65), EINVAL);
	EXPECT_RET("kill(getpid(), 0) probes", syscall(SYS_kill, getpid(), 0), 0);
}

static void check_sigtimedwait(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	kill(getpid(), SIGUSR2);
	siginfo_t si;
	struct timespec ts = {0, 10 * 1000 * 1000};
	EXPECT_RET("sigtimedwait takes the pending SIGUSR2", sigtimedwait(&set, &si, &ts), SIGUSR2);
	EXPECT_RET("its siginfo names the sender", si.si_pid, getpid());
	EXPECT_ERRNO("sigtimedwait with nothing pending times out", sigtimedwait(&set, &si, &ts), EAGAIN);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void check_sigchld(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGCHLD, &sa, NULL);
	hits = 0;
	pid_t pid = fork();
	if (pid == 0)
		_exit(5);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	EXPECT_RET("SIGCHLD arrives when a child exits", hits >= 1, 1);
	EXPECT_RET("its si_code is CLD_EXITED", seen_code, CLD_EXITED);
	EXPECT_RET("its si_pid is the child", seen_pid, pid);
	signal(SIGCHLD, SIG_DFL);
}

static void check_timers_and_eintr(void)
{
	install(SIGALRM, on_plain, 0);
	struct itimerval it = {{0, 0}, {0, 50 * 1000}};
	hits = 0;
	EXPECT_RET("setitimer(ITIMER_REAL, 50 ms)", setitimer(ITIMER_REAL, &it, NULL), 0);
	EXPECT_ERRNO("pause() returns after the SIGALRM handler", pause(), EINTR);
	EXPECT_RET("the SIGALRM handler ran", hits, 1);

	struct timespec a, b, req = {0, 60 * 1000 * 1000};
	clock_gettime(CLOCK_MONOTONIC, &a);
	EXPECT_RET("nanosleep(60 ms)", nanosleep(&req, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	EXPECT_RET("nanosleep slept at least 60 ms", ms >= 60, 1);
	struct timespec bad = {0, 1000000000};
	EXPECT_ERRNO("nanosleep with tv_nsec = 1e9", nanosleep(&bad, NULL), EINVAL);

	/* A read interrupted by a handler without SA_RESTART fails with EINTR. */
	int fds[2];
	pipe(fds);
	setitimer(ITIMER_REAL, &it, NULL);
	char c;
	EXPECT_ERRNO("read interrupted by SIGALRM without SA_RESTART", read(fds[0], &c, 1), EINTR);
	/* With SA_RESTART it resumes and gets the byte a child writes later. */
	install(SIGALRM, on_plain, SA_RESTART);
	hits = 0;
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec wait = {0, 200 * 1000 * 1000};
		nanosleep(&wait, NULL);
		write(fds[1], "r", 1);
		_exit(0);
	}
	setitimer(ITIMER_REAL, &it, NULL);
	c = 0;
	long n = read(fds[0], &c, 1);
	if (n == 1 && c == 'r' && hits == 1)
		tpass("SA_RESTART: the read resumed after the handler and got the byte");
	else
		tfail("SA_RESTART read -> %ld '%c', handler ran %d times", n, c, (int)hits);
	waitpid(pid, NULL, 0);
	close(fds[0]);
	close(fds[1]);
	/* pause and sigsuspend end after a handler even with SA_RESTART. A
	 * second alarm ends a wrongly restarted call (hits would be 2). */
	struct itimerval again = {{0, 100 * 1000}, {0, 50 * 1000}}, off = {{0, 0}, {0, 0}};
	hits = 0;
	setitimer(ITIMER_REAL, &again, NULL);
	EXPECT_ERRNO("pause() after an SA_RESTART handler", pause(), EINTR);
	setitimer(ITIMER_REAL, &off, NULL);
	EXPECT_RET("pause() returned after the first SIGALRM", hits, 1);
	sigset_t none;
	sigemptyset(&none);
	hits = 0;
	setitimer(ITIMER_REAL, &again, NULL);
	EXPECT_ERRNO("sigsuspend() after an SA_RESTART handler", sigsuspend(&none), EINTR);
	setitimer(ITIMER_REAL, &off, NULL);
	EXPECT_RET("sigsuspend() returned after the first SIGALRM", hits, 1);
	EXPECT_RET("alarm(5) with no alarm set returns 0", alarm(5), 0);
	EXPECT_RET("alarm(0) returns the 5 s left", alarm(0), 5);
	signal(SIGALRM, SIG_DFL);
}

static void check_default_actions(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGTERM);
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_RET("SIGTERM's default action ends the child", WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, 1);

	pid = fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_IGN);
		kill(getpid(), SIGTERM);
		_exit(3);
	}
	waitpid(pid, &status, 0);
	EXPECT_RET("an ignored SIGTERM leaves the child running", WIFEXITED(status) && WEXITSTATUS(status) == 3, 1);

	pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGSTOP);
	waitpid(pid, &status, WUNTRACED);
	EXPECT_RET("WUNTRACED reports the SIGSTOP", WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP, 1);
	kill(pid, SIGCONT);
	waitpid(pid, &status, WCONTINUED);
	EXPECT_RET("WCONTINUED reports the SIGCONT", WIFCONTINUED(status), 1);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	EXPECT_RET("SIGKILL ends it", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, 1);
	EXPECT_ERRNO("kill of the reaped pid", kill(pid, SIGKILL), ESRCH);
}

static sigjmp_buf escape;
/* Through a volatile variable so the compiler cannot see the bad address. */
static volatile uintptr_t fault_address = 16;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	seen_code = si->si_code;
	seen_addr = (uintptr_t)si->si_addr;
	siglongjmp(escape, 1);
}

static void check_fault_handler(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	if (sigsetjmp(escape, 1) == 0) {
		*(volatile int *)fault_address = 1;
		tfail("the write to address 16 did not fault");
	} else {
		EXPECT_RET("SIGSEGV handler: si_addr is the faulting address", seen_addr, 16);
		EXPECT_RET("SIGSEGV handler: si_code is SEGV_MAPERR", seen_code, SEGV_MAPERR);
	}
	signal(SIGSEGV, SIG_DFL);
}

static void check_altstack(void)
{
	static char altstack[65536];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
	EXPECT_RET("sigaltstack", sigaltstack(&ss, NULL), 0);
	stack_t tiny = {.ss_sp = altstack, .ss_size = 1024, .ss_flags = 0};
	EXPECT_ERRNO("sigaltstack smaller than MINSIGSTKSZ", sigaltstack(&tiny, NULL), ENOMEM);
	install(SIGUSR1, on_plain, SA_ONSTACK);
	seen_local = 0;
	kill(getpid(), SIGUSR1);
	int on = seen_local >= (uintptr_t)altstack && seen_local < (uintptr_t)altstack + sizeof altstack;
	EXPECT_RET("SA_ONSTACK: the handler runs on the alternate stack", on, 1);
	stack_t off = {.ss_flags = SS_DISABLE};
	sigaltstack(&off, NULL);
	signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
	check_handler_and_siginfo();
	check_mask_and_pending();
	check_sigtimedwait();
	check_sigchld();
	check_timers_and_eintr();
	check_default_actions();
	check_fault_handler();
	check_altstack();
	return tdone();
}
