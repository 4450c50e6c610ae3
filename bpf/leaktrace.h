/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Types and constants shared by the BPF programs and userspace. */
#ifndef LEAKTRACE_H
#define LEAKTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "arch.h"

#define LT_COMM_LEN		16
#define LT_MAX_TARGETS		1024	/* --pid values */
#define LT_MAX_PROCS		16384	/* per-process fork/exit counters */
#define LT_KSTACK_DEPTH		32
#define LT_USTACK_BYTES		8192	/* top of a parked thread's user stack */
#define LT_MAX_CAPTURES		16384	/* threads whose stacks one report asks for */
#define LT_MAX_THREADS		65536	/* per-thread state without task storage */

/* Record types of the iterator output: every record starts with one. */
enum lt_rec_type {
	LT_REC_THREAD = 1,
	LT_REC_STACK = 2,
	LT_REC_PROC = 3,
};

/* Scheduler state of a thread as seen by the iterator. */
enum lt_sched_state {
	LT_STATE_RUNNING = 0,	/* running or runnable */
	LT_STATE_SLEEPING = 1,	/* S: interruptible sleep */
	LT_STATE_DISK = 2,	/* D: uninterruptible sleep */
	LT_STATE_STOPPED = 3,	/* T: stopped by a signal (not by a debugger) */
	LT_STATE_OTHER = 4,
};

enum lt_thread_flags {
	LT_F_PARK_SEEN = 1 << 0,	/* park time recorded by sched_switch */
	LT_F_CREATOR_KNOWN = 1 << 1,	/* created while leaktrace ran */
	LT_F_LEADER = 1 << 2,		/* thread group leader */
	LT_F_IN_SYSCALL = 1 << 3,	/* syscall_nr and args are valid */
	LT_F_EXITING = 1 << 4,
	LT_F_WAKEUPS_KNOWN = 1 << 5,	/* precise mode: wakeups is counted */
};

/* Indexes of the drop counters in the BPF .bss. */
enum lt_drop {
	LT_DROP_PROC_COUNTS = 0,	/* per-process counter map full */
	LT_DROP_TASK_STORAGE,		/* per-thread state (task storage) full */
	LT_DROP_MAX,
};

/* Values the capture iterator leaves in capture_tids for a thread it did
 * not capture, so userspace tells why (a thread never visited has exited;
 * a captured one is deleted). Never a real voluntary switch count. */
#define LT_CAPTURE_RAN		(~0ULL)		/* ran since the scan: stack stale */
#define LT_CAPTURE_EXITING	(~0ULL - 1)	/* exiting when visited */

/* Per-thread state of precise mode, kept in task-local storage (freed with
 * the task). */
struct lt_task_state {
	__u64 parked_ns;	/* when it last left the CPU sleeping, 0 = running */
	__u64 wakeups;		/* sched_wakeup events seen */
	__u32 park_state;	/* enum lt_sched_state at park time */
	__u32 pad;
};

/* Threads created and exited per process since leaktrace started. */
struct lt_proc_counts {
	__u64 created;
	__u64 exited;
};

/* One thread of a traced process parked past the threshold, emitted by the
 * task iterator. */
struct lt_thread_rec {
	__u32 type;		/* LT_REC_THREAD */
	__u32 flags;		/* enum lt_thread_flags */
	__u32 tgid;
	__u32 tid;
	__u32 state;		/* enum lt_sched_state, now */
	__u32 creator_tid;
	__u32 nr_threads;	/* live threads of the process */
	__u32 pad;
	__u64 start_ns;		/* creation, CLOCK_MONOTONIC */
	__u64 parked_ns;	/* when it parked, CLOCK_MONOTONIC; 0 = not parked */
	__u64 wakeups;
	__u64 nvcsw;		/* voluntary context switches */
	__s64 syscall_nr;	/* from the saved user registers; -1 = none */
	__u64 args[6];
	char comm[LT_COMM_LEN];		/* thread name */
	char pcomm[LT_COMM_LEN];	/* process name (group leader) */
};

/* One per traced process per scan (from its group leader), so summaries
 * cover processes none of whose threads passed the threshold filter. */
struct lt_proc_rec {
	__u32 type;		/* LT_REC_PROC */
	__u32 tgid;
	__u32 nr_threads;	/* live threads of the process */
	__u32 pad;
	__u64 start_ns;		/* the leader's start_time (CLOCK_MONOTONIC) */
	char comm[LT_COMM_LEN];	/* process name */
};

/* Kernel stack, user registers and the top of the user stack of one parked
 * thread, emitted by the sleepable capture iterator. Variable length: only
 * the first ustack_len bytes of ustack are emitted. */
struct lt_stack_rec {
	__u32 type;		/* LT_REC_STACK */
	__u32 tid;
	__u32 tgid;
	__s32 kstack_err;	/* <0: bpf_get_task_stack failed */
	__s32 ustack_err;	/* <0: copy of the user stack failed */
	__u32 kstack_len;	/* frames in kstack */
	__u32 ustack_len;	/* bytes in ustack */
	__u32 pad;
	__u64 nvcsw;		/* voluntary switches when captured */
	__u64 kstack[LT_KSTACK_DEPTH];
	/* saved user registers, named as in struct pt_regs (arch.h) */
#define LT_REG_FIELD(r) __u64 r;
	LT_ARCH_USER_REGS(LT_REG_FIELD)
#undef LT_REG_FIELD
	__u8 ustack[LT_USTACK_BYTES];	/* bytes from sp upward */
};

#endif /* LEAKTRACE_H */
