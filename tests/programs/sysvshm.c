/*
 * System V shared memory: shmget/shmat/shmdt/shmctl, their flags and
 * errors, memory shared with a forked child, attach counts that follow
 * fork and exit, removal at the last detach, and the permission checks
 * for an unprivileged user.
 */
#include "sysvipc.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

#define KEY 0x4b455301
#define PAGE 4096

/* This program, to exec again. */
static char *self;

static struct shmid_ds stat_of(int id)
{
	struct shmid_ds ds;
	memset(&ds, 0, sizeof ds);
	if (shmctl(id, IPC_STAT, &ds) != 0)
		tfail("shmctl(IPC_STAT) errno=%d %s", errno, errno_name(errno));
	return ds;
}

static void check_get_errors(void)
{
	EXPECT_ERRNO("shmget(IPC_PRIVATE, 0) (below SHMMIN)", shmget(IPC_PRIVATE, 0, 0600), EINVAL);
	EXPECT_ERRNO("shmget of a missing key without IPC_CREAT", shmget(KEY, PAGE, 0600), ENOENT);
	int id = shmget(KEY, PAGE, IPC_CREAT | IPC_EXCL | 0600);
	if (id < 0) {
		tfail("shmget(KEY, IPC_CREAT|IPC_EXCL) errno=%d", errno);
		return;
	}
	tpass("shmget(KEY, IPC_CREAT|IPC_EXCL) -> id %d", id);
	EXPECT_RET("shmget of the existing key finds the same id", shmget(KEY, 0, 0), id);
	EXPECT_RET("shmget(IPC_CREAT) of the existing key finds it too", shmget(KEY, PAGE, IPC_CREAT | 0600), id);
	EXPECT_ERRNO("shmget(IPC_CREAT|IPC_EXCL) of an existing key", shmget(KEY, PAGE, IPC_CREAT | IPC_EXCL | 0600),
		     EEXIST);
	EXPECT_ERRNO("shmget of the key with a larger size", shmget(KEY, 2 * PAGE, 0600), EINVAL);
	EXPECT_ERRNO("shmget of a huge size", shmget(IPC_PRIVATE, (size_t)-1, 0600), EINVAL);
	int other = shmget(IPC_PRIVATE, PAGE, 0600);
	if (other == id || other < 0)
		tfail("IPC_PRIVATE made id %d (the key's is %d)", other, id);
	else
		tpass("IPC_PRIVATE makes a new segment every time");
	EXPECT_RET("shmctl(IPC_RMID) of the private one", shmctl(other, IPC_RMID, NULL), 0);
	EXPECT_ERRNO("shmctl(IPC_STAT) of a removed id", shmctl(other, IPC_STAT, &(struct shmid_ds){0}), EINVAL);
	EXPECT_ERRNO("shmctl with a negative id", shmctl(-1, IPC_STAT, &(struct shmid_ds){0}), EINVAL);
	EXPECT_ERRNO("shmctl with an unknown command", shmctl(id, 12345, NULL), EINVAL);
	struct shmid_ds ds = stat_of(id);
	if (ds.shm_segsz == PAGE && ds.shm_cpid == getpid() && ds.shm_nattch == 0 && ds.shm_lpid == 0 &&
	    (ds.shm_perm.mode & 0777) == 0600 && ds.shm_perm.__key == KEY && ds.shm_perm.uid == getuid() &&
	    ds.shm_perm.cuid == getuid() && ds.shm_ctime > 0 && ds.shm_atime == 0)
		tpass("IPC_STAT of a new segment: size, creator, key, mode, no attaches");
	else
		tfail("IPC_STAT: segsz=%zu cpid=%d lpid=%d nattch=%lu mode=%o key=%#x", ds.shm_segsz, ds.shm_cpid,
		      ds.shm_lpid, (unsigned long)ds.shm_nattch, ds.shm_perm.mode, ds.shm_perm.__key);
	expect_sysvipc_line("shm", "       key      shmid perms                  size  cpid  lpid nattch", KEY, id, 0600);
	EXPECT_RET("shmctl(IPC_RMID) of the keyed segment", shmctl(id, IPC_RMID, NULL), 0);
	EXPECT_ERRNO("shmget finds no key after IPC_RMID", shmget(KEY, 0, 0), ENOENT);
}

static void check_sharing_with_a_child(void)
{
	int id = shmget(IPC_PRIVATE, 3 * PAGE, 0600);
	char *p = shmat(id, NULL, 0);
	if (p == (void *)-1) {
		tfail("shmat(NULL) errno=%d", errno);
		return;
	}
	tpass("shmat(NULL) attaches the segment");
	if (p[0] == 0 && p[3 * PAGE - 1] == 0)
		tpass("a new segment reads as zeroes");
	else
		tfail("a new segment is not zero");
	strcpy(p, "from the parent");
	struct shmid_ds ds = stat_of(id);
	if (ds.shm_nattch == 1 && ds.shm_lpid == getpid() && ds.shm_atime > 0)
		tpass("after shmat: shm_nattch 1, shm_lpid is the caller, shm_atime set");
	else
		tfail("after shmat: nattch=%lu lpid=%d atime=%ld", (unsigned long)ds.shm_nattch, ds.shm_lpid,
		      (long)ds.shm_atime);
	int to_child[2], to_parent[2];
	if (pipe(to_child) || pipe(to_parent)) {
		tfail("pipe errno=%d", errno);
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		struct shmid_ds cds;
		int bad = 0;
		if (strcmp(p, "from the parent") != 0)
			bad |= 1;
		if (shmctl(id, IPC_STAT, &cds) != 0 || cds.shm_nattch != 2)
			bad |= 2;
		/* A page the parent never touched, first touched here. */
		strcpy(p + 2 * PAGE, "from the child");
		char c = 0;
		if (write(to_parent[1], "x", 1) != 1 || read(to_child[0], &c, 1) != 1)
			bad |= 4;
		_exit(bad);
	}
	char c;
	if (read(to_parent[0], &c, 1) != 1)
		tfail("the child did not report");
	if (strcmp(p + 2 * PAGE, "from the child") == 0)
		tpass("the parent sees the child's write to a page first touched after fork");
	else
		tfail("the child's write is not visible: \"%.20s\"", p + 2 * PAGE);
	EXPECT_RET("shm_nattch while the child lives (fork copies the attach)", stat_of(id).shm_nattch, 2);
	if (write(to_child[1], "x", 1) != 1)
		tfail("write to the child");
	EXPECT_RET("the child saw the parent's data and nattch 2 (exit code)", wait_child(pid), 0);
	EXPECT_RET("shm_nattch after the child exited", stat_of(id).shm_nattch, 1);
	/* A child that detaches explicitly. */
	pid = fork();
	if (pid == 0)
		_exit(shmdt(p) == 0 && shmdt(p) == -1 && errno == EINVAL ? 0 : 1);
	EXPECT_RET("a child's shmdt, then shmdt again is EINVAL", wait_child(pid), 0);
	EXPECT_RET("shm_nattch after the child's shmdt and exit", stat_of(id).shm_nattch, 1);
	/* exec leaves the old address space, and its attach with it. */
	pid = fork();
	if (pid == 0) {
		char id_text[16];
		snprintf(id_text, sizeof id_text, "%d", id);
		execl(self, self, "nattch", id_text, (char *)NULL);
		_exit(99);
	}
	EXPECT_RET("after a child's exec, shm_nattch counts only the parent (exit code)", wait_child(pid), 1);
	EXPECT_ERRNO("shmdt of an address with nothing attached", shmdt(p + PAGE), EINVAL);
	EXPECT_ERRNO("shmdt of an unaligned address", shmdt(p + 1), EINVAL);
	EXPECT_RET("shmdt", shmdt(p), 0);
	ds = stat_of(id);
	if (ds.shm_nattch == 0 && ds.shm_dtime > 0)
		tpass("after shmdt: no attaches, shm_dtime set");
	else
		tfail("after shmdt: nattch=%lu dtime=%ld", (unsigned long)ds.shm_nattch, (long)ds.shm_dtime);
	/* The data outlives the attaches. */
	p = shmat(id, NULL, SHM_RDONLY);
	if (p != (void *)-1 && strcmp(p + 2 * PAGE, "from the child") == 0)
		tpass("the data stays in the segment between attaches");
	else
		tfail("reattached segment lost its data");
	pid = fork();
	if (pid == 0) {
		p[0] = 1;
		_exit(0);
	}
	EXPECT_RET("a write through a SHM_RDONLY attach is SIGSEGV", wait_child(pid), 128 + SIGSEGV);
	shmdt(p);
	shmctl(id, IPC_RMID, NULL);
	close(to_child[0]), close(to_child[1]), close(to_parent[0]), close(to_parent[1]);
}

static void check_addresses(void)
{
	int id = shmget(IPC_PRIVATE, PAGE, 0600);
	/* A free, page-aligned place: map and unmap an area. */
	char *area = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(area, 4 * PAGE);
	char *at = area + PAGE;
	EXPECT_ERRNO("shmat at an unaligned address", shmat(id, at + 100, 0), EINVAL);
	EXPECT_RET("shmat with SHM_RND rounds down to SHMLBA", (long)shmat(id, at + 100, SHM_RND), (long)at);
	EXPECT_ERRNO("shmat over an existing mapping without SHM_REMAP", shmat(id, at, 0), EINVAL);
	EXPECT_RET("shmat over it with SHM_REMAP", (long)shmat(id, at, SHM_REMAP), (long)at);
	EXPECT_ERRNO("SHM_REMAP without an address", shmat(id, NULL, SHM_REMAP), EINVAL);
	EXPECT_RET("shm_nattch counts the SHM_REMAP attach", stat_of(id).shm_nattch >= 1, 1);
	EXPECT_RET("shmdt", shmdt(at), 0);
	EXPECT_ERRNO("shmat of an id that names nothing", shmat(id + 1000 * 32768, NULL, 0), EINVAL);
	EXPECT_ERRNO("shmat of a negative id", shmat(-1, NULL, 0), EINVAL);
	shmctl(id, IPC_RMID, NULL);
}

static void check_maps_name(void)
{
	int id = shmget(KEY, PAGE, IPC_CREAT | 0600);
	char *p = shmat(id, NULL, 0);
	proc_mount_if_needed();
	char want[64];
	snprintf(want, sizeof want, "/SYSV%08x (deleted)", KEY);
	FILE *f = fopen("/proc/self/maps", "r");
	char line[256];
	int found = 0;
	while (f && fgets(line, sizeof line, f))
		if (strtoul(line, NULL, 16) == (unsigned long)p && strstr(line, want))
			found = 1;
	if (f)
		fclose(f);
	if (found)
		tpass("/proc/self/maps names the segment %s", want);
	else
		tfail("/proc/self/maps has no %s at %p", want, (void *)p);
	shmdt(p);
	shmctl(id, IPC_RMID, NULL);
}

static void check_rmid_while_attached(void)
{
	int id = shmget(KEY, PAGE, IPC_CREAT | IPC_EXCL | 0600);
	char *p = shmat(id, NULL, 0);
	EXPECT_RET("IPC_RMID while attached", shmctl(id, IPC_RMID, NULL), 0);
	struct shmid_ds ds = stat_of(id);
	if ((ds.shm_perm.mode & SHM_DEST) && ds.shm_perm.__key == IPC_PRIVATE && ds.shm_nattch == 1)
		tpass("a removed segment still attached: SHM_DEST set, key IPC_PRIVATE");
	else
		tfail("after IPC_RMID: mode=%o key=%#x nattch=%lu", ds.shm_perm.mode, ds.shm_perm.__key,
		      (unsigned long)ds.shm_nattch);
	EXPECT_ERRNO("its key no longer finds it", shmget(KEY, 0, 0), ENOENT);
	strcpy(p, "still here");
	EXPECT_RET("its memory stays usable", strcmp(p, "still here"), 0);
	int again = shmget(KEY, PAGE, IPC_CREAT | IPC_EXCL | 0600);
	if (again >= 0 && again != id)
		tpass("the key can name a new segment");
	else
		tfail("shmget of the freed key -> %d errno=%d", again, errno);
	shmctl(again, IPC_RMID, NULL);
	EXPECT_RET("shmdt of the last attach", shmdt(p), 0);
	EXPECT_ERRNO("the segment is gone at the last detach", shmctl(id, IPC_STAT, &ds), EINVAL);
}

static void check_info(void)
{
	int id = shmget(IPC_PRIVATE, 5 * PAGE, 0600);
	struct shminfo info;
	int max = shmctl(0, IPC_INFO, (struct shmid_ds *)&info);
	if (max >= 0 && info.shmmni == 4096 && info.shmmin == 1 && info.shmmax >= (1UL << 40))
		tpass("IPC_INFO: shmmni %lu, shmmin %lu, highest index %d", info.shmmni, info.shmmin, max);
	else
		tfail("IPC_INFO -> %d shmmni=%lu shmmin=%lu shmmax=%lu", max, info.shmmni, info.shmmin, info.shmmax);
	struct shm_info si;
	memset(&si, 0, sizeof si);
	int max2 = shmctl(0, SHM_INFO, (struct shmid_ds *)&si);
	if (max2 == max && si.used_ids >= 1 && si.shm_tot >= 5)
		tpass("SHM_INFO: %d ids in use, %lu pages", si.used_ids, si.shm_tot);
	else
		tfail("SHM_INFO -> %d used=%d tot=%lu", max2, si.used_ids, si.shm_tot);
	int index = id % 32768;
	struct shmid_ds ds;
	EXPECT_RET("SHM_STAT of the index gives the id", shmctl(index, SHM_STAT, &ds), id);
	struct shmid_ds set = stat_of(id);
	set.shm_perm.mode = 0640;
	set.shm_perm.gid = 123;
	EXPECT_RET("IPC_SET", shmctl(id, IPC_SET, &set), 0);
	ds = stat_of(id);
	if ((ds.shm_perm.mode & 0777) == 0640 && ds.shm_perm.gid == 123 && ds.shm_perm.cgid == getgid())
		tpass("IPC_SET changes the mode and group, not the creator's");
	else
		tfail("after IPC_SET: mode=%o gid=%u cgid=%u", ds.shm_perm.mode, ds.shm_perm.gid, ds.shm_perm.cgid);
	shmctl(id, IPC_RMID, NULL);
}

/* In a child running as uid/gid 1000: the rights of ipc_perm. */
static int unprivileged_checks(int owner_only, int world_readable)
{
	int bad = 0;
	struct shmid_ds ds;
	if (setgid(1000) || setuid(1000))
		return 100;
	if (shmat(owner_only, NULL, 0) != (void *)-1 || errno != EACCES)
		bad |= 1;
	if (shmctl(owner_only, IPC_STAT, &ds) != -1 || errno != EACCES)
		bad |= 2;
	if (shmctl(owner_only, IPC_RMID, NULL) != -1 || errno != EPERM)
		bad |= 4;
	if (shmget(KEY, 0, 0600) != -1 || errno != EACCES)
		bad |= 8;
	if (shmget(KEY, 0, 0) != owner_only)
		bad |= 16;
	void *p = shmat(world_readable, NULL, SHM_RDONLY);
	if (p == (void *)-1)
		bad |= 32;
	else
		shmdt(p);
	if (shmat(world_readable, NULL, 0) != (void *)-1 || errno != EACCES)
		bad |= 64;
	if (shmctl(world_readable, IPC_SET, &ds) != -1 || errno != EPERM)
		bad |= 128;
	return bad;
}

static void check_permissions(void)
{
	int owner_only = shmget(KEY, PAGE, IPC_CREAT | IPC_EXCL | 0600);
	int world_readable = shmget(IPC_PRIVATE, PAGE, 0644);
	pid_t pid = fork();
	if (pid == 0)
		_exit(unprivileged_checks(owner_only, world_readable));
	int code = wait_child(pid);
	if (code == 0)
		tpass("uid 1000: EACCES to attach/stat/get 0600, EPERM to remove/set, read-only attach of 0644");
	else
		tfail("unprivileged checks failed: mask %#x", code);
	shmctl(owner_only, IPC_RMID, NULL);
	shmctl(world_readable, IPC_RMID, NULL);
}

/* `sysvshm create KEY`: makes a keyed segment for the ipcs/ipcrm script
 * and prints its id; `sysvshm nattch ID` exits with the attach count. */
static int helper(int argc, char **argv)
{
	if (strcmp(argv[1], "nattch") == 0 && argc == 3) {
		struct shmid_ds ds;
		if (shmctl(atoi(argv[2]), IPC_STAT, &ds) != 0)
			return 98;
		return (int)ds.shm_nattch;
	}
	if (strcmp(argv[1], "create") == 0 && argc == 3) {
		int id = shmget((key_t)strtoul(argv[2], NULL, 0), 2 * PAGE, IPC_CREAT | IPC_EXCL | 0640);
		if (id < 0)
			return 1;
		printf("%d\n", id);
		return 0;
	}
	return 2;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return helper(argc, argv);
	/* Found through PATH: the kernel's link to it. */
	self = strchr(argv[0], '/') ? argv[0] : "/proc/self/exe";
	proc_mount_if_needed();
	alarm(60);
	expect_limit("shmmax", "18446744073692774399\n");
	expect_limit("shmall", "18446744073692774399\n");
	expect_limit("shmmni", "4096\n");
	check_get_errors();
	check_sharing_with_a_child();
	check_addresses();
	check_maps_name();
	check_rmid_while_attached();
	check_info();
	check_permissions();
	return tdone();
}
