/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --prometheus: serve GET /metrics over HTTP (libmicrohttpd, polled by a
 * thread of our own). The HTTP thread only ever copies the last rendered
 * snapshot; it never sees a struct report, so a slow client cannot hold
 * the report loop. No client can hold a connection for long: */
#ifndef LT_PROM_EXPORTER_H
#define LT_PROM_EXPORTER_H

#include <stddef.h>
#include <sys/socket.h>

#include "model/report.h"

/* Connections served at once, all clients together. */
#define PROM_MAX_CONNECTIONS 256
/* ... and from one client address: one host cannot take every slot. */
#define PROM_MAX_PER_IP 32
/* A connection is closed this long after its accept, whatever it sends
 * (MHD's own timeout is an idle one, restarted by every byte: one byte a
 * second held a slot forever). Responses say "Connection: close": one
 * request per connection. */
#define PROM_REQUEST_DEADLINE_MS 5000

struct prom_exporter;

/* Parse "ADDR:PORT", "[V6ADDR]:PORT", ":PORT" or "PORT" into ss. Without
 * an address it is 127.0.0.1: a leak tracer's metrics name every process
 * on the host, so it listens on the network only when told to. Port 0 is
 * refused (a scrape target needs a known port). Returns 0 or -EINVAL. */
int prom_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* Listen on addr and serve metrics (empty until the first update);
 * pid_label: per-process series carry a pid label (prom_render); precise:
 * leaktrace_build_info says mode "precise" (else "default"); interval_ns:
 * the report interval, /healthz's measure. Also serves GET /healthz. On
 * failure returns -errno and writes a one-line reason to err. */
int prom_exporter__new(const char *addr, bool pid_label, bool precise, uint64_t interval_ns,
		       struct prom_exporter **out, char *err, size_t errlen);

/* /healthz (a Kubernetes probe): the report loop is alive while its last
 * report (or the start) is at most 3 intervals and 30 s old. */
bool prom_report_loop_alive(uint64_t now_ns, uint64_t last_ns, uint64_t interval_ns);

/* Render r (and leaktrace's own CPU and memory) as the new snapshot.
 * Returns 0 or -errno; the previous snapshot stays served on failure. */
int prom_exporter__update(struct prom_exporter *e, const struct report *r);

void prom_exporter__free(struct prom_exporter *e);

#endif
