/* pool_idle_queue: a thread pool whose idle workers wait each on a
 * condition of its own, queued on the pool's idle list, as Varnish's pools
 * do: HEALTHY (the pool can hand any of them work). The --private twin
 * LEAKS: its threads wait each on a condition of their own that nothing
 * links, so nothing can ever signal them.
 *
 * Both start one worker every --every SEC (0.5), --workers N (6) in all;
 * each parks at once, with no timeout, and none is woken while watched.
 * Healthy: struct idle_worker lives on the worker's own stack, its queue
 * entry two fields before its condvar; the pool (malloc'ed) holds the
 * newest (LIFO), each entry the next one (on another worker's stack).
 *
 *   ROLE idle <tid>      pool_idle_wait (healthy), one line per worker
 *   ROLE private <tid>   private_wait (--private), one line per worker
 *
 * Options: --private, --workers N, --every SEC, --seconds SEC. */
#include "wl_common.h"
#include <getopt.h>

struct idle_worker {
	struct idle_worker *next;	/* the pool's idle list (LIFO) */
	int job;			/* set by the pool when it hands one */
	pthread_cond_t cond;		/* signalled with a job */
};

struct pool {
	pthread_mutex_t mu;
	struct idle_worker *idle;
	int n_idle;
};

static struct pool *pool;

WL_NOINLINE void pool_idle_wait(struct idle_worker *w)
{
	pthread_mutex_lock(&pool->mu);
	w->next = pool->idle;
	pool->idle = w;
	pool->n_idle++;
	wl_started();
	while (!w->job)
		pthread_cond_wait(&w->cond, &pool->mu);
	pthread_mutex_unlock(&pool->mu);
}

WL_NOINLINE void *pool_worker(void *arg)
{
	struct idle_worker w = { 0 };

	(void)arg;
	pthread_cond_init(&w.cond, NULL);
	wl_role("idle");
	pool_idle_wait(&w);
	return NULL;
}

WL_NOINLINE void private_wait(pthread_mutex_t *mu, pthread_cond_t *cond, int *job)
{
	pthread_mutex_lock(mu);
	wl_started();
	while (!*job)
		pthread_cond_wait(cond, mu);
	pthread_mutex_unlock(mu);
}

WL_NOINLINE void *private_worker(void *arg)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
	volatile int job = 0;

	(void)arg;
	wl_role("private");
	private_wait(&mu, &cond, (int *)&job);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "private", no_argument, NULL, 'p' },
		{ "workers", required_argument, NULL, 'w' },
		{ "every", required_argument, NULL, 'e' },
		{ "seconds", required_argument, NULL, 's' },
		{ 0 }
	};
	int workers = 6, priv = 0, c;
	double every = 0.5, seconds = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': priv = 1; break;
		case 'w': workers = atoi(optarg); break;
		case 'e': every = atof(optarg); break;
		case 's': seconds = atof(optarg); break;
		default:
			fprintf(stderr, "usage: %s [--private] [--workers N] [--every SEC] [--seconds SEC]\n",
				argv[0]);
			return 2;
		}
	}
	wl_init(seconds);
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return 1;
	pthread_mutex_init(&pool->mu, NULL);
	for (int i = 0; i < workers; i++) {
		pthread_detach(wl_spawn(priv ? private_worker : pool_worker, NULL,
					priv ? "private" : "pool-idle"));
		if (i + 1 < workers)
			wl_sleep(every);
	}
	wl_ready();
	for (;;)
		pause();
}
