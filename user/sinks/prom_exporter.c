// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <microhttpd.h>
#include "model/config.h"
#include "util/parse_num.h"

#include "sinks/prom_exporter.h"
#include "sinks/prom_format.h"
#include "sinks/sink.h"
#include "util/clock.h"
#include "util/self_rss.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A connection being served: when it must be done by, who it is from. */
struct conn_slot {
	MHD_socket fd;
	uint64_t accept_ns;
	struct sockaddr_storage client;
	bool used, cut;
	bool requested;		/* its request arrived (on_request) */
};

struct prom_exporter {
	struct MHD_Daemon *mhd;
	pthread_t thread;		/* serve(): the HTTP thread */
	bool thread_started;
	int stop_pipe[2];		/* prom_exporter__free() wakes serve() */
	pthread_mutex_t lock;		/* guards snap and snap_len */
	char *snap;
	size_t snap_len;
	struct prom_totals totals;	/* main thread only */
	bool pid_label;			/* --prometheus-pid */
	const char *mode;		/* build_info: default or precise */
	uint64_t interval_ns;		/* -i: /healthz's clock */
	uint64_t last_cycle_ns;		/* CLOCK_MONOTONIC of the last report (or start), under lock */
	struct utsname uts;		/* build_info: the kernel */
	/* HTTP thread only: every open connection, by socket_context */
	struct conn_slot conns[PROM_MAX_CONNECTIONS];
};

static int parse_port(const char *s, in_port_t *port)
{
	uint64_t v;

	if (parse_uint(s, 1, 65535, &v))
		return -EINVAL;
	*port = htons((in_port_t)v);
	return 0;
}

int prom_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN];
	const char *colon, *port;
	size_t hlen;

	memset(ss, 0, sizeof(*ss));
	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hlen = close - s - 1;
		if (!hlen || hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		sin6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -EINVAL;
		*len = sizeof(*sin6);
		return parse_port(close + 2, &sin6->sin6_port);
	}
	colon = strrchr(s, ':');
	sin->sin_family = AF_INET;
	*len = sizeof(*sin);
	if (!colon) {
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return parse_port(s, &sin->sin_port);
	}
	port = colon + 1;
	hlen = colon - s;
	if (!hlen) {
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -EINVAL;
	}
	return parse_port(port, &sin->sin_port);
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status,
			       struct MHD_Response *resp, const char *type)
{
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	/* one request per connection: the deadline counts from the accept */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

bool prom_report_loop_alive(uint64_t now_ns, uint64_t last_ns, uint64_t interval_ns)
{
	/* a report may run up to its deadline past its due time; 3 intervals
	 * and 30 s of slack before a probe calls the loop stuck */
	return now_ns < last_ns || now_ns - last_ns <= 3 * interval_ns + 30000000000ULL;
}

/* /healthz: 200 while the report loop runs (a probe's liveness), 503 when
 * no report came for too long. */
static enum MHD_Result respond_health(struct prom_exporter *e, struct MHD_Connection *conn)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC), last;
	struct MHD_Response *resp;
	char body[96];
	bool alive;
	int n;

	pthread_mutex_lock(&e->lock);
	last = e->last_cycle_ns;
	pthread_mutex_unlock(&e->lock);
	alive = prom_report_loop_alive(now, last, e->interval_ns);
	n = snprintf(body, sizeof(body), "%s: last report cycle %.1f s ago\n",
		     alive ? "ok" : "stale", now > last ? (now - last) / 1e9 : 0.0);
	resp = MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
	return respond(conn, alive ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, resp,
		       "text/plain");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	static const char not_found[] = "not found: leaktrace serves /metrics and /healthz\n";
	static const char not_allowed[] = "method not allowed\n";
	struct prom_exporter *e = cls;
	const union MHD_ConnectionInfo *ctx;
	struct MHD_Response *resp;

	ctx = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ctx && ctx->socket_context)
		((struct conn_slot *)ctx->socket_context)->requested = true;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		resp = MHD_create_response_from_buffer(sizeof(not_allowed) - 1, (void *)not_allowed,
						       MHD_RESPMEM_PERSISTENT);
		return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, resp, "text/plain");
	}
	if (!strcmp(url, "/healthz"))
		return respond_health(e, conn);
	if (strcmp(url, "/metrics")) {
		resp = MHD_create_response_from_buffer(sizeof(not_found) - 1, (void *)not_found,
						       MHD_RESPMEM_PERSISTENT);
		return respond(conn, MHD_HTTP_NOT_FOUND, resp, "text/plain");
	}
	/* copied under the lock: the main thread frees old snapshots */
	pthread_mutex_lock(&e->lock);
	resp = MHD_create_response_from_buffer(e->snap_len, e->snap, MHD_RESPMEM_MUST_COPY);
	pthread_mutex_unlock(&e->lock);
	return respond(conn, MHD_HTTP_OK, resp, CONTENT_TYPE);
}

/* The client address without the port: connections from one host. */
static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
}

static void cut(struct conn_slot *c)
{
	if (!c->cut)
		shutdown(c->fd, SHUT_RDWR);
	c->cut = true;
}

/* At most PROM_MAX_PER_IP connections of one host: past it, the oldest of
 * its connections that has not sent a request yet is cut, not the new one
 * (MHD's own per-IP limit refuses the new one: a host flooding idle
 * connections would keep a scraper on the same address out for good; this
 * way a client that sends its request at once gets in). */
static void limit_host(struct prom_exporter *e, const struct conn_slot *now)
{
	struct conn_slot *oldest = NULL;
	unsigned int n = 0;

	for (size_t i = 0; i < PROM_MAX_CONNECTIONS; i++) {
		struct conn_slot *c = &e->conns[i];

		if (!c->used || c->cut || !same_host(&c->client, &now->client))
			continue;
		n++;
		if (c != now && !c->requested && (!oldest || c->accept_ns < oldest->accept_ns))
			oldest = c;
	}
	if (n > PROM_MAX_PER_IP && oldest)
		cut(oldest);
}

/* MHD_OPTION_NOTIFY_CONNECTION: a connection gets its slot when accepted,
 * gives it back when closed (HTTP thread, in MHD_run()). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct prom_exporter *e = cls;
	const union MHD_ConnectionInfo *fd, *addr;
	struct conn_slot *slot = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (slot)
			slot->used = false;
		return;
	}
	fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	addr = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	for (size_t i = 0; fd && addr && i < PROM_MAX_CONNECTIONS; i++) {
		if (e->conns[i].used)
			continue;
		slot = &e->conns[i];
		*slot = (struct conn_slot){ .fd = fd->connect_fd, .used = true, .accept_ns = mono_ns() };
		memcpy(&slot->client, addr->client_addr,
		       addr->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
		       sizeof(struct sockaddr_in));
		*socket_context = slot;
		limit_host(e, slot);
		return;
	}
}

/* Shut down the sockets of connections past their deadline, whatever they
 * are sending (each byte would restart MHD's idle timeout): MHD then reads
 * EOF and closes them. Called between MHD_run()s, in the thread that closes
 * connections, so a slot's fd is still that connection's. Returns the
 * milliseconds to the next deadline, -1 if none. */
static int cut_overdue(struct prom_exporter *e)
{
	uint64_t now = mono_ns(), next = UINT64_MAX;

	for (size_t i = 0; i < PROM_MAX_CONNECTIONS; i++) {
		struct conn_slot *c = &e->conns[i];
		uint64_t deadline = c->accept_ns + PROM_REQUEST_DEADLINE_MS * 1000000ULL;

		if (!c->used || c->cut)
			continue;
		if (deadline <= now)
			cut(c);
		else if (deadline < next)
			next = deadline;
	}
	return next == UINT64_MAX ? -1 : (int)((next - now) / 1000000 + 1);
}

/* The HTTP thread: MHD's epoll set and the stop pipe, polled until the
 * deadline of the oldest connection or MHD's own timeout. */
static void *serve(void *arg)
{
	struct prom_exporter *e = arg;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(e->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	struct pollfd p[2] = {
		{ .fd = info ? info->epoll_fd : -1, .events = POLLIN },
		{ .fd = e->stop_pipe[0], .events = POLLIN },
	};

	for (;;) {
		MHD_UNSIGNED_LONG_LONG mhd_ms;
		int timeout = cut_overdue(e);

		if (MHD_get_timeout(e->mhd, &mhd_ms) == MHD_YES &&
		    (timeout < 0 || mhd_ms < (MHD_UNSIGNED_LONG_LONG)timeout))
			timeout = mhd_ms > INT_MAX ? INT_MAX : (int)mhd_ms;
		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		MHD_run(e->mhd);
	}
	return NULL;
}

/* RSS: the report's own reading (session.c), or one now before the first */
static void read_self(struct prom_self *self, const struct report *r)
{
	struct rusage ru;

	memset(self, 0, sizeof(*self));
	if (!getrusage(RUSAGE_SELF, &ru))
		self->cpu_seconds = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
				    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	self->rss_bytes = r->rss_bytes ? r->rss_bytes : self_rss_bytes();
}

int prom_exporter__update(struct prom_exporter *e, const struct report *r)
{
	struct prom_self self;
	char *buf = NULL, *old;
	size_t len = 0;
	FILE *f;
	int err;

	f = open_memstream(&buf, &len);
	if (!f)
		return -errno;
	if (r->mono_ns)
		prom_totals_add(&e->totals, r);
	read_self(&self, r);
	self.kernel = e->uts.release;
	self.mode = e->mode;
	err = prom_render(f, r, &e->totals, &self, e->pid_label);
	if (fclose(f) && !err)
		err = -EIO;
	if (err) {
		free(buf);
		return err;
	}
	pthread_mutex_lock(&e->lock);
	old = e->snap;
	e->snap = buf;
	e->snap_len = len;
	e->last_cycle_ns = r->mono_ns ? r->mono_ns : clock_ns(CLOCK_MONOTONIC);
	pthread_mutex_unlock(&e->lock);
	free(old);
	return 0;
}

static int listen_socket(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd, one = 1, err;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) || listen(fd, 32)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int prom_exporter__new(const char *addr, bool pid_label, bool precise, uint64_t interval_ns,
		       struct prom_exporter **out, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct prom_exporter *e;
	struct report empty = {};
	socklen_t len;
	int fd, ret;

	*out = NULL;
	if (prom_parse_listen(addr, &ss, &len)) {
		snprintf(err, errlen, "invalid --prometheus address '%s'", addr);
		return -EINVAL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->stop_pipe[0] = e->stop_pipe[1] = -1;
	pthread_mutex_init(&e->lock, NULL);
	e->pid_label = pid_label;
	e->mode = precise ? "precise" : "default";
	e->interval_ns = interval_ns;
	uname(&e->uts);
	/* scrapes before the first report get the global series at zero */
	ret = prom_exporter__update(e, &empty);
	if (ret) {
		snprintf(err, errlen, "cannot render metrics: %s", strerror(-ret));
		goto fail;
	}
	/* our own socket: MHD_start_daemon() does not say why a bind failed */
	fd = listen_socket(&ss, len);
	if (fd < 0) {
		ret = fd;
		snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(-ret));
		goto fail;
	}
	/* polled by serve(), not by a thread of MHD's: the deadlines are cut
	 * between two MHD_run()s */
	e->mhd = MHD_start_daemon(MHD_USE_EPOLL | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				  0, NULL, NULL, on_request, e,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)PROM_MAX_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned int)(PROM_REQUEST_DEADLINE_MS / 1000),
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, e,
				  MHD_OPTION_END);
	if (!e->mhd) {
		close(fd);
		ret = -EIO;
		snprintf(err, errlen, "cannot start the metrics server on %s", addr);
		goto fail;
	}
	if (pipe2(e->stop_pipe, O_CLOEXEC)) {
		ret = -errno;
		snprintf(err, errlen, "cannot start the metrics server: %s", strerror(-ret));
		goto fail;
	}
	ret = -pthread_create(&e->thread, NULL, serve, e);
	if (ret) {
		snprintf(err, errlen, "cannot start the metrics thread: %s", strerror(-ret));
		goto fail;
	}
	e->thread_started = true;
	*out = e;
	return 0;
fail:
	prom_exporter__free(e);
	return ret;
}

void prom_exporter__free(struct prom_exporter *e)
{
	if (!e)
		return;
	if (e->thread_started) {
		char b = 0;

		if (write(e->stop_pipe[1], &b, 1) == 1)
			pthread_join(e->thread, NULL);
	}
	/* closes the connections and the listening socket */
	if (e->mhd)
		MHD_stop_daemon(e->mhd);
	for (int i = 0; i < 2; i++)
		if (e->stop_pipe[i] >= 0)
			close(e->stop_pipe[i]);
	pthread_mutex_destroy(&e->lock);
	free(e->snap);
	free(e);
}

/* --prometheus: the exporter is the sink's state */
static bool prom_wanted(const struct lt_options *o)
{
	return o->prometheus != NULL;
}

static int prom_open(const struct lt_options *o, void **state, char *err, size_t errlen)
{
	return prom_exporter__new(o->prometheus, o->prometheus_pid, o->precise, o->interval_ns,
				  (struct prom_exporter **)state, err, errlen) ?
	       LT_EXIT_FAILURE : 0;
}

/* best effort: the exporter keeps its last good snapshot on ENOMEM */
static int prom_emit(void *state, const struct report *r)
{
	prom_exporter__update(state, r);
	return 0;
}

static void prom_close(void *state)
{
	prom_exporter__free(state);
}

const struct sink_type sink_prometheus = {
	.name = "prometheus", .wanted = prom_wanted,
	.open = prom_open, .emit = prom_emit, .close = prom_close,
};
