// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/java/hotspot_threads.h"
#include "collect/java/java_frames.h"
#include "collect/java/java_proc.h"
#include "collect/java/java_report.h"
#include "collect/java/jvm_lib.h"

enum jvm_status {
	JVM_UNKNOWN,	/* not probed yet, or still starting */
	JVM_NONE,	/* no libjvm.so mapped, or no VMStructs */
	JVM_READY,
};

/* A thread waiting to enter a monitor, since leaktrace first saw it so. */
struct blocked_wait {
	uint32_t tid;
	uint64_t monitor, since_ns;
};

struct jvm {
	uint32_t pid;
	uint64_t start_ns;
	char comm[LT_COMM_LEN];		/* probed as: an exec re-probes */
	enum jvm_status status;
	struct jvm_lib lib;
	struct vmstructs *vs;
	struct hotspot hs;
	struct java_frame_offsets fo;
	bool frames_ok;			/* fo resolved: Java frames can be walked */
	struct java_thread *threads;	/* this report's walk, by tid */
	size_t n_threads;
	bool walked;
	struct blocked_wait *blocked;
	size_t n_blocked;
};

struct java_report {
	struct jvm *jvms;
	size_t n, cap;
	struct java_info *infos;	/* pointed to by this report's threads */
	size_t cap_infos;
	struct frame_builder merged;	/* a stack being merged, reused */
};

struct java_report *java_report__new(void)
{
	return calloc(1, sizeof(struct java_report));
}

static void jvm_clear(struct jvm *j)
{
	vmstructs__free(j->vs);
	free(j->threads);
	free(j->blocked);
}

void java_report__free(struct java_report *jr)
{
	if (!jr)
		return;
	for (size_t i = 0; i < jr->n; i++)
		jvm_clear(&jr->jvms[i]);
	free(jr->jvms);
	free(jr->infos);
	frame_builder__free(&jr->merged);
	free(jr);
}

void java_report__forget(struct java_report *jr, uint32_t pid)
{
	for (size_t i = 0; jr && i < jr->n; i++) {
		if (jr->jvms[i].pid != pid)
			continue;
		jvm_clear(&jr->jvms[i]);
		jr->jvms[i] = jr->jvms[--jr->n];
		return;
	}
}

static struct jvm *jvm_of(struct java_report *jr, const struct proc_report *p)
{
	for (size_t i = 0; i < jr->n; i++) {
		struct jvm *j = &jr->jvms[i];

		if (j->pid != p->pid)
			continue;
		if (j->start_ns == p->start_ns && !strcmp(j->comm, p->comm))
			return j;
		jvm_clear(j);	/* another process, or an exec */
		memset(j, 0, sizeof(*j));
		j->pid = p->pid;
		j->start_ns = p->start_ns;
		memcpy(j->comm, p->comm, sizeof(j->comm));
		return j;
	}
	if (jr->n == jr->cap) {
		size_t cap = jr->cap ? jr->cap * 2 : 16;
		struct jvm *n = realloc(jr->jvms, cap * sizeof(*n));

		if (!n)
			return NULL;
		jr->jvms = n;
		jr->cap = cap;
	}
	memset(&jr->jvms[jr->n], 0, sizeof(jr->jvms[0]));
	jr->jvms[jr->n].pid = p->pid;
	jr->jvms[jr->n].start_ns = p->start_ns;
	memcpy(jr->jvms[jr->n].comm, p->comm, sizeof(p->comm));
	return &jr->jvms[jr->n++];
}

/* Find libjvm.so and read its tables once; a JVM still starting (Java
 * field offsets not computed yet) is tried again next report. */
static void jvm_probe(struct jvm *j)
{
	struct java_mem m = java_mem_live((int)j->pid);
	int err;

	if (j->status != JVM_UNKNOWN)
		return;
	if (!j->vs) {
		err = jvm_lib_find((int)j->pid, &j->lib);
		if (!err)
			err = vmstructs__read(&m, j->lib.vms, &j->vs);
		if (err) {
			j->status = err == -ESRCH ? JVM_UNKNOWN : JVM_NONE;
			return;
		}
	}
	err = hotspot_init(&j->hs, &m, j->vs, &j->lib);
	if (err != -EAGAIN)
		j->status = err ? JVM_NONE : JVM_READY;
	if (!err)
		j->frames_ok = !java_frames_init(&j->fo, &j->hs, j->vs);
}

static int cmp_tid(const void *a, const void *b)
{
	const struct java_thread *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static const struct java_thread *java_thread_of(const struct jvm *j, uint32_t tid)
{
	struct java_thread key = { .tid = tid };

	if (!j->n_threads)
		return NULL;
	return bsearch(&key, j->threads, j->n_threads, sizeof(key), cmp_tid);
}

/* Read the threads; the SMR list may be freed while read: one retry. */
static int jvm_walk(struct jvm *j)
{
	int err;

	free(j->threads);
	j->threads = NULL;
	j->n_threads = 0;
	err = hotspot_threads_read(&j->hs, &j->threads, &j->n_threads);
	if (err == -EAGAIN)
		err = hotspot_threads_read(&j->hs, &j->threads, &j->n_threads);
	if (err)
		return err;
	hotspot_threads_resolve(&j->hs, j->threads, j->n_threads);
	qsort(j->threads, j->n_threads, sizeof(*j->threads), cmp_tid);
	return 0;
}

static uint64_t blocked_since(const struct jvm *j, uint32_t tid, uint64_t monitor)
{
	for (size_t i = 0; i < j->n_blocked; i++)
		if (j->blocked[i].tid == tid && j->blocked[i].monitor == monitor)
			return j->blocked[i].since_ns;
	return 0;
}

/* Keep the first sight of each (thread, monitor) wait still going on. */
static int track_blocked(struct jvm *j, uint64_t now)
{
	struct blocked_wait *b = calloc(j->n_threads + 1, sizeof(*b));
	size_t n = 0;

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < j->n_threads; i++) {
		const struct java_thread *t = &j->threads[i];
		uint64_t since;

		if (t->wait != JWAIT_MONITOR_ENTER)
			continue;
		since = blocked_since(j, t->tid, t->monitor);
		b[n++] = (struct blocked_wait){ t->tid, t->monitor, since ? since : now };
	}
	free(j->blocked);
	j->blocked = b;
	j->n_blocked = n;
	return 0;
}

/* Threads blocked on a monitor past the threshold that the scan left out
 * for their young OS park: added. */
static int add_blocked(const struct jvm *j, struct report *r, const char *comm)
{
	for (size_t i = 0; i < j->n_blocked; i++) {
		const struct blocked_wait *b = &j->blocked[i];
		uint64_t parked = r->mono_ns - b->since_ns;
		struct thread_report t, *slot;
		struct proc_report *pr;

		if (parked < r->threshold_ns || report_find_thread(r, j->pid, b->tid))
			continue;
		if (java_proc_thread(j->pid, b->tid, comm, parked, r->real_ns, &t))
			continue;
		slot = report_add_thread(r);
		if (!slot)
			return -ENOMEM;
		*slot = t;
		pr = report_proc(r, j->pid);
		if (!pr)
			return -ENOMEM;
		pr->parked++;
	}
	return 0;
}

static const char *wait_name(enum java_wait w)
{
	return w == JWAIT_MONITOR_ENTER ? "monitor enter" : w == JWAIT_MONITOR_WAIT ? "Object.wait" :
	       w == JWAIT_PARK ? "park" : NULL;
}

/* What t waits for in Java terms, on the thread's report. */
static void mark_wait(const struct jvm *j, const struct java_thread *jt, struct thread_report *th,
		      uint64_t real_ns, uint64_t mono_ns)
{
	uint64_t since;

	th->lock_owner = jt->owner_tid;
	if (jt->wait_object) {
		th->wait.object = jt->wait_object;
		th->wait.flags |= WAIT_F_HAS_OBJECT;
	}
	if (jt->wait != JWAIT_MONITOR_ENTER)
		return;
	/* HotSpot's timed re-parks are no timeout of the Java wait */
	th->wait.timeout = TIMEOUT_NONE;
	since = blocked_since(j, jt->tid, jt->monitor);
	if (since && mono_ns - since > th->parked_ns) {
		th->parked_ns = mono_ns - since;
		th->parked_since_ns = real_ns - th->parked_ns;
	}
}

static void fill_info(const struct java_thread *jt, const struct thread_report *th,
		      struct java_info *in)
{
	memset(in, 0, sizeof(*in));
	if (!jt) {	/* not a Java thread: GC, VM thread, the launcher */
		snprintf(in->name, sizeof(in->name), "%s", th->thread);
		in->runtime = true;
		return;
	}
	memcpy(in->name, jt->name, sizeof(in->name));
	in->state = java_state_name(jt->state);
	in->waits = wait_name(jt->wait);
	memcpy(in->lock_class, jt->lock_class, sizeof(in->lock_class));
	in->owner = jt->owner_tid;
	in->runtime = jt->runtime;
	in->carrier = jt->carrier;
	in->vthread_mounted = jt->vthread != 0;
}

static const struct jvm *walked_jvm(const struct java_report *jr, uint32_t pid)
{
	for (size_t i = 0; i < jr->n; i++)
		if (jr->jvms[i].pid == pid && jr->jvms[i].walked)
			return &jr->jvms[i];
	return NULL;
}

/* Every thread of a walked JVM gets its java_info. */
static int mark_threads(struct java_report *jr, struct report *r)
{
	size_t k = 0;

	if (r->n_threads > jr->cap_infos) {
		struct java_info *n = realloc(jr->infos, r->n_threads * sizeof(*n));

		if (!n)
			return -ENOMEM;
		jr->infos = n;
		jr->cap_infos = r->n_threads;
	}
	for (size_t i = 0; i < r->n_threads; i++) {
		struct thread_report *th = &r->threads[i];
		const struct jvm *j = walked_jvm(jr, th->pid);
		const struct java_thread *jt;

		if (!j)
			continue;
		jt = java_thread_of(j, th->tid);
		if (jt) {
			mark_wait(j, jt, th, r->real_ns, r->mono_ns);
			memcpy(th->thread_name, jt->name, sizeof(th->thread_name));
		}
		fill_info(jt, th, &jr->infos[k]);
		th->java = &jr->infos[k++];
	}
	return 0;
}

static void count_carriers(const struct jvm *j, struct proc_report *p)
{
	p->is_java = true;
	p->java_carriers = p->java_vthreads_mounted = 0;
	for (size_t i = 0; i < j->n_threads; i++) {
		p->java_carriers += j->threads[i].carrier;
		p->java_vthreads_mounted += j->threads[i].vthread != 0;
	}
}

int java_report__collect(struct java_report *jr, struct report *r)
{
	size_t before = r->n_threads;

	for (size_t i = 0; i < r->n_procs; i++) {
		const struct proc_report p = r->procs[i];
		struct jvm *j;

		if (!p.alive)
			continue;
		j = jvm_of(jr, &p);
		if (!j)
			return -ENOMEM;
		j->walked = false;
		jvm_probe(j);
		if (j->status != JVM_READY)
			continue;
		if (jvm_walk(j)) {
			r->lost[DROP_JAVA_WALKS_FAILED]++;
			continue;
		}
		j->walked = true;
		count_carriers(j, &r->procs[i]);
		if (track_blocked(j, r->mono_ns) || add_blocked(j, r, p.comm))
			return -ENOMEM;
	}
	if (r->n_threads != before)
		report_sort(r);
	return mark_threads(jr, r);
}

/* A native frame the unwinder left unnamed, in the code cache. */
static bool code_frame(const struct jvm *j, const struct frame *f)
{
	return !f->function && f->pc && java_frames_in_code(&j->fo, f->pc);
}

/* b's frames with [from, to) replaced by the Java frames in[0..m) (or by
 * the marker alone when m is 0), built in out. */
static int splice(const struct frame_builder *b, int from, int to, const struct java_frame *in,
		  int m, const char *marker, struct frame_builder *out)
{
	int err = 0;

	for (int i = 0; !err && i < from; i++)
		err = frame_builder__push(out, &b->frames[i]);
	if (!err && marker)
		err = frame_builder__push(out, &(struct frame){ .function = marker,
								 .kind = FRAME_MARKER });
	for (int i = 0; !err && i < m; i++)
		err = frame_builder__push(out, &(struct frame){
			.function = in[i].function, .file = in[i].file[0] ? in[i].file : NULL,
			.line = in[i].line, .kind = FRAME_JAVA });
	for (int i = to; !err && i < b->n; i++)
		err = frame_builder__push(out, &b->frames[i]);
	return err;
}

int java_report__merge_frames(struct java_report *jr, uint32_t pid, uint32_t tid,
			      struct frame_builder *b)
{
	static struct java_frame java[JAVA_MAX_FRAMES];
	const struct jvm *j = jr ? walked_jvm(jr, pid) : NULL;
	const struct java_thread *jt = j ? java_thread_of(j, tid) : NULL;
	const char *why = "this JVM's tables lack the frame layout";
	char marker[160];
	struct frame_builder swap;
	int first = 0, end, m = -ENOENT, err;

	if (!jt)
		return 0;
	while (first < b->n && !code_frame(j, &b->frames[first]))
		first++;
	if (first == b->n)
		return 0;	/* no Java code in the native stack */
	for (end = first; end < b->n && code_frame(j, &b->frames[end]); end++)
		;
	if (j->frames_ok)
		m = java_frames_walk(&j->hs, &j->fo, jt->jt, java, JAVA_MAX_FRAMES, &why);
	snprintf(marker, sizeof(marker), "[java frames unavailable: %s]", why);
	frame_builder__reset(&jr->merged);
	err = m > 0 ? splice(b, first, end, java, m, NULL, &jr->merged) :
		      splice(b, first, first, java, 0, marker, &jr->merged);
	if (err)
		return err;
	swap = *b;
	*b = jr->merged;
	jr->merged = swap;
	frame_builder__reset(&jr->merged);
	return m > 0 ? 0 : 1;
}
