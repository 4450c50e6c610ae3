/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Stacks of parked threads read from /proc, for kernels whose BPF cannot
 * capture them (before 5.18: no sleepable task iterator). The user sp and
 * pc the syscall saved (/proc/PID/task/TID/syscall) seed the same libdwfl
 * unwinder the capture feeds, which reads the stack from /proc/PID/mem;
 * the kernel stack is the text of /proc/PID/task/TID/stack. No ptrace: the
 * thread is never stopped, and one that ran meanwhile (its voluntary
 * switch count moved) is skipped, as the capture iterator does. */
#ifndef LT_PROC_STACKS_H
#define LT_PROC_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leaktrace.h"
#include "model/frame.h"

struct proc_stack_want {
	uint32_t pid, tid;
	uint64_t nvcsw;		/* the switch count of the report's park */
};

/* One thread's stack: rec as the capture iterator makes it, with no stack
 * bytes (the unwinder reads /proc/PID/mem) and no kernel addresses; the
 * kernel frames in kframes[0..n_kframes) (valid during the call; NULL
 * when kernel stacks were not asked for or not readable). */
typedef void (*proc_stack_cb)(void *ctx, const struct lt_stack_rec *rec,
			      const struct frame *kframes, int n_kframes);

/* Read the stacks of w[0..n) (kernel stacks when kernel is set, at most
 * max_depth frames), calling cb for each one read. miss[i] gets 0, or why
 * thread i has none: -ESTALE it ran, -ESRCH it exited, -errno otherwise.
 * Returns 0 or -ENOMEM. */
int proc_stacks_read(const struct proc_stack_want *w, size_t n, bool kernel, int max_depth,
		     proc_stack_cb cb, void *ctx, int *miss);

/* Parse /proc/PID/task/TID/stack text ("[<0>] futex_wait_queue_me+0xc4/0x120"
 * per line) into at most max kernel frames (function, offset) appended to
 * b. Returns their number (lines that are not frames are skipped), or
 * -ENOMEM. */
int proc_kstack_parse(const char *text, struct frame_builder *b, int max);

#endif
