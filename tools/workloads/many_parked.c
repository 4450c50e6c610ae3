/* many_parked: --threads N threads (default 1000), each blocked forever in
 * pthread_cond_wait on a condvar of its own inside park_forever(); small
 * stacks so 10,000 fit. For the report-cycle benchmark.
 * Prints ROLE main <tid>, READY when all are parked. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static int parked;

__attribute__((noipa)) static void park_forever(void)
{
	pthread_mutex_t *m = malloc(sizeof(*m));
	pthread_cond_t *c = malloc(sizeof(*c));

	pthread_mutex_init(m, NULL);
	pthread_cond_init(c, NULL);
	pthread_mutex_lock(m);
	pthread_mutex_lock(&count_lock);
	parked++;
	pthread_mutex_unlock(&count_lock);
	for (;;)
		pthread_cond_wait(c, m);
}

static void *worker(void *arg)
{
	park_forever();
	return NULL;
}

int main(int argc, char **argv)
{
	int n = 1000;
	pthread_attr_t attr;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			n = atoi(argv[++i]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (int i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, &attr, worker, NULL)) {
			perror("pthread_create");
			return 1;
		}
	}
	for (;;) {
		pthread_mutex_lock(&count_lock);
		int done = parked >= n;
		pthread_mutex_unlock(&count_lock);
		if (done)
			break;
		usleep(10000);
	}
	printf("ROLE main %d\nREADY\n", gettid());
	for (;;)
		pause();
}
