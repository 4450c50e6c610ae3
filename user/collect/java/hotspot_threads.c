// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "collect/java/hotspot_threads.h"

/* JVMTI thread state bits that java.lang.Thread.threadStatus carries */
#define JVMTI_ALIVE		0x0001
#define JVMTI_TERMINATED	0x0002
#define JVMTI_RUNNABLE		0x0004
#define JVMTI_WAITING_FOREVER	0x0010
#define JVMTI_WAITING_TIMEOUT	0x0020
#define JVMTI_MONITOR_ENTER	0x0400

#define JT_MAX_SIZE		8192	/* sizeof(JavaThread): 1384 (17), 2216 (25) */

const char *java_state_name(enum java_state s)
{
	static const char *const names[] = {
		[JSTATE_UNKNOWN] = "UNKNOWN", [JSTATE_NEW] = "NEW", [JSTATE_RUNNABLE] = "RUNNABLE",
		[JSTATE_BLOCKED] = "BLOCKED", [JSTATE_WAITING] = "WAITING",
		[JSTATE_TIMED_WAITING] = "TIMED_WAITING", [JSTATE_TERMINATED] = "TERMINATED",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "UNKNOWN";
}

enum java_state java_state_of(uint32_t st)
{
	if (st == 0)
		return JSTATE_NEW;
	if (st & JVMTI_TERMINATED)
		return JSTATE_TERMINATED;
	if (!(st & JVMTI_ALIVE))
		return JSTATE_UNKNOWN;
	if (st & JVMTI_MONITOR_ENTER)
		return JSTATE_BLOCKED;
	if (st & JVMTI_WAITING_FOREVER)
		return JSTATE_WAITING;
	if (st & JVMTI_WAITING_TIMEOUT)
		return JSTATE_TIMED_WAITING;
	return st & JVMTI_RUNNABLE ? JSTATE_RUNNABLE : JSTATE_UNKNOWN;
}

bool java_runtime_thread_name(const char *name)
{
	static const char *const exact[] = {
		"Reference Handler", "Finalizer", "Signal Dispatcher", "Common-Cleaner",
		"Service Thread", "Monitor Deflation Thread", "Notification Thread",
		"Attach Listener", "Sweeper thread", "Surrogate Locker Thread (Concurrent GC)",
		"JFR Recorder Thread", "JFR Periodic Tasks", "Java2D Disposer",
	};
	static const char *const prefix[] = { "C1 CompilerThread", "C2 CompilerThread",
					       "JVMCI CompilerThread", "JVMCI-native CompilerThread" };

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(name, exact[i]))
			return true;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (!strncmp(name, prefix[i], strlen(prefix[i])))
			return true;
	return false;
}

static uint64_t jt_u64(const uint8_t *jt, size_t size, int64_t off)
{
	uint64_t v = 0;

	if (off >= 0 && (size_t)off + 8 <= size)
		memcpy(&v, jt + off, 8);
	return v;
}

/* The threadStatus of a java.lang.Thread (19+: in its FieldHolder). */
static uint32_t thread_status(const struct hotspot *hs, uint64_t oop)
{
	if (hs->f_thread_holder > 0 && hs->f_holder_status > 0)
		return (uint32_t)hotspot_int_field(hs, hotspot_oop_field(hs, oop, hs->f_thread_holder),
						   hs->f_holder_status);
	return (uint32_t)hotspot_int_field(hs, oop, hs->f_thread_status);
}

/* The java.lang.Thread side of t: name, status, tid, parkBlocker. */
static void read_thread_oop(const struct hotspot *hs, struct java_thread *t)
{
	uint64_t name;

	if (!t->oop)
		return;
	name = hotspot_oop_field(hs, t->oop, hs->f_thread_name);
	if (!name || !hotspot_string(hs, name, t->name, sizeof(t->name)))
		t->name[0] = '\0';
	t->status = thread_status(hs, t->oop);
	t->state = java_state_of(t->status);
	if (hs->f_thread_tid > 0)
		t->java_tid = (int64_t)java_read_u64(&hs->mem, t->oop + hs->f_thread_tid);
	t->blocker = hotspot_oop_field(hs, t->oop, hs->f_thread_blocker);
}

#define CARRIER_CLASS "jdk/internal/misc/CarrierThread"

/* 21+: a carrier's _vthread is the virtual thread mounted on it, else its
 * own java.lang.Thread (as for every other JavaThread). Unmounted virtual
 * threads are only on the heap (their scheduler's queues, their latches):
 * not read. */
static void read_vthread(const struct hotspot *hs, struct java_thread *t, uint64_t handle)
{
	uint64_t v;

	if (hs->jt_vthread < 0 || !t->oop)
		return;
	t->carrier = hotspot_klass_is(hs, hotspot_klass(hs, t->oop), CARRIER_CLASS);
	v = handle ? java_read_u64(&hs->mem, handle) : 0;
	if (t->carrier && v && v != t->oop)
		t->vthread = v;
}

/* One JavaThread at addr: 0, or -EFAULT when it cannot be one. */
static int read_thread(const struct hotspot *hs, uint64_t addr, size_t size,
		       struct java_thread *t)
{
	uint8_t jt[JT_MAX_SIZE];
	uint64_t osthread, handle, pending, waiting, base, len;

	memset(t, 0, sizeof(*t));
	if (java_read(&hs->mem, addr, jt, size))
		return -EFAULT;
	t->jt = addr;
	osthread = jt_u64(jt, size, hs->jt_osthread);
	t->tid = osthread ? java_read_u32(&hs->mem, osthread + hs->os_tid) : 0;
	handle = jt_u64(jt, size, hs->jt_threadobj);
	t->oop = handle ? java_read_u64(&hs->mem, handle) : 0;
	t->owner_id = (int64_t)jt_u64(jt, size, hs->jt_owner_id);
	base = jt_u64(jt, size, hs->jt_stack_base);
	len = jt_u64(jt, size, hs->jt_stack_size);
	if (base && len < base && len <= (1ull << 32)) {
		t->stack_lo = base - len;
		t->stack_hi = base;
	}
	pending = jt_u64(jt, size, hs->jt_pending);
	waiting = jt_u64(jt, size, hs->jt_waiting);
	read_thread_oop(hs, t);
	t->monitor = pending ? pending : waiting;
	t->wait = pending ? JWAIT_MONITOR_ENTER : waiting ? JWAIT_MONITOR_WAIT :
		  t->blocker && (t->state == JSTATE_WAITING || t->state == JSTATE_TIMED_WAITING) ?
		  JWAIT_PARK : JWAIT_NONE;
	t->runtime = java_runtime_thread_name(t->name);
	read_vthread(hs, t, jt_u64(jt, size, hs->jt_vthread));
	return t->tid ? 0 : -EFAULT;
}

int hotspot_threads_read(const struct hotspot *hs, struct java_thread **out, size_t *n)
{
	uint64_t list = java_read_u64(&hs->mem, hs->thread_list), arr, *jts = NULL;
	int64_t size = hs->jt_size;
	uint32_t len;
	struct java_thread *t;
	size_t k = 0;

	if (!list || size <= 0 || size > JT_MAX_SIZE)
		return -EFAULT;
	len = java_read_u32(&hs->mem, list + hs->tl_length);
	arr = java_read_u64(&hs->mem, list + hs->tl_threads);
	if (len > JAVA_MAX_THREADS)
		return -E2BIG;
	if (!len || !arr)
		return -EAGAIN;
	jts = malloc(len * sizeof(*jts));
	t = calloc(len, sizeof(*t));
	if (!jts || !t) {
		free(jts);
		free(t);
		return -ENOMEM;
	}
	if (java_read(&hs->mem, arr, jts, len * sizeof(*jts))) {
		free(jts);
		free(t);
		return -EAGAIN;	/* the list was freed under us (SMR) */
	}
	for (uint32_t i = 0; i < len; i++)
		k += jts[i] && !read_thread(hs, jts[i], (size_t)size, &t[k]);
	free(jts);
	*out = t;
	*n = k;
	return 0;
}

static struct java_thread *by_jt_or_stack(struct java_thread *t, size_t n, uint64_t owner)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].jt == owner)
			return &t[i];
	/* a BasicLock* in the owner's stack: a stack lock a contender inflated */
	for (size_t i = 0; i < n; i++)
		if (owner >= t[i].stack_lo && owner < t[i].stack_hi)
			return &t[i];
	return NULL;
}

static struct java_thread *by_owner_id(struct java_thread *t, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if ((uint64_t)t[i].owner_id == id || (uint64_t)t[i].java_tid == id)
			return &t[i];
	return NULL;
}

/* LM_LIGHTWEIGHT: an anonymous owner holds obj in its lock stack. */
static struct java_thread *by_lock_stack(const struct hotspot *hs, struct java_thread *t, size_t n,
					 uint64_t obj)
{
	uint64_t slots[64];

	if (!obj || hs->jt_lock_stack < 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		uint64_t ls = t[i].jt + (uint64_t)hs->jt_lock_stack;
		uint32_t top = java_read_u32(&hs->mem, ls + hs->ls_top);
		int64_t used = ((int64_t)top - hs->jt_lock_stack - 16) / 8;

		/* _top is a byte offset from the JavaThread */
		if (used <= 0 || used > hs->ls_capacity ||
		    java_read(&hs->mem, ls + 16, slots, (size_t)used * 8))
			continue;
		for (int64_t k = 0; k < used; k++)
			if (slots[k] == obj)
				return &t[i];
	}
	return NULL;
}

static void resolve_monitor(const struct hotspot *hs, struct java_thread *t, size_t n,
			    struct java_thread *w)
{
	uint64_t owner = java_read_u64(&hs->mem, w->monitor + hs->om_owner);
	uint64_t handle = java_read_u64(&hs->mem, w->monitor + hs->om_object);
	uint64_t obj = handle ? java_read_u64(&hs->mem, handle) : 0;
	struct java_thread *o = NULL;

	w->wait_object = w->monitor;
	hotspot_klass_name(hs, hotspot_klass(hs, obj), w->lock_class, sizeof(w->lock_class));
	if (w->wait != JWAIT_MONITOR_ENTER || !owner)
		return;	/* Object.wait: notified by anyone, owned by none */
	if ((int64_t)owner == hs->anonymous_owner)
		o = by_lock_stack(hs, t, n, obj);
	else if (hs->owner_kind == OWNER_THREAD_ID)
		o = by_owner_id(t, n, owner);
	else
		o = by_jt_or_stack(t, n, owner);
	if (o && o != w)
		w->owner_tid = o->tid;
}

#define AOS_CLASS "java/util/concurrent/locks/AbstractOwnableSynchronizer"

static void resolve_blocker(const struct hotspot *hs, struct java_thread *t, size_t n,
			    struct java_thread *w)
{
	uint64_t klass = hotspot_klass(hs, w->blocker), owner;

	w->wait_object = w->blocker;
	hotspot_klass_name(hs, klass, w->lock_class, sizeof(w->lock_class));
	if (hs->f_aos_owner <= 0 || !hotspot_klass_is(hs, klass, AOS_CLASS))
		return;
	owner = hotspot_oop_field(hs, w->blocker, hs->f_aos_owner);
	for (size_t i = 0; owner && i < n; i++)
		if (t[i].oop == owner && &t[i] != w)
			w->owner_tid = t[i].tid;
}

void hotspot_threads_resolve(const struct hotspot *hs, struct java_thread *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].wait == JWAIT_MONITOR_ENTER || t[i].wait == JWAIT_MONITOR_WAIT)
			resolve_monitor(hs, t, n, &t[i]);
		else if (t[i].wait == JWAIT_PARK)
			resolve_blocker(hs, t, n, &t[i]);
	}
}
