/*
 * System V message queues: msgget/msgsnd/msgrcv/msgctl, message types
 * (0, >0, <0, MSG_EXCEPT), MSG_NOERROR, MSG_COPY, the byte limit, senders
 * and receivers sleeping and woken across processes, removal and signals
 * while asleep, and the rights of an unprivileged user.
 */
#include "sysvipc.h"

#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>

#define KEY 0x4b455303

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct message {
	long mtype;
	char mtext[128];
};

static int send(int id, long type, const char *text, int flags)
{
	struct message m = {.mtype = type};
	strncpy(m.mtext, text, sizeof m.mtext - 1);
	return msgsnd(id, &m, strlen(text), flags);
}

/* Receives into m; returns the length, -1 on error. */
static long receive(int id, struct message *m, long type, int flags)
{
	memset(m, 0, sizeof *m);
	return msgrcv(id, m, sizeof m->mtext - 1, type, flags);
}

static struct msqid_ds stat_of(int id)
{
	struct msqid_ds ds;
	memset(&ds, 0, sizeof ds);
	if (msgctl(id, IPC_STAT, &ds) != 0)
		tfail("msgctl(IPC_STAT) errno=%d", errno);
	return ds;
}

/* Waits until the child sleeps (state S): after telling us on a pipe, its
 * only sleep is the call under test. */
static void await_sleep(pid_t pid, int ready_fd)
{
	char c, path[64], buf[256];
	if (read(ready_fd, &c, 1) != 1)
		tfail("no word from the child");
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	for (;;) {
		FILE *f = fopen(path, "r");
		if (!f)
			return;
		char *got = fgets(buf, sizeof buf, f);
		fclose(f);
		char *close_paren = got ? strrchr(buf, ')') : NULL;
		if (close_paren && close_paren[2] == 'S')
			return;
		sched_yield();
	}
}

static void check_get_and_send(void)
{
	EXPECT_ERRNO("msgget of a missing key", msgget(KEY, 0600), ENOENT);
	int id = msgget(KEY, IPC_CREAT | IPC_EXCL | 0600);
	if (id < 0) {
		tfail("msgget(KEY, IPC_CREAT|IPC_EXCL) errno=%d", errno);
		return;
	}
	EXPECT_RET("msgget of the key finds it", msgget(KEY, 0), id);
	EXPECT_ERRNO("msgget IPC_CREAT|IPC_EXCL of the key", msgget(KEY, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	EXPECT_ERRNO("msgsnd with mtype 0", send(id, 0, "x", 0), EINVAL);
	static struct message big;
	big.mtype = 1;
	EXPECT_ERRNO("msgsnd of more than MSGMAX bytes", msgsnd(id, &big, 8193, 0), EINVAL);
	EXPECT_ERRNO("msgsnd to a negative id", send(-1, 1, "x", 0), EINVAL);
	struct message m;
	EXPECT_ERRNO("msgrcv of an empty queue with IPC_NOWAIT", receive(id, &m, 0, IPC_NOWAIT), ENOMSG);
	EXPECT_RET("msgsnd type 3", send(id, 3, "three", 0), 0);
	EXPECT_RET("msgsnd type 1", send(id, 1, "one-a", 0), 0);
	EXPECT_RET("msgsnd type 2", send(id, 2, "two", 0), 0);
	EXPECT_RET("msgsnd type 1 again", send(id, 1, "one-b", 0), 0);
	struct msqid_ds ds = stat_of(id);
	if (ds.msg_qnum == 4 && ds.__msg_cbytes == 18 && ds.msg_qbytes == 16384 && ds.msg_lspid == getpid() &&
	    ds.msg_lrpid == 0 && ds.msg_stime > 0 && ds.msg_perm.__key == KEY)
		tpass("IPC_STAT: 4 messages, 18 bytes, qbytes 16384, lspid");
	else
		tfail("IPC_STAT: qnum=%lu cbytes=%lu qbytes=%lu lspid=%d", (unsigned long)ds.msg_qnum,
		      (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qbytes, ds.msg_lspid);
	expect_sysvipc_line("msg", "       key      msqid perms      cbytes       qnum lspid lrpid", KEY, id, 0600);
	EXPECT_RET("MSG_COPY of message 1", receive(id, &m, 1, MSG_COPY | IPC_NOWAIT), 5);
	EXPECT_RET("MSG_COPY copied \"one-a\"", strcmp(m.mtext, "one-a"), 0);
	EXPECT_ERRNO("MSG_COPY beyond the last message", receive(id, &m, 4, MSG_COPY | IPC_NOWAIT), ENOMSG);
	EXPECT_ERRNO("MSG_COPY without IPC_NOWAIT", receive(id, &m, 1, MSG_COPY), EINVAL);
	EXPECT_RET("MSG_COPY left the queue as it was", stat_of(id).msg_qnum, 4);
	EXPECT_RET("msgrcv type -2 takes the lowest type up to 2", receive(id, &m, -2, 0), 5);
	EXPECT_RET("... the oldest of type 1", strcmp(m.mtext, "one-a") + (int)m.mtype, 1);
	EXPECT_RET("msgrcv type 2 with MSG_EXCEPT takes the first other type", receive(id, &m, 2, MSG_EXCEPT), 5);
	EXPECT_RET("... \"three\"", strcmp(m.mtext, "three") + (int)m.mtype, 3);
	EXPECT_ERRNO("msgrcv of a type that is not there (IPC_NOWAIT)", receive(id, &m, 7, IPC_NOWAIT), ENOMSG);
	EXPECT_RET("msgrcv type 2", receive(id, &m, 2, 0), 3);
	EXPECT_ERRNO("msgrcv into a buffer too small", msgrcv(id, &m, 2, 0, 0), E2BIG);
	EXPECT_RET("the message stays after E2BIG", stat_of(id).msg_qnum, 1);
	EXPECT_RET("msgrcv with MSG_NOERROR truncates", msgrcv(id, &m, 2, 0, MSG_NOERROR), 2);
	ds = stat_of(id);
	if (ds.msg_qnum == 0 && ds.__msg_cbytes == 0 && ds.msg_lrpid == getpid() && ds.msg_rtime > 0)
		tpass("the truncated message is gone; lrpid and rtime set");
	else
		tfail("after MSG_NOERROR: qnum=%lu cbytes=%lu lrpid=%d", (unsigned long)ds.msg_qnum,
		      (unsigned long)ds.__msg_cbytes, ds.msg_lrpid);
	EXPECT_RET("msgsnd of 0 bytes", send(id, 9, "", 0), 0);
	EXPECT_RET("msgrcv of 0 bytes", receive(id, &m, 9, 0), 0);
	struct msginfo info;
	int max = msgctl(0, IPC_INFO, (struct msqid_ds *)&info);
	if (max >= 0 && info.msgmax == 8192 && info.msgmnb == 16384 && info.msgmni == 32000)
		tpass("IPC_INFO: Linux's limits");
	else
		tfail("IPC_INFO -> %d max=%d mnb=%d mni=%d", max, info.msgmax, info.msgmnb, info.msgmni);
	EXPECT_RET("MSG_INFO returns the highest index", msgctl(0, MSG_INFO, (struct msqid_ds *)&info), max);
	EXPECT_RET("MSG_INFO: queues in use >= 1", info.msgpool >= 1, 1);
	EXPECT_RET("MSG_STAT of the index gives the id", msgctl(id % 32768, MSG_STAT, &ds), id);
	EXPECT_ERRNO("an unknown command", msgctl(id, 4242, &ds), EINVAL);
	EXPECT_RET("IPC_RMID", msgctl(id, IPC_RMID, NULL), 0);
	EXPECT_ERRNO("msgsnd to a removed queue", send(id, 1, "x", 0), EINVAL);
}

static void check_blocking(void)
{
	int id = msgget(IPC_PRIVATE, 0600);
	int ready[2];
	if (pipe(ready)) {
		tfail("pipe errno=%d", errno);
		return;
	}
	/* A receiver that sleeps until a message of its type comes. */
	pid_t pid = fork();
	if (pid == 0) {
		struct message m;
		if (write(ready[1], "x", 1) != 1)
			_exit(2);
		_exit(receive(id, &m, 5, 0) == 4 && strcmp(m.mtext, "five") == 0 ? 0 : 1);
	}
	await_sleep(pid, ready[0]);
	EXPECT_RET("a message of another type does not wake the receiver", send(id, 4, "four", 0), 0);
	EXPECT_RET("msgsnd of the type the child waits for", send(id, 5, "five", 0), 0);
	EXPECT_RET("the sleeping receiver got it", wait_child(pid), 0);
	struct message m;
	receive(id, &m, 4, 0);

	/* A sender that sleeps until the queue has room. */
	struct msqid_ds ds = stat_of(id);
	ds.msg_qbytes = 10;
	EXPECT_RET("IPC_SET msg_qbytes 10", msgctl(id, IPC_SET, &ds), 0);
	EXPECT_RET("msgsnd of 8 bytes", send(id, 1, "12345678", 0), 0);
	EXPECT_ERRNO("msgsnd past msg_qbytes with IPC_NOWAIT", send(id, 1, "abc", IPC_NOWAIT), EAGAIN);
	pid = fork();
	if (pid == 0) {
		if (write(ready[1], "x", 1) != 1)
			_exit(2);
		_exit(send(id, 2, "abc", 0) == 0 ? 0 : 1);
	}
	await_sleep(pid, ready[0]);
	EXPECT_RET("the sleeping sender's message is not queued yet", stat_of(id).msg_qnum, 1);
	EXPECT_RET("msgrcv makes room", receive(id, &m, 0, 0), 8);
	EXPECT_RET("the sender woke and sent", wait_child(pid), 0);
	EXPECT_RET("its message arrived", receive(id, &m, 0, IPC_NOWAIT), 3);

	/* Removal and signals end the sleep. */
	pid = fork();
	if (pid == 0) {
		if (write(ready[1], "x", 1) != 1)
			_exit(2);
		_exit(receive(id, &m, 0, 0) == -1 && errno == EIDRM ? 0 : 1);
	}
	await_sleep(pid, ready[0]);
	EXPECT_RET("IPC_RMID with a sleeping receiver", msgctl(id, IPC_RMID, NULL), 0);
	EXPECT_RET("the receiver's msgrcv failed with EIDRM", wait_child(pid), 0);
	close(ready[0]), close(ready[1]);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void check_signal(void)
{
	int id = msgget(IPC_PRIVATE, 0600);
	int ready[2];
	if (pipe(ready)) {
		tfail("pipe errno=%d", errno);
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		struct sigaction sa = {.sa_handler = on_usr1};
		sigaction(SIGUSR1, &sa, NULL);
		struct message m;
		if (write(ready[1], "x", 1) != 1)
			_exit(2);
		_exit(receive(id, &m, 0, 0) == -1 && errno == EINTR ? 0 : 1);
	}
	await_sleep(pid, ready[0]);
	kill(pid, SIGUSR1);
	EXPECT_RET("a caught signal ends msgrcv with EINTR", wait_child(pid), 0);
	msgctl(id, IPC_RMID, NULL);
	close(ready[0]), close(ready[1]);
}

static int unprivileged_checks(int private_queue, int readable_queue)
{
	int bad = 0;
	struct msqid_ds ds;
	struct message m;
	if (setgid(1000) || setuid(1000))
		return 100;
	if (send(private_queue, 1, "x", IPC_NOWAIT) != -1 || errno != EACCES)
		bad |= 1;
	if (receive(private_queue, &m, 0, IPC_NOWAIT) != -1 || errno != EACCES)
		bad |= 2;
	if (msgctl(private_queue, IPC_RMID, NULL) != -1 || errno != EPERM)
		bad |= 4;
	if (msgget(KEY, 0600) != -1 || errno != EACCES)
		bad |= 8;
	if (msgctl(readable_queue, IPC_STAT, &ds) != 0)
		bad |= 16;
	if (send(readable_queue, 1, "x", IPC_NOWAIT) != -1 || errno != EACCES)
		bad |= 32;
	int own = msgget(IPC_PRIVATE, 0600);
	if (own < 0 || msgctl(own, IPC_STAT, &ds) != 0)
		return bad | 64;
	ds.msg_qbytes = 16385;
	if (msgctl(own, IPC_SET, &ds) != -1 || errno != EPERM)
		bad |= 128;
	ds.msg_qbytes = 100;
	if (msgctl(own, IPC_SET, &ds) != 0 || msgctl(own, IPC_RMID, NULL) != 0)
		bad |= 256;
	return bad;
}

static void check_permissions(void)
{
	int private_queue = msgget(KEY, IPC_CREAT | IPC_EXCL | 0600);
	int readable_queue = msgget(IPC_PRIVATE, 0644);
	pid_t pid = fork();
	if (pid == 0)
		_exit(unprivileged_checks(private_queue, readable_queue));
	int code = wait_child(pid);
	if (code == 0)
		tpass("uid 1000: EACCES on 0600, EPERM to remove, read-only 0644, qbytes above MSGMNB is EPERM");
	else
		tfail("unprivileged checks failed: mask %#x", code);
	msgctl(private_queue, IPC_RMID, NULL);
	msgctl(readable_queue, IPC_RMID, NULL);
}

/* `sysvmsg create KEY`: makes a keyed queue with one message for the
 * ipcs/ipcrm script. */
static int helper(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "create") == 0) {
		int id = msgget((key_t)strtoul(argv[2], NULL, 0), IPC_CREAT | IPC_EXCL | 0640);
		if (id < 0 || send(id, 1, "hello", 0) != 0)
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
	proc_mount_if_needed();
	expect_limit("msgmax", "8192\n");
	expect_limit("msgmnb", "16384\n");
	expect_limit("msgmni", "32000\n");
	check_get_and_send();
	check_blocking();
	check_signal();
	check_permissions();
	return tdone();
}
