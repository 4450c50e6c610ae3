/* epoll_server: HEALTHY.  Single-threaded epoll event loop on 127.0.0.1
 * (echo server) that normally sees no traffic: the only thread sits in
 * epoll_wait(-1) forever, which is idle, not a leak.
 *
 *   PORT <n>
 *   ROLE event_loop <tid>   the main (only) thread, event_loop -> epoll_wait
 *   READY                   printed from inside the loop (one-shot 200 ms
 *                           timerfd), after which epoll_wait uses timeout -1
 *
 * Options: --port N (0 = ephemeral), --seconds SEC. */
#include "wl_common.h"
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#define MAX_CLIENTS 256

static int lfd, tfd, epfd, nclients;

static void add_fd(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void handle(int fd)
{
	char buf[1024];
	ssize_t n;

	if (fd == tfd) {
		uint64_t ticks;

		if (read(tfd, &ticks, sizeof(ticks)) > 0)
			printf("READY\n");
		return;
	}
	if (fd == lfd) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (c < 0)
			return;
		if (nclients >= MAX_CLIENTS) {
			close(c);
			return;
		}
		nclients++;
		add_fd(c);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	if (n > 0) {
		if (write(fd, buf, n) < 0)
			; /* best effort echo */
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	nclients--;
}

WL_NOINLINE void event_loop(void)
{
	struct epoll_event evs[16];
	int n, i;

	for (;;) {
		n = epoll_wait(epfd, evs, 16, -1);
		for (i = 0; i < n; i++)
			handle(evs[i].data.fd);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 's' },
		{ 0 }
	};
	struct itimerspec its;
	int port = 0, c;
	double seconds = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': port = atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		default:
			fprintf(stderr, "usage: %s [--port N] [--seconds SEC]\n", argv[0]);
			return 2;
		}
	}
	wl_init(seconds);
	pthread_setname_np(pthread_self(), "epoll-loop");
	lfd = wl_listen_loopback(port, NULL);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (epfd < 0 || tfd < 0) {
		perror("epoll/timerfd");
		return 1;
	}
	memset(&its, 0, sizeof(its));
	its.it_value.tv_nsec = 200000000L; /* one shot, announces READY */
	timerfd_settime(tfd, 0, &its, NULL);
	add_fd(lfd);
	add_fd(tfd);
	wl_role("event_loop");
	event_loop();
	return 0;
}
