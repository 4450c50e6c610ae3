// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/report.h"
#include "util/array.h"
#include "util/clock.h"

static void free_thread_stacks(struct thread_report *t)
{
	if (!t->stacks_borrowed) {
		free(t->user_stack);
		free(t->kernel_stack);
	}
	t->user_stack = t->kernel_stack = NULL;
	t->n_user = t->n_kernel = 0;
}

bool report_past_deadline(const struct report *r)
{
	return r->deadline_ns && mono_ns() >= r->deadline_ns;
}

void report_reset(struct report *r)
{
	for (size_t i = 0; i < r->n_threads; i++)
		free_thread_stacks(&r->threads[i]);
	r->n_threads = 0;
	r->n_by_tid = 0;
	r->n_procs = 0;
	r->n_sites = 0;
	r->n_goroutines = 0;
	r->n_conns = 0;
	r->n_owners = 0;
	r->n_proofs = 0;
	r->worst = VERDICT_NONE;
	r->threads_scanned = 0;
	r->capture_failures = 0;
	memset(r->lost, 0, sizeof(r->lost));
	r->python_failures = 0;
	r->python_ns = 0;
	r->java_ns = 0;
	r->deadline_ns = 0;
	r->captures = 0;
	r->final = false;
}

void report_free(struct report *r)
{
	report_reset(r);
	free(r->threads);
	free(r->by_tid);
	free(r->procs);
	free(r->sites);
	free(r->goroutines);
	free(r->conns);
	free(r->owners);
	free(r->proofs);
	memset(r, 0, sizeof(*r));
}

const struct proc_report *report_find_proc(const struct report *r, uint32_t pid)
{
	/* reports are built in tgid order by the iterator: check the last first */
	if (r->n_procs && r->procs[r->n_procs - 1].pid == pid)
		return &r->procs[r->n_procs - 1];
	for (size_t i = 0; i < r->n_procs; i++)
		if (r->procs[i].pid == pid)
			return &r->procs[i];
	return NULL;
}

struct proc_report *report_proc(struct report *r, uint32_t pid)
{
	struct proc_report *p = (struct proc_report *)report_find_proc(r, pid);

	if (p)
		return p;
	p = ARRAY_PUSH(r->procs, r->n_procs, r->cap_procs);
	if (p)
		p->pid = pid;
	return p;
}

struct thread_report *report_add_thread(struct report *r)
{
	return ARRAY_PUSH(r->threads, r->n_threads, r->cap_threads);
}

struct site_report *report_add_site(struct report *r)
{
	return ARRAY_PUSH(r->sites, r->n_sites, r->cap_sites);
}

struct conn_report *report_add_conn(struct report *r)
{
	return ARRAY_PUSH(r->conns, r->n_conns, r->cap_conns);
}

struct goroutine_report *report_add_goroutine(struct report *r)
{
	return ARRAY_PUSH(r->goroutines, r->n_goroutines, r->cap_goroutines);
}

uint64_t report_thread_group(const struct thread_report *t)
{
	return t->site ? t->site : wait_shape(&t->wait);
}

struct owner_edge *report_add_owner(struct report *r, const struct owner_edge *e)
{
	struct owner_edge *o = ARRAY_PUSH(r->owners, r->n_owners, r->cap_owners);

	if (o)
		*o = *e;
	return o;
}

struct unit_proof *report_add_proof(struct report *r, const struct unit_proof *p)
{
	struct unit_proof *o = ARRAY_PUSH(r->proofs, r->n_proofs, r->cap_proofs);

	if (o)
		*o = *p;
	return o;
}

int unit_ref_cmp(const void *a, const void *b)
{
	const struct unit_ref *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

const char *proof_name(enum proof p)
{
	static const char *const names[PROOF_KINDS] = {
		[PROOF_NONE] = "none", [PROOF_OWNER_CYCLE] = "owner_cycle",
		[PROOF_REACHABILITY] = "reachability", [PROOF_WAIT_REASON] = "wait_reason",
		[PROOF_WAKER_CHAIN] = "waker_chain",
		[PROOF_RUNTIME_LEAK_STATUS] = "runtime_leak_status",
	};

	return p < PROOF_KINDS ? names[p] : "none";
}

const char *owner_kind_name(enum owner_kind k)
{
	static const char *const names[OWNER_KINDS] = {
		[OWNER_FUTEX_MUTEX] = "mutex", [OWNER_JAVA_MONITOR] = "monitor",
		[OWNER_AQS_LOCK] = "lock", [OWNER_JOIN] = "join", [OWNER_PIPE] = "pipe",
	};

	return k < OWNER_KINDS ? names[k] : "unknown";
}

const char *verdict_name(enum verdict v)
{
	static const char *const names[] = { "none", "idle", "stuck", "leak", "deadlock" };

	return v <= VERDICT_DEADLOCK ? names[v] : "none";
}

int verdict_parse(const char *s, enum verdict *v)
{
	for (int i = VERDICT_IDLE; i <= VERDICT_DEADLOCK; i++) {
		if (!strcmp(s, verdict_name(i))) {
			*v = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int cmp_thread_key(const void *a, const void *b)
{
	const struct thread_key *x = a, *y = b;

	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	return (x->tid > y->tid) - (x->tid < y->tid);
}

const struct thread_report *report_find_thread(const struct report *r, uint32_t pid, uint32_t tid)
{
	struct thread_key key = { pid, tid, 0 };
	const struct thread_key *k;

	/* the lock graph asks once per edge: linear would be quadratic */
	if (r->n_by_tid == r->n_threads) {
		k = sorted_find(r->by_tid, r->n_by_tid, sizeof(*k), &key, cmp_thread_key);
		return k ? &r->threads[k->index] : NULL;
	}
	for (size_t i = 0; i < r->n_threads; i++)
		if (r->threads[i].tid == tid && r->threads[i].pid == pid)
			return &r->threads[i];
	return NULL;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct proc_report *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int cmp_thread(const void *a, const void *b)
{
	const struct thread_report *x = a, *y = b;

	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	if (x->parked_ns != y->parked_ns)
		return x->parked_ns < y->parked_ns ? 1 : -1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

void report_sort(struct report *r)
{
	if (r->n_procs)
		qsort(r->procs, r->n_procs, sizeof(*r->procs), cmp_proc);
	if (r->n_threads)
		qsort(r->threads, r->n_threads, sizeof(*r->threads), cmp_thread);
	r->n_by_tid = 0;
	if (ARRAY_RESERVE(r->by_tid, r->cap_by_tid, r->n_threads))
		return;		/* report_find_thread falls back to a linear search */
	for (size_t i = 0; i < r->n_threads; i++)
		r->by_tid[i] = (struct thread_key){ r->threads[i].pid, r->threads[i].tid, i };
	if (r->n_threads)
		qsort(r->by_tid, r->n_threads, sizeof(*r->by_tid), cmp_thread_key);
	r->n_by_tid = r->n_threads;
}

/* A process is alive when the scan saw one of its threads. */
static struct proc_report *seen_proc(struct report *r, uint32_t pid, uint32_t nr_threads,
				     const char *comm, bool leader)
{
	struct proc_report *p = report_proc(r, pid);

	if (!p)
		return NULL;
	p->alive = true;
	if (nr_threads > p->live_threads)
		p->live_threads = nr_threads;
	if (leader || !p->comm[0])
		memcpy(p->comm, comm, sizeof(p->comm));
	p->comm[LT_COMM_LEN - 1] = '\0';
	return p;
}

int report_add_proc_record(struct report *r, const struct lt_proc_rec *rec)
{
	struct proc_report *p = seen_proc(r, rec->tgid, rec->nr_threads, rec->comm, true);

	if (p)
		p->start_ns = rec->start_ns;
	return p ? 0 : -ENOMEM;
}

uint64_t report_park_cutoff(const struct report *r)
{
	/* park times are on the scheduler's task clock: mono_ns - clock_lag_ns */
	int64_t cutoff = (int64_t)(r->mono_ns - r->threshold_ns) - r->clock_lag_ns;

	return r->mono_ns < r->threshold_ns || cutoff < 0 ? 0 : (uint64_t)cutoff;
}

int report_add_record(struct report *r, const struct lt_thread_rec *rec)
{
	struct thread_report *t;
	struct proc_report *p;
	uint64_t args[6], parked_at;

	p = seen_proc(r, rec->tgid, rec->nr_threads, rec->pcomm, rec->flags & LT_F_LEADER);
	if (!p)
		return -ENOMEM;
	if ((rec->state != LT_STATE_SLEEPING && rec->state != LT_STATE_DISK &&
	     rec->state != LT_STATE_STOPPED) || !rec->parked_ns ||
	    rec->parked_ns > report_park_cutoff(r))
		return 0;
	parked_at = rec->parked_ns + r->clock_lag_ns;

	t = report_add_thread(r);
	if (!t)
		return -ENOMEM;
	p->parked++;
	t->pid = rec->tgid;
	t->tid = rec->tid;
	memcpy(t->comm, rec->pcomm, sizeof(t->comm));
	memcpy(t->thread, rec->comm, sizeof(t->thread));
	t->comm[LT_COMM_LEN - 1] = t->thread[LT_COMM_LEN - 1] = '\0';
	t->state = rec->state == LT_STATE_DISK ? 'D' : rec->state == LT_STATE_STOPPED ? 'T' : 'S';
	t->parked_ns = r->mono_ns - parked_at;
	t->parked_since_ns = r->real_ns - t->parked_ns;
	t->park_seen = rec->flags & LT_F_PARK_SEEN;
	t->age_ns = rec->start_ns && rec->start_ns <= r->mono_ns ? r->mono_ns - rec->start_ns : 0;
	t->creator_tid = rec->flags & LT_F_CREATOR_KNOWN ? rec->creator_tid : 0;
	t->wakeups = rec->wakeups;
	t->wakeups_known = rec->flags & LT_F_WAKEUPS_KNOWN;
	t->nvcsw = rec->nvcsw;
	for (int i = 0; i < 6; i++)
		args[i] = rec->args[i];
	wait_classify(rec->flags & LT_F_IN_SYSCALL ? rec->syscall_nr : -1, args, &t->wait);
	return 0;
}
