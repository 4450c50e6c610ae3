// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "run/options.h"
#include "util/parse_num.h"
#include "sinks/prom_exporter.h"
#include "model/report.h"
#include "sinks/sink.h"

#ifndef LEAKTRACE_VERSION
#define LEAKTRACE_VERSION "dev"
#endif

#define MEMORY_BUDGET_MIN	(16ULL << 20)

int parse_pid_list(const char *s, struct lt_options *opts)
{
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		const char *end;
		uint64_t v;

		if (scan_decimal(p, &end, &v) || v == 0 || v > INT_MAX)
			return -EINVAL;
		if (*end != ',' && *end != '\0')
			return -EINVAL;
		if (opts->n_pids >= LT_MAX_PIDS)
			return -E2BIG;
		opts->pids[opts->n_pids++] = (int)v;
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}

void options_defaults(struct lt_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->threshold_ns = 10ULL * 1000000000;
	opts->interval_ns = 5ULL * 1000000000;
	opts->format = "text";
	opts->stacks_user = true;
	opts->stacks_kernel = true;
	opts->stack_depth = 32;
	opts->min_verdict = 0;
}

static const char version_str[] = "leaktrace " LEAKTRACE_VERSION;

static const char doc[] =
"Find threads that block forever: report threads parked longer than a threshold.\n"
"\n"
"USAGE: leaktrace [-p PID[,PID...]] [-t THRESHOLD] [-i INTERVAL] [-d DURATION]\n"
"                 [-f text|json|folded|pprof] [--events] [-o FILE] [-v]\n"
"\n"
"EXAMPLES:\n"
"    leaktrace                      # all processes, threads parked >= 10s\n"
"    leaktrace -p 1234 -t 2s        # one process, threshold 2 seconds\n"
"    leaktrace -p 1234,5678 -f json # JSON lines\n"
"    leaktrace -f json --events -o /var/log/leaktrace.json  # findings only\n"
"    leaktrace -p 1234 -d 30s -f folded | flamegraph.pl > parked.svg\n"
"    leaktrace -p 1234 -f pprof -o parked.pb.gz   # go tool pprof parked.pb.gz\n"
"    leaktrace -p 1234 -d 30s -i 10s -o report.txt\n"
"    leaktrace --unit nginx         # a systemd service, its future processes too\n"
"    leaktrace --container 3f4e5d   # one container, by id prefix\n"
"\n"
"Durations take a unit: ns, us, ms, s, m, h, d (default s); numbers are\n"
"decimal. -i is at least 100ms, -t at least 1ms.\n"
"Exit codes: 0 ok, 1 failure, 2 usage, 3 no such process (or a kernel thread\n"
"without --kernel-threads), cgroup, unit or container, 4 permission,\n"
"5 unsupported kernel, 10 leak found (--fail-on-leak).\n";

enum {
	OPT_KTHREADS = 0x100,
	OPT_GO,
	OPT_NO_GO,
	OPT_NO_PYTHON,
	OPT_PROMETHEUS,
	OPT_SYSLOG,
	OPT_NO_STACKS,
	OPT_USER_STACKS_ONLY,
	OPT_KERNEL_STACKS_ONLY,
	OPT_STACK_DEPTH,
	OPT_FAIL_ON_LEAK,
	OPT_MIN_VERDICT,
	OPT_LEAK_MIN_THREADS,
	OPT_LEAK_MIN_SPAN,
	OPT_LEAK_MIN_ARRIVALS,
	OPT_LEAK_MIN_PILE,
	OPT_BASELINE,
	OPT_BASELINE_AFTER,
	OPT_STATE_DIR,
	OPT_NO_SANDBOX,
	OPT_EVENTS,
	OPT_FOLDED_VALUE,
	OPT_FOLDED_VERDICT,
	OPT_PRECISE,
	OPT_CGROUP,
	OPT_UNIT,
	OPT_CONTAINER,
	OPT_PROMETHEUS_PID,
	OPT_MEMORY_BUDGET,
};

static const struct argp_option argp_opts[] = {
	{ "pid", 'p', "PID", 0, "Trace only these processes (repeatable, comma-separated)", 0 },
	{ "cgroup", OPT_CGROUP, "PATH", 0, "Trace every process in this cgroup v2 subtree, present and future", 0 },
	{ "unit", OPT_UNIT, "NAME", 0, "Trace the cgroup of this systemd unit (NAME or NAME.service)", 0 },
	{ "container", OPT_CONTAINER, "ID-PREFIX", 0, "Trace the cgroup of the container whose id starts with ID-PREFIX", 0 },
	{ "threshold", 't', "DURATION", 0, "Report threads parked at least this long (default 10s, at least 1ms)", 0 },
	{ "interval", 'i', "DURATION", 0, "Report every DURATION (default 5s, at least 100ms)", 0 },
	{ "duration", 'd', "DURATION", 0, "Stop after DURATION with a final report", 0 },
	{ "format", 'f', "FORMAT", 0, "Output format: text (default), json (JSON lines), folded (flame graph stacks) or pprof (gzipped profile, needs -o or a pipe)", 0 },
	{ "events", OPT_EVENTS, NULL, 0, "With -f json: write new, changed and gone findings instead of every parked thread each interval", 0 },
	{ "folded-value", OPT_FOLDED_VALUE, "threads|seconds", 0, "With -f folded: count parked threads (default) or their parked seconds", 0 },
	{ "folded-verdict", OPT_FOLDED_VERDICT, NULL, 0, "With -f folded: each stack's root frame is its site's verdict (leak;comm;...)", 0 },
	{ "output", 'o', "FILE", 0, "Write reports to FILE instead of stdout (reopened on SIGHUP)", 0 },
	{ "go", OPT_GO, NULL, 0, "Trace goroutines of the --pid processes (default: when they are Go programs)", 0 },
	{ "no-go", OPT_NO_GO, NULL, 0, "Do not trace goroutines", 0 },
	{ "no-python", OPT_NO_PYTHON, NULL, 0, "Keep the interpreter's native frames instead of Python frames in user stacks", 0 },
	{ "prometheus", OPT_PROMETHEUS, "ADDR:PORT", 0, "Serve metrics at http://ADDR:PORT/metrics (address default 127.0.0.1)", 0 },
	{ "prometheus-pid", OPT_PROMETHEUS_PID, NULL, 0, "Add a pid label to the per-process series (new series at every restart)", 0 },
	{ "syslog", OPT_SYSLOG, NULL, 0, "Log new, changed and gone findings to syslog", 0 },
	{ "memory-budget", OPT_MEMORY_BUDGET, "SIZE", 0, "Bytes the per-process caches (unwinder, symbols, perf maps, Go symbol files) may hold, least recently used evicted: 256M, 1G (default 60% of the cgroup's memory limit, else 256M)", 0 },
	{ "no-sandbox", OPT_NO_SANDBOX, NULL, 0, "Keep every capability and no seccomp filter after start-up (debugging)", 0 },
	{ "precise", OPT_PRECISE, NULL, 0, "Exact park times and wake-up counts from programs on every context switch (costs ~2 BPF runs per switch)", 0 },
	{ "kernel-threads", OPT_KTHREADS, NULL, 0, "Include kernel threads (system-wide mode); let --pid name one", 0 },
	{ "no-stacks", OPT_NO_STACKS, NULL, 0, "Do not capture stacks", 0 },
	{ "user-stacks-only", OPT_USER_STACKS_ONLY, NULL, 0, "Capture user stacks only", 0 },
	{ "kernel-stacks-only", OPT_KERNEL_STACKS_ONLY, NULL, 0, "Capture kernel stacks only", 0 },
	{ "stack-depth", OPT_STACK_DEPTH, "N", 0, "Maximum frames per stack (default 32, max 127)", 0 },
	{ "fail-on-leak", OPT_FAIL_ON_LEAK, NULL, 0, "Exit 10 if a leak or deadlock verdict was reported", 0 },
	{ "min-verdict", OPT_MIN_VERDICT, "VERDICT", 0, "Report only idle|stuck|leak|deadlock and worse (default idle: all)", 0 },
	{ "leak-min-threads", OPT_LEAK_MIN_THREADS, "N", 0, "Threads a spread-out site needs to be a leak (default 3)", 0 },
	{ "leak-min-span", OPT_LEAK_MIN_SPAN, "DURATION", 0, "Spread of park times that makes such a site a leak (default 1s)", 0 },
	{ "leak-min-arrivals", OPT_LEAK_MIN_ARRIVALS, "N", 0, "Arrivals while observed that make a site a leak (default 2)", 0 },
	{ "leak-min-pile", OPT_LEAK_MIN_PILE, "N", 0, "Goroutines on private objects, none leaving, that make a leak on first sight (default 10)", 0 },
	{ "baseline", OPT_BASELINE, NULL, 0, "Judge against each service's normal: a stuck site present since the service's first report, not grown, is idle", 0 },
	{ "baseline-after", OPT_BASELINE_AFTER, "DURATION", 0, "With --baseline: a process forms its service's baseline once this old (default 0: at its first report)", 0 },
	{ "state-dir", OPT_STATE_DIR, "DIR", 0, "Keep the baselines (--baseline) and the findings of --events and --syslog in DIR across restarts (the unit's StateDirectory=)", 0 },
	{ "verbose", 'v', NULL, 0, "Verbose debug output, including libbpf's log", 0 },
	{ "help", 'h', NULL, 0, "Show this help", 0 },
	{ "version", 'V', NULL, 0, "Print the version", 0 },
	{},
};

static void usage_error(struct argp_state *state, const char *fmt, const char *arg)
{
	fprintf(stderr, "leaktrace: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (try 'leaktrace --help')\n");
	*(int *)state->input = 1;
}

#define OPT_SEEN_MAX 64

struct parse_state {
	int failed;	/* first member: usage_error() writes it */
	bool done;	/* --help or --version printed */
	struct lt_options *opts;
	bool seen[OPT_SEEN_MAX];	/* long-only options given, by key - OPT_KTHREADS */
};

static int parse_int(const char *s, int lo, int hi, int *out)
{
	uint64_t v;

	if (parse_uint(s, lo, hi, &v))
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* --NAME N: a count from lo to 1,000,000. */
static void count_option(struct argp_state *state, const char *name, const char *arg, int lo,
			 uint32_t *out)
{
	int v;

	if (parse_int(arg, lo, 1000000, &v)) {
		fprintf(stderr, "leaktrace: invalid --%s '%s' (%d-1000000) (try 'leaktrace --help')\n",
			name, arg, lo);
		*(int *)state->input = 1;
		return;
	}
	*out = v;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct parse_state *ps = state->input;
	struct lt_options *o = ps->opts;
	int err;

	if (key >= OPT_KTHREADS && key - OPT_KTHREADS < OPT_SEEN_MAX)
		ps->seen[key - OPT_KTHREADS] = true;
	switch (key) {
	case 'p':
		err = parse_pid_list(arg, o);
		if (err == -E2BIG)
			usage_error(state, "too many pids (max %s)", "1024");
		else if (err)
			usage_error(state, "invalid pid '%s'", arg);
		break;
	case 't':
		if (parse_duration(arg, &o->threshold_ns))
			usage_error(state, "invalid threshold '%s'", arg);
		else if (o->threshold_ns < LT_MIN_THRESHOLD_NS)
			usage_error(state, "threshold '%s' below the minimum of 1ms", arg);
		break;
	case 'i':
		if (parse_duration(arg, &o->interval_ns))
			usage_error(state, "invalid interval '%s'", arg);
		else if (o->interval_ns < LT_MIN_INTERVAL_NS)
			usage_error(state, "interval '%s' below the minimum of 100ms", arg);
		break;
	case 'd':
		if (parse_duration(arg, &o->duration_ns))
			usage_error(state, "invalid duration '%s'", arg);
		break;
	case 'f':
		if (!sink_format_find(arg)) {
			fprintf(stderr, "leaktrace: invalid format '%s': use %s (try 'leaktrace --help')\n",
				arg, sink_format_names());
			ps->failed = 1;
		}
		o->format = arg;
		break;
	case OPT_EVENTS:
		o->events = true;
		break;
	case OPT_FOLDED_VALUE:
		if (!strcmp(arg, "seconds") || !strcmp(arg, "threads"))
			o->folded_seconds = !strcmp(arg, "seconds");
		else
			usage_error(state, "invalid --folded-value '%s': use threads or seconds", arg);
		break;
	case OPT_FOLDED_VERDICT:
		o->folded_verdict = true;
		break;
	case 'o':
		if (!*arg)
			usage_error(state, "empty output file name%s", "");
		o->output = arg;
		break;
	case OPT_PROMETHEUS: {
		struct sockaddr_storage ss;
		socklen_t len;

		if (prom_parse_listen(arg, &ss, &len))
			usage_error(state, "invalid --prometheus address '%s' (use [ADDR]:PORT)", arg);
		o->prometheus = arg;
		break;
	}
	case OPT_GO:
		o->go_mode = 1;
		break;
	case OPT_NO_GO:
		o->go_mode = -1;
		break;
	case OPT_NO_PYTHON:
		o->no_python = true;
		break;
	case OPT_CGROUP:
	case OPT_UNIT:
	case OPT_CONTAINER:
		if (o->cgroup || o->unit || o->container) {
			usage_error(state, "%s: give one of --cgroup, --unit and --container", arg);
			break;
		}
		*(key == OPT_CGROUP ? &o->cgroup : key == OPT_UNIT ? &o->unit : &o->container) = arg;
		break;
	case OPT_PROMETHEUS_PID:
		o->prometheus_pid = true;
		break;
	case OPT_SYSLOG:
		o->syslog = true;
		break;
	case OPT_NO_SANDBOX:
		o->no_sandbox = true;
		break;
	case OPT_MEMORY_BUDGET:
		if (parse_size(arg, &o->memory_budget) || o->memory_budget < MEMORY_BUDGET_MIN)
			usage_error(state, "invalid --memory-budget '%s' (16M or more: a number, K, M or G)", arg);
		break;
	case 'v':
		o->verbose = true;
		break;
	case OPT_KTHREADS:
		o->kernel_threads = true;
		break;
	case OPT_PRECISE:
		o->precise = true;
		break;
	case OPT_NO_STACKS:
		o->stacks_user = o->stacks_kernel = false;
		break;
	case OPT_USER_STACKS_ONLY:
		o->stacks_kernel = false;
		break;
	case OPT_KERNEL_STACKS_ONLY:
		o->stacks_user = false;
		break;
	case OPT_STACK_DEPTH:
		if (parse_int(arg, 1, 127, &o->stack_depth))
			usage_error(state, "invalid stack depth '%s' (1-127)", arg);
		break;
	case OPT_FAIL_ON_LEAK:
		o->fail_on_leak = true;
		break;
	case OPT_MIN_VERDICT: {
		enum verdict v;

		if (verdict_parse(arg, &v))
			usage_error(state, "invalid verdict '%s': use idle, stuck, leak or deadlock", arg);
		else
			o->min_verdict = v;
		break;
	}
	case OPT_LEAK_MIN_THREADS:
		count_option(state, "leak-min-threads", arg, 2, &o->leak_min_threads);
		break;
	case OPT_LEAK_MIN_ARRIVALS:
		count_option(state, "leak-min-arrivals", arg, 1, &o->leak_min_arrivals);
		break;
	case OPT_LEAK_MIN_PILE:
		count_option(state, "leak-min-pile", arg, 2, &o->leak_min_pile);
		break;
	case OPT_BASELINE:
		o->baseline = true;
		break;
	case OPT_STATE_DIR:
		o->state_dir = arg;
		break;
	case OPT_BASELINE_AFTER:
		if (parse_duration(arg, &o->baseline_after_ns))
			usage_error(state, "invalid --baseline-after '%s'", arg);
		o->baseline = true;
		break;
	case OPT_LEAK_MIN_SPAN: {
		uint64_t ns;

		if (parse_duration(arg, &ns))
			usage_error(state, "invalid --leak-min-span '%s'", arg);
		o->leak_min_span_s = ns / 1e9;
		break;
	}
	case 'h':
		/* argp_state_help() is silent under ARGP_NO_ERRS */
		argp_help(state->root_argp, stdout, ARGP_HELP_STD_HELP, "leaktrace");
		ps->done = true;
		break;
	case 'V':
		printf("%s\n", version_str);
		ps->done = true;
		break;
	case ARGP_KEY_ERROR:
		if (!ps->failed && state->next > 0 && state->next <= state->argc)
			usage_error(state, "invalid or incomplete option '%s'",
				    state->argv[state->next - 1]);
		break;
	case ARGP_KEY_ARG:
		usage_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static bool given(const struct parse_state *ps, int key)
{
	return ps->seen[key - OPT_KTHREADS];
}

static const char *long_name(int key)
{
	for (const struct argp_option *o = argp_opts; o->name; o++)
		if (o->key == key)
			return o->name;
	return "?";
}

/* Pairs of options that cannot mean anything together. */
static const struct {
	int a, b;
} conflicts[] = {
	{ OPT_GO, OPT_NO_GO },
	{ OPT_NO_STACKS, OPT_USER_STACKS_ONLY },
	{ OPT_NO_STACKS, OPT_KERNEL_STACKS_ONLY },
	{ OPT_NO_STACKS, OPT_STACK_DEPTH },
	{ OPT_USER_STACKS_ONLY, OPT_KERNEL_STACKS_ONLY },
	/* Python frames are a view of user stacks */
	{ OPT_NO_PYTHON, OPT_NO_STACKS },
	{ OPT_NO_PYTHON, OPT_KERNEL_STACKS_ONLY },
	/* the pile rule judges goroutines */
	{ OPT_LEAK_MIN_PILE, OPT_NO_GO },
};

/* Options that mean something only with another. */
static const struct {
	int key;
	const char *needs;	/* the -f value, or NULL: the option `with` */
	int with;
} requirements[] = {
	{ OPT_EVENTS, "json", 0 },
	{ OPT_FOLDED_VALUE, "folded", 0 },
	{ OPT_FOLDED_VERDICT, "folded", 0 },
	{ OPT_PROMETHEUS_PID, NULL, OPT_PROMETHEUS },
};

/* One line and LT_EXIT_USAGE for the first combination that means nothing. */
static int check_combinations(const struct parse_state *ps, const struct lt_options *o)
{
	for (size_t i = 0; i < sizeof(conflicts) / sizeof(conflicts[0]); i++) {
		if (given(ps, conflicts[i].a) && given(ps, conflicts[i].b)) {
			fprintf(stderr, "leaktrace: --%s and --%s cannot be used together\n",
				long_name(conflicts[i].a), long_name(conflicts[i].b));
			return LT_EXIT_USAGE;
		}
	}
	for (size_t i = 0; i < sizeof(requirements) / sizeof(requirements[0]); i++) {
		int key = requirements[i].key;
		const char *fmt = requirements[i].needs;

		if (!given(ps, key))
			continue;
		if (fmt && strcmp(o->format, fmt)) {
			fprintf(stderr, "leaktrace: --%s needs -f %s\n", long_name(key), fmt);
			return LT_EXIT_USAGE;
		}
		if (!fmt && !given(ps, requirements[i].with)) {
			fprintf(stderr, "leaktrace: --%s needs --%s\n", long_name(key),
				long_name(requirements[i].with));
			return LT_EXIT_USAGE;
		}
	}
	if (o->go_mode > 0 && !o->n_pids) {
		fprintf(stderr, "leaktrace: --go needs --pid (goroutines are traced per process)\n");
		return LT_EXIT_USAGE;
	}
	/* --baseline-after implies --baseline */
	if (o->state_dir && !o->baseline && !o->events && !o->syslog) {
		fprintf(stderr, "leaktrace: --state-dir needs --baseline, --events or --syslog "
			"(it keeps their state)\n");
		return LT_EXIT_USAGE;
	}
	return 0;
}

int options_parse(int argc, char **argv, struct lt_options *opts)
{
	static const struct argp argp = {
		.options = argp_opts,
		.parser = parse_arg,
		.doc = doc,
	};
	struct parse_state ps = { .opts = opts };
	int idx = 0;

	/* ARGP_NO_EXIT: we own exit codes; ARGP_NO_ERRS: one-line errors */
	if (argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_ERRS | ARGP_NO_HELP, &idx, &ps)) {
		if (!ps.failed)
			fprintf(stderr, "leaktrace: invalid arguments (try 'leaktrace --help')\n");
		ps.failed = 1;
	}
	if (ps.failed)
		return LT_EXIT_USAGE;
	if (ps.done)
		return -1;
	if (idx < argc) {
		fprintf(stderr, "leaktrace: unexpected argument '%s' (try 'leaktrace --help')\n", argv[idx]);
		return LT_EXIT_USAGE;
	}
	return check_combinations(&ps, opts);
}
