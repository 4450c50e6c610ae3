/* sleeper_timed: checks that tracing does not disturb the traced process.
 * One thread timed_sleeper does clock_nanosleep(CLOCK_MONOTONIC) for
 * --sleep SEC, measures how long it really slept and prints
 *
 *   SLEPT <ns> <rc>      rc = clock_nanosleep's return value (0, or EINTR=4
 *                        when it returned early; then also "REMAIN <ns>")
 *
 * --loops N times, then the process exits with status 0.
 *
 *   ROLE main <tid>      main thread, in pthread_join
 *   ROLE sleeper <tid>   timed_sleeper
 *   READY                printed by the sleeper just before its first sleep
 *
 * Options: --sleep SEC (5), --loops N (1). */
#include "wl_common.h"
#include <getopt.h>

static double sleep_s = 5;
static int loops = 1;

WL_NOINLINE int do_timed_sleep(const struct timespec *req, struct timespec *rem)
{
	return clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem);
}

WL_NOINLINE void *timed_sleeper(void *arg)
{
	struct timespec req, rem, t0, t1;
	int i;

	(void)arg;
	req.tv_sec = (time_t)sleep_s;
	req.tv_nsec = (long)((sleep_s - (double)req.tv_sec) * 1e9);
	pthread_setname_np(pthread_self(), "timed-sleeper");
	wl_role("sleeper");
	printf("READY\n");
	for (i = 0; i < loops; i++) {
		long long ns;
		int rc;

		memset(&rem, 0, sizeof(rem));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = do_timed_sleep(&req, &rem);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL +
		     (t1.tv_nsec - t0.tv_nsec);
		printf("SLEPT %lld %d\n", ns, rc);
		if (rc)
			printf("REMAIN %lld\n", (long long)rem.tv_sec * 1000000000LL + rem.tv_nsec);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sleep", required_argument, NULL, 'd' },
		{ "loops", required_argument, NULL, 'l' },
		{ 0 }
	};
	pthread_t t;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': sleep_s = atof(optarg); break;
		case 'l': loops = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [--sleep SEC] [--loops N]\n", argv[0]);
			return 2;
		}
	}
	wl_init(0);
	pthread_setname_np(pthread_self(), "sleeper-main");
	wl_role("main");
	if (pthread_create(&t, NULL, timed_sleeper, NULL))
		return 1;
	pthread_join(t, NULL);
	return 0;
}
