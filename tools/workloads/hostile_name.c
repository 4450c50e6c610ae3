/* hostile_name: one thread blocked forever in pthread_cond_wait
 * (hostile_name_worker) whose comm is set, via prctl(PR_SET_NAME), to
 * hostile bytes: by default  h " q \ b <LF> n } <0xff> z  (10 bytes:
 * double quote, backslash, newline, '}' and a 0xff byte).
 *
 *   NAME_HEX <hex>        the bytes actually used (after 15-byte truncation)
 *   ROLE main <tid>       main thread, sleeps in a loop
 *   ROLE hostile <tid>    hostile_name_worker (expected: leak/stuck)
 *   READY
 *
 * Options: --name-hex HEX (bytes as hex; stops at 00; max 15 bytes),
 *          --process-too (also rename the main thread, i.e. the process
 *          comm, the same way), --seconds SEC. */
#include "wl_common.h"
#include <getopt.h>

static char hostile[16] = "h\"q\\b\nn}\xffz";
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int never;

WL_NOINLINE void *hostile_name_worker(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, (unsigned long)hostile, 0, 0, 0);
	wl_role("hostile");
	wl_started();
	pthread_mutex_lock(&mu);
	while (!never)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name-hex", required_argument, NULL, 'x' },
		{ "process-too", no_argument, NULL, 'P' },
		{ "seconds", required_argument, NULL, 's' },
		{ 0 }
	};
	int process_too = 0, c;
	double seconds = 0;
	size_t i;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'x':
			if (wl_parse_hex(optarg, hostile, sizeof(hostile)) < 0) {
				fprintf(stderr, "bad --name-hex\n");
				return 2;
			}
			break;
		case 'P': process_too = 1; break;
		case 's': seconds = atof(optarg); break;
		default:
			fprintf(stderr, "usage: %s [--name-hex HEX] [--process-too] [--seconds SEC]\n", argv[0]);
			return 2;
		}
	}
	wl_init(seconds);
	printf("NAME_HEX ");
	for (i = 0; hostile[i]; i++)
		printf("%02x", (unsigned char)hostile[i]);
	printf("\n");
	if (process_too)
		prctl(PR_SET_NAME, (unsigned long)hostile, 0, 0, 0);
	pthread_detach(wl_spawn(hostile_name_worker, NULL, NULL));
	wl_role("main");
	wl_ready();
	for (;;)
		wl_sleep(1.0);
	return 0;
}
