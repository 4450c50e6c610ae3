/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The Java collector: for each traced HotSpot JVM, what its threads do in
 * Java terms, told to the judge through the report (thread_report.java,
 * lock_owner, the wait's object and timeout):
 * - a thread BLOCKED entering a monitor is parked since leaktrace first saw
 *   it wait for that monitor (HotSpot re-parks it with 1 ms..1 s timeouts:
 *   the OS park never ages), with no timeout; when the scan left it out
 *   for its short OS park, it is added once that wait passes the threshold;
 * - monitor and AbstractOwnableSynchronizer owners are its lock_owner;
 * - a thread parked with a parkBlocker waits on that object (idle pool
 *   workers share their pool's condition, leaked requests each have one);
 * - the JVM's own threads (not Java threads, or compiler, reference
 *   handler, finalizer...) are runtime threads.
 * Runs after the scan, before stacks are captured. */
#ifndef LT_JAVA_REPORT_H
#define LT_JAVA_REPORT_H

#include <stdint.h>

#include "model/report.h"

struct java_report;

struct java_report *java_report__new(void);
void java_report__free(struct java_report *jr);

/* Read every JVM among r's processes and mark r's threads. 0 or -ENOMEM;
 * a JVM that cannot be read is counted in r->lost[DROP_JAVA_WALKS_FAILED]. */
int java_report__collect(struct java_report *jr, struct report *r);

/* Drop what is known about pid (exited). */
void java_report__forget(struct java_report *jr, uint32_t pid);

#endif
