// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/procfs/procfs.h"
#include "collect/threads/identity_cache.h"
#include "util/array.h"

/* /proc/PID/cgroup of a hybrid host has a line per hierarchy, each with a
 * path of up to PATH_MAX: more is cut (and still parsed) */
#define CGROUP_FILE_MAX (64 * 1024)

struct cache_entry {
	uint32_t pid;
	uint64_t start;			/* start time: the iterator's ns, else /proc ticks */
	uint64_t used;			/* generation of the last fill that used it */
	struct identity *id;
};

struct identity_cache {
	struct cache_entry *entries;	/* sorted by pid */
	size_t n, cap;
	uint64_t generation;
	char *buf;			/* CGROUP_FILE_MAX */
};

struct identity_cache *identity_cache__new(void)
{
	struct identity_cache *c = calloc(1, sizeof(*c));

	if (c && !(c->buf = malloc(CGROUP_FILE_MAX))) {
		free(c);
		c = NULL;
	}
	return c;
}

void identity_cache__free(struct identity_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->entries[i].id);
	free(c->entries);
	free(c->buf);
	free(c);
}

static int read_identity(uint32_t pid, char *buf, struct identity *id)
{
	ssize_t n = procfs__read_buf((int)pid, 0, "cgroup", buf, CGROUP_FILE_MAX);

	if (n < 0)
		return (int)n;
	return identity_parse(buf, n, id);
}

int identity_read(uint32_t pid, struct identity *id)
{
	char *buf = malloc(CGROUP_FILE_MAX);
	int err;

	if (!buf)
		return -ENOMEM;
	err = read_identity(pid, buf, id);
	free(buf);
	return err;
}

int proc_stat_read(uint32_t pid, struct proc_stat_info *info)
{
	char buf[1024];
	ssize_t n;

	/* the leader's own record: the same start time and flags as
	 * /proc/PID/stat, which sums the CPU times of every thread first
	 * (0.03 ms against 2-16 ms for a process of 10,000 threads) */
	n = procfs__read_buf((int)pid, (int)pid, "stat", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (procfs__stat_field(buf, 9, &info->flags) || procfs__stat_start_time(buf, &info->start))
		return -EINVAL;
	return 0;
}

static int read_start_time(uint32_t pid, uint64_t *start)
{
	struct proc_stat_info info;
	int err = proc_stat_read(pid, &info);

	if (!err)
		*start = info.start;
	return err;
}

static int cmp_entry_pid(const void *key, const void *elem)
{
	uint32_t pid = *(const uint32_t *)key, other = ((const struct cache_entry *)elem)->pid;

	return (pid > other) - (pid < other);
}

static struct cache_entry *entry_of(struct identity_cache *c, uint32_t pid)
{
	size_t i = sorted_lower_bound(c->entries, c->n, sizeof(*c->entries), &pid, cmp_entry_pid);

	if (i < c->n && c->entries[i].pid == pid)
		return &c->entries[i];
	if (ARRAY_RESERVE(c->entries, c->cap, c->n + 1))
		return NULL;
	memmove(&c->entries[i + 1], &c->entries[i], (c->n - i) * sizeof(*c->entries));
	c->n++;
	memset(&c->entries[i], 0, sizeof(c->entries[i]));
	c->entries[i].pid = pid;
	return &c->entries[i];
}

/* start: the process's start time (any clock, 0 = unknown): a new
 * process under a reused pid has another. The task iterator gives it;
 * otherwise the leader's stat record does (proc_stat_read). */
static const struct identity *lookup(struct identity_cache *c, uint32_t pid, uint64_t start,
				     int *err)
{
	struct cache_entry *e;

	if (!start && read_start_time(pid, &start))
		return NULL;	/* gone: no identity, nothing to cache */
	e = entry_of(c, pid);
	if (!e) {
		*err = -ENOMEM;
		return NULL;
	}
	e->used = c->generation;
	if (e->id && e->start == start)
		return e->id;
	e->start = start;
	if (!e->id && !(e->id = malloc(sizeof(*e->id)))) {
		*err = -ENOMEM;
		return NULL;
	}
	if (read_identity(pid, c->buf, e->id)) {
		free(e->id);
		e->id = NULL;
	}
	return e->id;
}

/* Keep the entries this fill used: the cache is as big as one report. */
static void evict_unused(struct identity_cache *c)
{
	size_t kept = 0;

	for (size_t i = 0; i < c->n; i++) {
		if (c->entries[i].used == c->generation && c->entries[i].id)
			c->entries[kept++] = c->entries[i];
		else
			free(c->entries[i].id);
	}
	c->n = kept;
}

int identity_cache__fill(struct identity_cache *c, struct report *r)
{
	int err = 0;

	c->generation++;
	for (size_t i = 0; i < r->n_procs; i++) {
		struct proc_report *p = &r->procs[i];

		p->identity = NULL;
		if ((p->parked || p->go_parked || r->summarize_all) && !err)
			p->identity = lookup(c, p->pid, p->start_ns, &err);
	}
	evict_unused(c);
	return err;
}

static int cmp_proc_pid(const void *key, const void *elem)
{
	uint32_t pid = *(const uint32_t *)key, other = ((const struct proc_report *)elem)->pid;

	return (pid > other) - (pid < other);
}

const struct identity *report_identity(const struct report *r, uint32_t pid)
{
	const struct proc_report *p;

	/* procs are sorted by pid after the scan; Go processes found later
	 * are appended, hence the linear fallback */
	p = sorted_find(r->procs, r->n_procs, sizeof(*r->procs), &pid, cmp_proc_pid);
	for (size_t i = 0; !p && i < r->n_procs; i++)
		if (r->procs[i].pid == pid)
			p = &r->procs[i];
	return p ? p->identity : NULL;
}
