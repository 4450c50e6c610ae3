// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* leaktrace: report threads parked past a threshold. main() is the lifecycle only. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "options.h"
#include "output.h"
#include "privileges.h"
#include "stack_capture.h"
#include "tracer.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

static bool verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Sleep until mono deadline or a signal. */
static void sleep_until(uint64_t deadline)
{
	while (!exiting) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		struct timespec ts;

		if (now >= deadline)
			return;
		ts.tv_sec = (deadline - now) / 1000000000ULL;
		ts.tv_nsec = (deadline - now) % 1000000000ULL;
		if (ts.tv_sec > 0 || ts.tv_nsec > 200000000)
			ts = (struct timespec){ 0, 200000000 };
		nanosleep(&ts, NULL);
	}
}

static int install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* --pid must name live processes; a thread id is taken as its process. */
static int resolve_pids(struct lt_options *o)
{
	for (int i = 0; i < o->n_pids; i++) {
		int tgid = process_of_tid(o->pids[i]);

		if (tgid < 0) {
			fprintf(stderr, "leaktrace: no such process: %d\n", o->pids[i]);
			return LT_EXIT_NO_PROCESS;
		}
		o->pids[i] = tgid;
	}
	return 0;
}

static int emit(FILE *out, const struct lt_options *o, struct report *r)
{
	if (o->format == LT_FMT_JSON)
		output_json(out, r);
	else
		output_text(out, r);
	if (ferror(out)) {
		fprintf(stderr, "leaktrace: cannot write report: %s\n", strerror(errno));
		return -EIO;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct tracer_opts topts = {};
	struct stack_capture *stacks = NULL;
	struct tracer *tracer = NULL;
	struct report rep = {};
	struct lt_options o;
	uint64_t start, last, deadline = 0;
	FILE *out = stdout;
	char err_msg[256] = "";
	int err, ret = LT_EXIT_FAILURE;

	options_defaults(&o);
	err = options_parse(argc, argv, &o);
	if (err)
		return err < 0 ? LT_EXIT_OK : err;
	verbose = o.verbose;
	libbpf_set_print(libbpf_print);

	if (!have_bpf_privileges()) {
		fprintf(stderr, "leaktrace: permission denied: run as root (needs CAP_BPF and CAP_PERFMON, "
			"or CAP_SYS_ADMIN)\n");
		return LT_EXIT_PERMISSION;
	}
	err = resolve_pids(&o);
	if (err)
		return err;
	if (o.output) {
		out = fopen(o.output, "a");
		if (!out) {
			fprintf(stderr, "leaktrace: cannot open %s: %s\n", o.output, strerror(errno));
			return LT_EXIT_USAGE;
		}
		setvbuf(out, NULL, _IOLBF, 0);
	}
	if (install_signals())
		goto cleanup;

	topts.pids = o.pids;
	topts.n_pids = o.n_pids;
	topts.kernel_threads = o.kernel_threads;
	topts.capture_stacks = o.stacks_user || o.stacks_kernel;
	err = tracer__new(&topts, &tracer, err_msg, sizeof(err_msg));
	if (err) {
		fprintf(stderr, "leaktrace: %s\n", err_msg);
		ret = err == -EPERM ? LT_EXIT_PERMISSION :
		      err == -EOPNOTSUPP ? LT_EXIT_UNSUPPORTED : LT_EXIT_FAILURE;
		goto cleanup;
	}
	if (topts.capture_stacks) {
		if (!tracer__can_capture(tracer))
			fprintf(stderr, "leaktrace: warning: this kernel cannot capture stacks "
				"(needs 5.18); reporting without them\n");
		else
			stacks = stack_capture__new(o.stacks_user, o.stacks_kernel, o.stack_depth);
	}
	if (o.verbose)
		fprintf(stderr, "leaktrace: tracing %s\n", o.n_pids ? "selected processes" : "all processes");

	start = last = clock_ns(CLOCK_MONOTONIC);
	if (o.duration_ns)
		deadline = start + o.duration_ns;
	rep.summarize_all = o.n_pids > 0;
	for (;;) {
		uint64_t next = last + o.interval_ns;
		bool all_gone;

		if (deadline && next > deadline)
			next = deadline;
		sleep_until(next);

		report_reset(&rep);
		rep.mono_ns = clock_ns(CLOCK_MONOTONIC);
		rep.real_ns = clock_ns(CLOCK_REALTIME);
		rep.threshold_ns = o.threshold_ns;
		rep.interval_ns = rep.mono_ns - last;
		last = rep.mono_ns;
		all_gone = o.n_pids && !tracer__targets_alive(tracer);
		rep.final = exiting || all_gone || (deadline && rep.mono_ns >= deadline);

		err = tracer__scan(tracer, &rep);
		if (err) {
			fprintf(stderr, "leaktrace: scan failed: %s\n", strerror(-err));
			goto cleanup;
		}
		if (stacks)
			stack_capture__run(stacks, tracer, &rep);
		if (emit(out, &o, &rep))
			goto cleanup;
		tracer__prune(tracer, &rep);
		if (all_gone)
			fprintf(stderr, "leaktrace: all traced processes have exited\n");
		if (rep.final)
			break;
	}
	ret = LT_EXIT_OK;
cleanup:
	stack_capture__free(stacks);
	tracer__free(tracer);
	report_free(&rep);
	if (out && out != stdout)
		fclose(out);
	return ret;
}
