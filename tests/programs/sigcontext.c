/*
 * A signal handler reads and changes the interrupted registers through its
 * ucontext, and rt_sigreturn puts them back with the FPU state intact:
 * r12 is read, rip is moved past a ud2, r13 is set, and xmm0 (loaded before
 * the fault, clobbered in the handler) comes back unchanged. A handler
 * that returns to a non-canonical rip gets its process killed by SIGSEGV
 * (the return faults; the kernel must survive it).
 */
#include "common.h"

#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

static volatile uint64_t seen_r12, seen_rip;

static void on_sigill(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)sig;
	(void)si;
	seen_r12 = uc->uc_mcontext.gregs[REG_R12];
	seen_rip = uc->uc_mcontext.gregs[REG_RIP];
	uc->uc_mcontext.gregs[REG_RIP] += 2; /* past the ud2 */
	uc->uc_mcontext.gregs[REG_R13] = 0x5678;
	/* Clobber xmm0 here; sigreturn must restore the interrupted value. */
	__asm__ volatile("pcmpeqd %%xmm0, %%xmm0" ::: "xmm0");
}

static void to_noncanonical(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)sig;
	(void)si;
	uc->uc_mcontext.gregs[REG_RIP] = 0x8000000000001000ull;
}

/* The status of a child whose SIGUSR1 handler returns to a non-canonical rip. */
static int noncanonical_return_status(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct sigaction sa = {0};
		sa.sa_sigaction = to_noncanonical;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
		raise(SIGUSR1);
		_exit(0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	return status;
}

int main(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_sigill;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	EXPECT_RET("sigaction(SIGILL)", sigaction(SIGILL, &sa, NULL), 0);

	uint64_t r13_after, xmm_after, ud2_address;
	__asm__ volatile("lea 1f(%%rip), %[addr]\n\t"
			 "mov $0x1234, %%r12\n\t"
			 "xor %%r13, %%r13\n\t"
			 "mov $0x0123456789abcdef, %%rax\n\t"
			 "movq %%rax, %%xmm0\n\t"
			 "1: ud2\n\t"
			 "mov %%r13, %[r13]\n\t"
			 "movq %%xmm0, %[xmm]\n\t"
			 : [r13] "=r"(r13_after), [xmm] "=r"(xmm_after), [addr] "=&r"(ud2_address)
			 :
			 : "rax", "r12", "r13", "xmm0", "memory");
	EXPECT_RET("the handler read r12 from its ucontext", seen_r12, 0x1234);
	EXPECT_RET("the ucontext's rip is the ud2 instruction", seen_rip == ud2_address, 1);
	EXPECT_RET("r13 set in the ucontext is live after rt_sigreturn", r13_after, 0x5678);
	EXPECT_RET("xmm0 survives a handler that clobbered it", xmm_after == 0x0123456789abcdefull, 1);
	int status = noncanonical_return_status();
	EXPECT_RET("returning to a non-canonical rip kills with SIGSEGV",
		   WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, 1);
	return tdone();
}
