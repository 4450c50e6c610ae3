// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stddef.h>

#include "arch.h"
#include "model/wait.h"
#include "util/hash.h"

static const char *const names[LT_NR_MAX] = {
#define LT_SYSCALL_NAME(n) [LT_NR_##n] = #n,
	LT_ARCH_SYSCALLS(LT_SYSCALL_NAME)
#undef LT_SYSCALL_NAME
};

const char *wait_syscall_name(long nr)
{
	if (nr < 0 || nr >= LT_NR_MAX)
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

const char *wait_futex_op_name(const struct wait_info *w)
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

	if (w->futex_cmd == FUTEX_CMD_WAITV)
		return "FUTEX_WAITV";
	if ((size_t)w->futex_cmd >= sizeof(cmds) / sizeof(cmds[0]))
		return "FUTEX_UNKNOWN";
	return cmds[w->futex_cmd][wait_has(w, WAIT_F_FUTEX_PRIVATE)];
}

bool wait_on_condition(const struct wait_info *w)
{
	if (w->kind != WAIT_FUTEX)
		return false;
	if (w->futex_cmd == FUTEX_CMD_WAIT)
		return w->futex_val != 2;
	return w->futex_cmd == FUTEX_CMD_WAIT_BITSET || w->futex_cmd == FUTEX_CMD_WAITV;
}

uint64_t wait_shape(const struct wait_info *w)
{
	uint64_t parts[] = { w->kind, (uint64_t)w->syscall_nr, w->timeout,
			     w->kind == WAIT_FUTEX ? w->futex_cmd : 0,
			     w->flags & WAIT_F_FUTEX_PRIVATE };

	return hash_bytes(HASH_SEED, parts, sizeof(parts)) | 1;
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

static void set_object(struct wait_info *w, uint64_t object)
{
	w->object = object;
	w->flags |= WAIT_F_HAS_OBJECT;
}

static void classify_futex(const uint64_t args[6], struct wait_info *w)
{
	unsigned int op = (unsigned int)args[1];
	unsigned int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

	w->kind = WAIT_FUTEX;
	w->futex_addr = args[0];
	w->futex_val = (uint32_t)args[2];
	w->futex_cmd = cmd <= FUTEX_CMD_LOCK_PI2 ? (enum futex_cmd)cmd : FUTEX_CMD_UNKNOWN;
	if (op & FUTEX_PRIVATE_FLAG)
		w->flags |= WAIT_F_FUTEX_PRIVATE;
	if (op & FUTEX_CLOCK_REALTIME)
		w->flags |= WAIT_F_FUTEX_REALTIME;
	set_object(w, args[0]);
	switch (w->futex_cmd) {
	case FUTEX_CMD_WAIT:
	case FUTEX_CMD_LOCK_PI:
	case FUTEX_CMD_WAIT_BITSET:
	case FUTEX_CMD_WAIT_REQUEUE_PI:
	case FUTEX_CMD_LOCK_PI2:
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
	switch (nr) {
	case LT_NR_futex:
		classify_futex(args, w);
		break;
	case LT_NR_futex_waitv:	/* futex_waitv(waiters, nr, flags, timeout, clockid) */
		w->kind = WAIT_FUTEX;
		w->futex_cmd = FUTEX_CMD_WAITV;
		w->futex_addr = args[0];
		w->timeout = ptr_timeout(args[3]);
		break;
	case LT_NR_read: case LT_NR_pread64: case LT_NR_readv: case LT_NR_preadv:
	case LT_NR_recvfrom: case LT_NR_recvmsg:	/* read family: the fd */
		set_object(w, args[0]);
		w->timeout = TIMEOUT_NONE;
		break;
	case LT_NR_accept: case LT_NR_accept4:
		w->flags |= WAIT_F_ACCEPT;
		w->timeout = TIMEOUT_NONE;
		break;
	case LT_NR_pause: case LT_NR_rt_sigsuspend:
		w->flags |= WAIT_F_SIGNALS;
		w->timeout = TIMEOUT_NONE;
		break;
	case LT_NR_wait4: case LT_NR_waitid:
		/* parked, so WNOHANG is not set and a child of it has not exited */
		w->flags |= WAIT_F_CHILD;
		w->timeout = TIMEOUT_NONE;
		break;
	case LT_NR_connect: case LT_NR_semop: case LT_NR_msgsnd:
	case LT_NR_msgrcv: case LT_NR_fcntl: case LT_NR_flock:
	case LT_NR_write: case LT_NR_writev: case LT_NR_sendto: case LT_NR_sendmsg:
		/* the call itself has no timeout (socket SO_RCVTIMEO is not visible) */
		w->timeout = TIMEOUT_NONE;
		break;
	case LT_NR_poll:	/* poll(fds, n, ms) */
		w->timeout = ms_timeout(args[2]);
		w->flags |= WAIT_F_EVENT_LOOP;
		if (args[1] == 1)	/* one fd: a blocking read or write with a timeout */
			w->pollfd_addr = args[0];
		break;
	case LT_NR_epoll_wait: case LT_NR_epoll_pwait:	/* (epfd, events, max, ms) */
		w->timeout = ms_timeout(args[3]);
		w->flags |= WAIT_F_EVENT_LOOP;
		break;
	case LT_NR_epoll_pwait2:	/* (..., const struct timespec *) */
		w->timeout = ptr_timeout(args[3]);
		w->flags |= WAIT_F_EVENT_LOOP;
		break;
	case LT_NR_select: case LT_NR_pselect6:	/* (n, r, w, e, timeout) */
		w->timeout = ptr_timeout(args[4]);
		w->flags |= WAIT_F_EVENT_LOOP;
		break;
	case LT_NR_ppoll:	/* ppoll(fds, n, tsp, ...) */
		w->timeout = ptr_timeout(args[2]);
		w->flags |= WAIT_F_EVENT_LOOP;
		if (args[1] == 1)
			w->pollfd_addr = args[0];
		break;
	case LT_NR_io_uring_enter:	/* the wait timeout lives in the ring */
		w->flags |= WAIT_F_EVENT_LOOP;
		break;
	case LT_NR_nanosleep: case LT_NR_clock_nanosleep:
		w->timeout = TIMEOUT_SET;
		break;
	case LT_NR_rt_sigtimedwait:	/* rt_sigtimedwait(set, info, timeout) */
		w->timeout = ptr_timeout(args[2]);
		w->flags |= WAIT_F_SIGNALS;
		break;
	case LT_NR_semtimedop:	/* semtimedop(id, sops, n, timeout) */
		w->timeout = ptr_timeout(args[3]);
		break;
	case LT_NR_recvmmsg:	/* recvmmsg(..., timeout) */
		w->timeout = ptr_timeout(args[4]);
		break;
	}
}
