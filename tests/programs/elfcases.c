/*
 * execve(2) on malformed and unusual ELF executables, checked against what
 * Linux's fs/binfmt_elf.c does. The program copies its own executable (a
 * static, non-PIE musl ELF), changes one thing in the copy, writes it to
 * /tmp/elfcase-N and has a child exec it with argv {path, "child-marker"}; a
 * copy that runs exits 42 at once. The outcome is one of: execve failed with
 * an errno (the child sends it back on a close-on-exec pipe), the new program
 * was killed by a signal (Linux sends SIGSEGV when loading fails after the
 * point of no return), or it ran.
 *
 * Linux's order: the ELF header (magic, e_type, e_machine; not EI_CLASS or
 * EI_DATA), the program header table (e_phentsize 56, 1..65536 bytes of
 * headers, all in the file) and PT_INTERP are checked before the point of no
 * return: ENOEXEC. The segments are mapped after it: a mapping that fails
 * (or p_filesz > p_memsz) kills the process with SIGSEGV.
 */
#include "common.h"

#include <elf.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* Outcomes: RAN, -errno of execve, or SIG(n). Another exit status is EXIT(n). */
#define RAN 0
#define SIG(n) (1000 + (n))
#define EXIT(n) (2000 + (n))
#define CHILD_RAN 42
#define NO_SETUID EXIT(1000)
#define SPARE 70000 /* room for bytes appended to a copy */

static unsigned char *base;   /* the program's own executable */
static size_t base_len;
static unsigned char *img;    /* the copy being changed */
static size_t img_len;
static int case_no;
static int child_uid = -1;    /* when >= 0, the child runs as this user */

static const char *describe(int outcome)
{
	static char buf[4][48];
	static int next;
	char *b = buf[next++ % 4];
	if (outcome == RAN)
		return "runs";
	if (outcome == NO_SETUID)
		return "setuid failed";
	if (outcome < 0)
		snprintf(b, sizeof buf[0], "execve %s", errno_name(-outcome));
	else if (outcome >= EXIT(0))
		snprintf(b, sizeof buf[0], "exit %d", outcome - EXIT(0));
	else if (outcome == SIG(SIGSEGV))
		return "killed by SIGSEGV";
	else if (outcome == SIG(SIGKILL))
		return "killed by SIGKILL";
	else if (outcome == SIG(SIGBUS))
		return "killed by SIGBUS";
	else if (outcome == SIG(SIGALRM))
		return "hung (killed by SIGALRM)";
	else
		snprintf(b, sizeof buf[0], "killed by signal %d", outcome - SIG(0));
	return b;
}

/* Reads the program's own executable into `base`. */
static int read_self(const char *argv0)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	if (fd < 0) {
		/* As init there is no /proc yet. */
		mkdir("/proc", 0555);
		mount("proc", "/proc", "proc", 0, NULL);
		fd = open("/proc/self/exe", O_RDONLY);
	}
	if (fd < 0)
		fd = open(argv0, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		return -1;
	base_len = st.st_size;
	base = malloc(base_len);
	img = malloc(base_len + SPARE);
	size_t got = 0;
	while (base && got < base_len) {
		ssize_t n = read(fd, base + got, base_len - got);
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	return base && img && got == base_len ? 0 : -1;
}

/* Starts a new copy of the unchanged executable. */
static void reset(void)
{
	memcpy(img, base, base_len);
	memset(img + base_len, 0, SPARE);
	img_len = base_len;
}

static Elf64_Ehdr *ehdr(void)
{
	return (Elf64_Ehdr *)img;
}

static Elf64_Phdr *phdr(int i)
{
	return (Elf64_Phdr *)(img + ehdr()->e_phoff + (size_t)i * sizeof(Elf64_Phdr));
}

/* The nth PT_LOAD (from 0), or the first one with all of `flags` when n < 0. */
static Elf64_Phdr *load(int n, unsigned flags)
{
	for (int i = 0; i < ehdr()->e_phnum; i++) {
		Elf64_Phdr *p = phdr(i);
		if (p->p_type != PT_LOAD)
			continue;
		if (n < 0 ? (p->p_flags & flags) == flags : n-- == 0)
			return p;
	}
	return NULL;
}

/*
 * Appends a program header to the table, in the zero padding that follows it
 * in the first page, and grows the PT_LOAD holding the table to cover it.
 * NULL when there is no room.
 */
static Elf64_Phdr *add_phdr(void)
{
	Elf64_Ehdr *e = ehdr();
	size_t end = e->e_phoff + (size_t)e->e_phnum * sizeof(Elf64_Phdr);
	Elf64_Phdr *first = load(0, 0);
	if (!first || first->p_offset != 0 || end + sizeof(Elf64_Phdr) > 4096)
		return NULL;
	for (int i = 0; i < e->e_phnum; i++) {
		Elf64_Phdr *p = phdr(i);
		if (p->p_filesz && p->p_offset < end + sizeof(Elf64_Phdr) && p->p_offset + p->p_filesz > end)
			return NULL;
	}
	for (size_t i = end; i < end + sizeof(Elf64_Phdr); i++)
		if (img[i])
			return NULL;
	if (first->p_filesz < end + sizeof(Elf64_Phdr))
		first->p_filesz = first->p_memsz = end + sizeof(Elf64_Phdr);
	e->e_phnum++;
	return phdr(e->e_phnum - 1);
}

/* Writes the first `len` bytes of the copy to a new /tmp/elfcase-N. */
static const char *write_variant(size_t len)
{
	static char path[32];
	snprintf(path, sizeof path, "/tmp/elfcase-%d", ++case_no);
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0)
		return NULL;
	ssize_t n = len ? write(fd, img, len) : 0;
	close(fd);
	return n == (ssize_t)len ? path : NULL;
}

/* Execs `path` in a child and returns the outcome. */
static int run(const char *path)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return EXIT(255);
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit none = {0, 0};
		setrlimit(RLIMIT_CORE, &none);
		alarm(10);
		int e = -1;
		if (child_uid >= 0 && (setgid(child_uid) != 0 || setuid(child_uid) != 0)) {
			if (write(p[1], &e, sizeof e) != sizeof e)
				_exit(3);
			_exit(2);
		}
		char *argv[] = {(char *)path, "child-marker", NULL};
		char *envp[] = {NULL};
		execve(path, argv, envp);
		e = errno;
		if (write(p[1], &e, sizeof e) != sizeof e)
			_exit(3);
		_exit(2);
	}
	close(p[1]);
	int e = 0;
	ssize_t n = read(p[0], &e, sizeof e);
	close(p[0]);
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return EXIT(254);
	if (n == sizeof e)
		return e == -1 ? NO_SETUID : -e;
	if (WIFSIGNALED(status))
		return SIG(WTERMSIG(status));
	if (WEXITSTATUS(status) == CHILD_RAN)
		return RAN;
	return EXIT(WEXITSTATUS(status));
}

/* Writes the copy (its first `len` bytes), runs it and checks the outcome. */
static void check_len(const char *what, size_t len, int expected)
{
	const char *path = write_variant(len);
	if (!path) {
		tfail("%s: cannot write the copy: %s", what, errno_name(errno));
		return;
	}
	int got = run(path);
	if (got == NO_SETUID)
		tconf("%s: cannot change user", what);
	else if (got == expected)
		tpass("%s: %s", what, describe(got));
	else
		tfail("%s: %s, expected %s", what, describe(got), describe(expected));
	unlink(path);
}

static void check(const char *what, int expected)
{
	check_len(what, img_len, expected);
}

/* Reads a number from a /proc/sys file; `dflt` when there is none. */
static long sysctl_num(const char *path, long dflt)
{
	char buf[32] = {0};
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return dflt;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	return n > 0 ? atol(buf) : dflt;
}

/* Whether the caller may map below vm.mmap_min_addr (CAP_SYS_RAWIO). */
static int has_rawio(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) != 0)
		return geteuid() == 0;
	return (d[0].effective >> CAP_SYS_RAWIO) & 1;
}

/* 10: the base cases, one header field at a time. */
static void header_cases(void)
{
	reset();
	check("the unchanged copy", RAN);

	check_len("the copy cut to 1500 bytes (segments past the end)", 1500, SIG(SIGSEGV));
	check_len("an empty file", 0, -ENOEXEC);

	/* A sparse file far larger than memory: its first bytes decide. */
	const char *sparse = write_variant(0);
	if (sparse && truncate(sparse, 64LL << 30) == 0) {
		int got = run(sparse);
		if (got == -ENOEXEC)
			tpass("a 64 GiB sparse file of zeros: %s", describe(got));
		else if (got != NO_SETUID)
			tfail("a 64 GiB sparse file of zeros: %s, expected %s", describe(got), describe(-ENOEXEC));
	} else {
		tconf("cannot make a 64 GiB sparse file: %s", errno_name(errno));
	}
	if (sparse)
		unlink(sparse);

	reset();
	img[1] = 'e';
	check("bad magic \"\\177eLF\"", -ENOEXEC);

	reset();
	ehdr()->e_machine = EM_AARCH64;
	check("e_machine EM_AARCH64", -ENOEXEC);

	reset();
	ehdr()->e_type = ET_REL;
	check("e_type ET_REL", -ENOEXEC);

	/* 8: Linux does not look at EI_CLASS or EI_DATA. */
	reset();
	img[EI_DATA] = ELFDATA2MSB;
	check("EI_DATA ELFDATA2MSB, the rest little-endian", RAN);

	reset();
	img[EI_CLASS] = ELFCLASS32;
	check("EI_CLASS ELFCLASS32, the rest 64-bit", RAN);
}

/*
 * Moves the program header table to the end of the file and makes it `phnum`
 * entries long: the original ones, a PT_LOAD that maps the table (so that
 * AT_PHDR points at it), then PT_NULL entries.
 */
static void grow_table(int phnum)
{
	Elf64_Ehdr *e = ehdr();
	size_t at = (img_len + 7) & ~(size_t)7, size = (size_t)phnum * sizeof(Elf64_Phdr);
	int n = e->e_phnum;
	memset(img + img_len, 0, at + size - img_len);
	memcpy(img + at, img + e->e_phoff, n * sizeof(Elf64_Phdr));
	e->e_phoff = at;
	e->e_phnum = phnum;
	*phdr(n) = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R, .p_offset = at,
				.p_vaddr = 0x20000000 + (at & 4095), .p_paddr = 0x20000000 + (at & 4095),
				.p_filesz = size, .p_memsz = size, .p_align = 4096};
	img_len = at + size;
}

/* 1, 2: the program header table must be 56-byte entries, 1..65536 bytes. */
static void table_cases(void)
{
	reset();
	ehdr()->e_phentsize = 55;
	check("e_phentsize 55", -ENOEXEC);

	reset();
	ehdr()->e_phentsize = 64;
	check("e_phentsize 64", -ENOEXEC);

	reset();
	ehdr()->e_phnum = 0;
	check("e_phnum 0", -ENOEXEC);

	/* Extra PT_NULL entries are skipped. (e_phnum 200 with the table left
	 * in place would read the padding and code after it as headers.) */
	reset();
	grow_table(200);
	check("e_phnum 200, a table of 11200 bytes in the file", RAN);

	reset();
	grow_table(1170);
	check("e_phnum 1170, a table of 65520 bytes", RAN);

	/* More than 64 KiB of headers is refused before reading them. */
	reset();
	grow_table(1171);
	check("e_phnum 1171, a table of 65576 bytes", -ENOEXEC);

	/* The table may not end past the end of the file: a short read. */
	reset();
	ehdr()->e_phoff = base_len - 100;
	check("a program header table past the end of the file", -ENOEXEC);
}

/* Adds a one-page PT_LOAD at `vaddr` and runs the copy as user `uid`. */
static void low_case(const char *what, unsigned long vaddr, int uid, int expected)
{
	reset();
	Elf64_Phdr *p = add_phdr();
	if (!p)
		return;
	*p = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R, .p_vaddr = vaddr, .p_paddr = vaddr,
			  .p_filesz = 0x100, .p_memsz = 0x100, .p_align = 4096};
	child_uid = uid;
	check(what, expected);
	child_uid = -1;
}

/* 3..7, 9: the segments, mapped after the point of no return. */
static void segment_cases(void)
{
	Elf64_Phdr *p;

	/* 3: an empty PT_LOAD maps nothing. */
	reset();
	if ((p = add_phdr())) {
		*p = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R, .p_vaddr = 0x10000000,
				  .p_paddr = 0x10000000, .p_align = 4096};
		check("an extra PT_LOAD with p_filesz 0 and p_memsz 0", RAN);
	}

	/* p_filesz > p_memsz is refused after mapping: SIGSEGV. */
	reset();
	if ((p = add_phdr())) {
		*p = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R, .p_vaddr = 0x10000000,
				  .p_paddr = 0x10000000, .p_filesz = 0x100, .p_align = 4096};
		check("an extra PT_LOAD with p_filesz 0x100, p_memsz 0", SIG(SIGSEGV));
	}

	/* 4: a 1 TiB bss is more than RAM + swap: vm_brk fails with ENOMEM
	 * (heuristic overcommit), the process gets SIGSEGV. */
	reset();
	if ((p = load(-1, PF_R | PF_W))) {
		p->p_memsz = 1ul << 40;
		if (sysctl_num("/proc/sys/vm/overcommit_memory", 0) == 1)
			tconf("a 1 TiB bss: vm.overcommit_memory is 1");
		else
			check("a writable PT_LOAD with p_memsz 1 TiB", SIG(SIGSEGV));
	}

	/* 5: vm.mmap_min_addr (4096 here, 65536 on many systems) forbids
	 * mappings below it, except to CAP_SYS_RAWIO: root may load a
	 * segment at 0x1000 or even 0, another user gets SIGSEGV. */
	long min_addr = sysctl_num("/proc/sys/vm/mmap_min_addr", 65536);
	int rawio = has_rawio();
	low_case("an extra PT_LOAD at p_vaddr 0x1000", 0x1000, -1, rawio || min_addr <= 0x1000 ? RAN : SIG(SIGSEGV));
	low_case("an extra PT_LOAD at p_vaddr 0", 0, -1, rawio || min_addr == 0 ? RAN : SIG(SIGSEGV));
	low_case("as uid 65534, an extra PT_LOAD at p_vaddr 0", 0, 65534, min_addr == 0 ? RAN : SIG(SIGSEGV));

	/* 6: p_offset % 4096 != p_vaddr % 4096: mmap's offset is not page
	 * aligned, EINVAL, SIGSEGV. */
	reset();
	if ((p = add_phdr())) {
		*p = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R, .p_offset = 0x10,
				  .p_vaddr = 0x10000000, .p_paddr = 0x10000000, .p_filesz = 0x100,
				  .p_memsz = 0x100, .p_align = 4096};
		check("an extra PT_LOAD with p_offset 0x10, p_vaddr 0x10000000", SIG(SIGSEGV));
	}

	/* 7: segments after the first are mapped MAP_FIXED and replace what
	 * is there: the first segment grown over the text's first page runs. */
	reset();
	Elf64_Phdr *first = load(0, 0), *second = load(1, 0);
	if (first && second && first->p_vaddr + first->p_memsz <= second->p_vaddr) {
		first->p_filesz = first->p_memsz = second->p_vaddr - first->p_vaddr + 0x800;
		check("the first PT_LOAD grown over the second's first page", RAN);
	}

	/* A later segment laid again over the first one's page runs too. */
	reset();
	if ((p = add_phdr())) {
		*p = *load(0, 0);
		check("an extra PT_LOAD repeating the first one", RAN);
	}

	/* 9: the program as its own interpreter: the interpreter (an
	 * ET_EXEC) is mapped MAP_FIXED over the program and started. */
	reset();
	if ((p = add_phdr())) {
		char path[32];
		snprintf(path, sizeof path, "/tmp/elfcase-%d", case_no + 1);
		size_t n = strlen(path) + 1;
		memcpy(img + img_len, path, n);
		*p = (Elf64_Phdr){.p_type = PT_INTERP, .p_flags = PF_R, .p_offset = img_len,
				  .p_filesz = n, .p_memsz = n, .p_align = 1};
		img_len += n;
		check("a PT_INTERP naming the file itself", RAN);

		/* The path must end with its NUL. */
		p->p_filesz = p->p_memsz = n - 1;
		check("a PT_INTERP path without its NUL", -ENOEXEC);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child-marker") == 0)
		return CHILD_RAN;
	mkdir("/tmp", 01777);
	if (read_self(argv[0]) != 0) {
		tfail("cannot read the program's own executable: %s", errno_name(errno));
		return tdone();
	}
	reset();
	Elf64_Ehdr *e = ehdr();
	if (base_len < 4096 || memcmp(e->e_ident, ELFMAG, SELFMAG) != 0 || e->e_type != ET_EXEC ||
	    e->e_phentsize != sizeof(Elf64_Phdr) || !load(1, 0) || !add_phdr()) {
		tfail("the program is not a static non-PIE ELF with room for a program header");
		return tdone();
	}
	header_cases();
	table_cases();
	segment_cases();
	return tdone();
}
