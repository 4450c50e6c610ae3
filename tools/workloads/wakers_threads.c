/* wakers_threads: a pipe reader and a joiner whose only wakers are blocked
 * forever (LEAK, proof waker_chain), or, with --alive, wakers that run
 * (HEALTHY twin). The writer side is a child process: it holds the pipe's
 * only write end, the parent only the read end.
 *
 *   parent:
 *     ROLE reader <tid>       read_pipe: read(2) on the pipe, forever
 *     ROLE main <tid>         sleeps in a loop (healthy)
 *   child (--alive unset):
 *     ROLE deadlock_a <tid>   lock_a_then_b: holds m1, blocks on m2
 *     ROLE deadlock_b <tid>   lock_b_then_a: holds m2, blocks on m1
 *     ROLE joiner <tid>       the child's main: pthread_join(deadlock_a)
 *   child (--alive):
 *     ROLE writer_alive <tid> loops on 1 s sleeps, never writes
 *     ROLE joiner <tid>       the child's main: pthread_join(writer_alive)
 *   READY                     once the child's threads are in place
 *
 * The child dies with the parent (PR_SET_PDEATHSIG).
 * Options: --alive, --seconds SEC. */
#include "wl_common.h"
#include <getopt.h>

static pthread_mutex_t m1 = PTHREAD_MUTEX_INITIALIZER, m2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_first;

WL_NOINLINE void *lock_a_then_b(void *arg)
{
	(void)arg;
	wl_role("deadlock_a");
	pthread_mutex_lock(&m1);
	pthread_barrier_wait(&both_hold_first);
	wl_sleep(0.05);
	pthread_mutex_lock(&m2);	/* deadlocks here */
	printf("UNEXPECTED lock_a_then_b got both\n");
	return NULL;
}

WL_NOINLINE void *lock_b_then_a(void *arg)
{
	(void)arg;
	wl_role("deadlock_b");
	pthread_mutex_lock(&m2);
	pthread_barrier_wait(&both_hold_first);
	wl_sleep(0.05);
	pthread_mutex_lock(&m1);	/* deadlocks here */
	printf("UNEXPECTED lock_b_then_a got both\n");
	return NULL;
}

WL_NOINLINE void *writer_alive(void *arg)
{
	(void)arg;
	wl_role("writer_alive");
	for (;;)
		wl_sleep(1);
	return NULL;
}

WL_NOINLINE void join_thread(pthread_t t)
{
	pthread_join(t, NULL);
	printf("UNEXPECTED joined\n");
}

/* The child: holds the write end wfd, tells the parent on sync when its
 * threads are in place, then joins. */
static void child(int wfd, int sync, int alive)
{
	pthread_t a, b;

	(void)wfd;	/* held open, never written */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (alive) {
		pthread_create(&a, NULL, writer_alive, NULL);
	} else {
		pthread_barrier_init(&both_hold_first, NULL, 2);
		pthread_create(&a, NULL, lock_a_then_b, NULL);
		pthread_create(&b, NULL, lock_b_then_a, NULL);
	}
	wl_role("joiner");
	wl_sleep(0.3);
	if (write(sync, "x", 1) != 1)
		_exit(1);
	close(sync);
	join_thread(a);
	_exit(0);
}

WL_NOINLINE void *read_pipe(void *arg)
{
	char c;

	wl_role("reader");
	wl_started();
	printf("UNEXPECTED read %zd\n", read((int)(long)arg, &c, 1));
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "alive", no_argument, NULL, 'a' },
		{ "seconds", required_argument, NULL, 's' },
		{ 0 }
	};
	int alive = 0, c, p[2], sync[2];
	double seconds = 0;
	char x;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': alive = 1; break;
		case 's': seconds = atof(optarg); break;
		default:
			fprintf(stderr, "usage: %s [--alive] [--seconds SEC]\n", argv[0]);
			return 2;
		}
	}
	wl_init(seconds);
	if (pipe(p) || pipe(sync))
		return 1;
	if (fork() == 0) {
		close(p[0]);
		close(sync[0]);
		child(p[1], sync[1], alive);
	}
	close(p[1]);
	close(sync[1]);
	if (read(sync[0], &x, 1) != 1)
		return 1;
	wl_spawn(read_pipe, (void *)(long)p[0], "reader");
	wl_role("main");
	wl_ready();
	for (;;)
		wl_sleep(1);
}
