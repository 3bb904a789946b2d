/*
 * System V semaphores: semget/semop/semtimedop/semctl, their flags and
 * errors, operations applied all together or not at all, processes
 * sleeping and woken by one another (values, waits for zero, removal,
 * signals), SEM_UNDO undone at exit, and the rights of an unprivileged
 * user.
 */
#include "sysvipc.h"

#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>

#define KEY 0x4b455302

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *info;
};

static int op(int id, unsigned short num, short delta, short flags)
{
	struct sembuf b = {num, delta, flags};
	return semop(id, &b, 1);
}

static int value(int id, int num)
{
	return semctl(id, num, GETVAL);
}

/* Waits (no timing: the count is the condition) until `cmd` of sem 0 is n. */
static void await_count(int id, int cmd, int n)
{
	while (semctl(id, 0, cmd) != n)
		sched_yield();
}

static void check_get_and_ctl(void)
{
	EXPECT_ERRNO("semget with more than SEMMSL semaphores", semget(IPC_PRIVATE, 32001, 0600), EINVAL);
	EXPECT_ERRNO("semget creating a set of 0", semget(IPC_PRIVATE, 0, 0600), EINVAL);
	EXPECT_ERRNO("semget of a missing key", semget(KEY, 1, 0600), ENOENT);
	int id = semget(KEY, 3, IPC_CREAT | IPC_EXCL | 0600);
	if (id < 0) {
		tfail("semget(KEY, 3, IPC_CREAT|IPC_EXCL) errno=%d", errno);
		return;
	}
	EXPECT_RET("semget of the key (nsems 0) finds it", semget(KEY, 0, 0), id);
	EXPECT_ERRNO("semget of the key with more semaphores", semget(KEY, 4, 0), EINVAL);
	EXPECT_ERRNO("semget IPC_CREAT|IPC_EXCL of the key", semget(KEY, 3, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	EXPECT_RET("a new semaphore is 0", value(id, 2), 0);
	EXPECT_RET("SETVAL 5", semctl(id, 1, SETVAL, (union semun){.val = 5}), 0);
	EXPECT_RET("GETVAL", value(id, 1), 5);
	EXPECT_RET("GETPID after SETVAL", semctl(id, 1, GETPID), getpid());
	EXPECT_ERRNO("SETVAL beyond SEMVMX", semctl(id, 1, SETVAL, (union semun){.val = 32768}), ERANGE);
	EXPECT_ERRNO("SETVAL negative", semctl(id, 1, SETVAL, (union semun){.val = -1}), ERANGE);
	EXPECT_ERRNO("GETVAL of semaphore 3 of 3", semctl(id, 3, GETVAL), EINVAL);
	EXPECT_ERRNO("GETVAL of semaphore -1", semctl(id, -1, GETVAL), EINVAL);
	unsigned short all[3] = {7, 8, 9}, got[3] = {0};
	EXPECT_RET("SETALL", semctl(id, 0, SETALL, (union semun){.array = all}), 0);
	EXPECT_RET("GETALL", semctl(id, 0, GETALL, (union semun){.array = got}), 0);
	if (got[0] == 7 && got[1] == 8 && got[2] == 9)
		tpass("GETALL reads what SETALL wrote");
	else
		tfail("GETALL -> %u %u %u", got[0], got[1], got[2]);
	struct semid_ds ds;
	memset(&ds, 0, sizeof ds);
	EXPECT_RET("IPC_STAT", semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}), 0);
	if (ds.sem_nsems == 3 && ds.sem_perm.__key == KEY && (ds.sem_perm.mode & 0777) == 0600 && ds.sem_otime == 0 &&
	    ds.sem_ctime > 0)
		tpass("IPC_STAT: 3 semaphores, key, mode, no semop yet");
	else
		tfail("IPC_STAT: nsems=%lu mode=%o otime=%ld", (unsigned long)ds.sem_nsems, ds.sem_perm.mode,
		      (long)ds.sem_otime);
	expect_sysvipc_line("sem", "       key      semid perms      nsems   uid", KEY, id, 0600);
	ds.sem_perm.mode = 0660;
	EXPECT_RET("IPC_SET", semctl(id, 0, IPC_SET, (union semun){.buf = &ds}), 0);
	semctl(id, 0, IPC_STAT, (union semun){.buf = &ds});
	EXPECT_RET("IPC_SET changed the mode", ds.sem_perm.mode & 0777, 0660);
	EXPECT_ERRNO("an unknown command", semctl(id, 0, 4242), EINVAL);
	struct seminfo info;
	int max = semctl(0, 0, IPC_INFO, (union semun){.info = &info});
	if (max >= 0 && info.semmsl == 32000 && info.semopm == 500 && info.semvmx == 32767 && info.semmni == 32000)
		tpass("IPC_INFO: Linux's limits");
	else
		tfail("IPC_INFO -> %d msl=%d opm=%d vmx=%d", max, info.semmsl, info.semopm, info.semvmx);
	EXPECT_RET("SEM_INFO returns the highest index", semctl(0, 0, SEM_INFO, (union semun){.info = &info}), max);
	if (info.semusz >= 1 && info.semaem >= 3)
		tpass("SEM_INFO: %d sets, %d semaphores in use", info.semusz, info.semaem);
	else
		tfail("SEM_INFO: semusz=%d semaem=%d", info.semusz, info.semaem);
	EXPECT_RET("SEM_STAT of the index gives the id", semctl(id % 32768, 0, SEM_STAT, (union semun){.buf = &ds}),
		   id);
	EXPECT_RET("IPC_RMID", semctl(id, 0, IPC_RMID), 0);
	EXPECT_ERRNO("GETVAL of a removed set", value(id, 0), EINVAL);
}

static void check_operations(void)
{
	int id = semget(IPC_PRIVATE, 2, 0600);
	EXPECT_ERRNO("semop decrementing 0 with IPC_NOWAIT", op(id, 0, -1, IPC_NOWAIT), EAGAIN);
	EXPECT_RET("semop +2", op(id, 0, 2, 0), 0);
	EXPECT_RET("GETPID after semop", semctl(id, 0, GETPID), getpid());
	struct sembuf two[2] = {{0, -1, IPC_NOWAIT}, {1, -1, IPC_NOWAIT}};
	EXPECT_ERRNO("two operations, the second would block", semop(id, two, 2), EAGAIN);
	EXPECT_RET("so the first was not applied", value(id, 0), 2);
	struct sembuf seq[2] = {{0, -2, 0}, {0, 0, IPC_NOWAIT}};
	EXPECT_RET("a later operation sees the earlier one's value (-2 then wait-for-zero)", semop(id, seq, 2), 0);
	EXPECT_RET("value after", value(id, 0), 0);
	EXPECT_RET("wait for zero of a zero semaphore", op(id, 0, 0, 0), 0);
	op(id, 1, 1, 0);
	EXPECT_ERRNO("wait for zero of a non-zero one with IPC_NOWAIT", op(id, 1, 0, IPC_NOWAIT), EAGAIN);
	EXPECT_ERRNO("sem_num beyond the set", op(id, 2, 1, 0), EFBIG);
	static struct sembuf many[501];
	EXPECT_ERRNO("more than SEMOPM operations", semop(id, many, 501), E2BIG);
	EXPECT_ERRNO("no operations", semop(id, many, 0), EINVAL);
	semctl(id, 0, SETVAL, (union semun){.val = 32767});
	EXPECT_ERRNO("semop beyond SEMVMX", op(id, 0, 1, 0), ERANGE);
	EXPECT_ERRNO("semop on a negative id", op(-1, 0, 1, 0), EINVAL);
	struct timespec ten_ms = {0, 10 * 1000 * 1000};
	struct sembuf down = {1, -5, 0};
	EXPECT_ERRNO("semtimedop that times out", semtimedop(id, &down, 1, &ten_ms), EAGAIN);
	struct timespec bad = {0, 1000 * 1000 * 1000};
	EXPECT_ERRNO("semtimedop with tv_nsec of a second", semtimedop(id, &down, 1, &bad), EINVAL);
	EXPECT_RET("GETNCNT after the timeout", semctl(id, 1, GETNCNT), 0);
	semctl(id, 0, IPC_RMID);
}

static void check_sleep_and_wake(void)
{
	int id = semget(IPC_PRIVATE, 1, 0600);
	pid_t pid = fork();
	if (pid == 0)
		_exit(op(id, 0, -2, 0) == 0 ? 0 : 1);
	await_count(id, GETNCNT, 1);
	tpass("GETNCNT counts the child sleeping in semop(-2)");
	EXPECT_RET("semop +1 (not enough for the child)", op(id, 0, 1, 0), 0);
	EXPECT_RET("semop +1 more", op(id, 0, 1, 0), 0);
	EXPECT_RET("the child's semop(-2) completed", wait_child(pid), 0);
	EXPECT_RET("the value after the child took 2", value(id, 0), 0);
	EXPECT_RET("GETNCNT after", semctl(id, 0, GETNCNT), 0);

	semctl(id, 0, SETVAL, (union semun){.val = 1});
	pid = fork();
	if (pid == 0)
		_exit(op(id, 0, 0, 0) == 0 ? 0 : 1);
	await_count(id, GETZCNT, 1);
	tpass("GETZCNT counts the child waiting for zero");
	EXPECT_RET("semop -1 brings it to zero", op(id, 0, -1, 0), 0);
	EXPECT_RET("the child's wait for zero completed", wait_child(pid), 0);

	pid = fork();
	if (pid == 0)
		_exit(op(id, 0, -1, 0) == -1 && errno == EIDRM ? 0 : 1);
	await_count(id, GETNCNT, 1);
	EXPECT_RET("IPC_RMID with a sleeper", semctl(id, 0, IPC_RMID), 0);
	EXPECT_RET("the sleeper's semop failed with EIDRM", wait_child(pid), 0);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void check_signal(void)
{
	int id = semget(IPC_PRIVATE, 1, 0600);
	pid_t pid = fork();
	if (pid == 0) {
		struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
		sigaction(SIGUSR1, &sa, NULL);
		_exit(op(id, 0, -1, 0) == -1 && errno == EINTR ? 0 : 1);
	}
	await_count(id, GETNCNT, 1);
	kill(pid, SIGUSR1);
	EXPECT_RET("a caught signal ends semop with EINTR even with SA_RESTART", wait_child(pid), 0);
	EXPECT_RET("GETNCNT after the interrupted sleeper left", semctl(id, 0, GETNCNT), 0);
	semctl(id, 0, IPC_RMID);
}

static void check_undo(void)
{
	int id = semget(IPC_PRIVATE, 2, 0600);
	semctl(id, 1, SETVAL, (union semun){.val = 2});
	int to_parent[2], to_child[2];
	if (pipe(to_parent) || pipe(to_child)) {
		tfail("pipe errno=%d", errno);
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		struct sembuf ops[2] = {{0, 3, SEM_UNDO}, {1, -1, SEM_UNDO}};
		_exit(semop(id, ops, 2) == 0 && value(id, 0) == 3 && value(id, 1) == 1 ? 0 : 1);
	}
	EXPECT_RET("the child's semop with SEM_UNDO", wait_child(pid), 0);
	EXPECT_RET("its +3 is undone at exit", value(id, 0), 0);
	EXPECT_RET("its -1 is undone at exit", value(id, 1), 2);
	EXPECT_RET("GETPID is the exited child after the undo", semctl(id, 0, GETPID), pid);
	pid = fork();
	if (pid == 0) {
		char c;
		int ok = op(id, 0, 5, SEM_UNDO) == 0;
		if (write(to_parent[1], "x", 1) != 1 || read(to_child[0], &c, 1) != 1)
			ok = 0;
		_exit(ok ? 0 : 1);
	}
	char c;
	if (read(to_parent[0], &c, 1) != 1)
		tfail("no word from the child");
	EXPECT_RET("SETVAL while the child holds an adjustment", semctl(id, 0, SETVAL, (union semun){.val = 1}), 0);
	if (write(to_child[1], "x", 1) != 1)
		tfail("write to the child");
	EXPECT_RET("the child exits", wait_child(pid), 0);
	EXPECT_RET("SETVAL cleared the adjustment: the value stays", value(id, 0), 1);
	pid = fork();
	if (pid == 0)
		_exit(op(id, 1, 2, SEM_UNDO) == 0 && semctl(id, 1, SETVAL, (union semun){.val = 32767}) == 0 ? 0 : 1);
	EXPECT_RET("a child's semop with SEM_UNDO, then its own SETVAL", wait_child(pid), 0);
	EXPECT_RET("nothing undone after its SETVAL", value(id, 1), 32767);
	semctl(id, 0, IPC_RMID);
	close(to_parent[0]), close(to_parent[1]), close(to_child[0]), close(to_child[1]);
}

static int unprivileged_checks(int private_set, int readable_set)
{
	int bad = 0;
	if (setgid(1000) || setuid(1000))
		return 100;
	if (op(private_set, 0, 1, IPC_NOWAIT) != -1 || errno != EACCES)
		bad |= 1;
	if (value(private_set, 0) != -1 || errno != EACCES)
		bad |= 2;
	if (semctl(private_set, 0, IPC_RMID) != -1 || errno != EPERM)
		bad |= 4;
	if (semget(KEY, 0, 0600) != -1 || errno != EACCES)
		bad |= 8;
	if (value(readable_set, 0) != 0)
		bad |= 16;
	if (op(readable_set, 0, 0, IPC_NOWAIT) != 0)
		bad |= 32;
	if (semctl(readable_set, 0, SETVAL, (union semun){.val = 1}) != -1 || errno != EACCES)
		bad |= 64;
	if (op(readable_set, 0, 1, 0) != -1 || errno != EACCES)
		bad |= 128;
	return bad;
}

static void check_permissions(void)
{
	int private_set = semget(KEY, 1, IPC_CREAT | IPC_EXCL | 0600);
	int readable_set = semget(IPC_PRIVATE, 1, 0644);
	pid_t pid = fork();
	if (pid == 0)
		_exit(unprivileged_checks(private_set, readable_set));
	int code = wait_child(pid);
	if (code == 0)
		tpass("uid 1000: EACCES on 0600, EPERM to remove, read-only use of 0644");
	else
		tfail("unprivileged checks failed: mask %#x", code);
	semctl(private_set, 0, IPC_RMID);
	semctl(readable_set, 0, IPC_RMID);
}

/* `sysvsem create KEY`: makes a keyed set for the ipcs/ipcrm script. */
static int helper(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "create") == 0) {
		int id = semget((key_t)strtoul(argv[2], NULL, 0), 2, IPC_CREAT | IPC_EXCL | 0640);
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
	alarm(60);
	expect_limit("sem", "32000\t1024000000\t500\t32000\n");
	check_get_and_ctl();
	check_operations();
	check_sleep_and_wake();
	check_signal();
	check_undo();
	check_permissions();
	return tdone();
}
