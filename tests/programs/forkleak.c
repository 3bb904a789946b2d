/*
 * 1,000 fork+exit+wait cycles, printing the free memory (sysinfo) before
 * and after so that the harness can check nothing leaked. Prints:
 *   forkleak: free before N after N total N
 */
#include "common.h"

#include <stdlib.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>

static unsigned long free_bytes(unsigned long *total)
{
	struct sysinfo s;
	sysinfo(&s);
	*total = s.totalram * s.mem_unit;
	return s.freeram * s.mem_unit;
}

int main(void)
{
	unsigned long total;
	/* One cycle first, so lazily made kernel structures exist before counting. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	unsigned long before = free_bytes(&total);
	int bad = 0;
	for (int i = 0; i < 1000; i++) {
		pid = fork();
		if (pid == 0)
			_exit(i & 0x7f);
		int status = 0;
		if (pid < 0 || waitpid(pid, &status, 0) != pid || WEXITSTATUS(status) != (i & 0x7f))
			bad++;
	}
	unsigned long after = free_bytes(&total);
	printf("forkleak: free before %lu after %lu total %lu\n", before, after, total);
	if (bad == 0)
		tpass("1000 fork+exit+wait cycles, every status right");
	else
		tfail("%d of 1000 cycles went wrong", bad);
	return tdone();
}
