/* Shared helpers for the leaktrace test workloads (header only; each
 * workload is a single .c file built on its own, see tools/tools.mk).
 *
 * Protocol: stdout is line buffered; "ROLE <role> <tid>" per interesting
 * thread, "READY" once the initial threads are in place.  SIGTERM/SIGINT
 * and the optional --seconds timer end the process with exit status 0. */
#ifndef WL_COMMON_H
#define WL_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Blocking functions must keep their own symbol and frame: no inlining,
 * no .constprop/.isra clones, no identical-code folding. */
#define WL_NOINLINE __attribute__((noipa, used))

/* Handshake between a spawner and the thread it just created. */
static sem_t wl_started_sem __attribute__((unused));

static void wl_exit_handler(int sig)
{
	(void)sig;
	_exit(0);
}

/* Line-buffered stdout, exit(0) on SIGTERM/SIGINT/SIGALRM, and an optional
 * run time limit (seconds <= 0: none). */
static inline void wl_init(double seconds)
{
	struct sigaction sa;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wl_exit_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sem_init(&wl_started_sem, 0, 0);
	if (seconds > 0) {
		struct itimerval it;

		memset(&it, 0, sizeof(it));
		it.it_value.tv_sec = (time_t)seconds;
		it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
		if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
			it.it_value.tv_usec = 1;
		setitimer(ITIMER_REAL, &it, NULL);
	}
}

static inline int wl_tid(void)
{
	return (int)gettid();
}

static inline void wl_role(const char *role)
{
	printf("ROLE %s %d\n", role, wl_tid());
}

/* Sleep that survives EINTR (our own handlers _exit anyway). */
static inline void wl_sleep(double seconds)
{
	struct timespec ts;

	if (seconds <= 0)
		return;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static inline double wl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Called by a new thread once it has announced itself. */
static inline void wl_started(void)
{
	sem_post(&wl_started_sem);
}

/* Wait (up to ~2 s) until the thread is asleep (state S or D). */
static inline void wl_wait_blocked(int tid)
{
	char path[64], buf[512];
	int i;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	for (i = 0; i < 200; i++) {
		int fd = open(path, O_RDONLY);
		ssize_t n;
		char *p;

		if (fd < 0)
			return;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return;
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && (p[2] == 'S' || p[2] == 'D'))
			return;
		wl_sleep(0.01);
	}
}

/* Create a detached-or-not thread, name it, and wait until it has called
 * wl_started().  Exits the process on failure. */
static inline pthread_t wl_spawn(void *(*fn)(void *), void *arg, const char *name)
{
	pthread_t t;
	int rc = pthread_create(&t, NULL, fn, arg);

	if (rc) {
		fprintf(stderr, "pthread_create: %s\n", strerror(rc));
		exit(1);
	}
	if (name) {
		char comm[16];

		strncpy(comm, name, sizeof(comm) - 1); /* truncate to 15 */
		comm[sizeof(comm) - 1] = '\0';
		pthread_setname_np(t, comm);
	}
	while (sem_wait(&wl_started_sem) == -1 && errno == EINTR)
		;
	return t;
}

static inline void wl_ready(void)
{
	wl_sleep(0.2);
	printf("READY\n");
}

/* Absolute CLOCK_MONOTONIC deadline `ms` milliseconds from now. */
static inline void wl_deadline_ms(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Condition variable that waits on CLOCK_MONOTONIC. */
static inline void wl_cond_init_mono(pthread_cond_t *c)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
}

/* Parse a hex string into at most max-1 bytes, stopping at a 00 byte;
 * returns the length or -1 on malformed input. */
static inline int wl_parse_hex(const char *hex, char *out, size_t max)
{
	size_t n = 0;

	while (hex[0] && hex[1] && n + 1 < max) {
		unsigned int v;
		char tmp[3] = { hex[0], hex[1], 0 };
		char *end;

		v = (unsigned int)strtoul(tmp, &end, 16);
		if (*end)
			return -1;
		if (v == 0)
			break;
		out[n++] = (char)v;
		hex += 2;
	}
	if (hex[0] && hex[1] == '\0')
		return -1;
	out[n] = '\0';
	return (int)n;
}

/* A TCP listener on 127.0.0.1:port (0 = ephemeral); prints PORT <n>. */
static inline int wl_listen_loopback(int port, int *bound_port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1024)) {
		perror("bind/listen");
		exit(1);
	}
	getsockname(fd, (struct sockaddr *)&sa, &len);
	if (bound_port)
		*bound_port = ntohs(sa.sin_port);
	printf("PORT %d\n", ntohs(sa.sin_port));
	return fd;
}

#endif
