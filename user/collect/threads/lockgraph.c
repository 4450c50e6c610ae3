// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "collect/procfs/procfs.h"
#include "collect/threads/lockgraph.h"

#define FUTEX_TID_MASK		0x3fffffff
#define GLIBC_MUTEX_OWNER_OFF	8

/* "NR A0..A5 SP PC", "-1 SP PC" or "running": nr, args (when nr >= 0),
 * then sp and pc when sp_pc is not NULL. */
static int scan_syscall_line(const char *line, long *nr_out, uint64_t args[6], uint64_t *sp_pc)
{
	char *end;
	long nr;

	if (!strncmp(line, "running", 7))
		return -EAGAIN;
	errno = 0;
	nr = strtol(line, &end, 10);
	if (errno || end == line || nr < -1 || nr > 4096)
		return -EINVAL;
	for (int i = 0; i < 6 && nr >= 0; i++) {
		const char *p = end;

		errno = 0;
		args[i] = strtoull(p, &end, 16);
		if (errno || end == p)
			return -EINVAL;
	}
	for (int i = 0; sp_pc && i < 2; i++) {
		const char *p = end;

		errno = 0;
		sp_pc[i] = strtoull(p, &end, 16);
		if (errno || end == p)
			return -EINVAL;
	}
	*nr_out = nr;
	return 0;
}

int parse_syscall_line(const char *line, struct wait_info *w)
{
	uint64_t args[6];
	long nr;
	int err = scan_syscall_line(line, &nr, args, NULL);

	if (!err)
		wait_classify(nr, args, w);
	return err;
}

int parse_syscall_sp_pc(const char *line, uint64_t *sp, uint64_t *pc)
{
	uint64_t args[6], sp_pc[2] = { 0, 0 };
	long nr;
	int err = scan_syscall_line(line, &nr, args, sp_pc);

	*sp = sp_pc[0];
	*pc = sp_pc[1];
	return err;
}

int procsyscall_sp_pc(uint32_t pid, uint32_t tid, uint64_t *sp, uint64_t *pc)
{
	char line[256];
	ssize_t n = procfs__read_buf((int)pid, (int)tid, "syscall", line, sizeof(line));

	if (n <= 0)
		return n < 0 ? (int)n : -EINVAL;
	return parse_syscall_sp_pc(line, sp, pc);
}

int procsyscall_wait(void *ctx, uint32_t pid, uint32_t tid, struct wait_info *w)
{
	char line[256];
	ssize_t n;

	(void)ctx;
	n = procfs__read_buf((int)pid, (int)tid, "syscall", line, sizeof(line));
	if (n <= 0)
		return n < 0 ? (int)n : -EINVAL;
	return parse_syscall_line(line, w);
}

/* A wait on a mutex whose owner can be read from the futex word. */
static bool mutex_wait(const struct wait_info *w)
{
	enum futex_cmd cmd = w->futex_cmd;

	/* a contended glibc lock sleeps with FUTEX_WAIT on the value 2 */
	return w->kind == WAIT_FUTEX &&
	       (cmd == FUTEX_CMD_LOCK_PI || cmd == FUTEX_CMD_LOCK_PI2 ||
		(cmd == FUTEX_CMD_WAIT && w->futex_val == 2));
}

static uint32_t mutex_owner(const struct thread_report *t, mem_reader_fn read, void *ctx)
{
	const struct wait_info *w = &t->wait;
	enum futex_cmd cmd = w->futex_cmd;
	int32_t word[3];
	uint32_t owner;

	if (!mutex_wait(w))
		return 0;
	if (read(ctx, t->pid, w->futex_addr, word, sizeof(word)))
		return 0;
	if (cmd == FUTEX_CMD_LOCK_PI || cmd == FUTEX_CMD_LOCK_PI2)
		owner = (uint32_t)word[0] & FUTEX_TID_MASK;
	else if (word[0] == 0)	/* unlocked by now: no owner */
		return 0;
	else
		owner = (uint32_t)word[GLIBC_MUTEX_OWNER_OFF / 4];
	if (!owner || owner == t->tid || (int32_t)owner < 0)
		return 0;
	if (!procfs__task_exists((int)t->pid, (int)owner))
		return 0;
	return owner;
}

uint32_t lockgraph_join_target(const struct thread_report *t, mem_reader_fn read, void *ctx)
{
	const struct wait_info *w = &t->wait;
	uint32_t word;

	/* shared (not _PRIVATE) FUTEX_WAIT or FUTEX_WAIT_BITSET only */
	if (w->kind != WAIT_FUTEX || wait_has(w, WAIT_F_FUTEX_PRIVATE) ||
	    (w->futex_cmd != FUTEX_CMD_WAIT && w->futex_cmd != FUTEX_CMD_WAIT_BITSET))
		return 0;
	if (!w->futex_val || w->futex_val > FUTEX_TID_MASK || w->futex_val == t->tid)
		return 0;
	if (read(ctx, t->pid, w->futex_addr, &word, sizeof(word)) || word != w->futex_val)
		return 0;
	return procfs__task_exists((int)t->pid, (int)word) ? word : 0;
}

void lockgraph_resolve_owners(struct report *r, mem_reader_fn read, void *ctx)
{
	for (size_t i = 0; i < r->n_threads; i++) {
		/* a Java monitor's or lock's owner: the Java collector's */
		if (r->threads[i].java && r->threads[i].java->owner) {
			r->threads[i].lock_owner = r->threads[i].java->owner;
			continue;
		}
		/* past the deadline the owner is unknown: counted, read next time */
		if (mutex_wait(&r->threads[i].wait) && report_past_deadline(r)) {
			r->threads[i].lock_owner = 0;
			r->lost[DROP_DEADLINE_CUT]++;
			continue;
		}
		r->threads[i].lock_owner = mutex_owner(&r->threads[i], read, ctx);
	}
}
