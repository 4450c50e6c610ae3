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

#include "model/frame.h"
#include "model/report.h"

struct java_report;

struct java_report *java_report__new(void);
void java_report__free(struct java_report *jr);

/* Read every JVM among r's processes and mark r's threads. 0 or -ENOMEM;
 * a JVM that cannot be read is counted in r->lost[DROP_JAVA_WALKS_FAILED]. */
int java_report__collect(struct java_report *jr, struct report *r);

/* Replace the Java code frames of thread tid of pid in its native stack b
 * (frames the unwinder left unnamed in the code cache) by its Java frames
 * (FRAME_JAVA: "pkg.Class.method", "File.java", line), innermost first.
 * Only threads of a JVM walked by the last java_report__collect. Returns
 * 0 (merged, or nothing to merge), 1 when the walk failed and a marker
 * "[java frames unavailable: reason]" was inserted before the code
 * frames, -ENOMEM. */
int java_report__merge_frames(struct java_report *jr, uint32_t pid, uint32_t tid,
			      struct frame_builder *b);

/* Drop what is known about pid (exited). */
void java_report__forget(struct java_report *jr, uint32_t pid);

#endif
