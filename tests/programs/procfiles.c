/*
 * The rest of /proc as Linux shows it: comm and oom_score_adj (read and
 * written), limits, mounts and mountinfo, task/ and thread-self with a
 * second thread, the permission rules for another user's environ, fd/ and
 * exe, and the system-wide files (meminfo against sysinfo, stat, uptime,
 * loadavg, version, filesystems, cmdline, /proc/sys), and the tunables:
 * kernel/random (entropy_avail against RNDGETENTCNT, boot_id, uuid),
 * threads-max (which fork honours), printk and msgmni (which msgget
 * honours).
 */
#include "procparse.h"

#include <dirent.h>
#include <signal.h>
#include <limits.h>
#include <pthread.h>
#include <linux/random.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

static char buf[1 << 16], buf2[1 << 16];

static long write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	long n = write(fd, text, len);
	int e = errno;
	close(fd);
	errno = e;
	return n;
}

static void check_comm(void)
{
	char old[64];
	read_file("/proc/self/comm", old, sizeof(old));
	EXPECT_RET("comm: write a new name", write_file("/proc/self/comm", "renamed", 7), 7);
	read_file("/proc/self/comm", buf, sizeof(buf));
	EXPECT_RET("comm: reads back \"renamed\\n\"", strcmp(buf, "renamed\n"), 0);
	read_file("/proc/self/stat", buf, sizeof(buf));
	struct pstat s;
	parse_stat(buf, &s);
	EXPECT_RET("comm: stat shows (renamed)", strcmp(s.comm, "renamed"), 0);
	write_file("/proc/self/comm", "a-name-longer-than-fifteen", 26);
	read_file("/proc/self/comm", buf, sizeof(buf));
	EXPECT_RET("comm: cut to 15 bytes", strcmp(buf, "a-name-longer-t\n"), 0);
	old[strcspn(old, "\n")] = '\0';
	write_file("/proc/self/comm", old, strlen(old));
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", getppid());
	if (getppid() > 1)
		EXPECT_ERRNO("comm: another process's comm", write_file(path, "x", 1), EINVAL);
}

static void check_oom_score_adj(void)
{
	read_file("/proc/self/oom_score_adj", buf, sizeof(buf));
	long old = strtol(buf, NULL, 10);
	EXPECT_RET("oom_score_adj: write 500", write_file("/proc/self/oom_score_adj", "500\n", 4), 4);
	read_file("/proc/self/oom_score_adj", buf, sizeof(buf));
	EXPECT_RET("oom_score_adj: reads 500", strcmp(buf, "500\n"), 0);
	EXPECT_ERRNO("oom_score_adj: 1001", write_file("/proc/self/oom_score_adj", "1001", 4), EINVAL);
	EXPECT_ERRNO("oom_score_adj: not a number", write_file("/proc/self/oom_score_adj", "x", 1), EINVAL);
	snprintf(buf2, sizeof(buf2), "%ld", old);
	write_file("/proc/self/oom_score_adj", buf2, strlen(buf2));
	read_file("/proc/self/oom_score", buf, sizeof(buf));
	long score = strtol(buf, NULL, 10);
	EXPECT_RET("oom_score: a number in 0..2000", score >= 0 && score <= 2000, 1);
}

static void check_limits(void)
{
	read_file("/proc/self/limits", buf, sizeof(buf));
	const char *header = "Limit                     Soft Limit           Hard Limit           Units     \n";
	EXPECT_RET("limits: Linux's header line", strncmp(buf, header, strlen(header)), 0);
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	snprintf(buf2, sizeof(buf2), "Max open files            %-20lu %-20lu files     \n", (unsigned long)rl.rlim_cur,
		 (unsigned long)rl.rlim_max);
	if (strstr(buf, buf2))
		tpass("limits: Max open files %lu %lu", (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max);
	else
		tfail("limits: no line \"%s\" in:\n%s", buf2, buf);
	if (strstr(buf, "Max cpu time              unlimited            unlimited            seconds   \n") &&
	    strstr(buf, "Max nice priority         0                    0                    \n"))
		tpass("limits: unlimited values and unit-less lines in Linux's columns");
	else
		tfail("limits: unexpected text:\n%s", buf);
}

static void check_mounts(void)
{
	read_file("/proc/self/mounts", buf, sizeof(buf));
	read_file("/proc/mounts", buf2, sizeof(buf2));
	EXPECT_RET("mounts: /proc/mounts is /proc/self/mounts", strcmp(buf, buf2), 0);
	char link[64];
	long n = readlink("/proc/mounts", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	EXPECT_RET("mounts: /proc/mounts links to self/mounts", strcmp(link, "self/mounts"), 0);
	EXPECT_RET("mounts: a line for proc on /proc", strstr(buf, " /proc proc rw") != NULL, 1);
	read_file("/proc/self/mountinfo", buf, sizeof(buf));
	int found = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		int id, parent;
		unsigned maj, min;
		char root[256], point[256];
		if (sscanf(line, "%d %d %u:%u %255s %255s", &id, &parent, &maj, &min, root, point) == 6 &&
		    strcmp(point, "/proc") == 0 && strstr(line, " - proc "))
			found = 1;
	}
	EXPECT_RET("mountinfo: a line with ids, device, root, /proc and \" - proc \"", found, 1);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int stage;
static pid_t thread_tid;
static char thread_self[64];

static void *second_thread(void *arg)
{
	(void)arg;
	long n = readlink("/proc/thread-self", thread_self, sizeof(thread_self) - 1);
	thread_self[n > 0 ? n : 0] = '\0';
	pthread_mutex_lock(&lock);
	thread_tid = (pid_t)syscall(SYS_gettid);
	stage = 1;
	pthread_cond_broadcast(&cond);
	while (stage != 2)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void check_threads(void)
{
	pthread_t t;
	pthread_create(&t, NULL, second_thread, NULL);
	pthread_mutex_lock(&lock);
	while (stage != 1)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	DIR *d = opendir("/proc/self/task");
	int me = 0, other = 0, entries = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		entries++;
		me |= atoi(e->d_name) == getpid();
		other |= atoi(e->d_name) == thread_tid;
	}
	if (d)
		closedir(d);
	EXPECT_RET("task: lists the two threads", me && other && entries == 2, 1);
	char path[96];
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", thread_tid);
	struct pstat s;
	read_file(path, buf, sizeof(buf));
	EXPECT_RET("task: TID/stat has the thread's id", parse_stat(buf, &s) == STAT_FIELDS && s.f[1] == thread_tid, 1);
	EXPECT_RET("task: TID/stat has the process's 2 threads", s.f[20], 2);
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", thread_tid);
	read_file(path, buf, sizeof(buf));
	EXPECT_RET("task: TID/status Pid is the thread", status_number(buf, "Pid"), thread_tid);
	EXPECT_RET("task: TID/status Tgid is the process", status_number(buf, "Tgid"), getpid());
	read_file("/proc/self/status", buf, sizeof(buf));
	EXPECT_RET("status: Threads 2", status_number(buf, "Threads"), 2);
	snprintf(path, sizeof(path), "%d/task/%d", getpid(), thread_tid);
	if (strcmp(thread_self, path) == 0)
		tpass("thread-self: the thread sees %s", path);
	else
		tfail("thread-self: \"%s\", expected %s", thread_self, path);
	snprintf(path, sizeof(path), "/proc/self/task/%d/task", thread_tid);
	struct stat st;
	EXPECT_ERRNO("task: no task/ inside a thread's directory", stat(path, &st), ENOENT);
	pthread_mutex_lock(&lock);
	stage = 2;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(t, NULL);
}

/* Another user may read stat and status, not environ, fd/ or exe. */
static void check_permissions(void)
{
	pid_t parent = getpid();
	int p[2];
	pipe(p);
	pid_t child = fork();
	if (child == 0) {
		char path[64], link[256];
		int results[6];
		/* Root's write sets the floor non-root writes may not go below. */
		write_file("/proc/self/oom_score_adj", "0", 1);
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		snprintf(path, sizeof(path), "/proc/%d/environ", parent);
		errno = 0;
		results[0] = open(path, O_RDONLY) < 0 ? errno : 0;
		snprintf(path, sizeof(path), "/proc/%d/fd", parent);
		errno = 0;
		results[1] = opendir(path) ? 0 : errno;
		snprintf(path, sizeof(path), "/proc/%d/exe", parent);
		errno = 0;
		results[2] = readlink(path, link, sizeof(link)) < 0 ? errno : 0;
		snprintf(path, sizeof(path), "/proc/%d/stat", parent);
		errno = 0;
		results[3] = open(path, O_RDONLY) < 0 ? errno : 0;
		errno = 0;
		results[4] = open("/proc/self/stat", O_RDONLY) < 0 ? errno : 0;
		errno = 0;
		results[5] = write_file("/proc/self/oom_score_adj", "-1", 2) < 0 ? errno : 0;
		write(p[1], results, sizeof(results));
		_exit(0);
	}
	int results[6] = {-1, -1, -1, -1, -1, -1};
	close(p[1]);
	read(p[0], results, sizeof(results));
	close(p[0]);
	waitpid(child, NULL, 0);
	EXPECT_RET("another user: open environ is EACCES", results[0], EACCES);
	EXPECT_RET("another user: opendir fd/ is EACCES", results[1], EACCES);
	EXPECT_RET("another user: readlink exe is EACCES", results[2], EACCES);
	EXPECT_RET("another user: stat is readable", results[3], 0);
	EXPECT_RET("another user: its own stat is readable", results[4], 0);
	EXPECT_RET("non-root: lowering oom_score_adj is EACCES", results[5], EACCES);
}

static void check_system_files(void)
{
	struct sysinfo si;
	sysinfo(&si);
	read_file("/proc/meminfo", buf, sizeof(buf));
	long long total = status_number(buf, "MemTotal"), avail = status_number(buf, "MemAvailable");
	EXPECT_RET("meminfo: MemTotal is sysinfo's totalram in kB", total,
		   (long long)si.totalram * si.mem_unit / 1024);
	if (avail > 0 && avail <= total && status_number(buf, "MemFree") <= total && status_number(buf, "Cached") >= 0 &&
	    status_number(buf, "SwapTotal") >= 0 && status_number(buf, "Shmem") >= 0 &&
	    status_number(buf, "Buffers") >= 0)
		tpass("meminfo: MemFree, MemAvailable, Buffers, Cached, SwapTotal, Shmem");
	else
		tfail("meminfo: %s", buf);
	EXPECT_RET("meminfo: \"MemTotal:\" then the value right-aligned to column 24",
		   strncmp(buf, "MemTotal:       ", 16) == 0 && strstr(buf, " kB\n") - buf == 24, 1);

	read_file("/proc/stat", buf, sizeof(buf));
	unsigned long long cpu[10];
	int n = sscanf(buf, "cpu  %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &cpu[0], &cpu[1], &cpu[2],
		       &cpu[3], &cpu[4], &cpu[5], &cpu[6], &cpu[7], &cpu[8], &cpu[9]);
	EXPECT_RET("stat: \"cpu \" line with 10 counters", n, 10);
	long long ctxt1 = -1, procs1 = -1, ctxt2 = -1, procs2 = -1, btime = -1, running = -1;
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		sscanf(l, "ctxt %lld", &ctxt1);
		sscanf(l, "processes %lld", &procs1);
		sscanf(l, "btime %lld", &btime);
		sscanf(l, "procs_running %lld", &running);
	}
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	read_file("/proc/stat", buf, sizeof(buf));
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		sscanf(l, "ctxt %lld", &ctxt2);
		sscanf(l, "processes %lld", &procs2);
	}
	EXPECT_RET("stat: processes counts a fork", procs2 > procs1 && procs1 > 0, 1);
	EXPECT_RET("stat: ctxt counts the switches of a fork and wait", ctxt2 > ctxt1 && ctxt1 > 0, 1);
	EXPECT_RET("stat: procs_running includes this process", running >= 1, 1);
	EXPECT_RET("stat: has intr and softirq lines", strstr(buf, "\nintr ") && strstr(buf, "\nsoftirq "), 1);

	read_file("/proc/uptime", buf, sizeof(buf));
	double up = 0, idle = -1;
	sscanf(buf, "%lf %lf", &up, &idle);
	struct timespec mono;
	clock_gettime(CLOCK_BOOTTIME, &mono);
	if (up > 0 && idle >= 0 && up <= mono.tv_sec + 1 && up >= mono.tv_sec - 1)
		tpass("uptime: %.2f s, as CLOCK_BOOTTIME", up);
	else
		tfail("uptime: \"%s\", CLOCK_BOOTTIME %lld s", buf, (long long)mono.tv_sec);
	long long now = time(NULL);
	EXPECT_RET("stat: btime is now minus uptime", btime >= now - (long long)up - 2 && btime <= now - (long long)up + 2, 1);

	read_file("/proc/loadavg", buf, sizeof(buf));
	double l1, l5, l15;
	int run, all, last;
	n = sscanf(buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &run, &all, &last);
	EXPECT_RET("loadavg: three averages, running/all, last pid", n == 6 && run >= 1 && all >= run && last >= child, 1);

	struct utsname u;
	uname(&u);
	read_file("/proc/version", buf, sizeof(buf));
	snprintf(buf2, sizeof(buf2), "Linux version %s ", u.release);
	EXPECT_RET("version: starts \"Linux version RELEASE \"", strncmp(buf, buf2, strlen(buf2)), 0);
	read_file("/proc/sys/kernel/osrelease", buf, sizeof(buf));
	snprintf(buf2, sizeof(buf2), "%s\n", u.release);
	EXPECT_RET("sys/kernel/osrelease is uname's release", strcmp(buf, buf2), 0);
	read_file("/proc/sys/kernel/ostype", buf, sizeof(buf));
	EXPECT_RET("sys/kernel/ostype is Linux", strcmp(buf, "Linux\n"), 0);
	read_file("/proc/sys/kernel/hostname", buf, sizeof(buf));
	snprintf(buf2, sizeof(buf2), "%s\n", u.nodename);
	EXPECT_RET("sys/kernel/hostname is uname's nodename", strcmp(buf, buf2), 0);
	read_file("/proc/sys/kernel/pid_max", buf, sizeof(buf));
	EXPECT_RET("sys/kernel/pid_max is above this pid", atol(buf) > getpid(), 1);
	EXPECT_RET("sys/kernel/tainted is a number", read_file("/proc/sys/kernel/tainted", buf, sizeof(buf)) > 0 &&
		   buf[0] >= '0' && buf[0] <= '9', 1);
	read_file("/proc/sys/vm/min_free_kbytes", buf, sizeof(buf));
	EXPECT_RET("sys/vm/min_free_kbytes is positive", atol(buf) > 0, 1);
	read_file("/proc/filesystems", buf, sizeof(buf));
	EXPECT_RET("filesystems: \"nodev\\tproc\" and tmpfs", strstr(buf, "nodev\tproc\n") && strstr(buf, "nodev\ttmpfs\n"), 1);
	EXPECT_RET("cmdline: one line", read_file("/proc/cmdline", buf, sizeof(buf)) > 0 && strchr(buf, '\n'), 1);
}

static void check_tunables(void)
{
	read_file("/proc/sys/kernel/random/entropy_avail", buf, sizeof(buf));
	int avail = atoi(buf), count = -1;
	int fd = open("/dev/urandom", O_RDONLY);
	EXPECT_RET("RNDGETENTCNT", ioctl(fd, RNDGETENTCNT, &count), 0);
	EXPECT_RET("it agrees with random/entropy_avail", count == avail && count > 0, 1);
	close(fd);
	char boot1[64] = "", boot2[64] = "", uuid1[64] = "", uuid2[64] = "";
	read_file("/proc/sys/kernel/random/boot_id", boot1, sizeof(boot1));
	read_file("/proc/sys/kernel/random/boot_id", boot2, sizeof(boot2));
	read_file("/proc/sys/kernel/random/uuid", uuid1, sizeof(uuid1));
	read_file("/proc/sys/kernel/random/uuid", uuid2, sizeof(uuid2));
	EXPECT_RET("boot_id is a UUID that stays", strlen(boot1) == 37 && boot1[8] == '-' && strcmp(boot1, boot2) == 0, 1);
	EXPECT_RET("uuid is a new one each time", strlen(uuid1) == 37 && uuid1[14] == '4' && strcmp(uuid1, uuid2) != 0,
		   1);

	char old[64] = "";
	read_file("/proc/sys/kernel/threads-max", old, sizeof(old));
	EXPECT_RET("threads-max is at least 20", atol(old) >= 20, 1);
	snprintf(buf2, sizeof(buf2), "%d", 20);
	if (write_file("/proc/sys/kernel/threads-max", buf2, strlen(buf2)) > 0) {
		/* Forks until the 20 threads are all there: then EAGAIN. */
		pid_t kids[24];
		int made = 0, e = 0;
		while (made < 24) {
			pid_t pid = fork();
			if (pid == 0) {
				pause();
				_exit(0);
			}
			if (pid < 0) {
				e = errno;
				break;
			}
			kids[made++] = pid;
		}
		write_file("/proc/sys/kernel/threads-max", old, strlen(old));
		for (int i = 0; i < made; i++) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
		EXPECT_RET("fork past threads-max is EAGAIN", made < 20 && e == EAGAIN, 1);
	} else {
		tfail("threads-max: write failed, errno %d", errno);
	}

	read_file("/proc/sys/kernel/printk", old, sizeof(old));
	int levels[4] = {0};
	EXPECT_RET("printk: four levels", sscanf(old, "%d %d %d %d", &levels[0], &levels[1], &levels[2], &levels[3]), 4);
	EXPECT_RET("printk takes a new console level", write_file("/proc/sys/kernel/printk", "3", 1), 1);
	read_file("/proc/sys/kernel/printk", buf, sizeof(buf));
	EXPECT_RET("and shows it", atoi(buf), 3);
	write_file("/proc/sys/kernel/printk", old, strlen(old));

	read_file("/proc/sys/kernel/msgmni", old, sizeof(old));
	pid_t pid = fork();
	if (pid == 0) {
		/* Room for two more queues than exist now (none of ours). */
		struct msqid_ds ds;
		int in_use = msgctl(0, MSG_INFO, &ds);
		snprintf(buf2, sizeof(buf2), "%d", in_use + 2);
		if (write_file("/proc/sys/kernel/msgmni", buf2, strlen(buf2)) < 0)
			_exit(1);
		int a = msgget(IPC_PRIVATE, 0600), b = msgget(IPC_PRIVATE, 0600), c = msgget(IPC_PRIVATE, 0600);
		int e = errno;
		msgctl(a, IPC_RMID, NULL);
		msgctl(b, IPC_RMID, NULL);
		_exit(a >= 0 && b >= 0 && c == -1 && e == ENOSPC ? 0 : 2);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	write_file("/proc/sys/kernel/msgmni", old, strlen(old));
	EXPECT_RET("msgget past msgmni is ENOSPC", status, 0);
}

int main(void)
{
	proc_mount_if_needed();
	check_tunables();
	check_comm();
	check_oom_score_adj();
	check_limits();
	check_mounts();
	check_threads();
	check_permissions();
	check_system_files();
	return tdone();
}
