/* park_clock: threads parked forever at known times, to check reported park
 * times against the truth.
 *
 *   ROLE early <tid>        parks at start, before any tracer is attached
 *   PARKED early <ns>       CLOCK_REALTIME just before it blocks
 *   READY
 *   ROLE late <tid>         parks when the process gets SIGUSR1
 *   PARKED late <ns>        (a tracer started meanwhile sees it park)
 *
 * Both block in pthread_cond_wait (no timeout) on condvars of their own,
 * in park_forever(). */
#include "wl_common.h"

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

WL_NOINLINE void park_forever(const char *role)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;

	pthread_mutex_lock(&m);
	printf("PARKED %s %llu\n", role, (unsigned long long)realtime_ns());
	for (;;)
		pthread_cond_wait(&c, &m);
}

static void *early(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, (unsigned long)"park-early", 0, 0, 0);
	printf("ROLE early %d\n", (int)gettid());
	sem_post(&wl_started_sem);
	park_forever("early");
	return NULL;
}

static void *late(void *arg)
{
	sigset_t *usr1 = arg;
	int sig;

	prctl(PR_SET_NAME, (unsigned long)"park-late", 0, 0, 0);
	printf("ROLE late %d\n", (int)gettid());
	sem_post(&wl_started_sem);
	sigwait(usr1, &sig);
	park_forever("late");
	return NULL;
}

int main(void)
{
	static sigset_t usr1;
	pthread_t t;

	wl_init(0);
	/* blocked everywhere: only the late thread takes it, with sigwait */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	printf("ROLE main %d\n", (int)gettid());
	pthread_create(&t, NULL, early, NULL);
	sem_wait(&wl_started_sem);
	pthread_create(&t, NULL, late, &usr1);
	sem_wait(&wl_started_sem);
	usleep(200000);
	printf("READY\n");
	for (;;)
		pause();
}
