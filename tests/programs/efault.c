/*
 * EFAULT conformance: system calls given user pointers that point into the
 * kernel half, past the end of user space, or at unmapped memory must fail
 * with EFAULT, and must neither crash the kernel nor kill the process.
 * Everything goes through syscall(2) so that musl cannot check or mend the
 * arguments first.
 */
#include "common.h"

#include <asm/prctl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>

#define KERNEL_TEXT ((void *)0xffffffff80000000ul)	/* the kernel image */
#define KERNEL_HALF ((void *)0xffff800000000000ul)	/* first kernel-half address */
#define NONCANONICAL ((void *)0x0000800000000000ul)	/* first non-canonical address */

/*
 * Writes to /dev/null never read the buffer, so a write of unmapped user
 * memory succeeds there; stdout is the console under the kernel under test.
 */
static int stdout_is_dev_null(void)
{
	struct stat st;
	if (syscall(SYS_fstat, 1, &st) != 0)
		return 0;
	return S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3;
}

int main(void)
{
	static char buf[64] = "efault: this line must not appear\n";

	EXPECT_ERRNO("write(1, 0xffffffff80000000, 16)", syscall(SYS_write, 1, KERNEL_TEXT, 16),
		     EFAULT);
	EXPECT_ERRNO("write(1, 0xffff800000000000, 16)", syscall(SYS_write, 1, KERNEL_HALF, 16),
		     EFAULT);
	EXPECT_ERRNO("write(1, 0x800000000000, 16)", syscall(SYS_write, 1, NONCANONICAL, 16),
		     EFAULT);
	/* Starts in user space and runs past its end. */
	EXPECT_ERRNO("write(1, 0x7fffffffe000, 0x2000)",
		     syscall(SYS_write, 1, (void *)0x7fffffffe000ul, 0x2000), EFAULT);
	/* A length that wraps around the address space. */
	EXPECT_ERRNO("write(1, buf, SIZE_MAX)", syscall(SYS_write, 1, buf, SIZE_MAX), EFAULT);

	/* A page that was mapped and is not any more, and the unmapped page 0. */
	char *page = (char *)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		tfail("mmap of one anonymous page failed: errno=%d %s", errno, errno_name(errno));
	} else {
		memcpy(page, buf, sizeof(buf));
		if (syscall(SYS_munmap, page, 4096) != 0) {
			tfail("munmap of one page failed: errno=%d %s", errno, errno_name(errno));
		} else if (stdout_is_dev_null()) {
			tconf("stdout is /dev/null, which never reads the buffer: "
			      "skipping writes of unmapped pages");
		} else {
			EXPECT_ERRNO("write(1, just-unmapped page, 16)",
				     syscall(SYS_write, 1, page + 8, 16), EFAULT);
			EXPECT_ERRNO("write(1, NULL, 16)", syscall(SYS_write, 1, NULL, 16), EFAULT);
		}
	}

	/* writev: a bad buffer inside a good iovec array, and a bad array. */
	struct iovec iov[2] = {
		{ .iov_base = buf, .iov_len = 4 },
		{ .iov_base = KERNEL_TEXT, .iov_len = 16 },
	};
	EXPECT_ERRNO("writev(1, {buf, 0xffffffff80000000}, 2)", syscall(SYS_writev, 1, iov, 2),
		     EFAULT);
	EXPECT_ERRNO("writev(1, iov=0xffffffff80000000, 1)", syscall(SYS_writev, 1, KERNEL_TEXT, 1),
		     EFAULT);
	EXPECT_ERRNO("writev(1, iov=NULL, 1)", syscall(SYS_writev, 1, NULL, 1), EFAULT);

	/* Output structures. */
	EXPECT_ERRNO("clock_gettime(CLOCK_MONOTONIC, 0xffffffff80000000)",
		     syscall(SYS_clock_gettime, CLOCK_MONOTONIC, KERNEL_TEXT), EFAULT);
	EXPECT_ERRNO("clock_gettime(CLOCK_REALTIME, NULL)",
		     syscall(SYS_clock_gettime, CLOCK_REALTIME, NULL), EFAULT);
	EXPECT_ERRNO("uname(0xffffffff80000000)", syscall(SYS_uname, KERNEL_TEXT), EFAULT);
	EXPECT_ERRNO("uname(0xffff800000000000)", syscall(SYS_uname, KERNEL_HALF), EFAULT);
	EXPECT_ERRNO("arch_prctl(ARCH_GET_FS, 0xffffffff80000000)",
		     syscall(SYS_arch_prctl, ARCH_GET_FS, KERNEL_TEXT), EFAULT);

	/* The process survived all of the above and can still make calls. */
	EXPECT_RET("write(1, buf, 0) after the faults", syscall(SYS_write, 1, buf, 0), 0);

	return tdone();
}
