/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Stacks of a report's parked threads: capture (BPF), unwind and symbolize
 * (stacks.h), and the site each stack belongs to. */
#ifndef LT_STACK_CAPTURE_H
#define LT_STACK_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/report.h"

struct tracer;
struct stack_capture;

struct stack_capture *stack_capture__new(bool user, bool kernel, int max_depth);
void stack_capture__free(struct stack_capture *sc);
/* Drop everything cached about pid's process: it has exited (or exec'ed).
 * Rebuilt on demand should the pid be traced again. */
void stack_capture__forget(struct stack_capture *sc, int pid);
/* Python frames merged into user stacks (collect/python/python.h): on by default. */
void stack_capture__set_python(struct stack_capture *sc, bool on);

/* Java frames from this collector (NULL: none); it outlives sc's use. */
struct java_report;
void stack_capture__set_java(struct stack_capture *sc, struct java_report *java);

/* Fill user_stack, kernel_stack and site of r's threads. At most
 * LT_MAX_CAPTURES are captured a report, the longest parked first; the
 * others are stack_deferred and asked first next report. Threads left
 * without a stack count in r->capture_failures and, by cause, in r->lost
 * (DROP_CAPTURE_*), with the cause's stack_err; those not unwound by
 * r->deadline_ns count in DROP_DEADLINE_CUT (stack_err -ETIME) and are
 * asked for again next report too. */
int stack_capture__run(struct stack_capture *sc, struct tracer *t, struct report *r);

/* Stable identifier of a stack: FNV-1a over its frames' identities
 * (frame__hash: functions, not offsets or load addresses; JIT code as one
 * "[jit]" per run). 0 for an empty stack. */
uint64_t stack_site_id(const struct frame *user, int n_user, const struct frame *kernel,
		       int n_kernel);

#endif
