/*
 * Threads with musl's pthreads: a mutex-protected counter across 16
 * threads, condition variables, join and detach, thread-local storage,
 * pthread_kill to one thread, gettid/getpid, a process-shared mutex in a
 * MAP_SHARED file mapping between two processes, a robust mutex whose
 * owner thread dies (EOWNERDEAD), pthread_exit in main, exit from a thread,
 * and execve from a thread.
 */
#include "common.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#define THREADS 16
#define INCREMENTS 100000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count_up(void *arg)
{
	(void)arg;
	for (int i = 0; i < INCREMENTS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void check_counter(void)
{
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, count_up, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	EXPECT_RET("16 threads x 100000 locked increments", counter, (long)THREADS * INCREMENTS);
}

static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static int queue_len, consumed;

static void *consumer(void *arg)
{
	(void)arg;
	for (int n = 0; n < 1000; n++) {
		pthread_mutex_lock(&lock);
		while (queue_len == 0)
			pthread_cond_wait(&ready, &lock);
		queue_len--;
		consumed++;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void check_condvar(void)
{
	pthread_t c;
	pthread_create(&c, NULL, consumer, NULL);
	for (int n = 0; n < 1000; n++) {
		pthread_mutex_lock(&lock);
		queue_len++;
		pthread_cond_signal(&ready);
		pthread_mutex_unlock(&lock);
		if (n % 100 == 0)
			sched_yield();
	}
	pthread_join(c, NULL);
	EXPECT_RET("a condition variable hands over 1000 items", consumed, 1000);
}

static __thread int tls_value = 7;
static pid_t seen_tid, seen_pid;

static void *tls_and_ids(void *arg)
{
	tls_value = (int)(intptr_t)arg;
	seen_tid = (pid_t)syscall(SYS_gettid);
	seen_pid = getpid();
	return (void *)(intptr_t)(tls_value * 2);
}

static void check_join_tls_ids(void)
{
	pthread_t t;
	void *ret;
	pthread_create(&t, NULL, tls_and_ids, (void *)21);
	pthread_join(t, &ret);
	EXPECT_RET("pthread_join returns the thread's value", (intptr_t)ret, 42);
	EXPECT_RET("__thread is per thread: main's copy is untouched", tls_value, 7);
	EXPECT_RET("a thread has the process's pid", seen_pid, getpid());
	EXPECT_RET("... and a tid of its own", seen_tid != getpid() && seen_tid > 0, 1);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	EXPECT_RET("pthread_create of a detached thread", pthread_create(&t, &attr, tls_and_ids, (void *)1), 0);
	pthread_t j;
	pthread_create(&j, NULL, tls_and_ids, (void *)2);
	EXPECT_RET("pthread_detach", pthread_detach(j), 0);
	struct timespec ts = {0, 20 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

static volatile pid_t handler_tid;
static volatile int victim_ready, victim_go;

static void on_usr1(int sig)
{
	(void)sig;
	handler_tid = (pid_t)syscall(SYS_gettid);
}

static void *victim(void *arg)
{
	*(pid_t *)arg = (pid_t)syscall(SYS_gettid);
	victim_ready = 1;
	while (!victim_go)
		sched_yield();
	return NULL;
}

static void check_pthread_kill(void)
{
	signal(SIGUSR1, on_usr1);
	pid_t victim_tid = 0;
	pthread_t t;
	pthread_create(&t, NULL, victim, &victim_tid);
	while (!victim_ready)
		sched_yield();
	EXPECT_RET("pthread_kill(thread, SIGUSR1)", pthread_kill(t, SIGUSR1), 0);
	/* Wait by time, not by turns: on several CPUs the victim's may be
	 * slow to run (an emulator's vCPU waits for a host core), and a thread
	 * that exits first never runs the handler. */
	for (int i = 0; i < 10000 && handler_tid == 0; i++)
		usleep(1000);
	victim_go = 1;
	pthread_join(t, NULL);
	if (handler_tid == victim_tid)
		tpass("the handler ran in the targeted thread");
	else
		tfail("the handler ran in thread %d, not in the targeted thread %d", (int)handler_tid, (int)victim_tid);
	signal(SIGUSR1, SIG_DFL);
}

static void check_process_shared_mutex(void)
{
	char path[] = "/tmp/pshmXXXXXX";
	int fd = mkstemp(path);
	ftruncate(fd, 4096);
	struct shared {
		pthread_mutex_t m;
		long n;
	} *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&s->m, &a);
	s->n = 0;
	pid_t pid = fork();
	for (int i = 0; i < 20000; i++) {
		pthread_mutex_lock(&s->m);
		s->n++;
		pthread_mutex_unlock(&s->m);
	}
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	EXPECT_RET("a process-shared mutex in a shared file mapping: two processes count exactly", s->n, 40000);
	munmap(s, 4096);
	close(fd);
	unlink(path);
}

static pthread_mutex_t robust;

static void *die_holding(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&robust);
	return NULL; /* exits with the mutex held */
}

static void check_robust_mutex(void)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &a);
	pthread_t t;
	pthread_create(&t, NULL, die_holding, NULL);
	pthread_join(t, NULL);
	int r = pthread_mutex_lock(&robust);
	EXPECT_RET("locking a robust mutex whose owner died gives EOWNERDEAD", r, EOWNERDEAD);
	EXPECT_RET("pthread_mutex_consistent", pthread_mutex_consistent(&robust), 0);
	pthread_mutex_unlock(&robust);
}

#define EXIT_ROUNDS 300

static void *exit_whole_process(void *arg)
{
	(void)arg;
	exit(5);
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void *main_exits_first(void *arg)
{
	struct timespec ts = {0, (long)(intptr_t)arg};
	nanosleep(&ts, NULL);
	_exit(9);
}

/* Whether exit() in one thread ends a child whose other threads sleep in
 * pause() with exit()'s status. */
static int exit_in_thread_ends_all(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		pthread_create(&t, NULL, sleeper, NULL);
		pthread_create(&t, NULL, exit_whole_process, NULL);
		for (;;)
			pause();
	}
	int status = 0;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 5;
}

/* Whether a child whose main thread leaves with pthread_exit lives on
 * until its other thread's _exit, after `delay_ns`. */
static int last_thread_ends_process(long delay_ns)
{
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		pthread_create(&t, NULL, main_exits_first, (void *)(intptr_t)delay_ns);
		pthread_exit(NULL);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 9;
}

/* The exits race on two CPUs (the last thread makes the leader a zombie
 * while the leader itself is still leaving), so each runs many times with
 * the second thread's delay spread over 0-50 us. */
static void check_exits(const char *self)
{
	int all_ended = 0, last_ended = 0;
	for (int i = 0; i < EXIT_ROUNDS; i++) {
		all_ended += exit_in_thread_ends_all();
		last_ended += last_thread_ends_process(i % 50 * 1000);
	}
	EXPECT_RET("exit() in one thread ends every thread with its status, every round", all_ended, EXIT_ROUNDS);
	EXPECT_RET("pthread_exit in main: the process lives on until its last thread, every round", last_ended,
		   EXIT_ROUNDS);
	int ok;
	ok = last_thread_ends_process(30 * 1000 * 1000);
	EXPECT_RET("pthread_exit in main: the process outlives it by 30 ms", ok, 1);

	int status = 0;
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		pthread_create(&t, NULL, sleeper, NULL);
		char *argv[] = {(char *)self, "exec-ok", NULL};
		execv(self, argv);
		_exit(100);
	}
	waitpid(pid, &status, 0);
	EXPECT_RET("execve with another thread running", WIFEXITED(status) && WEXITSTATUS(status) == 33, 1);
}

struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static void check_clone3(void)
{
	struct clone_args_v0 args = {0};
	args.exit_signal = SIGCHLD;
	long pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid == 0)
		_exit(12);
	int status = 0;
	waitpid((pid_t)pid, &status, 0);
	EXPECT_RET("clone3 with exit_signal SIGCHLD works like fork", WIFEXITED(status) && WEXITSTATUS(status) == 12, 1);
	EXPECT_ERRNO("clone3 with a structure shorter than version 0", syscall(SYS_clone3, &args, 32), EINVAL);
	args.flags = CLONE_SIGHAND;
	EXPECT_ERRNO("clone3 with CLONE_SIGHAND but not CLONE_VM", syscall(SYS_clone3, &args, sizeof args), EINVAL);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-ok") == 0)
		return 33;
	check_counter();
	check_condvar();
	check_join_tls_ids();
	check_pthread_kill();
	check_process_shared_mutex();
	check_robust_mutex();
	check_exits(argv[0]);
	check_clone3();
	return tdone();
}
