// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collect/java/java_proc.h"
#include "collect/procfs/procfs.h"
#include "collect/threads/identity_cache.h"
#include "collect/threads/lockgraph.h"

/* A file of /proc/PID/task/TID through the procfs module (target-controlled). */
static ssize_t read_task_file(uint32_t pid, uint32_t tid, const char *name, char *buf, size_t size)
{
	return procfs__read_buf((int)pid, (int)tid, name, buf, size);
}

/* State letter and voluntary switches from the status file. */
static int read_status(uint32_t pid, uint32_t tid, char *state, uint64_t *nvcsw)
{
	char buf[4096];
	const char *p;
	ssize_t n = read_task_file(pid, tid, "status", buf, sizeof(buf));

	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	p = strstr(buf, "\nState:\t");
	if (!p)
		return -EINVAL;
	*state = p[8];
	p = strstr(buf, "\nvoluntary_ctxt_switches:\t");
	if (!p || sscanf(p + 26, "%" SCNu64, nvcsw) != 1)
		return -EINVAL;
	return 0;
}

/* Since the thread was created, from its start time (clock ticks after boot). */
static uint64_t thread_age_ns(uint32_t pid, uint32_t tid)
{
	char buf[1024];
	uint64_t start;
	struct timespec ts;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t now, born;

	if (read_task_file(pid, tid, "stat", buf, sizeof(buf)) < 0 ||
	    procfs__stat_start_time(buf, &start) || hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &ts))
		return 0;
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	born = start * (1000000000ull / (uint64_t)hz);
	return now > born ? now - born : 0;
}

int java_proc_thread(uint32_t pid, uint32_t tid, const char *comm, uint64_t parked_ns,
		     uint64_t real_ns, struct thread_report *t)
{
	char name[LT_COMM_LEN + 2];
	ssize_t n;
	int err;

	memset(t, 0, sizeof(*t));
	err = read_status(pid, tid, &t->state, &t->nvcsw);
	if (err)
		return err;
	if (t->state != 'S' && t->state != 'D')
		return -EAGAIN;
	err = procsyscall_wait(NULL, pid, tid, &t->wait);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	n = read_task_file(pid, tid, "comm", name, sizeof(name));
	if (n > 0 && name[n - 1] == '\n')
		name[n - 1] = '\0';
	snprintf(t->thread, sizeof(t->thread), "%.15s", n > 0 ? name : "?");
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	t->pid = pid;
	t->tid = tid;
	t->parked_ns = parked_ns;
	t->parked_since_ns = real_ns - parked_ns;
	t->age_ns = thread_age_ns(pid, tid);
	return 0;
}
