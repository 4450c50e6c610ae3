// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <microhttpd.h>

#include "sinks/prom_exporter.h"
#include "sinks/prom_format.h"
#include "sinks/sink.h"
#include "util/self_rss.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct prom_exporter {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;		/* guards snap and snap_len */
	char *snap;
	size_t snap_len;
	struct prom_totals totals;	/* main thread only */
	bool pid_label;			/* --prometheus-pid */
};

static int parse_port(const char *s, in_port_t *port)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
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
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	static const char not_found[] = "not found: leaktrace serves /metrics\n";
	static const char not_allowed[] = "method not allowed\n";
	struct prom_exporter *e = cls;
	struct MHD_Response *resp;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		resp = MHD_create_response_from_buffer(sizeof(not_allowed) - 1, (void *)not_allowed,
						       MHD_RESPMEM_PERSISTENT);
		return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, resp, "text/plain");
	}
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

static void read_self(struct prom_self *self)
{
	struct rusage ru;

	memset(self, 0, sizeof(*self));
	if (!getrusage(RUSAGE_SELF, &ru))
		self->cpu_seconds = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
				    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	self->rss_bytes = self_rss_bytes();
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
	read_self(&self);
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

int prom_exporter__new(const char *addr, bool pid_label, struct prom_exporter **out,
		       char *err_msg, size_t err_size)
{
	struct sockaddr_storage ss;
	struct prom_exporter *e;
	struct report empty = {};
	socklen_t len;
	int fd, err;

	*out = NULL;
	if (prom_parse_listen(addr, &ss, &len)) {
		snprintf(err_msg, err_size, "invalid --prometheus address '%s'", addr);
		return -EINVAL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	pthread_mutex_init(&e->lock, NULL);
	e->pid_label = pid_label;
	/* scrapes before the first report get the global series at zero */
	err = prom_exporter__update(e, &empty);
	if (err) {
		snprintf(err_msg, err_size, "cannot render metrics: %s", strerror(-err));
		goto fail;
	}
	/* our own socket: MHD_start_daemon() does not say why a bind failed */
	fd = listen_socket(&ss, len);
	if (fd < 0) {
		err = fd;
		snprintf(err_msg, err_size, "cannot listen on %s: %s", addr, strerror(-err));
		goto fail;
	}
	e->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
				  (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				  0, NULL, NULL, on_request, e,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)16,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
				  MHD_OPTION_END);
	if (!e->mhd) {
		close(fd);
		err = -EIO;
		snprintf(err_msg, err_size, "cannot start the metrics server on %s", addr);
		goto fail;
	}
	*out = e;
	return 0;
fail:
	prom_exporter__free(e);
	return err;
}

void prom_exporter__free(struct prom_exporter *e)
{
	if (!e)
		return;
	/* joins the HTTP thread and closes the listening socket */
	if (e->mhd)
		MHD_stop_daemon(e->mhd);
	pthread_mutex_destroy(&e->lock);
	free(e->snap);
	free(e);
}

/* --prometheus: the exporter is the sink's state */
static bool prom_wanted(const struct lt_options *o)
{
	return o->prometheus != NULL;
}

static int prom_open(const struct lt_options *o, void **state, char *msg, size_t size)
{
	return prom_exporter__new(o->prometheus, o->prometheus_pid, (struct prom_exporter **)state,
				  msg, size) ?
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
