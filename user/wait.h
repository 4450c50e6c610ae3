/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What a parked thread waits on, from its syscall number and arguments. */
#ifndef LT_WAIT_H
#define LT_WAIT_H

#include <stdbool.h>
#include <stdint.h>

enum wait_kind {
	WAIT_KERNEL,	/* parked outside a syscall (kernel thread, page fault...) */
	WAIT_FUTEX,	/* futex / futex_waitv */
	WAIT_SYSCALL,	/* any other syscall */
};

enum wait_timeout {
	TIMEOUT_NONE,		/* the call waits forever */
	TIMEOUT_SET,		/* the call carries a timeout */
	TIMEOUT_UNKNOWN,	/* not knowable from the arguments */
};

struct wait_info {
	enum wait_kind kind;
	enum wait_timeout timeout;
	long syscall_nr;	/* -1 when kind == WAIT_KERNEL */
	const char *syscall;	/* static name, NULL when not in a syscall */
	const char *futex_op;	/* "FUTEX_WAIT_PRIVATE"..., futex only */
	uint64_t futex_addr;	/* futex word (futex only) */
	uint32_t futex_val;	/* value the waiter expects (2 = contended glibc lock) */
	uint64_t object;	/* what it waits on: futex address or fd, 0 = unknown */
	bool has_object;
	bool event_loop;	/* epoll_wait/poll/select/io_uring: waits for events */
};

/* Classify a wait from the x86-64 syscall number (or -1) and its six
 * arguments as saved at syscall entry. */
void wait_classify(long nr, const uint64_t args[6], struct wait_info *w);

/* x86-64 syscall name, or NULL when unknown. */
const char *syscall_name(long nr);

const char *wait_kind_name(enum wait_kind kind);

#endif
