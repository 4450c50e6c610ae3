// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * leaktrace BPF side.
 *
 * By default nothing runs on the context-switch path: park times come from
 * the kernel's own per-task timestamp (se.exec_start) and "same park" from
 * its voluntary switch count, both read by the task iterator when a report
 * is due, together with the state, the wait syscall and its arguments, the
 * thread age and (lazily) stacks, so the cost scales with reports, not with
 * context switches. Only thread lifetimes (sched_process_fork/exit) are
 * followed as they happen. In precise mode (`precise`), sched_switch and
 * sched_wakeup also stamp task-local storage of traced threads with the
 * exact park time and count wake-ups.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "leaktrace.h"
#include "cgroup_filter.bpf.h"

#define PF_KTHREAD		0x00200000
#define ENOENT			2
#define TASK_INTERRUPTIBLE	0x0001
#define TASK_UNINTERRUPTIBLE	0x0002
#define __TASK_STOPPED		0x0004
#define __TASK_TRACED		0x0008
#define TASK_NOLOAD		0x0400
#define PF_EXITING		0x00000004

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by userspace before load. */
const volatile bool system_wide = true;
const volatile __u32 self_tgid = 0;
const volatile bool have_task_pt_regs = true;
const volatile bool include_kthreads = false;
const volatile bool precise = false;	/* sched_switch/sched_wakeup programs loaded */

/* Written by userspace between iterator runs (.bss is mmaped). */
/* the threshold filter: threads parked after this (task clock) stay out */
__u64 park_cutoff_ns;
/* traced threads the last scan walked; the tid counted last, so a task the
 * kernel shows again after a full seq buffer is not counted twice */
__u64 threads_scanned;
__u32 last_scanned_tid;
__u64 drops[LT_DROP_MAX];
/* bpf_ktime_get_ns() - se.exec_start of the running iterator task: how far
 * the scheduler's task clock (which excludes IRQ/steal time) lags behind */
__s64 exec_clock_lag_ns;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct lt_task_state);
} task_state SEC(".maps");

/* The same state keyed by tid, for kernels without task storage (< 5.11):
 * bounded, costlier on the hot path, entries deleted at thread exit. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LT_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct lt_task_state);
} task_state_hash SEC(".maps");

/* The thread that created each traced thread (or process) created while
 * leaktrace runs: slot tid % LT_MAX_THREADS holds tid << 32 | creator,
 * written in one 8-byte store. An array, not a hash: no lock and no
 * allocation at fork (a hash update takes a bucket lock with interrupts
 * off, costly on paravirtual machines), nothing to delete at exit (a slot
 * names its tid: a stale or overwritten one does not match). A thread
 * whose slot a thread created LT_MAX_THREADS tids later took over has an
 * unknown creator. The only per-thread state of the default mode. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LT_MAX_THREADS);
	__type(key, __u32);
	__type(value, __u64);
} creators SEC(".maps");

_Static_assert((LT_MAX_THREADS & (LT_MAX_THREADS - 1)) == 0, "creator slots: a power of 2");

static __always_inline __u64 *creator_slot(__u32 tid)
{
	__u32 slot = tid & (LT_MAX_THREADS - 1);

	return bpf_map_lookup_elem(&creators, &slot);
}

/* tgids given with --pid, each with its start_time: a process that later
 * gets the same pid is another one (0 until userspace pins it, after the
 * first scan) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LT_MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u64);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LT_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct lt_proc_counts);
} proc_counts SEC(".maps");

/* tids whose stacks the next capture run should take */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LT_MAX_CAPTURES);
	__type(key, __u32);
	__type(value, __u64);	/* nvcsw when seen parked */
} capture_tids SEC(".maps");

/* Scratch space for one stack record: too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_stack_rec);
} stack_scratch SEC(".maps");

static __always_inline void drop(enum lt_drop what)
{
	__sync_fetch_and_add(&drops[what], 1);
}

static __always_inline bool traced_process(struct task_struct *task)
{
	__u32 tgid = task->tgid;
	__u64 *start;

	if (tgid == self_tgid)
		return false;
	if (system_wide)
		return true;
	start = bpf_map_lookup_elem(&targets, &tgid);
	return start && (!*start || *start == BPF_CORE_READ(task, group_leader, start_time));
}

static __always_inline bool traced_task(struct task_struct *task)
{
	if (!include_kthreads && (task->flags & PF_KTHREAD))
		return false;
	/* --cgroup adds its subtree to the --pid processes (or is alone) */
	if (filter_cgroup_id && task->tgid != self_tgid && in_filter_cgroup(task))
		return true;
	return traced_process(task);
}

static __always_inline unsigned int task_state_bits(struct task_struct *task)
{
	if (bpf_core_field_exists(task->__state))
		return BPF_CORE_READ(task, __state);
	/* before 5.14 the field was "long state" */
	struct task_struct___old {
		long state;
	} *old = (void *)task;
	return BPF_CORE_READ(old, state);
}

static __always_inline __u32 classify_state(unsigned int bits)
{
	if (bits == 0)
		return LT_STATE_RUNNING;
	if (bits & TASK_UNINTERRUPTIBLE)
		return (bits & TASK_NOLOAD) ? LT_STATE_SLEEPING : LT_STATE_DISK;
	if (bits & TASK_INTERRUPTIBLE)
		return LT_STATE_SLEEPING;
	/* stopped by a signal (SIGSTOP, job control): nothing runs it until
	 * SIGCONT; a debugger's stop (traced) is someone looking already */
	if (bits & __TASK_TRACED)
		return LT_STATE_OTHER;
	if (bits & __TASK_STOPPED)
		return LT_STATE_STOPPED;
	return LT_STATE_OTHER;
}

/* Off the CPU and not coming back by itself soon: a sleep, D, or a stop. */
static __always_inline bool parked_state(__u32 state)
{
	return state == LT_STATE_SLEEPING || state == LT_STATE_DISK || state == LT_STATE_STOPPED;
}

/*
 * Per-thread state, in task storage or, where the kernel has none, in
 * task_state_hash. Every program using it comes in two variants that differ
 * only in the constant `hash`; userspace loads one of them, so each loaded
 * program references only the map that exists.
 */
static __always_inline struct lt_task_state *state_get(struct task_struct *t, bool create,
						       const bool hash)
{
	static const struct lt_task_state zero;
	struct lt_task_state *st;
	__u32 tid;

	if (!hash)
		return bpf_task_storage_get(&task_state, t, NULL,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	tid = t->pid;
	st = bpf_map_lookup_elem(&task_state_hash, &tid);
	if (st || !create)
		return st;
	bpf_map_update_elem(&task_state_hash, &tid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&task_state_hash, &tid);
}

#define STATE_VARIANTS(sec, name, ...)					\
	SEC(sec) int BPF_PROG(name, ##__VA_ARGS__)			\
	{								\
		return name##_body(ctx, false);				\
	}								\
	SEC(sec) int BPF_PROG(name##_hash, ##__VA_ARGS__)		\
	{								\
		return name##_body(ctx, true);				\
	}

/* State exists only for traced threads: the lookup is the filter. */
static __always_inline int handle_switch_body(__u64 *ctx, const bool hash)
{
	bool preempt = (bool)ctx[0];
	struct task_struct *prev = (struct task_struct *)ctx[1];
	struct lt_task_state *st;
	unsigned int bits;

	if (preempt)
		return 0;
	st = state_get(prev, false, hash);
	if (!st)
		return 0;
	bits = task_state_bits(prev);
	if (!(bits & (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)))
		return 0;
	/* the scheduler has just accounted prev's run time: exec_start is
	 * now, on bpf_ktime_get_ns()'s clock, without a helper call */
	st->parked_ns = prev->se.exec_start;
	st->park_state = classify_state(bits);
	return 0;
}
STATE_VARIANTS("tp_btf/sched_switch", handle_switch, bool preempt, struct task_struct *prev,
	       struct task_struct *next)

static __always_inline int handle_wakeup_body(__u64 *ctx, const bool hash)
{
	struct lt_task_state *st = state_get((struct task_struct *)ctx[0], false, hash);

	if (st)
		st->wakeups++;
	return 0;
}
STATE_VARIANTS("tp_btf/sched_wakeup", handle_wakeup, struct task_struct *p)

static __always_inline struct lt_proc_counts *proc_counts_of(__u32 tgid)
{
	static const struct lt_proc_counts zero;
	struct lt_proc_counts *c;

	c = bpf_map_lookup_elem(&proc_counts, &tgid);
	if (c)
		return c;
	/* EEXIST from a racing CPU is fine: look it up again */
	bpf_map_update_elem(&proc_counts, &tgid, &zero, BPF_NOEXIST);
	c = bpf_map_lookup_elem(&proc_counts, &tgid);
	if (!c)
		drop(LT_DROP_PROC_COUNTS);
	return c;
}

static __always_inline int handle_fork_body(__u64 *ctx, const bool hash)
{
	struct task_struct *parent = (struct task_struct *)ctx[0];
	struct task_struct *child = (struct task_struct *)ctx[1];
	__u32 tid = child->pid, creator = parent->pid;
	struct lt_proc_counts *c;
	__u64 *slot;

	/* a new thread belongs to its parent's process, a new process to itself */
	if ((child->flags & PF_KTHREAD) || !traced_task(child))
		return 0;
	slot = creator_slot(tid);
	if (slot)
		*slot = (__u64)tid << 32 | creator;
	/* precise mode stamps the parks of new threads from the first one */
	if (precise && !state_get(child, true, hash))
		drop(LT_DROP_TASK_STORAGE);
	c = proc_counts_of(child->tgid);
	if (c)
		__sync_fetch_and_add(&c->created, 1);
	return 0;
}
STATE_VARIANTS("tp_btf/sched_process_fork", handle_fork, struct task_struct *parent,
	       struct task_struct *child)

static __always_inline int handle_exit_body(__u64 *ctx, const bool hash)
{
	struct task_struct *p = (struct task_struct *)ctx[0];
	struct lt_proc_counts *c;
	__u32 tid = p->pid;

	/* task storage dies with the task; the hash entry must be removed */
	if (hash && precise)
		bpf_map_delete_elem(&task_state_hash, &tid);
	if (!traced_task(p))
		return 0;
	c = proc_counts_of(p->tgid);
	if (c)
		__sync_fetch_and_add(&c->exited, 1);
	return 0;
}
STATE_VARIANTS("tp_btf/sched_process_exit", handle_exit, struct task_struct *p)

static __always_inline void read_wait_syscall(struct task_struct *task, struct lt_thread_rec *rec)
{
	struct pt_regs *regs;

	rec->syscall_nr = -1;
	if (!have_task_pt_regs || (task->flags & PF_KTHREAD))
		return;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs)
		return;
	rec->syscall_nr = (long)BPF_CORE_READ(regs, LT_ARCH_SYSCALL_NR);
	if (rec->syscall_nr < 0)
		return;
	rec->flags |= LT_F_IN_SYSCALL;
#define LT_READ_ARG(i, r) rec->args[i] = BPF_CORE_READ(regs, r);
	LT_ARCH_SYSCALL_ARGS(LT_READ_ARG)
#undef LT_READ_ARG
}

/* The summary of a traced process, from its group leader (which stays in
 * the task list, as a zombie, until the last thread of the group exits). */
static __always_inline long dump_proc(struct seq_file *seq, struct task_struct *leader)
{
	struct lt_proc_rec rec = {};

	rec.type = LT_REC_PROC;
	rec.tgid = leader->tgid;
	rec.nr_threads = BPF_CORE_READ(leader, signal, nr_threads);
	rec.start_ns = leader->start_time;
	bpf_probe_read_kernel_str(rec.comm, sizeof(rec.comm), leader->comm);
	return bpf_seq_write(seq, &rec, sizeof(rec));
}

/*
 * A summary record per traced process and a record per traced thread parked
 * before park_cutoff_ns (the threshold filter). Without a park stamp from
 * sched_switch (default mode, or parked before leaktrace started) the park
 * time is the kernel's own se.exec_start: the scheduler set it when it last
 * switched the thread out, and a sleeping thread's is not touched again.
 */
static __always_inline int dump_threads_body(struct bpf_iter__task *ctx, const bool hash)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct lt_thread_rec rec = {};
	struct lt_task_state *st = NULL;
	__u64 *creator;

	if (!task)
		return 0;
	/* the iterating task itself; by tid, since bpf_get_current_task_btf()
	 * is 5.11+ and this program must load on 5.10 */
	if (task->pid == (__u32)bpf_get_current_pid_tgid())
		exec_clock_lag_ns = bpf_ktime_get_ns() - task->se.exec_start;
	if (!traced_task(task))
		return 0;
	if (task->pid != last_scanned_tid) {
		threads_scanned++;
		last_scanned_tid = task->pid;
	}
	/* precise mode: storage for every traced thread, so sched_switch
	 * stamps its next park */
	if (precise) {
		st = state_get(task, true, hash);
		if (!st)
			drop(LT_DROP_TASK_STORAGE);
	}
	if (task->pid == task->tgid && dump_proc(seq, task))
		return 0;

	rec.state = classify_state(task_state_bits(task));
	if (!parked_state(rec.state))
		return 0;
	if (st && st->parked_ns) {
		rec.parked_ns = st->parked_ns;
		rec.flags |= LT_F_PARK_SEEN;
	} else {
		rec.parked_ns = task->se.exec_start;
	}
	if (rec.parked_ns > park_cutoff_ns)
		return 0;

	rec.type = LT_REC_THREAD;
	rec.tgid = task->tgid;
	rec.tid = task->pid;
	rec.start_ns = task->start_time;
	rec.nvcsw = task->nvcsw;
	rec.nr_threads = BPF_CORE_READ(task, signal, nr_threads);
	if (task->pid == task->tgid)
		rec.flags |= LT_F_LEADER;
	if (task->flags & PF_EXITING)
		rec.flags |= LT_F_EXITING;
	bpf_probe_read_kernel_str(rec.comm, sizeof(rec.comm), task->comm);
	bpf_probe_read_kernel_str(rec.pcomm, sizeof(rec.pcomm), BPF_CORE_READ(task, group_leader, comm));

	if (precise)
		rec.flags |= LT_F_WAKEUPS_KNOWN;
	if (st)
		rec.wakeups = st->wakeups;
	creator = creator_slot(rec.tid);
	if (creator && *creator >> 32 == rec.tid) {
		rec.creator_tid = (__u32)*creator;
		rec.flags |= LT_F_CREATOR_KNOWN;
	}
	read_wait_syscall(task, &rec);
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}

SEC("iter/task")
int dump_threads(struct bpf_iter__task *ctx)
{
	return dump_threads_body(ctx, false);
}

SEC("iter/task")
int dump_threads_hash(struct bpf_iter__task *ctx)
{
	return dump_threads_body(ctx, true);
}

struct vma_end_ctx {
	__u64 end;
};

static long vma_end_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	((struct vma_end_ctx *)data)->end = vma->vm_end;
	return 0;
}

static __always_inline bool still_parked(struct task_struct *task, __u64 nvcsw)
{
	__u32 state = classify_state(task_state_bits(task));

	return parked_state(state) && task->nvcsw == nvcsw;
}

/*
 * Stacks of the threads listed in capture_tids (value: nvcsw when they were
 * seen parked). Sleepable because bpf_copy_from_user_task may fault pages
 * in; the copy is clamped to the stack VMA since a copy crossing its end
 * fails whole. A thread that ran in between (nvcsw moved) is skipped: its
 * old stack would be stale; it, and a thread found exiting, keep their
 * entry with the reason as value (LT_CAPTURE_*) for userspace to count.
 */
SEC("iter.s/task")
int capture_stacks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct vma_end_ctx vma = {};
	struct lt_stack_rec *rec;
	struct pt_regs *regs;
	__u32 zero = 0, tid;
	__u64 *want, sp, len;
	__u64 size;
	long n;

	if (!task)
		return 0;
	tid = task->pid;
	want = bpf_map_lookup_elem(&capture_tids, &tid);
	/* a task shown again (full seq buffer) after it was marked: done */
	if (!want || *want == LT_CAPTURE_RAN || *want == LT_CAPTURE_EXITING)
		return 0;
	if (task->flags & PF_EXITING) {
		*want = LT_CAPTURE_EXITING;
		return 0;
	}
	if (!still_parked(task, *want)) {
		*want = LT_CAPTURE_RAN;
		return 0;
	}
	rec = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!rec)
		return 0;
	rec->type = LT_REC_STACK;
	rec->tid = tid;
	rec->tgid = task->tgid;
	rec->nvcsw = *want;

	n = bpf_get_task_stack(task, rec->kstack, sizeof(rec->kstack), 0);
	rec->kstack_err = n < 0 ? n : 0;
	rec->kstack_len = n > 0 ? n / sizeof(__u64) : 0;

	rec->ustack_len = 0;
	rec->ustack_err = -ENOENT;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (regs && !(task->flags & PF_KTHREAD)) {
#define LT_COPY_REG(r) rec->r = regs->r;
		LT_ARCH_USER_REGS(LT_COPY_REG)
#undef LT_COPY_REG
		sp = rec->sp;
		len = LT_USTACK_BYTES;
		if (bpf_find_vma(task, sp, vma_end_cb, &vma, 0) == 0 && vma.end > sp &&
		    vma.end - sp < len)
			len = vma.end - sp;
		if (len > LT_USTACK_BYTES)
			len = LT_USTACK_BYTES;
		n = bpf_copy_from_user_task(rec->ustack, len, (void *)sp, task, 0);
		rec->ustack_err = n;
		if (n == 0)
			rec->ustack_len = len;
	}
	if (!still_parked(task, *want)) {
		*want = LT_CAPTURE_RAN;
		return 0;
	}
	/* only the bytes of the stack that were copied go out */
	size = offsetof(struct lt_stack_rec, ustack) + rec->ustack_len;
	/* keep clang from checking a copy of size the verifier does not track */
	asm volatile("" : "+r"(size));
	if (size > sizeof(*rec))
		size = sizeof(*rec);
	/* on a full seq buffer the kernel calls us again for this task */
	if (bpf_seq_write(seq, rec, size) == 0)
		bpf_map_delete_elem(&capture_tids, &tid);
	return 0;
}
