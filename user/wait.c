// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stddef.h>

#include "wait.h"

/* x86-64 numbers of syscalls a thread can park in (and a few common ones). */
static const char *const names[] = {
	[0] = "read", [1] = "write", [7] = "poll", [17] = "pread64", [19] = "readv",
	[20] = "writev", [23] = "select", [34] = "pause", [35] = "nanosleep",
	[42] = "connect", [43] = "accept", [44] = "sendto", [45] = "recvfrom",
	[46] = "sendmsg", [47] = "recvmsg", [61] = "wait4", [64] = "semget",
	[65] = "semop", [69] = "msgsnd", [70] = "msgrcv", [72] = "fcntl",
	[73] = "flock", [128] = "rt_sigtimedwait", [130] = "rt_sigsuspend",
	[202] = "futex", [220] = "semtimedop", [230] = "clock_nanosleep",
	[232] = "epoll_wait", [247] = "waitid", [270] = "pselect6", [271] = "ppoll",
	[281] = "epoll_pwait", [288] = "accept4", [295] = "preadv", [299] = "recvmmsg",
	[426] = "io_uring_enter", [441] = "epoll_pwait2", [449] = "futex_waitv",
};

const char *syscall_name(long nr)
{
	if (nr < 0 || (size_t)nr >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[nr];
}

const char *wait_kind_name(enum wait_kind kind)
{
	switch (kind) {
	case WAIT_FUTEX: return "futex";
	case WAIT_SYSCALL: return "syscall";
	default: return "kernel";
	}
}

#define FUTEX_PRIVATE_FLAG	128
#define FUTEX_CLOCK_REALTIME	256

static const char *futex_op_name(unsigned int op)
{
	static const char *const cmds[][2] = {
		{ "FUTEX_WAIT", "FUTEX_WAIT_PRIVATE" },
		{ "FUTEX_WAKE", "FUTEX_WAKE_PRIVATE" },
		{ "FUTEX_FD", "FUTEX_FD" },
		{ "FUTEX_REQUEUE", "FUTEX_REQUEUE_PRIVATE" },
		{ "FUTEX_CMP_REQUEUE", "FUTEX_CMP_REQUEUE_PRIVATE" },
		{ "FUTEX_WAKE_OP", "FUTEX_WAKE_OP_PRIVATE" },
		{ "FUTEX_LOCK_PI", "FUTEX_LOCK_PI_PRIVATE" },
		{ "FUTEX_UNLOCK_PI", "FUTEX_UNLOCK_PI_PRIVATE" },
		{ "FUTEX_TRYLOCK_PI", "FUTEX_TRYLOCK_PI_PRIVATE" },
		{ "FUTEX_WAIT_BITSET", "FUTEX_WAIT_BITSET_PRIVATE" },
		{ "FUTEX_WAKE_BITSET", "FUTEX_WAKE_BITSET_PRIVATE" },
		{ "FUTEX_WAIT_REQUEUE_PI", "FUTEX_WAIT_REQUEUE_PI_PRIVATE" },
		{ "FUTEX_CMP_REQUEUE_PI", "FUTEX_CMP_REQUEUE_PI_PRIVATE" },
		{ "FUTEX_LOCK_PI2", "FUTEX_LOCK_PI2_PRIVATE" },
	};
	unsigned int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

	if (cmd >= sizeof(cmds) / sizeof(cmds[0]))
		return "FUTEX_UNKNOWN";
	return cmds[cmd][!!(op & FUTEX_PRIVATE_FLAG)];
}

/* A pointer argument: NULL means "wait forever". */
static enum wait_timeout ptr_timeout(uint64_t p)
{
	return p ? TIMEOUT_SET : TIMEOUT_NONE;
}

/* An int milliseconds argument: negative means "wait forever". */
static enum wait_timeout ms_timeout(uint64_t v)
{
	return (int)v < 0 ? TIMEOUT_NONE : TIMEOUT_SET;
}

static void classify_futex(const uint64_t args[6], struct wait_info *w)
{
	unsigned int op = (unsigned int)args[1];
	unsigned int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

	w->kind = WAIT_FUTEX;
	w->futex_addr = args[0];
	w->futex_val = (uint32_t)args[2];
	w->futex_op = futex_op_name(op);
	w->object = args[0];
	w->has_object = true;
	switch (cmd) {
	case 0:		/* WAIT */
	case 6:		/* LOCK_PI */
	case 9:		/* WAIT_BITSET */
	case 11:	/* WAIT_REQUEUE_PI */
	case 13:	/* LOCK_PI2 */
		w->timeout = ptr_timeout(args[3]);
		break;
	default:
		w->timeout = TIMEOUT_UNKNOWN;
	}
}

void wait_classify(long nr, const uint64_t args[6], struct wait_info *w)
{
	*w = (struct wait_info){ .kind = WAIT_KERNEL, .timeout = TIMEOUT_UNKNOWN, .syscall_nr = -1 };
	if (nr < 0)
		return;
	w->kind = WAIT_SYSCALL;
	w->syscall_nr = nr;
	w->syscall = syscall_name(nr);
	switch (nr) {
	case 202:
		classify_futex(args, w);
		break;
	case 449:	/* futex_waitv(waiters, nr, flags, timeout, clockid) */
		w->kind = WAIT_FUTEX;
		w->futex_op = "FUTEX_WAITV";
		w->futex_addr = args[0];
		w->timeout = ptr_timeout(args[3]);
		break;
	case 0: case 17: case 19: case 295: case 45: case 47:	/* read family: the fd */
		w->object = args[0];
		w->has_object = true;
		w->timeout = TIMEOUT_NONE;
		break;
	case 34: case 42: case 43: case 61: case 65: case 69:
	case 70: case 72: case 73: case 130: case 247: case 288: case 1: case 20:
	case 44: case 46:
		/* the call itself has no timeout (socket SO_RCVTIMEO is not visible) */
		w->timeout = TIMEOUT_NONE;
		break;
	case 7:		/* poll(fds, n, ms) */
		w->timeout = ms_timeout(args[2]);
		w->event_loop = true;
		break;
	case 232: case 281:	/* epoll_wait/epoll_pwait(epfd, events, max, ms) */
		w->timeout = ms_timeout(args[3]);
		w->event_loop = true;
		break;
	case 441:	/* epoll_pwait2(..., const struct timespec *) */
		w->timeout = ptr_timeout(args[3]);
		w->event_loop = true;
		break;
	case 23: case 270:	/* select/pselect6(n, r, w, e, timeout) */
		w->timeout = ptr_timeout(args[4]);
		w->event_loop = true;
		break;
	case 271:	/* ppoll(fds, n, tsp, ...) */
		w->timeout = ptr_timeout(args[2]);
		w->event_loop = true;
		break;
	case 426:	/* io_uring_enter: the wait timeout lives in the ring */
		w->event_loop = true;
		break;
	case 35: case 230:
		w->timeout = TIMEOUT_SET;
		break;
	case 128:	/* rt_sigtimedwait(set, info, timeout) */
		w->timeout = ptr_timeout(args[2]);
		break;
	case 220:	/* semtimedop(id, sops, n, timeout) */
		w->timeout = ptr_timeout(args[3]);
		break;
	case 299:	/* recvmmsg(..., timeout) */
		w->timeout = ptr_timeout(args[4]);
		break;
	}
}
