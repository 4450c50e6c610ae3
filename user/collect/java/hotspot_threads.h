/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The Java threads of a HotSpot JVM, read from outside without stopping it:
 * the SMR thread list (ThreadsSMRSupport::_java_thread_list), and for each
 * JavaThread its OS tid, java.lang.Thread name and status, the monitor it
 * waits to enter or waits on, its parkBlocker; then who owns what each one
 * waits for: an ObjectMonitor's owner (a JavaThread*, a BasicLock* in the
 * owner's stack, a thread id, or anonymous: found in the lock stacks), an
 * AbstractOwnableSynchronizer's exclusiveOwnerThread. Everything races with
 * the running JVM: reads that fail leave a field empty, never a guess. */
#ifndef LT_JAVA_HOTSPOT_THREADS_H
#define LT_JAVA_HOTSPOT_THREADS_H

#include <stddef.h>
#include <stdint.h>

#include "collect/java/hotspot.h"

#define JAVA_MAX_THREADS	32768	/* bound on a garbage thread list */
#define JAVA_NAME_LEN		64
#define JAVA_CLASS_LEN		96

/* java.lang.Thread.State, from threadStatus (JVMTI bits). */
enum java_state {
	JSTATE_UNKNOWN, JSTATE_NEW, JSTATE_RUNNABLE, JSTATE_BLOCKED, JSTATE_WAITING,
	JSTATE_TIMED_WAITING, JSTATE_TERMINATED,
};

const char *java_state_name(enum java_state s);
enum java_state java_state_of(uint32_t thread_status);

/* What a Java thread waits for. */
enum java_wait {
	JWAIT_NONE,
	JWAIT_MONITOR_ENTER,	/* synchronized: BLOCKED */
	JWAIT_MONITOR_WAIT,	/* Object.wait */
	JWAIT_PARK,		/* LockSupport.park with a parkBlocker */
};

struct java_thread {
	uint32_t tid;			/* OS thread id */
	uint64_t jt, oop;		/* JavaThread*, java.lang.Thread oop */
	int64_t java_tid, owner_id;	/* Thread.tid; 24+ _monitor_owner_id */
	uint64_t stack_lo, stack_hi;
	char name[JAVA_NAME_LEN];
	uint32_t status;		/* threadStatus */
	enum java_state state;
	enum java_wait wait;
	uint64_t monitor;		/* ObjectMonitor* it waits to enter or on */
	uint64_t blocker;		/* parkBlocker oop */
	/* resolved (hotspot_threads_resolve) */
	uint64_t wait_object;		/* monitor or blocker: the thing waited for */
	uint32_t owner_tid;		/* tid holding it, 0 = none or unknown */
	char lock_class[JAVA_CLASS_LEN];	/* class of the object waited for */
	bool runtime;			/* a JVM thread: compiler, reference handler... */
	bool carrier;			/* a virtual thread scheduler's carrier (21+) */
	uint64_t vthread;		/* oop of the virtual thread mounted on it, 0 = none */
};

/* Read the thread list into a malloc'ed array (*out, *n). 0, -EAGAIN
 * (the list moved while read: try again), -EFAULT, -ENOMEM, -E2BIG (more
 * than JAVA_MAX_THREADS). */
int hotspot_threads_read(const struct hotspot *hs, struct java_thread **out, size_t *n);

/* Fill wait_object, owner_tid, lock_class and runtime of t[0..n). */
void hotspot_threads_resolve(const struct hotspot *hs, struct java_thread *t, size_t n);

/* Whether a Java thread name is one of the JVM's own threads. */
bool java_runtime_thread_name(const char *name);

#endif
