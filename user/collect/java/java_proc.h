/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A report entry for a thread the scan left out (a Java thread BLOCKED on
 * a monitor re-parks with short timeouts, so its OS park stays young),
 * from /proc/PID/task/TID: state, name, voluntary switches, start time,
 * and the wait its saved registers show. */
#ifndef LT_JAVA_PROC_H
#define LT_JAVA_PROC_H

#include <stdint.h>

#include "model/report.h"

/* Fill t (zeroed first) for tid of pid, parked for parked_ns as of now;
 * comm is the process's name. 0, -EAGAIN (running now: not parked),
 * -ESRCH (gone), -EINVAL (unreadable). */
int java_proc_thread(uint32_t pid, uint32_t tid, const char *comm, uint64_t parked_ns,
		     uint64_t real_ns, struct thread_report *t);

#endif
