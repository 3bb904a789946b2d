/* kestrel's vDSO: clock_gettime, gettimeofday, time and getcpu without
 * entering the kernel, as Linux's vDSO offers them (same symbols, version
 * LINUX_2.6). The kernel keeps the clock's parameters in the vvar page,
 * mapped read-only one page below this object; a sequence count, odd
 * while the kernel rewrites them, lets a reader retry a torn read. What
 * the vDSO cannot answer (other clocks, bad pointers are the caller's)
 * goes to the system call. Built with -nostdlib: no libc, no relocations.
 */

typedef unsigned long u64;
typedef long s64;
typedef unsigned int u32;

/* Shared with the kernel (kernel/src/mm/vdso.rs, `VvarData`). */
struct vvar_data {
	u32 seq;
	u32 flags;
	u64 boot_tsc;
	u64 mult;
	u32 shift;
	u32 pad;
	s64 realtime_offset_ns;
};

#define VVAR_RDTSCP 1u

extern const struct vvar_data vvar_page __attribute__((visibility("hidden")));

struct kernel_timespec {
	s64 tv_sec;
	s64 tv_nsec;
};
struct kernel_timeval {
	s64 tv_sec;
	s64 tv_usec;
};
struct kernel_timezone {
	int tz_minuteswest;
	int tz_dsttime;
};

#define NSEC_PER_SEC 1000000000L
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define SYS_gettimeofday 96
#define SYS_time 201
#define SYS_clock_gettime 228
#define SYS_clock_getres 229
#define SYS_getcpu 309

static inline long syscall3(long n, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

static inline u64 rdtsc_ordered(void)
{
	u32 lo, hi;
	/* lfence: the TSC is read after the sequence count. */
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return (u64)hi << 32 | lo;
}

/* Nanoseconds since boot and the realtime offset, as the kernel computes
 * them (time/mod.rs: the TSC's ticks since boot, times mult, shifted). */
static void read_clock(s64 *uptime, s64 *offset)
{
	const struct vvar_data *v = &vvar_page;
	u32 seq;
	do {
		seq = __atomic_load_n(&v->seq, __ATOMIC_ACQUIRE);
		u64 tsc = rdtsc_ordered();
		u64 boot = v->boot_tsc;
		u64 delta = tsc > boot ? tsc - boot : 0;
		*uptime = (s64)(u64)(((unsigned __int128)delta * v->mult) >> v->shift);
		*offset = v->realtime_offset_ns;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((seq & 1) || seq != __atomic_load_n(&v->seq, __ATOMIC_RELAXED));
}

static void to_timespec(s64 ns, struct kernel_timespec *ts)
{
	s64 sec = ns / NSEC_PER_SEC, rem = ns % NSEC_PER_SEC;
	if (rem < 0) {
		rem += NSEC_PER_SEC;
		sec -= 1;
	}
	ts->tv_sec = sec;
	ts->tv_nsec = rem;
}

/* The exported functions call each other through this one, so that no
 * call goes through a PLT (the vDSO has no relocations). */
static int read_time(int clock, struct kernel_timespec *ts)
{
	s64 uptime, offset;
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		read_clock(&uptime, &offset);
		to_timespec(uptime + offset, ts);
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		read_clock(&uptime, &offset);
		to_timespec(uptime, ts);
		return 0;
	default:
		return (int)syscall3(SYS_clock_gettime, clock, (long)ts, 0);
	}
}

int __vdso_clock_gettime(int clock, struct kernel_timespec *ts)
{
	return read_time(clock, ts);
}

int __vdso_gettimeofday(struct kernel_timeval *tv, struct kernel_timezone *tz)
{
	if (tv) {
		struct kernel_timespec ts;
		read_time(CLOCK_REALTIME, &ts);
		tv->tv_sec = ts.tv_sec;
		tv->tv_usec = ts.tv_nsec / 1000;
	}
	if (tz) {
		/* The kernel's timezone: UTC, no DST. */
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}

s64 __vdso_time(s64 *t)
{
	struct kernel_timespec ts;
	read_time(CLOCK_REALTIME, &ts);
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}

int __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
	if (!(vvar_page.flags & VVAR_RDTSCP))
		return (int)syscall3(SYS_getcpu, (long)cpu, (long)node, (long)cache);
	u32 lo, hi, aux;
	/* TSC_AUX holds node << 12 | cpu, as on Linux. */
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	(void)lo;
	(void)hi;
	if (cpu)
		*cpu = aux & 0xfff;
	if (node)
		*node = aux >> 12;
	return 0;
}

int __vdso_clock_getres(int clock, struct kernel_timespec *res)
{
	return (int)syscall3(SYS_clock_getres, clock, (long)res, 0);
}

int clock_gettime(int, struct kernel_timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct kernel_timeval *, struct kernel_timezone *)
	__attribute__((weak, alias("__vdso_gettimeofday")));
s64 time(s64 *) __attribute__((weak, alias("__vdso_time")));
int getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
int clock_getres(int, struct kernel_timespec *) __attribute__((weak, alias("__vdso_clock_getres")));
