/* join_busy: HEALTHY.  The main thread waits in pthread_join on two
 * workers that spin on CPU forever: a long park in futex, but the thread
 * it waits for is making progress.
 *
 *   ROLE busy <tid>        x2, busy_worker: on CPU forever, no syscalls
 *   ROLE main_join <tid>   main thread, in pthread_join (wait_for_workers)
 *
 * Options: --workers N (2), --seconds SEC. */
#include "wl_common.h"
#include <getopt.h>

static volatile unsigned long spin_counter[64];

WL_NOINLINE void *busy_worker(void *arg)
{
	long i = (long)arg;

	wl_role("busy");
	wl_started();
	for (;;)
		spin_counter[(i & 7) * 8]++;
	return NULL;
}

WL_NOINLINE void wait_for_workers(pthread_t *t, int n)
{
	int i;

	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("UNEXPECTED joined\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workers", required_argument, NULL, 'w' },
		{ "seconds", required_argument, NULL, 's' },
		{ 0 }
	};
	int workers = 2, c;
	long i;
	double seconds = 0;
	pthread_t *t;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'w': workers = atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		default:
			fprintf(stderr, "usage: %s [--workers N] [--seconds SEC]\n", argv[0]);
			return 2;
		}
	}
	if (workers < 1)
		workers = 1;
	wl_init(seconds);
	pthread_setname_np(pthread_self(), "join-main");
	t = calloc(workers, sizeof(*t));
	for (i = 0; i < workers; i++) {
		char name[32];

		snprintf(name, sizeof(name), "busy-%ld", i);
		t[i] = wl_spawn(busy_worker, (void *)i, name);
	}
	wl_role("main_join");
	wl_ready();
	wait_for_workers(t, workers);
	return 0;
}
