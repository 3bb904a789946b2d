/*
 * personality(2): the persona set and read back (0xffffffff only asks),
 * inherited by fork and shown in /proc/self/personality; STICKY_TIMEOUTS
 * leaves select's timeout as it was; UNAME26 makes uname report a 2.6
 * release; READ_IMPLIES_EXEC makes a readable mapping executable.
 */
#include "common.h"
#include "procparse.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static unsigned long proc_personality(void)
{
	unsigned long v = 0;
	FILE *f = fopen("/proc/self/personality", "r");
	if (!f || fscanf(f, "%lx", &v) != 1)
		v = ~0ul;
	if (f)
		fclose(f);
	return v;
}

static int executable(void *p)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[256];
	unsigned long start, end;
	char rights[5] = "";
	int x = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %4s", &start, &end, rights) == 3 && start <= (unsigned long)p &&
		    (unsigned long)p < end)
			x = rights[2] == 'x';
	if (f)
		fclose(f);
	return x;
}

int main(void)
{
	proc_mount_if_needed();
	unsigned long initial = personality(0xffffffff);
	EXPECT_RET("the initial persona is PER_LINUX", initial, PER_LINUX);
	EXPECT_RET("setting PER_BSD returns the old persona", personality(PER_BSD), PER_LINUX);
	EXPECT_RET("0xffffffff reads it", personality(0xffffffff), PER_BSD);
	EXPECT_RET("/proc/self/personality shows it", proc_personality(), PER_BSD);
	pid_t pid = fork();
	if (pid == 0)
		_exit(personality(0xffffffff) == PER_BSD ? 0 : 1);
	int status = -1;
	waitpid(pid, &status, 0);
	EXPECT_RET("a fork's child inherits it", status, 0);

	/* The raw call: musl's select passes the kernel a copy of the timeout. */
	personality(PER_LINUX | STICKY_TIMEOUTS);
	struct timeval tv = {0, 10};
	EXPECT_RET("select under STICKY_TIMEOUTS", syscall(SYS_select, 0, NULL, NULL, NULL, &tv), 0);
	EXPECT_RET("leaves the timeout alone", tv.tv_usec, 10);
	personality(PER_LINUX);
	tv.tv_usec = 10;
	syscall(SYS_select, 0, NULL, NULL, NULL, &tv);
	EXPECT_RET("without it the time left is written back", tv.tv_usec, 0);

	struct utsname plain, old;
	uname(&plain);
	personality(PER_LINUX | UNAME26);
	uname(&old);
	personality(PER_LINUX);
	char expected[80];
	unsigned major = 0, minor = 0;
	sscanf(plain.release, "%u.%u", &major, &minor);
	snprintf(expected, sizeof(expected), "2.6.%u%s", minor + 60, plain.release + strspn(plain.release, "0123456789."));
	EXPECT_RET("UNAME26 reports 2.6.(60 + minor) with the release's suffix", strcmp(old.release, expected), 0);

	personality(PER_LINUX | READ_IMPLIES_EXEC);
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_RET("READ_IMPLIES_EXEC makes a readable mapping executable", executable(p), 1);
	personality(PER_LINUX);
	void *q = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_RET("without it, it is not", executable(q), 0);
	return tdone();
}
