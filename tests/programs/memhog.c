/*
 * Memory pressure: maps and touches 1 MiB at a time until the kernel says
 * no (mmap fails with ENOMEM) or kills the process. Prints its progress.
 * Not a conformance program: on a large host it would take all its memory.
 */
#include "common.h"

#include <sys/mman.h>

int main(void)
{
	long mib = 0;
	for (;;) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			printf("memhog: mmap failed with %s after %ld MiB\n", errno_name(errno), mib);
			return 0;
		}
		for (int i = 0; i < (1 << 20); i += 4096)
			p[i] = 1;
		mib++;
		if (mib % 64 == 0) {
			printf("memhog: %ld MiB\n", mib);
			fflush(stdout);
		}
	}
}
