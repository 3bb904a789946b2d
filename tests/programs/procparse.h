/*
 * Parsers for /proc files, shared by the procfs conformance programs so that
 * the same code reads Linux's /proc natively and the kernel's in QEMU:
 * /proc/PID/stat (all 52 fields), /proc/PID/status ("Key:\tvalue" lines),
 * /proc/PID/maps (one area per line). A program run as init in the kernel
 * finds no /proc and mounts it first (proc_mount_if_needed).
 */
#ifndef TESTS_PROCPARSE_H
#define TESTS_PROCPARSE_H

#include "common.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>

/* Mounts procfs on /proc unless it is there already (the host's is). */
static T_UNUSED void proc_mount_if_needed(void)
{
	struct stat st;
	if (stat("/proc/self", &st) == 0)
		return;
	mkdir("/proc", 0555);
	if (mount("proc", "/proc", "proc", 0, NULL) != 0) {
		tfail("mount -t proc proc /proc: %s", errno_name(errno));
		exit(1);
	}
	printf("TINFO: mounted proc on /proc\n");
}

/*
 * Reads a whole file into buf (NUL-terminated); returns its length, or -1
 * with errno set. Reads until end of file, as a /proc file's size is 0.
 */
static T_UNUSED long read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == size - 1)
			break;
	}
	close(fd);
	buf[len] = '\0';
	return (long)len;
}

#define STAT_FIELDS 52

/* /proc/PID/stat: field n (1-based, as proc(5) numbers them) is f[n]. */
struct pstat {
	int count;		/* fields found */
	char comm[64];		/* field 2, without the parentheses */
	char state;		/* field 3 */
	long long f[STAT_FIELDS + 1];
};

/*
 * Parses a stat line. The command name is whatever lies between the first
 * '(' and the last ')', since it may hold spaces and parentheses itself.
 * Returns the number of fields (52 on Linux 5.x and 6.x).
 */
static T_UNUSED int parse_stat(const char *text, struct pstat *s)
{
	memset(s, 0, sizeof(*s));
	char *end;
	s->f[1] = strtoll(text, &end, 10);
	if (end == text || end[0] != ' ' || end[1] != '(')
		return 0;
	const char *open_paren = end + 2;
	const char *close_paren = strrchr(open_paren, ')');
	if (!close_paren || close_paren[1] != ' ')
		return 1;
	size_t n = (size_t)(close_paren - open_paren);
	if (n >= sizeof(s->comm))
		n = sizeof(s->comm) - 1;
	memcpy(s->comm, open_paren, n);
	s->comm[n] = '\0';
	s->state = close_paren[2];
	s->count = 3;
	const char *p = close_paren + 3;
	while (*p == ' ' && s->count < STAT_FIELDS) {
		p++;
		long long v = strtoll(p, &end, 10);
		if (end == p)
			break;
		s->f[++s->count] = v;
		p = end;
	}
	if (*p != '\n')
		return -s->count; /* trailing garbage or too many fields */
	return s->count;
}

/*
 * The value of "Key:" in a status-style text, copied into out (up to the
 * end of its line, leading tabs removed); NULL if there is no such line.
 */
static T_UNUSED const char *status_value(const char *text, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, klen) != 0 || line[klen] != ':')
			continue;
		const char *v = line + klen + 1;
		while (*v == '\t' || *v == ' ')
			v++;
		size_t n = strcspn(v, "\n");
		if (n >= size)
			n = size - 1;
		memcpy(out, v, n);
		out[n] = '\0';
		return out;
	}
	return NULL;
}

/* A number from a status value ("1234 kB" gives 1234); -1 if missing. */
static T_UNUSED long long status_number(const char *text, const char *key)
{
	char v[256];
	if (!status_value(text, key, v, sizeof(v)))
		return -1;
	return strtoll(v, NULL, 10);
}

/* One line of /proc/PID/maps. */
struct map {
	unsigned long start, end;
	char perms[5];
	unsigned long long offset;
	unsigned major, minor;
	unsigned long inode;
	char path[256];
};

/*
 * Parses maps text into up to max areas; returns how many, or -(line
 * number) of the first line that does not have the format.
 */
static T_UNUSED int parse_maps(const char *text, struct map *maps, int max)
{
	int n = 0;
	const char *line = text;
	while (*line && n < max) {
		struct map *m = &maps[n];
		int used = 0;
		/* No space before %n: a space in the format would eat the newline. */
		if (sscanf(line, "%lx-%lx %4s %llx %x:%x %lu%n", &m->start, &m->end, m->perms, &m->offset, &m->major,
			   &m->minor, &m->inode, &used) != 7 || used == 0)
			return -(n + 1);
		const char *path = line + used;
		while (*path == ' ')
			path++;
		size_t len = strcspn(path, "\n");
		if (len >= sizeof(m->path))
			len = sizeof(m->path) - 1;
		memcpy(m->path, path, len);
		m->path[len] = '\0';
		n++;
		const char *nl = strchr(line, '\n');
		if (!nl)
			break;
		line = nl + 1;
	}
	return n;
}

/* The area holding addr, or NULL. */
static T_UNUSED const struct map *map_of(const struct map *maps, int n, unsigned long addr)
{
	for (int i = 0; i < n; i++)
		if (maps[i].start <= addr && addr < maps[i].end)
			return &maps[i];
	return NULL;
}

#endif
