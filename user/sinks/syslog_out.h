/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --syslog: one syslog(3) line per new, changed or gone finding. */
#ifndef LT_SYSLOG_OUT_H
#define LT_SYSLOG_OUT_H

#include <stddef.h>

#include "model/identity.h"
#include "sinks/findings.h"

/* Room for a line with a long cgroup path, escaped. */
#define SYSLOG_LINE_MAX 8192

/* Format one finding as space-separated key=value pairs, e.g.
 *   finding=new pid=123 tid=456 comm="leaky-main" thread="leak-condvar"
 *   state=S parked_seconds=12 wait=futex timeout=false verdict=leak
 *   site=00000000deadbeef site_threads=3
 * (gone lines carry pid, tid, comm, thread, verdict and site only). After
 * comm come the identity keys that apply (id may be NULL): unit,
 * container_id, container_runtime, pod_uid, cgroup. Quoted
 * values escape '"' and '\' and write control and non-ASCII bytes as \xNN,
 * so a line is printable ASCII: no hostile name can split it or add a key.
 * Returns the length; the line is truncated to size-1 bytes. */
size_t syslog_format_finding(char *buf, size_t size, enum finding_event ev,
			     const struct finding *f, const struct thread_report *t,
			     const struct identity *id);

/* Format one site line:
 *   site=new|changed|gone pid=123 comm="svc" kind=thread id=12ccb6684ffc18b1
 *   threads=37 verdict=leak reason="..."
 * logged when a site appears, when its count or verdict changes and when it
 * empties: one line per change, whatever the number of threads. Logged
 * lines (finding and site) end with frame="..." (a site's headline frame,
 * sinks/frame.h: the program's own function), host="..." and node="..." (from
 * NODE_NAME, when set). */
size_t syslog_format_site(char *buf, size_t size, const char *event, const struct site_report *s,
			  uint32_t threads, enum verdict v, const struct identity *id);

/* A finding_fn: log one finding (ctx: the report, for identities, or NULL). */
void syslog_out_finding(enum finding_event ev, const struct finding *f,
			const struct thread_report *t, void *ctx);

#endif
