/* timed_waits: HEALTHY.  Threads that park only briefly, again and again.
 *
 *   ROLE timed <tid>     x4, timed_wait_worker: pthread_cond_timedwait 100 ms
 *                        loop (never signalled)
 *   ROLE sleeper <tid>   sleep_loop_worker: nanosleep(1 s) loop
 *   ROLE main <tid>      main thread, sleeps in a loop
 *
 * Options: --timed N (4), --seconds SEC. */
#include "wl_common.h"
#include <getopt.h>

WL_NOINLINE void *timed_wait_worker(void *arg)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv;
	struct timespec ts;

	(void)arg;
	wl_cond_init_mono(&cv);
	wl_role("timed");
	wl_started();
	pthread_mutex_lock(&mu);
	for (;;) {
		wl_deadline_ms(&ts, 100);
		pthread_cond_timedwait(&cv, &mu, &ts);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

WL_NOINLINE void *sleep_loop_worker(void *arg)
{
	(void)arg;
	wl_role("sleeper");
	wl_started();
	for (;;) {
		struct timespec ts = { 1, 0 };

		nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timed", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 's' },
		{ 0 }
	};
	int timed = 4, c, i;
	double seconds = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': timed = atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		default:
			fprintf(stderr, "usage: %s [--timed N] [--seconds SEC]\n", argv[0]);
			return 2;
		}
	}
	wl_init(seconds);
	pthread_setname_np(pthread_self(), "timed-main");
	for (i = 0; i < timed; i++) {
		char name[32];

		snprintf(name, sizeof(name), "timed-%d", i);
		pthread_detach(wl_spawn(timed_wait_worker, NULL, name));
	}
	pthread_detach(wl_spawn(sleep_loop_worker, NULL, "sleep-loop"));
	wl_role("main");
	wl_ready();
	for (;;)
		wl_sleep(1.0);
	return 0;
}
