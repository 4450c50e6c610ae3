// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "leaktrace.skel.h"
#include "collect/threads/identity_cache.h"
#include "collect/threads/privileges.h"
#include "collect/threads/tracer.h"
#include "collect/threads/lockgraph.h"
#include "util/array.h"
#include "util/log.h"

struct proc_totals {
	uint32_t pid;
	uint64_t created, exited;
};

/* A --pid process: its pid and who had it at start-up. */
struct target {
	int pid;
	uint64_t start_ticks;	/* /proc/PID/stat start time when leaktrace started */
	bool gone;		/* exited, or its pid is another process's now */
};

struct tracer {
	struct leaktrace_bpf *skel;
	bool task_storage;		/* false: the tid-keyed hash fallback */
	bool proc_syscall;		/* waits from /proc: no bpf_task_pt_regs */
	struct bpf_link *scan_link;
	struct bpf_link *capture_link;
	struct target targets[LT_MAX_TARGETS];
	int n_targets;
	/* counter totals at the previous scan, sorted by pid */
	struct proc_totals *prev;
	size_t n_prev;
	__u64 drops_seen[LT_DROP_MAX];	/* BPF drop counters at the previous scan */
	char *buf;
	size_t buf_size;
};

/* A kernel feature is present when its enumerator is in the kernel's BTF. */
static bool btf_has_enum_value(const struct btf *btf, const char *type, const char *value)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *e;

	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, e++)
		if (!strcmp(btf__name_by_offset(btf, e->name_off), value))
			return true;
	return false;
}

struct features {
	bool task_storage;	/* 5.11 */
	bool task_iter;		/* 5.8 */
	bool task_pt_regs;	/* 5.15 */
	bool capture;		/* 5.18: bpf_copy_from_user_task, sleepable task iterator */
};

/* A helper the kernel lets tracing programs call. libbpf cannot load a
 * BPF_PROG_TYPE_TRACING probe, so ask for a kprobe: the helpers we probe
 * are offered to both by the same bpf_tracing_func_proto(). */
static bool have_helper(enum bpf_func_id id)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, id, NULL) == 1;
}

/* LEAKTRACE_DISABLE=task_storage,pt_regs,capture makes this kernel look
 * older, so the fallbacks for older kernels are tested on a new one. */
static void disable_features(struct features *f)
{
	const char *env = getenv("LEAKTRACE_DISABLE");

	if (!env)
		return;
	if (strstr(env, "task_storage"))
		f->task_storage = false;
	if (strstr(env, "pt_regs"))
		f->task_pt_regs = false;
	if (strstr(env, "capture"))
		f->capture = false;
}

/* Load one variant of each program that keeps per-thread state: task
 * storage (5.11+) or the tid-keyed hash. */
static void select_state_variant(struct leaktrace_bpf *skel, bool task_storage)
{
	struct bpf_program *storage[] = {
		skel->progs.handle_switch, skel->progs.handle_wakeup, skel->progs.handle_fork,
		skel->progs.handle_exit, skel->progs.dump_threads,
	};
	struct bpf_program *hash[] = {
		skel->progs.handle_switch_hash, skel->progs.handle_wakeup_hash,
		skel->progs.handle_fork_hash, skel->progs.handle_exit_hash,
		skel->progs.dump_threads_hash,
	};

	for (size_t i = 0; i < sizeof(storage) / sizeof(storage[0]); i++) {
		bpf_program__set_autoload(storage[i], task_storage);
		bpf_program__set_autoload(hash[i], !task_storage);
	}
	bpf_map__set_autocreate(skel->maps.task_state, task_storage);
	bpf_map__set_autocreate(skel->maps.task_state_hash, !task_storage);
}

/* Default mode: nothing on the context-switch path. */
static void select_mode(struct leaktrace_bpf *skel, bool precise)
{
	struct bpf_program *hot_path[] = {
		skel->progs.handle_switch, skel->progs.handle_wakeup,
		skel->progs.handle_switch_hash, skel->progs.handle_wakeup_hash,
	};

	skel->rodata->precise = precise;
	if (precise)
		return;
	for (size_t i = 0; i < sizeof(hot_path) / sizeof(hot_path[0]); i++)
		bpf_program__set_autoload(hot_path[i], false);
}

static int probe_features(struct features *f, char *err, size_t errlen)
{
	struct btf *btf = btf__load_vmlinux_btf();

	if (!btf) {
		snprintf(err, errlen, "kernel BTF not available (/sys/kernel/btf/vmlinux): "
			 "leaktrace needs CONFIG_DEBUG_INFO_BTF=y");
		return -EOPNOTSUPP;
	}
	/* map types and helpers are probed by loading them, so a kernel
	 * that names a feature in its BTF but was built without it counts
	 * as lacking it */
	f->task_storage = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1;
	/* (libbpf 1.1's BPF_PROG_TYPE_TRACING probe says no on 6.18: the
	 * iterator's context type in BTF is the test instead) */
	f->task_iter = btf__find_by_name_kind(btf, "bpf_iter__task", BTF_KIND_STRUCT) > 0;
	f->task_pt_regs = have_helper(BPF_FUNC_task_pt_regs);
	/* bpf_copy_from_user_task came with sleepable iterators (5.18) and
	 * only sleepable programs may call it: no probe load can ask for it
	 * (6.1 refuses it to a kprobe as an unknown func), so the kernel's
	 * BTF list of helper ids stands for both */
	f->capture = have_helper(BPF_FUNC_get_task_stack) && have_helper(BPF_FUNC_find_vma) &&
		     btf_has_enum_value(btf, "bpf_func_id", "BPF_FUNC_copy_from_user_task");
	btf__free(btf);
	disable_features(f);
	if (!f->task_iter) {
		snprintf(err, errlen, "kernel too old: leaktrace needs BPF task iterators (5.8)");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* One line per optional feature this kernel lacks (stacks: session.c). */
static void warn_missing(const struct features *f)
{
	if (!f->task_storage)
		lt_warn(NULL, "no BPF task storage (needs 5.11): per-thread "
			"state in a hash map of %d threads", LT_MAX_THREADS);
	if (!f->task_pt_regs)
		lt_warn(NULL, "no bpf_task_pt_regs (needs 5.15): wait "
			"syscalls read from /proc/PID/task/TID/syscall");
}

/* Who each --pid is now: the same process while a process with its pid
 * has the start time it had at start-up (a zombie leader whose threads
 * run still counts), gone otherwise. */
static bool target_alive(const struct target *tg)
{
	struct proc_stat_info now;

	return process_of_tid(tg->pid) == tg->pid && !proc_stat_read(tg->pid, &now) &&
	       now.start == tg->start_ticks;
}

/* The BPF filter traces each target's tgid, any start time until
 * pin_targets() gives it the one the first scan saw. */
static int setup_targets(struct tracer *t, const int *pids, int n)
{
	__u64 any = 0;

	t->n_targets = n < LT_MAX_TARGETS ? n : LT_MAX_TARGETS;
	for (int i = 0; i < t->n_targets; i++) {
		struct target *tg = &t->targets[i];
		struct proc_stat_info info;
		__u32 pid = pids[i];

		tg->pid = pids[i];
		/* exited since the --pid check: gone from the first report */
		tg->gone = proc_stat_read(pid, &info) != 0;
		tg->start_ticks = tg->gone ? 0 : info.start;
		if (bpf_map__update_elem(t->skel->maps.targets, &pid, sizeof(pid), &any, sizeof(any),
					 BPF_ANY))
			return -errno;
	}
	return 0;
}

static void forget_target(struct tracer *t, struct target *tg)
{
	__u32 pid = tg->pid;

	tg->gone = true;
	bpf_map__delete_elem(t->skel->maps.targets, &pid, sizeof(pid), 0);
}

struct pin_ctx {
	struct tracer *t;
	uint64_t start_ns[LT_MAX_TARGETS];	/* the leader's start_time, 0 = not seen */
};

static int pin_record(void *ctx, const void *rec, size_t len)
{
	struct pin_ctx *c = ctx;
	struct lt_proc_rec p;

	if (len != sizeof(p))
		return 0;
	memcpy(&p, rec, sizeof(p));
	if (p.type != LT_REC_PROC)
		return 0;
	for (int i = 0; i < c->t->n_targets; i++)
		if ((uint32_t)c->t->targets[i].pid == p.tgid)
			c->start_ns[i] = p.start_ns;
	return 0;
}

/* Give the BPF filter each target's start time in the kernel's own clock,
 * seen by the first scan: /proc's clock ticks since boot cannot be compared
 * exactly with task->start_time. The process the scan saw is the one of
 * start-up when /proc still shows the same start time after it. */
static void pin_targets(struct tracer *t, const struct pin_ctx *c)
{
	for (int i = 0; i < t->n_targets; i++) {
		struct target *tg = &t->targets[i];
		__u32 pid = tg->pid;
		__u64 start = c->start_ns[i];

		/* a zombie leader may be missed by the scan: /proc still tells */
		if (tg->gone || !target_alive(tg))
			forget_target(t, tg);
		else if (start)
			bpf_map__update_elem(t->skel->maps.targets, &pid, sizeof(pid), &start,
					     sizeof(start), BPF_EXIST);
	}
}

static int run_iter(struct tracer *t, struct bpf_link *link,
		    int (*fn)(void *ctx, const void *rec, size_t len), void *ctx);

/* Open the BPF object, configure it from opts and the kernel's features,
 * load it: 0 or -errno with a message in err. */
static int load_skel(struct tracer *t, const struct tracer_opts *opts,
		     const struct features *feat, char *err, size_t errlen)
{
	int ret;

	t->skel = leaktrace_bpf__open();
	if (!t->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open BPF object: %s", strerror(-ret));
		return ret;
	}
	t->skel->rodata->system_wide = opts->n_pids == 0 && !opts->cgroup_id;
	t->skel->rodata->filter_cgroup_id = opts->cgroup_id;
	t->skel->rodata->filter_cgroup_level = opts->cgroup_level;
	t->skel->rodata->self_tgid = getpid();
	t->skel->rodata->include_kthreads = opts->kernel_threads;
	t->skel->rodata->have_task_pt_regs = feat->task_pt_regs;
	select_state_variant(t->skel, feat->task_storage);
	select_mode(t->skel, opts->precise);
	t->task_storage = feat->task_storage;
	t->proc_syscall = !feat->task_pt_regs;
	if (!opts->capture_stacks || !feat->capture || !feat->task_pt_regs)
		bpf_program__set_autoload(t->skel->progs.capture_stacks, false);
	warn_missing(feat);

	ret = leaktrace_bpf__load(t->skel);
	if (ret)
		snprintf(err, errlen, "cannot load BPF programs: %s%s", strerror(-ret),
			 ret == -EPERM ? " (run as root or with CAP_BPF and CAP_PERFMON)" :
			 " (run with -v for the verifier log)");
	return ret;
}

/* A first scan measures the clock lag and, in precise mode, creates task
 * storage for every traced thread (so the hot path stamps their next
 * park); park_cutoff_ns is 0: no thread passes the filter, the --pid
 * processes' summaries give their start times. */
static int first_scan(struct tracer *t, char *err, size_t errlen)
{
	struct pin_ctx *pin = calloc(1, sizeof(*pin));
	int ret;

	if (!pin) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pin->t = t;
	ret = run_iter(t, t->scan_link, pin_record, pin);
	if (ret)
		snprintf(err, errlen, "cannot run task iterator: %s", strerror(-ret));
	else
		pin_targets(t, pin);
	free(pin);
	return ret;
}

int tracer__new(const struct tracer_opts *opts, struct tracer **out, char *err, size_t errlen)
{
	struct features feat = {};
	struct tracer *t;
	int ret;

	ret = probe_features(&feat, err, errlen);
	if (ret)
		return ret;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	ret = load_skel(t, opts, &feat, err, errlen);
	if (ret)
		goto fail;
	ret = setup_targets(t, opts->pids, opts->n_pids);
	if (ret) {
		snprintf(err, errlen, "cannot set up pid filter: %s", strerror(-ret));
		goto fail;
	}
	ret = leaktrace_bpf__attach(t->skel);
	if (ret) {
		snprintf(err, errlen, "cannot attach BPF programs: %s", strerror(-ret));
		goto fail;
	}
	t->scan_link = bpf_program__attach_iter(feat.task_storage ? t->skel->progs.dump_threads :
						 t->skel->progs.dump_threads_hash, NULL);
	if (!t->scan_link) {
		ret = -errno;
		snprintf(err, errlen, "cannot attach task iterator: %s", strerror(-ret));
		goto fail;
	}
	if (bpf_program__autoload(t->skel->progs.capture_stacks)) {
		t->capture_link = bpf_program__attach_iter(t->skel->progs.capture_stacks, NULL);
		if (!t->capture_link) {
			ret = -errno;
			snprintf(err, errlen, "cannot attach capture iterator: %s", strerror(-ret));
			goto fail;
		}
	}
	ret = first_scan(t, err, errlen);
	if (ret)
		goto fail;
	*out = t;
	return 0;
fail:
	tracer__free(t);
	return ret;
}

void tracer__free(struct tracer *t)
{
	if (!t)
		return;
	bpf_link__destroy(t->capture_link);
	bpf_link__destroy(t->scan_link);
	leaktrace_bpf__destroy(t->skel);
	free(t->prev);
	free(t->buf);
	free(t);
}

bool tracer__can_capture(const struct tracer *t)
{
	return t->capture_link != NULL;
}

/* Run an iterator to the end, calling fn for every complete record. */
static int run_iter(struct tracer *t, struct bpf_link *link,
		    int (*fn)(void *ctx, const void *rec, size_t len), void *ctx)
{
	size_t have = 0;
	int fd, err = 0;

	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		return -errno;
	if (!t->buf) {
		t->buf_size = 64 * 1024;
		t->buf = malloc(t->buf_size);
		if (!t->buf) {
			close(fd);
			return -ENOMEM;
		}
	}
	for (;;) {
		ssize_t n = read(fd, t->buf + have, t->buf_size - have);
		size_t off = 0;

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		have += n;
		while (have - off >= sizeof(__u32)) {
			__u32 type;
			size_t len;

			memcpy(&type, t->buf + off, sizeof(type));
			if (type == LT_REC_THREAD) {
				len = sizeof(struct lt_thread_rec);
			} else if (type == LT_REC_PROC) {
				len = sizeof(struct lt_proc_rec);
			} else if (type == LT_REC_STACK) {
				__u32 ulen;

				if (have - off < offsetof(struct lt_stack_rec, ustack))
					break;
				memcpy(&ulen, t->buf + off + offsetof(struct lt_stack_rec, ustack_len),
				       sizeof(ulen));
				if (ulen > LT_USTACK_BYTES) {
					err = -EPROTO;
					goto out;
				}
				len = offsetof(struct lt_stack_rec, ustack) + ulen;
			} else {
				err = -EPROTO;
				goto out;
			}
			if (have - off < len)
				break;
			err = fn(ctx, t->buf + off, len);
			if (err)
				goto out;
			off += len;
		}
		memmove(t->buf, t->buf + off, have - off);
		have -= off;
	}
out:
	close(fd);
	return err;
}

/*
 * Without bpf_task_pt_regs (< 5.15) the wait syscall comes from
 * /proc/PID/task/TID/syscall, the same saved registers read by the kernel:
 * "NR ARG1..ARG6 SP PC" (NR decimal, the rest 0x-hex), "-1 SP PC" outside
 * a syscall, "running" (collect/threads/lockgraph.c reads and parses it, one
 * fuzzed parser for both). Read only for threads the report keeps, so the
 * cost is per parked thread, not per thread.
 */
static void wait_from_proc(struct thread_report *t)
{
	struct wait_info w;

	/* outside a syscall ("-1 SP PC") or running, the wait stays as it is */
	if (!procsyscall_wait(NULL, t->pid, t->tid, &w) && w.syscall_nr >= 0)
		t->wait = w;
}

struct scan_ctx {
	struct tracer *t;
	struct report *r;
};

/* run_iter has checked the length of each record against its type */
static int scan_record(void *ctx, const void *rec, size_t len)
{
	struct scan_ctx *c = ctx;
	size_t before = c->r->n_threads;
	__u32 type;
	int err;

	memcpy(&type, rec, sizeof(type));
	if (type == LT_REC_PROC)
		return report_add_proc_record(c->r, rec);
	if (type != LT_REC_THREAD)
		return 0;
	err = report_add_record(c->r, rec);
	if (!err && c->t->proc_syscall && c->r->n_threads > before)
		wait_from_proc(&c->r->threads[before]);
	return err;
}

static int cmp_totals(const void *a, const void *b)
{
	return cmp_u32(&((const struct proc_totals *)a)->pid, &((const struct proc_totals *)b)->pid);
}

static const struct proc_totals *find_prev(const struct tracer *t, uint32_t pid)
{
	struct proc_totals key = { .pid = pid };

	return sorted_find(t->prev, t->n_prev, sizeof(*t->prev), &key, cmp_totals);
}

/* Fork/exit totals from BPF; interval deltas against the previous scan. */
static int read_counts(struct tracer *t, struct report *r)
{
	struct bpf_map *map = t->skel->maps.proc_counts;
	struct proc_totals *cur = NULL;
	size_t n = 0, cap = 0;
	__u32 key, next;
	void *prevkey = NULL;

	while (bpf_map__get_next_key(map, prevkey, &next, sizeof(next)) == 0) {
		struct lt_proc_counts c;
		const struct proc_totals *old;
		struct proc_report *p;

		key = next;
		prevkey = &key;
		if (bpf_map__lookup_elem(map, &key, sizeof(key), &c, sizeof(c), 0))
			continue;
		if (n == cap) {
			struct proc_totals *nc;

			cap = cap ? cap * 2 : 256;
			nc = realloc(cur, cap * sizeof(*cur));
			if (!nc) {
				free(cur);
				return -ENOMEM;
			}
			cur = nc;
		}
		cur[n++] = (struct proc_totals){ key, c.created, c.exited };
		p = report_proc(r, key);
		if (!p) {
			free(cur);
			return -ENOMEM;
		}
		old = find_prev(t, key);
		p->created_total = c.created;
		p->exited_total = c.exited;
		p->created = c.created - (old ? old->created : 0);
		p->exited = c.exited - (old ? old->exited : 0);
	}
	if (n)
		qsort(cur, n, sizeof(*cur), cmp_totals);
	free(t->prev);
	t->prev = cur;
	t->n_prev = n;
	return 0;
}

static bool is_target(const struct tracer *t, uint32_t pid)
{
	for (int i = 0; i < t->n_targets; i++)
		if ((uint32_t)t->targets[i].pid == pid)
			return true;
	return false;
}

/* This report's share of the BPF drop counters (totals since load). */
static void bpf_drops(struct tracer *t, struct report *r)
{
	static const enum drop_reason reason[LT_DROP_MAX] = {
		[LT_DROP_PROC_COUNTS] = DROP_PROC_COUNTS,
		[LT_DROP_TASK_STORAGE] = DROP_TASK_STORAGE,
	};

	for (int i = 0; i < LT_DROP_MAX; i++) {
		__u64 now = t->skel->bss->drops[i];

		r->lost[reason[i]] += now - t->drops_seen[i];
		t->drops_seen[i] = now;
	}
}

int tracer__scan(struct tracer *t, struct report *r)
{
	struct scan_ctx sc = { t, r };
	int err;

	/* measured by the previous run (tracer__new makes a first one) */
	r->clock_lag_ns = t->skel->bss->exec_clock_lag_ns;
	t->skel->bss->park_cutoff_ns = report_park_cutoff(r);
	t->skel->bss->threads_scanned = 0;
	t->skel->bss->last_scanned_tid = 0;
	err = run_iter(t, t->scan_link, scan_record, &sc);
	if (err)
		return err;
	r->threads_scanned = t->skel->bss->threads_scanned;
	err = read_counts(t, r);
	if (err)
		return err;
	/* processes given with --pid are summarised even when they are gone */
	for (int i = 0; i < t->n_targets; i++)
		if (!report_proc(r, t->targets[i].pid))
			return -ENOMEM;
	for (size_t i = 0; i < r->n_procs; i++)
		if (!r->procs[i].comm[0] && is_target(t, r->procs[i].pid))
			snprintf(r->procs[i].comm, sizeof(r->procs[i].comm), "?");
	bpf_drops(t, r);
	report_sort(r);
	return 0;
}

void tracer__prune(struct tracer *t, const struct report *r)
{
	for (size_t i = 0; i < r->n_procs; i++) {
		__u32 pid = r->procs[i].pid;

		if (r->procs[i].alive || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		bpf_map__delete_elem(t->skel->maps.proc_counts, &pid, sizeof(pid), 0);
	}
}

int tracer__targets_alive(struct tracer *t)
{
	int alive = 0;

	for (int i = 0; i < t->n_targets; i++) {
		struct target *tg = &t->targets[i];

		if (!tg->gone && !target_alive(tg))
			forget_target(t, tg);
		alive += !tg->gone;
	}
	return alive;
}

struct capture_ctx {
	tracer_stack_cb cb;
	void *ctx;
	size_t received;
	struct lt_stack_rec rec;	/* full-size copy of a variable-length record */
};

static int capture_record(void *ctx, const void *rec, size_t len)
{
	struct capture_ctx *c = ctx;

	if (len < offsetof(struct lt_stack_rec, ustack) || len > sizeof(c->rec))
		return 0;
	memcpy(&c->rec, rec, len);
	c->cb(c->ctx, &c->rec);
	c->received++;
	return 0;
}

/* Why tid got no record, from what the iterator left in the map (and
 * remove it): a captured entry was deleted by BPF, a marked one says why,
 * an untouched one was never visited (the task is gone). */
static int capture_miss(struct bpf_map *map, __u32 tid, int iter_err)
{
	__u64 v;

	if (bpf_map__lookup_and_delete_elem(map, &tid, sizeof(tid), &v, sizeof(v), 0))
		return 0;
	if (v == LT_CAPTURE_RAN)
		return -ESTALE;
	if (v == LT_CAPTURE_EXITING)
		return -ESRCH;
	return iter_err ? iter_err : -ESRCH;
}

int tracer__capture(struct tracer *t, const uint32_t *tids, const uint64_t *nvcsw, size_t n,
		    tracer_stack_cb cb, void *ctx, int *miss)
{
	struct bpf_map *map = t->skel->maps.capture_tids;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct capture_ctx *c;
	__u32 count;
	int err;

	if (!t->capture_link)
		return -EOPNOTSUPP;
	if (n > LT_MAX_CAPTURES)
		return -E2BIG;
	memset(miss, 0, n * sizeof(*miss));
	if (!n)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cb = cb;
	c->ctx = ctx;
	/* one syscall for the whole list (uint32_t/uint64_t match __u32/__u64) */
	count = n;
	err = bpf_map_update_batch(bpf_map__fd(map), tids, nvcsw, &count, &opts);
	for (size_t i = err ? count : n; i < n; i++) {
		__u32 tid = tids[i];
		__u64 sw = nvcsw[i];

		bpf_map__update_elem(map, &tid, sizeof(tid), &sw, sizeof(sw), BPF_ANY);
	}
	err = run_iter(t, t->capture_link, capture_record, c);
	/* BPF deletes what it emitted: the entries left say why the others
	 * were not (and must go before the next report) */
	if (c->received < n)
		for (size_t i = 0; i < n; i++)
			miss[i] = capture_miss(map, tids[i], err);
	free(c);
	return err;
}
