/* park_cycle: --threads N threads (64 KiB stacks) parked in nanosleep for
 * --period-ms P (default 1500) at a time, their wakes spread evenly over
 * the period; each wakes and parks again, or with --exit exits while the
 * main thread starts another in its place. At any moment some threads are
 * parked past a threshold under P and wake within the next few ms: some
 * between a report's scan and its stack capture (capture_ran, or with
 * --exit capture_exited). Prints ROLE main <tid>, READY. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long period_ms = 1500;
static int exit_mode;
static sem_t exited;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

__attribute__((noipa)) static void park_a_while(long ms)
{
	sleep_ms(ms);
}

static void *worker(void *arg)
{
	long offset = (long)arg;

	park_a_while(offset);
	for (;;) {
		park_a_while(period_ms);
		if (exit_mode) {
			sem_post(&exited);
			return NULL;
		}
	}
}

static int start(pthread_attr_t *attr, long offset)
{
	pthread_t t;

	if (pthread_create(&t, attr, worker, (void *)offset)) {
		perror("pthread_create");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	pthread_attr_t attr;
	int n = 1000;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			n = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--period-ms") && i + 1 < argc)
			period_ms = atol(argv[++i]);
		else if (!strcmp(argv[i], "--exit"))
			exit_mode = 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sem_init(&exited, 0, 0);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < n; i++)
		if (start(&attr, period_ms * i / n))
			return 1;
	printf("ROLE main %d\nREADY\n", gettid());
	/* --exit: one new thread for each that exited, parked a full period */
	for (;;) {
		if (sem_wait(&exited))
			continue;
		if (start(&attr, 0))
			return 1;
	}
}
