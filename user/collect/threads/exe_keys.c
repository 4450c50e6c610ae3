// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The executable of each process in a report, as one number (proc_report.
 * exe_key): its build-id, else the file's identity. Part of a service's key
 * for --baseline (judge/baseline.c); read once per process. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collect/collector.h"
#include "collect/stacks/symtab.h"
#include "util/array.h"
#include "util/hash.h"

struct exe_key {
	uint32_t pid;
	uint64_t start_ns;	/* the process's start: a reused pid is another */
	uint64_t key;
};

struct exe_keys {
	struct exe_key *keys;	/* sorted by pid */
	size_t n, cap;
};

/* The executable: its build-id, else the file's identity; 0 = unknown. */
static uint64_t exe_key_read(uint32_t pid)
{
	char path[64], id[SYMTAB_BUILD_ID_MAX * 2 + 1];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/exe", pid);
	if (!elf_file_build_id(path, id, sizeof(id)))
		return hash_string(HASH_SEED, id);
	if (stat(path, &st))
		return 0;
	uint64_t file[4] = { st.st_dev, st.st_ino, (uint64_t)st.st_size,
			     (uint64_t)st.st_mtim.tv_sec };

	return hash_bytes(HASH_SEED, file, sizeof(file));
}

static int cmp_pid(const void *key, const void *elem)
{
	uint32_t pid = *(const uint32_t *)key, other = ((const struct exe_key *)elem)->pid;

	return (pid > other) - (pid < other);
}

/* The key of p, read when not known yet (an unknown one is asked again). */
static uint64_t exe_keys__get(struct exe_keys *c, const struct proc_report *p)
{
	size_t i = sorted_lower_bound(c->keys, c->n, sizeof(*c->keys), &p->pid, cmp_pid);
	uint64_t key;

	if (i < c->n && c->keys[i].pid == p->pid && c->keys[i].start_ns == p->start_ns)
		return c->keys[i].key;
	key = exe_key_read(p->pid);
	if (!key)
		return 0;
	if (i == c->n || c->keys[i].pid != p->pid) {
		if (ARRAY_RESERVE(c->keys, c->cap, c->n + 1))
			return key;	/* not remembered: read again next time */
		memmove(c->keys + i + 1, c->keys + i, (c->n - i) * sizeof(*c->keys));
		c->n++;
	}
	c->keys[i] = (struct exe_key){ p->pid, p->start_ns, key };
	return key;
}

static bool exe_keys_wanted(const struct lt_options *o)
{
	return o->baseline;
}

static int exe_keys_open(const struct collect_env *env, void **state, char *msg, size_t size)
{
	(void)env;
	*state = calloc(1, sizeof(struct exe_keys));
	if (!*state)
		snprintf(msg, size, "out of memory");
	return *state ? 0 : LT_EXIT_FAILURE;
}

static int exe_keys_collect(void *state, struct report *r)
{
	for (size_t i = 0; i < r->n_procs; i++)
		r->procs[i].exe_key = exe_keys__get(state, &r->procs[i]);
	return 0;
}

static void exe_keys_forget(void *state, uint32_t pid)
{
	struct exe_keys *c = state;
	size_t i = sorted_lower_bound(c->keys, c->n, sizeof(*c->keys), &pid, cmp_pid);

	if (i < c->n && c->keys[i].pid == pid)
		memmove(c->keys + i, c->keys + i + 1, (--c->n - i) * sizeof(*c->keys));
}

static void exe_keys_close(void *state)
{
	struct exe_keys *c = state;

	free(c->keys);
	free(c);
}

const struct collector_type collector_exe_keys = {
	.name = "reading executables",
	.wanted = exe_keys_wanted,
	.open = exe_keys_open,
	.collect = exe_keys_collect,
	.forget = exe_keys_forget,
	.close = exe_keys_close,
};
