/* leaky: the demo/core workload, a mix of leaked, stuck, busy and healthy
 * threads.
 *
 *   ROLE condvar <tid>      leak_condvar_worker: pthread_cond_wait, never signalled
 *   ROLE mutex_holder <tid> hold_mutex_forever: holds mutex M, sleeps forever
 *   ROLE mutex <tid>        leak_mutex_worker: pthread_mutex_lock(M), blocks forever
 *   ROLE pipe <tid>         leak_pipe_reader: read() on a pipe nobody writes
 *   ROLE busy <tid>         busy_spinner: on CPU forever, no syscalls
 *   ROLE short_wait <tid>   short_wait_loop: 100 ms pthread_cond_timedwait loop
 *   ROLE main <tid>         main thread, sleeps in a loop
 *   ROLE grow <tid>         (--grow SEC) one more leak_condvar_worker every SEC
 *
 * After READY and --exit-delay SEC, --exiters N threads (quick_exit_worker)
 * are created and exit right away: "EXITERS_START N", then one "EXITER <tid>"
 * each and "EXITERS N" + "EXITERS_DONE N" once all are joined.
 *
 * Options: --exiters N (20), --exit-delay SEC (0), --grow SEC (off),
 *          --seconds SEC (run forever). */
#include "wl_common.h"
#include <getopt.h>

struct condvar_leak {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const char *role;
	int never; /* never set */
};

static struct condvar_leak base_leak = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, "condvar", 0
};
static pthread_mutex_t M = PTHREAD_MUTEX_INITIALIZER;
static int pipefd[2];
static volatile unsigned long spin_counter;

WL_NOINLINE void *leak_condvar_worker(void *arg)
{
	struct condvar_leak *l = arg;

	wl_role(l->role);
	wl_started();
	pthread_mutex_lock(&l->mu);
	while (!l->never)
		pthread_cond_wait(&l->cv, &l->mu);
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

WL_NOINLINE void *hold_mutex_forever(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&M);
	wl_role("mutex_holder");
	wl_started();
	for (;;)
		sleep(1000);
	pthread_mutex_unlock(&M);
	return NULL;
}

WL_NOINLINE void *leak_mutex_worker(void *arg)
{
	(void)arg;
	wl_role("mutex");
	wl_started();
	pthread_mutex_lock(&M);
	pthread_mutex_unlock(&M);
	printf("UNEXPECTED mutex acquired\n");
	return NULL;
}

WL_NOINLINE void *leak_pipe_reader(void *arg)
{
	char buf[64];
	ssize_t n;

	(void)arg;
	wl_role("pipe");
	wl_started();
	do {
		n = read(pipefd[0], buf, sizeof(buf));
	} while (n > 0 || (n < 0 && errno == EINTR));
	return NULL;
}

WL_NOINLINE void *busy_spinner(void *arg)
{
	(void)arg;
	wl_role("busy");
	wl_started();
	for (;;)
		spin_counter++;
	return NULL;
}

WL_NOINLINE void *short_wait_loop(void *arg)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv;
	struct timespec ts;

	(void)arg;
	wl_cond_init_mono(&cv);
	wl_role("short_wait");
	wl_started();
	pthread_mutex_lock(&mu);
	for (;;) {
		wl_deadline_ms(&ts, 100);
		pthread_cond_timedwait(&cv, &mu, &ts);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

WL_NOINLINE void *quick_exit_worker(void *arg)
{
	*(int *)arg = wl_tid();
	return NULL;
}

static void run_exiters(int n)
{
	pthread_t *t = calloc(n, sizeof(*t));
	int *tids = calloc(n, sizeof(*tids));
	int i, created = 0;

	printf("EXITERS_START %d\n", n);
	for (i = 0; i < n; i++) {
		if (pthread_create(&t[i], NULL, quick_exit_worker, &tids[i]))
			break;
		pthread_setname_np(t[i], "quick-exit"); /* may race with exit */
		created++;
	}
	for (i = 0; i < created; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < created; i++)
		printf("EXITER %d\n", tids[i]);
	printf("EXITERS %d\n", created);
	printf("EXITERS_DONE %d\n", created);
	free(t);
	free(tids);
}

static void spawn_grow(void)
{
	struct condvar_leak *l = calloc(1, sizeof(*l));

	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	l->role = "grow";
	pthread_detach(wl_spawn(leak_condvar_worker, l, "leak-grow"));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "exiters", required_argument, NULL, 'e' },
		{ "exit-delay", required_argument, NULL, 'd' },
		{ "grow", required_argument, NULL, 'g' },
		{ "seconds", required_argument, NULL, 's' },
		{ 0 }
	};
	int exiters = 20, c;
	double exit_delay = 0, grow = 0, seconds = 0, next;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e': exiters = atoi(optarg); break;
		case 'd': exit_delay = atof(optarg); break;
		case 'g': grow = atof(optarg); break;
		case 's': seconds = atof(optarg); break;
		default:
			fprintf(stderr, "usage: %s [--exiters N] [--exit-delay SEC] [--grow SEC] [--seconds SEC]\n", argv[0]);
			return 2;
		}
	}
	wl_init(seconds);
	if (pipe(pipefd)) {
		perror("pipe");
		return 1;
	}
	pthread_setname_np(pthread_self(), "leaky-main");

	wl_spawn(leak_condvar_worker, &base_leak, "leak-condvar");
	wl_spawn(hold_mutex_forever, NULL, "mutex-holder");
	wl_spawn(leak_mutex_worker, NULL, "leak-mutex");
	wl_spawn(leak_pipe_reader, NULL, "leak-pipe");
	wl_spawn(busy_spinner, NULL, "busy-spinner");
	wl_spawn(short_wait_loop, NULL, "short-wait");
	wl_role("main");
	wl_ready();

	next = wl_now() + grow;
	if (exiters > 0) {
		double until = wl_now() + exit_delay;

		/* keep growing while waiting for the exiters' turn */
		while (wl_now() < until) {
			double now = wl_now(), step = until - now;

			if (grow > 0 && next - now < step)
				step = next - now;
			wl_sleep(step);
			if (grow > 0 && wl_now() >= next) {
				spawn_grow();
				next += grow;
			}
		}
		run_exiters(exiters);
	}
	for (;;) {
		if (grow > 0) {
			double now = wl_now();

			if (now < next)
				wl_sleep(next - now);
			spawn_grow();
			next += grow;
		} else {
			wl_sleep(1.0);
		}
	}
	return 0;
}
