// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/procfs/procfs.h"
#include "collect/stacks/proc_stacks.h"
#include "collect/threads/lockgraph.h"

#define KSYM_NAME_MAX	512	/* the kernel's own is 512 since 6.1 */

/* "name+0xoff/0xsize" of one line into fr (name copied into buf). */
static bool kstack_line(const char *line, size_t len, char *buf, size_t size, struct frame *fr)
{
	const char *sym = memmem(line, len, "] ", 2), *plus, *end = line + len;
	char *after;

	if (!sym)
		return false;
	sym += 2;
	plus = memchr(sym, '+', end - sym);
	if (!plus || plus == sym || (size_t)(plus - sym) >= size)
		return false;
	memcpy(buf, sym, plus - sym);
	buf[plus - sym] = '\0';
	errno = 0;
	*fr = (struct frame){ .kind = FRAME_KERNEL, .function = buf,
			      .offset = strtoull(plus + 1, &after, 16) };
	return !errno && after > plus + 1 && after <= end;
}

int proc_kstack_parse(const char *text, struct frame_builder *b, int max)
{
	char name[KSYM_NAME_MAX];
	int n = 0;

	for (const char *line = text; line && *line && n < max;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		struct frame fr;

		if (kstack_line(line, len, name, sizeof(name), &fr)) {
			if (frame_builder__push(b, &fr))
				return -ENOMEM;
			n++;
		}
		line = eol ? eol + 1 : NULL;
	}
	return n;
}

/* The voluntary switch count of tid, or -errno (-ESRCH: gone). */
static int64_t task_nvcsw(uint32_t pid, uint32_t tid)
{
	char status[4096];
	ssize_t n = procfs__read_buf(pid, tid, "status", status, sizeof(status));
	const char *v;
	char *end;
	int64_t nv;

	if (n < 0)
		return n;
	v = procfs__status_field(status, "voluntary_ctxt_switches");
	if (!v)
		return -EINVAL;
	errno = 0;
	nv = strtoll(v, &end, 10);
	return errno || end == v || nv < 0 ? -EINVAL : nv;
}

/* Fill rec's registers from the syscall file; 0 or -errno. */
static int task_regs(const struct proc_stack_want *w, struct lt_stack_rec *rec)
{
	uint64_t sp, pc;
	int err = procsyscall_sp_pc(w->pid, w->tid, &sp, &pc);

	if (err)
		return err == -EAGAIN ? -ESTALE : err;
	memset(rec, 0, sizeof(*rec));
	rec->type = LT_REC_STACK;
	rec->tid = w->tid;
	rec->tgid = w->pid;
	rec->nvcsw = w->nvcsw;
	rec->ip = pc;
	rec->sp = sp;
	rec->kstack_err = -EOPNOTSUPP;	/* the frames come as text */
	return 0;
}

/* The stack of one thread; 0 or its miss code. */
static int read_one(const struct proc_stack_want *w, bool kernel, int max_depth,
		    struct lt_stack_rec *rec, struct frame_builder *b)
{
	int64_t before = task_nvcsw(w->pid, w->tid), after;
	int err;

	frame_builder__reset(b);
	if (before < 0)
		return (int)before;
	if ((uint64_t)before != w->nvcsw)
		return -ESTALE;
	err = task_regs(w, rec);
	if (err)
		return err;
	if (kernel) {
		char *text = NULL;
		size_t len;

		/* unreadable (CAP_SYS_ADMIN, CONFIG_STACKTRACE): user stack only */
		if (!procfs__read(w->pid, w->tid, "stack", &text, &len) &&
		    proc_kstack_parse(text, b, max_depth) < 0)
			frame_builder__reset(b);
		free(text);
	}
	after = task_nvcsw(w->pid, w->tid);
	if (after != before)
		return after < 0 ? (int)after : -ESTALE;
	return 0;
}

int proc_stacks_read(const struct proc_stack_want *w, size_t n, bool kernel, int max_depth,
		     proc_stack_cb cb, void *ctx, int *miss)
{
	struct lt_stack_rec *rec = malloc(sizeof(*rec));
	struct frame_builder b = {};

	if (!rec)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		miss[i] = read_one(&w[i], kernel, max_depth, rec, &b);
		if (!miss[i])
			cb(ctx, rec, b.n ? b.frames : NULL, b.n);
	}
	frame_builder__free(&b);
	free(rec);
	return 0;
}
