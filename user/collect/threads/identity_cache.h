/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The identity (identity.h) of the processes a report shows, read once per
 * process: cached by pid and start time, so a reused pid is read again and
 * a long-lived one never is. */
#ifndef LT_IDENTITY_CACHE_H
#define LT_IDENTITY_CACHE_H

#include <stdint.h>

#include "model/identity.h"
#include "model/report.h"

struct identity_cache;

struct identity_cache *identity_cache__new(void);
void identity_cache__free(struct identity_cache *c);

/* Set procs[i].identity of the processes r's outputs show (parked threads
 * or goroutines, or every one with summarize_all); NULL where
 * /proc/PID/cgroup cannot be read (the process is gone). Entries of
 * processes this report does not show are freed: the pointers stay valid
 * until the next call. Returns 0 or -ENOMEM (identities left NULL). */
int identity_cache__fill(struct identity_cache *c, struct report *r);

/* The identity of pid in r, NULL when unknown. */
const struct identity *report_identity(const struct report *r, uint32_t pid);

/* Read /proc/PID/cgroup into id. 0, or -errno (-ESRCH: gone). */
int identity_read(uint32_t pid, struct identity *id);

/* What /proc/PID/stat says about who a pid is now: a reused pid has
 * another start time; flags tell a kernel thread (PF_KTHREAD). */
struct proc_stat_info {
	uint64_t start;		/* field 22: clock ticks after boot */
	uint64_t flags;		/* field 9: the kernel's PF_* flags */
};

#define PROC_PF_KTHREAD 0x00200000	/* include/linux/sched.h */

/* Read the stat record of pid's own task (/proc/PID/task/PID/stat: for a
 * process, its leader's, which has the process's start time without the
 * walk over every thread /proc/PID/stat makes; parsed by
 * collect/procfs/procfs.h). 0 or -errno (-ESRCH: no such pid), -EINVAL
 * when malformed. */
int proc_stat_read(uint32_t pid, struct proc_stat_info *info);

#endif
