/*
 * /proc/self as Linux shows it: stat (all 52 fields), status and statm
 * checked against getpid, getppid, getpgrp, getsid, times and each other;
 * maps checked against known mappings (the program's code, its stack, its
 * heap, an anonymous area split by mprotect, a file mapping at an offset);
 * cmdline, environ, auxv, exe, cwd, root; fd/ and fdinfo/ (files, pipes
 * reopened through their link, closed and deleted files); a zombie's and
 * a reaped child's directory.
 */
#include "procparse.h"

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static char buf[1 << 16], buf2[1 << 16], buf3[1 << 16];
static struct map maps[512];

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Uptime in clock ticks (USER_HZ, 100 per second). */
static long long uptime_ticks(void)
{
	if (read_file("/proc/uptime", buf3, sizeof(buf3)) < 0)
		return -1;
	long sec = 0, hundredths = 0;
	sscanf(buf3, "%ld.%ld", &sec, &hundredths);
	return (long long)sec * 100 + hundredths;
}

static void check_stat(char **argv)
{
	struct pstat s;
	if (read_file("/proc/self/stat", buf, sizeof(buf)) < 0) {
		tfail("read /proc/self/stat: %s", errno_name(errno));
		return;
	}
	int n = parse_stat(buf, &s);
	EXPECT_RET("stat: number of fields", n, STAT_FIELDS);
	EXPECT_RET("stat: pid (1)", s.f[1], getpid());
	char comm[16];
	snprintf(comm, sizeof(comm), "%s", base_name(argv[0]));
	if (strcmp(s.comm, comm) == 0)
		tpass("stat: comm (2) is (%s)", comm);
	else
		tfail("stat: comm (2) is (%s), expected (%s)", s.comm, comm);
	EXPECT_RET("stat: state (3) is R", s.state, 'R');
	EXPECT_RET("stat: ppid (4)", s.f[4], getppid());
	EXPECT_RET("stat: pgrp (5)", s.f[5], getpgrp());
	EXPECT_RET("stat: session (6)", s.f[6], getsid(0));
	EXPECT_RET("stat: priority (18)", s.f[18], 20);
	EXPECT_RET("stat: nice (19)", s.f[19], 0);
	EXPECT_RET("stat: num_threads (20)", s.f[20], 1);
	EXPECT_RET("stat: exit_signal (38) is SIGCHLD", s.f[38], SIGCHLD);
	EXPECT_RET("stat: exit_code (52)", s.f[52], 0);
	long long up = uptime_ticks();
	if (s.f[22] > 0 && s.f[22] <= up + 1 && up - s.f[22] < 60 * 100)
		tpass("stat: starttime (22) %lld within a minute before uptime %lld", s.f[22], up);
	else
		tfail("stat: starttime (22) %lld, uptime %lld ticks", s.f[22], up);
	unsigned long code = (unsigned long)&check_stat;
	if ((unsigned long long)s.f[26] <= code && code < (unsigned long long)s.f[27])
		tpass("stat: startcode (26) <= this function < endcode (27)");
	else
		tfail("stat: code %#lx not in [%#llx, %#llx)", code, s.f[26], s.f[27]);
	int local = 0;
	if ((unsigned long long)s.f[28] > (unsigned long)&local)
		tpass("stat: startstack (28) above a local variable");
	else
		tfail("stat: startstack %#llx, local at %p", s.f[28], (void *)&local);
	unsigned long arg0 = (unsigned long)argv[0];
	if ((unsigned long long)s.f[48] <= arg0 && arg0 < (unsigned long long)s.f[49])
		tpass("stat: arg_start (48) <= argv[0] < arg_end (49)");
	else
		tfail("stat: argv[0] %#lx not in [%#llx, %#llx)", arg0, s.f[48], s.f[49]);
	if (environ[0]) {
		unsigned long env0 = (unsigned long)environ[0];
		if ((unsigned long long)s.f[50] <= env0 && env0 < (unsigned long long)s.f[51])
			tpass("stat: env_start (50) <= environ[0] < env_end (51)");
		else
			tfail("stat: environ[0] %#lx not in [%#llx, %#llx)", env0, s.f[50], s.f[51]);
	}
	unsigned long brk_now = (unsigned long)sbrk(0);
	if ((unsigned long long)s.f[47] <= brk_now && s.f[45] <= s.f[46])
		tpass("stat: start_brk (47) <= sbrk(0), start_data (45) <= end_data (46)");
	else
		tfail("stat: start_brk %#llx, sbrk(0) %#lx, data [%#llx, %#llx]", s.f[47], brk_now, s.f[45], s.f[46]);

	/* CPU time: spin for 30 ticks, mostly in user mode (a loop of bare
	 * times() calls spends its ticks in the kernel, and a sampled utime
	 * can stay 0), then compare with times(). */
	struct tms t0, t1;
	times(&t0);
	do {
		for (volatile int i = 0; i < 100000; i++)
			;
		times(&t1);
	} while (t1.tms_utime + t1.tms_stime < t0.tms_utime + t0.tms_stime + 30);
	read_file("/proc/self/stat", buf, sizeof(buf));
	parse_stat(buf, &s);
	long long cpu = s.f[14] + s.f[15];
	long long want = t1.tms_utime + t1.tms_stime;
	if (cpu >= want - 3 && cpu <= want + 3 && s.f[14] > 0)
		tpass("stat: utime+stime (14, 15) = %lld ticks, times() says %lld", cpu, want);
	else
		tfail("stat: utime %lld stime %lld, times() says %lld", s.f[14], s.f[15], want);
}

static void check_status_and_statm(void)
{
	struct pstat s;
	read_file("/proc/self/stat", buf, sizeof(buf));
	read_file("/proc/self/status", buf2, sizeof(buf2));
	read_file("/proc/self/statm", buf3, sizeof(buf3));
	parse_stat(buf, &s);
	char v[256];
	status_value(buf2, "Name", v, sizeof(v));
	if (strcmp(v, s.comm) == 0)
		tpass("status: Name is stat's comm (%s)", v);
	else
		tfail("status: Name %s, stat comm %s", v, s.comm);
	status_value(buf2, "State", v, sizeof(v));
	if (strcmp(v, "R (running)") == 0)
		tpass("status: State is R (running)");
	else
		tfail("status: State is %s", v);
	EXPECT_RET("status: Tgid", status_number(buf2, "Tgid"), getpid());
	EXPECT_RET("status: Pid", status_number(buf2, "Pid"), syscall(SYS_gettid));
	EXPECT_RET("status: PPid", status_number(buf2, "PPid"), getppid());
	EXPECT_RET("status: TracerPid", status_number(buf2, "TracerPid"), 0);
	EXPECT_RET("status: Threads", status_number(buf2, "Threads"), 1);
	unsigned ids[4];
	status_value(buf2, "Uid", v, sizeof(v));
	int k = sscanf(v, "%u\t%u\t%u\t%u", &ids[0], &ids[1], &ids[2], &ids[3]);
	if (k == 4 && ids[0] == getuid() && ids[1] == geteuid() && ids[3] == geteuid())
		tpass("status: Uid has real, effective, saved and fs uids");
	else
		tfail("status: Uid line \"%s\"", v);
	status_value(buf2, "Gid", v, sizeof(v));
	k = sscanf(v, "%u\t%u\t%u\t%u", &ids[0], &ids[1], &ids[2], &ids[3]);
	if (k == 4 && ids[0] == getgid() && ids[1] == getegid())
		tpass("status: Gid has four ids");
	else
		tfail("status: Gid line \"%s\"", v);
	long long vmsize = status_number(buf2, "VmSize"), vmrss = status_number(buf2, "VmRSS");
	long long vmpeak = status_number(buf2, "VmPeak");
	EXPECT_RET("status: VmSize is stat's vsize (23) in kB", vmsize, s.f[23] / 1024);
	/* Linux batches its RSS counters per CPU: allow 64 pages apart. */
	if (llabs(vmrss - s.f[24] * 4) <= 256)
		tpass("status: VmRSS %lld kB is stat's rss (24) %lld pages", vmrss, s.f[24]);
	else
		tfail("status: VmRSS %lld kB, stat's rss (24) %lld pages", vmrss, s.f[24]);
	if (vmpeak >= vmsize && status_number(buf2, "VmStk") > 0 && status_number(buf2, "VmExe") > 0 &&
	    status_number(buf2, "VmData") >= 0)
		tpass("status: VmPeak >= VmSize; VmStk, VmExe, VmData present");
	else
		tfail("status: VmPeak %lld VmSize %lld VmStk %lld VmExe %lld", vmpeak, vmsize,
		      status_number(buf2, "VmStk"), status_number(buf2, "VmExe"));
	long long rss_parts = status_number(buf2, "RssAnon") + status_number(buf2, "RssFile") +
			      status_number(buf2, "RssShmem");
	EXPECT_RET("status: RssAnon + RssFile + RssShmem = VmRSS", rss_parts, vmrss);
	long sm[7];
	k = sscanf(buf3, "%ld %ld %ld %ld %ld %ld %ld", &sm[0], &sm[1], &sm[2], &sm[3], &sm[4], &sm[5], &sm[6]);
	EXPECT_RET("statm: seven fields", k, 7);
	EXPECT_RET("statm: size is VmSize in pages", sm[0], vmsize / 4);
	EXPECT_RET("statm: resident is VmRSS in pages", sm[1], vmrss / 4);
	static const char *const keys[] = {"Umask", "FDSize", "Groups", "SigQ", "SigPnd", "ShdPnd", "SigBlk",
					   "SigIgn", "SigCgt", "CapEff", "Cpus_allowed", "voluntary_ctxt_switches",
					   "nonvoluntary_ctxt_switches"};
	int missing = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!status_value(buf2, keys[i], v, sizeof(v))) {
			tfail("status: no %s line", keys[i]);
			missing++;
		}
	if (!missing)
		tpass("status: Umask, FDSize, Groups, SigQ, Sig*, CapEff, Cpus_allowed, ctxt_switches lines");

	/* Touching 8 MiB grows VmRSS and rss by at least that much. */
	size_t len = 8 << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	read_file("/proc/self/status", buf2, sizeof(buf2));
	long long size_mapped = status_number(buf2, "VmSize"), rss_mapped = status_number(buf2, "VmRSS");
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	read_file("/proc/self/status", buf2, sizeof(buf2));
	long long rss_touched = status_number(buf2, "VmRSS");
	if (size_mapped - vmsize >= 8192 && rss_mapped - vmrss < 1024)
		tpass("status: an 8 MiB mmap adds 8 MiB to VmSize, not to VmRSS");
	else
		tfail("status: VmSize %lld -> %lld, VmRSS %lld -> %lld after mmap", vmsize, size_mapped, vmrss,
		      rss_mapped);
	if (rss_touched - rss_mapped >= 8192)
		tpass("status: touching it adds %lld kB to VmRSS", rss_touched - rss_mapped);
	else
		tfail("status: VmRSS %lld -> %lld kB after touching 8 MiB", rss_mapped, rss_touched);
	munmap(p, len);

	/* Voluntary context switches count sleeps (a sleep whose time has
	 * passed before it blocks, on a loaded host, does not switch). */
	read_file("/proc/self/status", buf2, sizeof(buf2));
	long long before = status_number(buf2, "voluntary_ctxt_switches");
	for (int i = 0; i < 3; i++)
		usleep(10000);
	read_file("/proc/self/status", buf2, sizeof(buf2));
	long long after = status_number(buf2, "voluntary_ctxt_switches");
	if (after > before)
		tpass("status: voluntary_ctxt_switches counts sleeps (%lld -> %lld after 3)", before, after);
	else
		tfail("status: voluntary_ctxt_switches %lld -> %lld after 3 sleeps", before, after);
}

static void check_maps(void)
{
	long page = 4096;
	/* Five pages with the middle three readable: three areas. */
	char *area = mmap(NULL, 5 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(area + page, 3 * page, PROT_READ);
	/* A file mapping at an offset. */
	char path[PATH_MAX], real[PATH_MAX], exe[PATH_MAX];
	snprintf(path, sizeof(path), "%s/procself-map-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	static char zeros[3 * 4096];
	write(fd, zeros, sizeof(zeros));
	char *fmap = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, fd, page);
	struct stat fst, est;
	fstat(fd, &fst);
	realpath(path, real);
	/* The heap: 16 pages past the break (musl's sbrk only reads it). */
	char *heap = (char *)syscall(SYS_brk, 0);
	if ((char *)syscall(SYS_brk, heap + 16 * page) == heap + 16 * page)
		memset(heap, 1, 16 * page);
	int local = 1;
	/* Shared anonymous memory: Linux's unnamed shmem object. */
	char *shm = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	long len = read_file("/proc/self/maps", buf, sizeof(buf));
	int n = parse_maps(buf, maps, 512);
	if (len > 0 && n > 0)
		tpass("maps: %d areas, every line in Linux's format", n);
	else
		tfail("maps: parse failed at line %d", -n);
	int ordered = 1;
	for (int i = 1; i < n; i++)
		if (maps[i].start < maps[i - 1].end || maps[i].start >= maps[i].end)
			ordered = 0;
	if (ordered)
		tpass("maps: areas sorted and disjoint");
	else
		tfail("maps: areas out of order or overlapping");

	long elen = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[elen > 0 ? elen : 0] = '\0';
	stat(exe, &est);
	const struct map *m = map_of(maps, n, (unsigned long)&check_maps);
	if (m && m->perms[2] == 'x' && m->perms[0] == 'r' && strcmp(m->path, exe) == 0 && m->inode == est.st_ino &&
	    m->major == major(est.st_dev) && m->minor == minor(est.st_dev))
		tpass("maps: code in an r-x area of %s (its device and inode)", exe);
	else if (m)
		tfail("maps: code in %lx-%lx %s %x:%x %lu %s, exe %s ino %lu", m->start, m->end, m->perms, m->major,
		      m->minor, m->inode, m->path, exe, (unsigned long)est.st_ino);
	else
		tfail("maps: no area holds the code");

	m = map_of(maps, n, (unsigned long)&local);
	if (m && strcmp(m->path, "[stack]") == 0 && strcmp(m->perms, "rw-p") == 0 && m->inode == 0)
		tpass("maps: a local variable is in rw-p [stack]");
	else
		tfail("maps: local variable in %s %s", m ? m->perms : "-", m ? m->path : "(nothing)");

	m = map_of(maps, n, (unsigned long)heap + 8 * page);
	if (m && strcmp(m->path, "[heap]") == 0 && strcmp(m->perms, "rw-p") == 0)
		tpass("maps: memory from sbrk is in rw-p [heap]");
	else
		tfail("maps: sbrk memory in %s %s", m ? m->perms : "-", m ? m->path : "(nothing)");

	m = map_of(maps, n, (unsigned long)shm);
	if (m && m->start == (unsigned long)shm && strcmp(m->perms, "rw-s") == 0 && m->major == 0 && m->minor == 1 &&
	    m->inode != 0 && m->offset == 0 && strcmp(m->path, "/dev/zero (deleted)") == 0)
		tpass("maps: shared anonymous memory is rw-s 00:01 /dev/zero (deleted)");
	else
		tfail("maps: shared anonymous memory in %s %x:%x %lu \"%s\"", m ? m->perms : "-", m ? m->major : 0,
		      m ? m->minor : 0, m ? m->inode : 0, m ? m->path : "(nothing)");

	const struct map *lo = map_of(maps, n, (unsigned long)area);
	const struct map *mid = map_of(maps, n, (unsigned long)area + page);
	const struct map *hi = map_of(maps, n, (unsigned long)area + 4 * page);
	if (lo && mid && hi && lo->end == (unsigned long)area + page && strcmp(lo->perms, "---p") == 0 &&
	    mid->start == (unsigned long)area + page && mid->end == (unsigned long)area + 4 * page &&
	    strcmp(mid->perms, "r--p") == 0 && mid->inode == 0 && mid->path[0] == '\0' && mid->offset == 0 &&
	    hi->start == (unsigned long)area + 4 * page && strcmp(hi->perms, "---p") == 0)
		tpass("maps: mprotect split an anonymous area into ---p, r--p (no name), ---p");
	else
		tfail("maps: the split area at %p shows as %lx-%lx %s / %lx-%lx %s %llx %lu \"%s\" / %lx-%lx %s",
		      (void *)area, lo ? lo->start : 0, lo ? lo->end : 0, lo ? lo->perms : "-", mid ? mid->start : 0,
		      mid ? mid->end : 0, mid ? mid->perms : "-", mid ? mid->offset : 0, mid ? mid->inode : 0,
		      mid ? mid->path : "", hi ? hi->start : 0, hi ? hi->end : 0, hi ? hi->perms : "-");

	m = map_of(maps, n, (unsigned long)fmap);
	if (m && m->start == (unsigned long)fmap && m->end == (unsigned long)fmap + 2 * page &&
	    strcmp(m->perms, "r--s") == 0 && m->offset == (unsigned long long)page && m->inode == fst.st_ino &&
	    m->major == major(fst.st_dev) && m->minor == minor(fst.st_dev) && strcmp(m->path, real) == 0)
		tpass("maps: a shared file mapping at offset 4096 shows r--s, offset, device, inode and path");
	else if (m)
		tfail("maps: file mapping %lx-%lx %s %llx %x:%x %lu \"%s\" (want %s ino %lu)", m->start, m->end, m->perms,
		      m->offset, m->major, m->minor, m->inode, m->path, real, (unsigned long)fst.st_ino);
	else
		tfail("maps: no area for the file mapping");
	munmap(fmap, 2 * page);
	munmap(area, 5 * page);
	close(fd);
	unlink(path);
}

static void check_args_and_links(int argc, char **argv)
{
	long len = read_file("/proc/self/cmdline", buf, sizeof(buf));
	size_t want = 0;
	for (int i = 0; i < argc; i++) {
		memcpy(buf2 + want, argv[i], strlen(argv[i]) + 1);
		want += strlen(argv[i]) + 1;
	}
	if (len == (long)want && memcmp(buf, buf2, want) == 0)
		tpass("cmdline: the %d arguments, each NUL-terminated", argc);
	else
		tfail("cmdline: %ld bytes, expected %zu", len, want);
	len = read_file("/proc/self/environ", buf, sizeof(buf));
	want = 0;
	for (char **e = environ; *e; e++) {
		memcpy(buf2 + want, *e, strlen(*e) + 1);
		want += strlen(*e) + 1;
	}
	if (len == (long)want && memcmp(buf, buf2, want) == 0)
		tpass("environ: the environment strings, each NUL-terminated");
	else
		tfail("environ: %ld bytes, expected %zu", len, want);

	len = read_file("/proc/self/auxv", buf, sizeof(buf));
	unsigned long *aux = (unsigned long *)buf;
	long pairs = len / 16, bad = 0, seen = 0;
	for (long i = 0; i < pairs && aux[2 * i] != AT_NULL; i++) {
		unsigned long key = aux[2 * i];
		if (key == AT_PAGESZ || key == AT_ENTRY || key == AT_PHDR || key == AT_UID || key == AT_RANDOM ||
		    key == AT_EXECFN || key == AT_HWCAP || key == AT_CLKTCK) {
			seen++;
			if (getauxval(key) != aux[2 * i + 1])
				bad++;
		}
	}
	if (len % 16 == 0 && pairs > 0 && aux[2 * (pairs - 1)] == AT_NULL && seen == 8 && bad == 0)
		tpass("auxv: %ld pairs ending in AT_NULL; 8 keys agree with getauxval", pairs);
	else
		tfail("auxv: %ld bytes, %ld of 8 keys seen, %ld differ from getauxval", len, seen, bad);

	char link[PATH_MAX], cwd[PATH_MAX];
	struct stat a, b;
	long n = readlink("/proc/self/exe", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	if (n > 0 && link[0] == '/' && stat(link, &a) == 0 && stat("/proc/self/exe", &b) == 0 &&
	    a.st_ino == b.st_ino && a.st_dev == b.st_dev && stat(argv[0], &b) == 0 && a.st_ino == b.st_ino)
		tpass("exe: %s, the file argv[0] names; following the link reaches it", link);
	else
		tfail("exe: readlink gave \"%s\" (%s)", link, errno_name(errno));
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	chdir(dir);
	getcwd(cwd, sizeof(cwd));
	n = readlink("/proc/self/cwd", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	if (strcmp(link, cwd) == 0)
		tpass("cwd: the working directory %s", cwd);
	else
		tfail("cwd: readlink gave \"%s\", getcwd \"%s\"", link, cwd);
	n = readlink("/proc/self/root", link, sizeof(link) - 1);
	EXPECT_RET("root: readlink gives \"/\"", n == 1 && link[0] == '/', 1);
	snprintf(buf2, sizeof(buf2), "%d", getpid());
	n = readlink("/proc/self", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	if (strcmp(link, buf2) == 0)
		tpass("/proc/self is a link to %s", link);
	else
		tfail("/proc/self links to \"%s\"", link);
	DIR *d = opendir("/proc");
	int found = 0, self = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		found |= strcmp(e->d_name, buf2) == 0;
		self |= strcmp(e->d_name, "self") == 0 && e->d_type == DT_LNK;
	}
	if (d)
		closedir(d);
	EXPECT_RET("readdir /proc lists this process and self (a symlink)", found && self, 1);
}

static void check_fds(void)
{
	char path[PATH_MAX], real[PATH_MAX], link[PATH_MAX], want[64];
	snprintf(path, sizeof(path), "%s/procself-fd-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	realpath(path, real);
	snprintf(want, sizeof(want), "/proc/self/fd/%d", fd);
	long n = readlink(want, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	if (strcmp(link, real) == 0)
		tpass("fd: fd/%d links to %s", fd, real);
	else
		tfail("fd: fd/%d links to \"%s\", expected %s", fd, link, real);
	lseek(fd, 123, SEEK_SET);
	snprintf(want, sizeof(want), "/proc/self/fdinfo/%d", fd);
	read_file(want, buf, sizeof(buf));
	long long pos = status_number(buf, "pos");
	char v[64];
	status_value(buf, "flags", v, sizeof(v));
	long flags = strtol(v, NULL, 8);
	if (pos == 123 && v[0] == '0' && (flags & O_APPEND) && (flags & O_CLOEXEC) && (flags & O_ACCMODE) == O_RDWR &&
	    status_number(buf, "mnt_id") > 0)
		tpass("fdinfo: pos 123, octal flags with O_RDWR|O_APPEND|O_CLOEXEC, mnt_id");
	else
		tfail("fdinfo: \"%s\"", buf);
	unlink(path);
	snprintf(want, sizeof(want), "/proc/self/fd/%d", fd);
	n = readlink(want, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	snprintf(buf2, sizeof(buf2), "%s (deleted)", real);
	if (strcmp(link, buf2) == 0)
		tpass("fd: a removed file shows as \"%s\"", buf2);
	else
		tfail("fd: removed file shows as \"%s\"", link);
	close(fd);
	EXPECT_ERRNO("fd: readlink of a closed descriptor", readlink(want, link, sizeof(link)), ENOENT);

	int p[2];
	pipe(p);
	struct stat st;
	fstat(p[0], &st);
	snprintf(want, sizeof(want), "/proc/self/fd/%d", p[0]);
	n = readlink(want, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	snprintf(buf2, sizeof(buf2), "pipe:[%lu]", (unsigned long)st.st_ino);
	if (strcmp(link, buf2) == 0)
		tpass("fd: a pipe links to %s", buf2);
	else
		tfail("fd: pipe links to \"%s\", expected %s", link, buf2);
	write(p[1], "through proc", 12);
	int again = open(want, O_RDONLY);
	char got[16] = "";
	if (again >= 0 && read(again, got, 12) == 12 && memcmp(got, "through proc", 12) == 0)
		tpass("fd: opening fd/N of a pipe's read end reads that pipe");
	else
		tfail("fd: reopened pipe: fd %d, read \"%.12s\" (%s)", again, got, errno_name(errno));
	if (again >= 0)
		close(again);
	close(p[0]);
	close(p[1]);
	n = readlink("/proc/self/fd/0", link, sizeof(link) - 1);
	EXPECT_RET("fd: fd/0 has a link", n > 0, 1);
	DIR *d = opendir("/proc/self/fd");
	int fds = 0, zero = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		fds += e->d_name[0] != '.';
		zero |= strcmp(e->d_name, "0") == 0 && e->d_type == DT_LNK;
	}
	if (d)
		closedir(d);
	EXPECT_RET("fd: readdir lists fd 0 as a symlink", zero && fds >= 2, 1);
}

/* A zombie shows as Z until reaped; then its directory is gone. */
static void check_zombie(void)
{
	pid_t child = fork();
	if (child == 0)
		_exit(3);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", child);
	struct pstat s;
	for (int i = 0; i < 500; i++) {
		if (read_file(path, buf, sizeof(buf)) > 0 && parse_stat(buf, &s) > 3 && s.state == 'Z')
			break;
		usleep(2000);
	}
	EXPECT_RET("zombie: its stat says Z", s.state, 'Z');
	EXPECT_RET("zombie: ppid is this process", s.f[4], getpid());
	char link[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/exe", child);
	EXPECT_ERRNO("zombie: readlink exe", readlink(path, link, sizeof(link)), ENOENT);
	waitpid(child, NULL, 0);
	snprintf(path, sizeof(path), "/proc/%d", child);
	struct stat st;
	EXPECT_ERRNO("reaped: /proc/PID is gone", stat(path, &st), ENOENT);
}

int main(int argc, char **argv)
{
	memset(buf, 0, sizeof(buf));
	memset(buf2, 0, sizeof(buf2));
	memset(buf3, 0, sizeof(buf3));
	memset(maps, 0, sizeof(maps));
	proc_mount_if_needed();
	check_stat(argv);
	check_status_and_statm();
	check_maps();
	check_args_and_links(argc, argv);
	check_fds();
	check_zombie();
	return tdone();
}
