/* churn: creates and joins short-lived threads continuously, to stress the
 * tracer's thread create/exit handling.  --threads N in total (default
 * 5000), created in batches of --batch B (default 50) and joined batch by
 * batch; each thread (churn_worker) sets its name and exits immediately.
 *
 *   ROLE main <tid>
 *   READY          before the churn starts (after --start-delay SEC)
 *   CREATED <n>    at the end, then exit status 0
 *
 * Options: --threads N (5000), --batch B (50), --name STR ("churn"),
 *          --name-hex HEX (name as hex bytes, overrides --name; names are
 *          truncated to 15 bytes), --start-delay SEC (0). */
#include "wl_common.h"
#include <getopt.h>

static char name[16] = "churn";

WL_NOINLINE void *churn_worker(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ "name", required_argument, NULL, 'n' },
		{ "name-hex", required_argument, NULL, 'x' },
		{ "start-delay", required_argument, NULL, 'd' },
		{ 0 }
	};
	int total = 5000, batch = 50, created = 0, c, i;
	double delay = 0;
	pthread_t *t;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': total = atoi(optarg); break;
		case 'b': batch = atoi(optarg); break;
		case 'n':
			strncpy(name, optarg, sizeof(name) - 1);
			name[sizeof(name) - 1] = '\0';
			break;
		case 'x':
			if (wl_parse_hex(optarg, name, sizeof(name)) < 0) {
				fprintf(stderr, "bad --name-hex\n");
				return 2;
			}
			break;
		case 'd': delay = atof(optarg); break;
		default:
			fprintf(stderr, "usage: %s [--threads N] [--batch B] [--name STR|--name-hex HEX] [--start-delay SEC]\n", argv[0]);
			return 2;
		}
	}
	if (batch < 1)
		batch = 1;
	wl_init(0);
	t = calloc(batch, sizeof(*t));
	wl_role("main");
	wl_sleep(delay);
	printf("READY\n");
	while (created < total) {
		int n = 0;

		for (i = 0; i < batch && created < total; i++) {
			int rc = pthread_create(&t[n], NULL, churn_worker, NULL);

			if (rc == EAGAIN) { /* out of threads for a moment: drain */
				if (n == 0)
					wl_sleep(0.01);
				break;
			}
			if (rc) {
				fprintf(stderr, "pthread_create: %s\n", strerror(rc));
				return 1;
			}
			n++;
			created++;
		}
		for (i = 0; i < n; i++)
			pthread_join(t[i], NULL);
	}
	printf("CREATED %d\n", created);
	return 0;
}
