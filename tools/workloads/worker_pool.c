/* worker_pool: HEALTHY.  A fixed pool of 8 pool_worker threads idle on one
 * shared queue (pthread_cond_wait, no timeout).  Every --interval SEC
 * (default 2) main pushes one tiny job; one worker runs it and goes back to
 * waiting.  Long parks here are idle, never a leak.
 *
 *   ROLE pool <tid>   x8 (--workers N), pool_worker
 *   ROLE main <tid>   dispatcher, sleeps between pushes
 *   JOB <n> <tid>     job n was run by worker tid
 *
 * Options: --workers N (8), --interval SEC (2), --seconds SEC. */
#include "wl_common.h"
#include <getopt.h>

static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cv = PTHREAD_COND_INITIALIZER;
static int q_jobs[64];
static int q_len;

WL_NOINLINE unsigned long run_job(int n)
{
	volatile unsigned long x = 0;
	int i;

	for (i = 0; i < 10000; i++)
		x += (unsigned long)i * (unsigned long)n;
	return x;
}

WL_NOINLINE int pool_get_job(void)
{
	int job;

	pthread_mutex_lock(&q_mu);
	while (q_len == 0)
		pthread_cond_wait(&q_cv, &q_mu);
	job = q_jobs[--q_len];
	pthread_mutex_unlock(&q_mu);
	return job;
}

WL_NOINLINE void *pool_worker(void *arg)
{
	(void)arg;
	wl_role("pool");
	wl_started();
	for (;;) {
		int job = pool_get_job();

		run_job(job);
		printf("JOB %d %d\n", job, wl_tid());
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workers", required_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "seconds", required_argument, NULL, 's' },
		{ 0 }
	};
	int workers = 8, c, i, n = 0;
	double interval = 2, seconds = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'w': workers = atoi(optarg); break;
		case 'i': interval = atof(optarg); break;
		case 's': seconds = atof(optarg); break;
		default:
			fprintf(stderr, "usage: %s [--workers N] [--interval SEC] [--seconds SEC]\n", argv[0]);
			return 2;
		}
	}
	if (interval <= 0)
		interval = 2;
	wl_init(seconds);
	pthread_setname_np(pthread_self(), "pool-main");
	for (i = 0; i < workers; i++) {
		char name[32];

		snprintf(name, sizeof(name), "pool-%d", i);
		pthread_detach(wl_spawn(pool_worker, NULL, name));
	}
	wl_role("main");
	wl_ready();
	for (;;) {
		wl_sleep(interval);
		pthread_mutex_lock(&q_mu);
		if (q_len < (int)(sizeof(q_jobs) / sizeof(q_jobs[0])))
			q_jobs[q_len++] = ++n;
		pthread_cond_signal(&q_cv);
		pthread_mutex_unlock(&q_mu);
	}
	return 0;
}
