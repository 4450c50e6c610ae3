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
#include <sys/resource.h>

#include <bpf/libbpf.h>

#include "findings.h"
#include "go_report.h"
#include "options.h"
#include "output.h"
#include "privileges.h"
#include "prom_exporter.h"
#include "stack_capture.h"
#include "syslog_out.h"
#include "tracer.h"
#include "verdict.h"

static volatile sig_atomic_t exiting, reopen;

static void on_signal(int sig)
{
	exiting = 1;
}

static void on_hangup(int sig)
{
	reopen = 1;
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

static long max_rss_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? 0 : ru.ru_maxrss;
}

static int install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal }, hup = { .sa_handler = on_hangup };

	sigemptyset(&sa.sa_mask);
	sigemptyset(&hup.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &hup, NULL))
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

/* SIGHUP (logrotate): reopen -o FILE; if that fails, keep the old one. */
static void reopen_output(FILE **out, const char *path)
{
	FILE *f = fopen(path, "a");

	if (!f) {
		fprintf(stderr, "leaktrace: cannot reopen %s: %s\n", path, strerror(errno));
		return;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	fclose(*out);
	*out = f;
}

int main(int argc, char **argv)
{
	struct tracer_opts topts = {};
	struct stack_capture *stacks = NULL;
	struct verdict_engine *verdicts = NULL;
	enum verdict worst = VERDICT_NONE;
	struct tracer *tracer = NULL;
	struct prom_exporter *exporter = NULL;
	struct findings *findings = NULL;
	struct go_report *goroutines = NULL;
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
	{
		struct verdict_opts vopts = {
			.leak_min_threads = o.leak_min_threads,
			.leak_min_span_s = o.leak_min_span_s,
			.leak_min_arrivals = o.leak_min_arrivals,
		};

		verdicts = verdict_engine__new(&vopts);
		if (!verdicts) {
			fprintf(stderr, "leaktrace: out of memory\n");
			goto cleanup;
		}
	}
	if (o.prometheus) {
		err = prom_exporter__new(o.prometheus, &exporter, err_msg, sizeof(err_msg));
		if (err) {
			fprintf(stderr, "leaktrace: %s\n", err_msg);
			goto cleanup;
		}
	}
	if (o.syslog) {
		findings = findings__new();
		if (!findings) {
			fprintf(stderr, "leaktrace: out of memory\n");
			goto cleanup;
		}
		syslog_out_open();
	}
	if (o.n_pids && o.go_mode >= 0) {
		struct go_report_opts gopts = {
			.pids = o.pids, .n_pids = o.n_pids, .force = o.go_mode > 0,
			.verbose = o.verbose, .leak_min_arrivals = o.leak_min_arrivals,
		};

		goroutines = go_report__new(&gopts, err_msg, sizeof(err_msg));
		if (!goroutines) {
			fprintf(stderr, "leaktrace: %s\n", err_msg);
			goto cleanup;
		}
	}
	if (o.verbose)
		fprintf(stderr, "leaktrace: tracing %s\n", o.n_pids ? "selected processes" : "all processes");

	start = last = clock_ns(CLOCK_MONOTONIC);
	if (o.duration_ns)
		deadline = start + o.duration_ns;
	rep.summarize_all = o.n_pids > 0;
	for (;;) {
		uint64_t next = last + o.interval_ns, t1, t2;
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
		t1 = clock_ns(CLOCK_MONOTONIC);
		rep.scan_ns = t1 - rep.mono_ns;
		if (stacks)
			stack_capture__run(stacks, tracer, &rep);
		t2 = clock_ns(CLOCK_MONOTONIC);
		rep.capture_ns = t2 - t1;
		rep.min_verdict = o.min_verdict;
		if (verdict_engine__judge(verdicts, &rep)) {
			fprintf(stderr, "leaktrace: out of memory\n");
			goto cleanup;
		}
		err = go_report__collect(goroutines, &rep);
		if (err)
			fprintf(stderr, "leaktrace: warning: goroutine snapshot failed: %s\n", strerror(-err));
		rep.judge_ns = clock_ns(CLOCK_MONOTONIC) - t2;
		rep.max_rss_kb = max_rss_kb();
		if (rep.worst > worst)
			worst = rep.worst;
		if (reopen && out != stdout)
			reopen_output(&out, o.output);
		reopen = 0;
		if (emit(out, &o, &rep))
			goto cleanup;
		/* best effort: the last good snapshot / state stays on ENOMEM */
		if (exporter)
			prom_exporter__update(exporter, &rep);
		if (findings)
			syslog_out_report(findings, &rep);
		tracer__prune(tracer, &rep);
		if (all_gone)
			fprintf(stderr, "leaktrace: all traced processes have exited\n");
		if (rep.final)
			break;
	}
	ret = LT_EXIT_OK;
	if (o.fail_on_leak && worst >= VERDICT_LEAK) {
		fprintf(stderr, "leaktrace: %s reported: failing (--fail-on-leak)\n", verdict_name(worst));
		ret = LT_EXIT_LEAK;
	}
cleanup:
	go_report__free(goroutines);
	prom_exporter__free(exporter);
	if (findings)
		syslog_out_close();
	findings__free(findings);
	verdict_engine__free(verdicts);
	stack_capture__free(stacks);
	tracer__free(tracer);
	report_free(&rep);
	if (out && out != stdout)
		fclose(out);
	return ret;
}
