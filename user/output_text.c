// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "json_writer.h"
#include "output.h"

void format_duration(char *buf, size_t size, uint64_t ns)
{
	uint64_t s = ns / 1000000000ULL;

	if (ns < 1000000ULL)
		snprintf(buf, size, "%" PRIu64 "us", ns / 1000);
	else if (ns < 1000000000ULL)
		snprintf(buf, size, "%" PRIu64 "ms", ns / 1000000);
	else if (s < 60)
		snprintf(buf, size, "%.1fs", ns / 1e9);
	else if (s < 3600)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
	else
		snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s / 3600 % 24);
}

static void format_wait(char *buf, size_t size, const struct wait_info *w)
{
	const char *to = w->timeout == TIMEOUT_NONE ? ", no timeout" :
			 w->timeout == TIMEOUT_SET ? ", timeout" : "";

	switch (w->kind) {
	case WAIT_FUTEX:
		snprintf(buf, size, "futex 0x%" PRIx64 " %s%s", w->futex_addr, w->futex_op, to);
		break;
	case WAIT_SYSCALL:
		if (w->syscall)
			snprintf(buf, size, "%s()%s", w->syscall, to);
		else
			snprintf(buf, size, "syscall %ld%s", w->syscall_nr, to);
		break;
	default:
		snprintf(buf, size, "kernel");
	}
}

static void print_clock(FILE *f, uint64_t real_ns)
{
	time_t t = real_ns / 1000000000ULL;
	struct tm tm;
	char buf[32];

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fputs(buf, f);
}

static void print_proc_line(FILE *f, const struct proc_report *p)
{
	char comm[4 * LT_COMM_LEN + 1];

	text_escape(comm, sizeof(comm), p->comm, sizeof(p->comm));
	fprintf(f, "PID %" PRIu32 " %s: %" PRIu32 " live threads, +%" PRIu64 " created, -%" PRIu64
		" exited, %" PRIu32 " parked%s\n", p->pid, comm, p->live_threads, p->created, p->exited,
		p->parked, p->alive ? "" : " (exited)");
}

static void print_stack(FILE *f, const char *label, char **frames, int n)
{
	if (!n)
		return;
	fprintf(f, "      %s: ", label);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " <- " : "", frames[i]);
	fputc('\n', f);
}

static void print_thread(FILE *f, const struct thread_report *t)
{
	char name[4 * LT_COMM_LEN + 1], parked[32], age[32], wait[96];

	text_escape(name, sizeof(name), t->thread, sizeof(t->thread));
	format_duration(parked, sizeof(parked), t->parked_ns);
	format_duration(age, sizeof(age), t->age_ns);
	format_wait(wait, sizeof(wait), &t->wait);
	fprintf(f, "  %-8" PRIu32 " %-16s %-5c %-9s %-44s %-9s %" PRIu64 "\n", t->tid, name,
		t->state, parked, wait, age, t->wakeups);
	print_stack(f, "user  ", t->user_stack, t->n_user);
	print_stack(f, "kernel", t->kernel_stack, t->n_kernel);
}

void output_text(FILE *f, const struct report *r)
{
	char thr[32];
	size_t ti = 0;

	format_duration(thr, sizeof(thr), r->threshold_ns);
	print_clock(f, r->real_ns);
	fprintf(f, " %sthreads parked >= %s: %zu\n", r->final ? "final report: " : "", thr,
		r->n_threads);
	for (size_t i = 0; i < r->n_procs; i++) {
		const struct proc_report *p = &r->procs[i];

		if (!p->parked && !r->summarize_all)
			continue;
		print_proc_line(f, p);
		if (!p->parked)
			continue;
		fprintf(f, "  %-8s %-16s %-5s %-9s %-44s %-9s %s\n", "TID", "THREAD", "STATE",
			"PARKED", "WAIT", "AGE", "WAKEUPS");
		while (ti < r->n_threads && r->threads[ti].pid < p->pid)
			ti++;
		for (; ti < r->n_threads && r->threads[ti].pid == p->pid; ti++)
			print_thread(f, &r->threads[ti]);
	}
	for (int d = 0; d < LT_DROP_MAX; d++) {
		if (r->drops[d]) {
			fprintf(f, "warning: dropped events: proc_counts=%" PRIu64 " task_storage=%" PRIu64
				" capture=%" PRIu64 "\n", r->drops[LT_DROP_PROC_COUNTS],
				r->drops[LT_DROP_TASK_STORAGE], r->drops[LT_DROP_CAPTURE]);
			break;
		}
	}
	fputc('\n', f);
	fflush(f);
}
