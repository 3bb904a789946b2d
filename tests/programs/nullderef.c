/*
 * Writes through a NULL pointer. The kernel must kill the process with
 * SIGSEGV (Linux logs "nullderef[PID]: segfault at 0 ip ... error 6"); the
 * lines after the store must never appear.
 */
#include "common.h"

int main(void)
{
	printf("nullderef: about to write to NULL\n");
	fflush(stdout);
	volatile int *p = NULL;
	/* Keep the compiler from proving p is NULL and emitting a trap instead. */
	__asm__ volatile("" : "+r"(p));
	*p = 0x2a;
	tfail("nullderef: the write to NULL did not fault");
	return 1;
}
