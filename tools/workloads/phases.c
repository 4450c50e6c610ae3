/* phases: parked threads driven through the life of a finding, one phase
 * per line read on stdin, for the --events test.
 *
 *   start        ROLE first <tid>: one phase_worker parks on a condvar of
 *                its own (alone, never woken: stuck)
 *   grow         ROLE joined <tid> x2: two more phase_workers park, each on
 *                its own condvar (the site grows while observed: leak; one
 *                shared condvar would read as a pool)
 *   release      the condvars are signalled: the three workers exit;
 *                prints RELEASED
 *
 * The main thread blocks in read(stdin) between phases. Prints READY after
 * "start". EOF on stdin exits. */
#include "wl_common.h"

#include <pthread.h>

struct worker {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int released;
	const char *role;
};

static struct worker workers[3];
static int n_workers;

WL_NOINLINE void *phase_worker(void *arg)
{
	struct worker *w = arg;

	wl_role(w->role);
	wl_started();
	pthread_mutex_lock(&w->mu);
	while (!w->released)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void spawn(const char *role)
{
	struct worker *w = &workers[n_workers++];

	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->role = role;
	w->thread = wl_spawn(phase_worker, w, "phase-worker");
}

int main(void)
{
	char line[64];

	wl_init(0);
	wl_role("main");
	spawn("first");
	wl_ready();
	while (fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "grow", 4) && n_workers == 1) {
			spawn("joined");
			spawn("joined");
			printf("GROWN\n");
		} else if (!strncmp(line, "release", 7)) {
			for (int i = 0; i < n_workers; i++) {
				pthread_mutex_lock(&workers[i].mu);
				workers[i].released = 1;
				pthread_cond_signal(&workers[i].cv);
				pthread_mutex_unlock(&workers[i].mu);
			}
			for (int i = 0; i < n_workers; i++)
				pthread_join(workers[i].thread, NULL);
			n_workers = 0;
			printf("RELEASED\n");
		}
	}
	return 0;
}
