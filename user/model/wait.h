/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What a parked thread waits on, from its syscall number and arguments.
 * A wait is numbers and flags; names are made only by the outputs
 * (wait_syscall_name, wait_futex_op_name). */
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

/* Futex commands (linux/futex.h), plus futex_waitv as a command of its own. */
enum futex_cmd {
	FUTEX_CMD_WAIT = 0, FUTEX_CMD_WAKE = 1, FUTEX_CMD_FD = 2, FUTEX_CMD_REQUEUE = 3,
	FUTEX_CMD_CMP_REQUEUE = 4, FUTEX_CMD_WAKE_OP = 5, FUTEX_CMD_LOCK_PI = 6,
	FUTEX_CMD_UNLOCK_PI = 7, FUTEX_CMD_TRYLOCK_PI = 8, FUTEX_CMD_WAIT_BITSET = 9,
	FUTEX_CMD_WAKE_BITSET = 10, FUTEX_CMD_WAIT_REQUEUE_PI = 11,
	FUTEX_CMD_CMP_REQUEUE_PI = 12, FUTEX_CMD_LOCK_PI2 = 13,
	FUTEX_CMD_WAITV = 256,		/* futex_waitv(2) */
	FUTEX_CMD_UNKNOWN = 257,
};

enum wait_flags {
	WAIT_F_EVENT_LOOP = 1 << 0,	/* epoll_wait/poll/select/io_uring: waits for events */
	WAIT_F_ACCEPT = 1 << 1,		/* accept/accept4: a server waiting for clients */
	WAIT_F_SIGNALS = 1 << 2,	/* sigwait family, pause, sigsuspend */
	WAIT_F_FUTEX_PRIVATE = 1 << 3,	/* FUTEX_PRIVATE_FLAG */
	WAIT_F_FUTEX_REALTIME = 1 << 4,	/* FUTEX_CLOCK_REALTIME */
	WAIT_F_HAS_OBJECT = 1 << 5,	/* object is known */
	WAIT_F_CHILD = 1 << 6,		/* wait4/waitid: waits for a child to change state */
};

struct wait_info {
	enum wait_kind kind;
	enum wait_timeout timeout;
	long syscall_nr;	/* -1 when kind == WAIT_KERNEL */
	enum futex_cmd futex_cmd;	/* futex only */
	uint32_t flags;		/* enum wait_flags */
	uint64_t futex_addr;	/* futex word (futex only) */
	uint32_t futex_val;	/* value the waiter expects (2 = contended glibc lock) */
	uint64_t object;	/* what it waits on: futex address or fd */
	uint64_t pollfd_addr;	/* poll/ppoll of one fd: its struct pollfd, 0 = none */
};

static inline bool wait_has(const struct wait_info *w, enum wait_flags f)
{
	return w->flags & f;
}

/* Classify a wait from the syscall number (or -1) and its six arguments as
 * saved at syscall entry (numbers of arch.h). */
void wait_classify(long nr, const uint64_t args[6], struct wait_info *w);

/* A number for grouping waits that look alike (no stack): kind, syscall,
 * timeout, futex command and private flag. Never 0. */
uint64_t wait_shape(const struct wait_info *w);

/* A futex wait on a condition (condvar, semaphore, event), not a lock: a
 * contended glibc lock sleeps with FUTEX_WAIT on the value 2. */
bool wait_on_condition(const struct wait_info *w);

/* Syscall name, or NULL when unknown. */
const char *wait_syscall_name(long nr);

/* "FUTEX_WAIT_BITSET_PRIVATE", "FUTEX_WAITV", "FUTEX_UNKNOWN"... */
const char *wait_futex_op_name(const struct wait_info *w);

const char *wait_kind_name(enum wait_kind kind);

#endif
