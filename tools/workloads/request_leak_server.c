/* request_leak_server: TCP server on 127.0.0.1 that leaks one thread per
 * request.  For each connection the acceptor (main thread) reads one line,
 * spawns handle_request -> wait_for_reply, which waits on a per-request
 * condvar that is never signalled, then answers "ok\n" and closes.
 *
 *   PORT <n>
 *   ROLE acceptor <tid>   main thread (accept loop, healthy)
 *   READY
 *   ROLE leak <tid>       one per request, printed before "ok\n" is sent
 *
 * Options: --port N (0 = ephemeral), --max-threads N (1000; beyond that
 * requests are answered "busy\n" without leaking), --seconds SEC. */
#include "wl_common.h"
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct request {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int replied; /* never set */
	int id;
	int tid;
};

WL_NOINLINE void wait_for_reply(struct request *r)
{
	pthread_mutex_lock(&r->mu);
	while (!r->replied)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
}

WL_NOINLINE void *handle_request(void *arg)
{
	struct request *r = arg;

	r->tid = wl_tid();
	wl_role("leak");
	wl_started();
	wait_for_reply(r);
	free(r);
	return NULL;
}

/* Read one line (bounded: 4 KiB, 5 s receive timeout). */
static void read_line(int fd)
{
	char c;
	int i;

	for (i = 0; i < 4096; i++) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n')
			break;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "max-threads", required_argument, NULL, 'm' },
		{ "seconds", required_argument, NULL, 's' },
		{ 0 }
	};
	int port = 0, max_threads = 1000, leaked = 0, lfd, c;
	double seconds = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': port = atoi(optarg); break;
		case 'm': max_threads = atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		default:
			fprintf(stderr, "usage: %s [--port N] [--max-threads N] [--seconds SEC]\n", argv[0]);
			return 2;
		}
	}
	wl_init(seconds);
	pthread_setname_np(pthread_self(), "req-acceptor");
	lfd = wl_listen_loopback(port, NULL);
	wl_role("acceptor");
	wl_ready();

	for (;;) {
		struct timeval tv = { 5, 0 };
		const char *reply = "ok\n";
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		read_line(fd);
		if (leaked < max_threads) {
			struct request *r = calloc(1, sizeof(*r));
			char name[32];
			pthread_t t;

			pthread_mutex_init(&r->mu, NULL);
			pthread_cond_init(&r->cv, NULL);
			r->id = ++leaked;
			snprintf(name, sizeof(name), "request-%d", r->id);
			t = wl_spawn(handle_request, r, name);
			pthread_detach(t);
			wl_wait_blocked(r->tid); /* parked before we answer */
		} else {
			reply = "busy\n";
		}
		if (write(fd, reply, strlen(reply)) < 0)
			; /* client gone: nothing to do */
		close(fd);
	}
	return 0;
}
