// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "run/options.h"
#include "util/log.h"
#include "util/parse_num.h"
#include "sinks/prom_exporter.h"
#include "model/report.h"
#include "sinks/output.h"
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
	opts->rows = TEXT_ROWS_DEFAULT;
	opts->min_verdict = 0;
}

static const char version_str[] = "leaktrace " LEAKTRACE_VERSION;

/* --help's text before and after the options; the options themselves come
 * from option_table below, as do the man page's SYNOPSIS and OPTIONS. */
static const char doc[] =
"Find threads that block forever: report threads parked longer than a threshold.\n"
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
"\v"
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
	OPT_PRECISE,
	OPT_CGROUP,
	OPT_UNIT,
	OPT_CONTAINER,
	OPT_PROMETHEUS_PID,
	OPT_MEMORY_BUDGET,
	OPT_HELP_MAN,
	OPT_ROWS,
	OPT_SUMMARY,
	OPT_FOLDED_VERDICT,
};

const struct option_group option_groups[OG_N] = {
	[OG_TARGET] = { "What to trace" },
	[OG_REPORT] = { "When to report" },
	[OG_OUTPUT] = { "Outputs" },
	[OG_VERDICT] = { "Verdicts" },
	[OG_COLLECT] = { "Stacks, runtimes and cost" },
	[OG_RUN] = { "Running" },
};

/* Stands for the formats of sinks/sinks.c in a row's text (option_text):
 * a new format needs no change here. */
#define FORMATS "{formats}"

/* Alternatives shown as one [a | b] in the synopsis. */
enum { ALT_NONE, ALT_SCOPE, ALT_GO, ALT_STACKS, ALT_INFO };

/* THE option table: a new option is one row here and its case in the
 * group's parser below; --help, the man page (tools/gen-man.sh) and the
 * check of README's table (tests/lint/test_docs.py) follow from it. */
const struct option_spec option_table[] = {
	{ "pid", 'p', "PID", OG_TARGET, 0,
	  "Trace only these processes (repeatable, comma-separated)",
	  "Trace only these processes (repeatable or comma-separated; a thread id means its "
	  "process). Without it, every process except kernel threads. A process is its pid and "
	  "its start time: when it exits and another process gets its pid, the new one is not "
	  "traced. When every process given has exited, leaktrace says so, writes a final report "
	  "and exits. A kernel thread's pid is refused (exit 3) unless --kernel-threads is given." },
	{ "cgroup", OPT_CGROUP, "PATH", OG_TARGET, ALT_SCOPE,
	  "Trace every process in this cgroup v2 subtree, present and future",
	  "Trace every process in this cgroup v2 subtree (PATH below the v2 root, or a path into "
	  "its mount), present and future: the filter runs in BPF on the cgroup id. With --pid, "
	  "both the pids and the subtree are traced. One of --cgroup, --unit and --container." },
	{ "unit", OPT_UNIT, "NAME", OG_TARGET, ALT_SCOPE,
	  "Trace the cgroup of this systemd unit (NAME or NAME.service)",
	  "The cgroup of this systemd unit (NAME.service when NAME has no suffix)." },
	{ "container", OPT_CONTAINER, "ID-PREFIX", OG_TARGET, ALT_SCOPE,
	  "Trace the cgroup of the container whose id starts with ID-PREFIX",
	  "The cgroup of the one container whose id starts with ID-PREFIX (docker, containerd, "
	  "CRI-O, podman; systemd or cgroupfs naming); a prefix matching two is a usage error." },
	{ "kernel-threads", OPT_KTHREADS, NULL, OG_TARGET, 0,
	  "Include kernel threads (system-wide mode); let --pid name one",
	  "Include kernel threads system-wide; with --pid, accept a kernel thread's pid (traced "
	  "until -d or a signal: kernel threads seldom exit)." },
	{ "threshold", 't', "DURATION", OG_REPORT, 0,
	  "Report threads parked at least this long (default 10s, at least 1ms)", NULL },
	{ "interval", 'i', "DURATION", OG_REPORT, 0,
	  "Report every DURATION (default 5s, at least 100ms)", NULL },
	{ "duration", 'd', "DURATION", OG_REPORT, 0,
	  "Stop after DURATION with a final report", NULL },
	{ "format", 'f', "FORMAT", OG_OUTPUT, 0,
	  "Output format: " FORMATS " (default text; pprof needs -o or a pipe)",
	  "One of " FORMATS ": aligned text (the default), JSON lines, folded stacks for flame "
	  "graphs, a gzipped pprof profile (needs -o or a pipe)." },
	{ "events", OPT_EVENTS, NULL, OG_OUTPUT, 0,
	  "With -f json: write new, changed and gone findings instead of every parked thread each "
	  "interval",
	  "With -f json only: write findings (new, changed, gone) and a heartbeat instead of every "
	  "parked thread each interval." },
	{ "folded-value", OPT_FOLDED_VALUE, "threads|seconds", OG_OUTPUT, 0,
	  "With -f folded: count parked threads (default) or their parked seconds",
	  "With -f folded only: a site's value is its parked threads (default) or their parked "
	  "seconds." },
	{ "folded-verdict", OPT_FOLDED_VERDICT, NULL, OG_OUTPUT, 0,
	  "With -f folded: each stack's root frame is its site's verdict (leak;comm;...)",
	  "With -f folded only: each stack starts with its site's verdict as its root frame "
	  "(leak;comm;...), so a flame graph splits by verdict." },
	{ "rows", OPT_ROWS, "N", OG_OUTPUT, 0,
	  "With -f text: thread rows (goroutine ids, connections) shown per site, the others counted (default 10, 0: all)",
	  "With -f text only: rows of threads, goroutines or connections shown under each site; "
	  "the others are counted in a '... N more' line (default 10, 0: all). JSON keeps every unit." },
	{ "summary", OPT_SUMMARY, NULL, OG_OUTPUT, 0,
	  "With -f text: print only the summary, one line per service",
	  "With -f text only: print the summary lines (one per service, with its sites by verdict) "
	  "and no sites." },
	{ "output", 'o', "FILE", OG_OUTPUT, 0,
	  "Write reports to FILE instead of stdout (reopened on SIGHUP)",
	  "Write reports to FILE instead of standard output: text and JSON append (SIGHUP reopens "
	  "it, so logrotate can rename the file and signal leaktrace), folded and pprof replace it "
	  "atomically after each report. A new file is created mode 0640. A symbolic link, "
	  "anything but a regular file, a file with more than one hard link, a file owned by a "
	  "user other than root (or leaktrace's own), a file or directory on a kernel filesystem "
	  "(procfs, sysfs, cgroupfs...) and anything under /proc, /sys or /dev is refused, for "
	  "every format: exit 2 at start, a message and the old file kept on SIGHUP. A file whose "
	  "last line was cut (a full disk) gets a newline first." },
	{ "prometheus", OPT_PROMETHEUS, "[ADDR]:PORT", OG_OUTPUT, 0,
	  "Serve metrics at http://ADDR:PORT/metrics (address default 127.0.0.1)",
	  "Serve metrics in the Prometheus text format at http://ADDR:PORT/metrics, and /healthz "
	  "(200 while reports come, 503 after 3 intervals and 30 s without one). Without an "
	  "address (:9464 or 9464) it listens on 127.0.0.1 only; [::1]:9464 listens on IPv6. "
	  "Other paths answer 404. A connection is closed 5 s after it was accepted, whatever it "
	  "sends; at most 256 at once, 32 from one address (past that, its oldest connection "
	  "without a request is closed). The metrics are listed under METRICS." },
	{ "prometheus-pid", OPT_PROMETHEUS_PID, NULL, OG_OUTPUT, 0,
	  "Add a pid label to the per-process series (new series at every restart)",
	  "With --prometheus only: add a pid label to the per-service series. Without it a series "
	  "is named by comm, unit, container_id and pod_uid and survives restarts of its service." },
	{ "syslog", OPT_SYSLOG, NULL, OG_OUTPUT, 0,
	  "Log new, changed and gone findings to syslog",
	  "Log one line per finding to syslog (facility daemon, ident leaktrace) when it first "
	  "appears, when its verdict or its site's thread count changes, and when it is gone "
	  "(see SYSLOG)." },
	{ "fail-on-leak", OPT_FAIL_ON_LEAK, NULL, OG_VERDICT, 0,
	  "Exit 10 if a leak or deadlock verdict was reported", NULL },
	{ "min-verdict", OPT_MIN_VERDICT, "VERDICT", OG_VERDICT, 0,
	  "Report only idle|stuck|leak|deadlock and worse (default idle: all)",
	  "Report only threads, goroutines and sites judged VERDICT or worse (idle < stuck < leak "
	  "< deadlock; default idle: all); summaries stay." },
	{ "leak-min-threads", OPT_LEAK_MIN_THREADS, "N", OG_VERDICT, 0,
	  "Threads a spread-out site needs to be a leak (default 3)", NULL },
	{ "leak-min-span", OPT_LEAK_MIN_SPAN, "DURATION", OG_VERDICT, 0,
	  "Spread of park times that makes such a site a leak (default 1s)", NULL },
	{ "leak-min-arrivals", OPT_LEAK_MIN_ARRIVALS, "N", OG_VERDICT, 0,
	  "Arrivals while observed that make a site a leak (default 2)", NULL },
	{ "leak-min-pile", OPT_LEAK_MIN_PILE, "N", OG_VERDICT, 0,
	  "Goroutines on private objects, none leaving, that make a leak on first sight "
	  "(default 10)",
	  "Goroutines on private objects, none leaving, that make a leak on first sight (default "
	  "10; the pile rule judges goroutines: not with --no-go)." },
	{ "baseline", OPT_BASELINE, NULL, OG_VERDICT, 0,
	  "Judge against each service's normal: a stuck site present since the service's first "
	  "report, not grown, is idle",
	  "Judge against each service's normal: the sites a service's processes show at their "
	  "first report form its baseline, kept per service and executable across restarts; a "
	  "stuck site of the baseline that did not grow is reported idle. Leaks and deadlocks are "
	  "never hidden." },
	{ "baseline-after", OPT_BASELINE_AFTER, "DURATION", OG_VERDICT, 0,
	  "With --baseline: a process forms its service's baseline once this old (default 0: at "
	  "its first report)",
	  "A process forms its service's baseline once at least DURATION old (default 0: at its "
	  "first report); implies --baseline." },
	{ "state-dir", OPT_STATE_DIR, "DIR", OG_VERDICT, 0,
	  "Keep the baselines (--baseline) and the findings of --events and --syslog in DIR "
	  "across restarts (the unit's StateDirectory=)",
	  "With --baseline, --events or --syslog: keep the baselines and the findings already "
	  "announced in DIR across restarts of leaktrace (written atomically; a foreign, corrupt "
	  "or other boot's file is ignored with a warning). DIR must not be writable by group or "
	  "others." },
	{ "no-stacks", OPT_NO_STACKS, NULL, OG_COLLECT, ALT_STACKS,
	  "Do not capture stacks",
	  "Do not capture stacks (sites are grouped by wait). Default: user and kernel stacks. "
	  "One of --no-stacks, --user-stacks-only and --kernel-stacks-only." },
	{ "user-stacks-only", OPT_USER_STACKS_ONLY, NULL, OG_COLLECT, ALT_STACKS,
	  "Capture user stacks only", NULL },
	{ "kernel-stacks-only", OPT_KERNEL_STACKS_ONLY, NULL, OG_COLLECT, ALT_STACKS,
	  "Capture kernel stacks only", NULL },
	{ "stack-depth", OPT_STACK_DEPTH, "N", OG_COLLECT, 0,
	  "Maximum frames per stack (default 32, max 127)",
	  "Maximum frames per stack (default 32, max 127); not with --no-stacks." },
	{ "go", OPT_GO, NULL, OG_COLLECT, ALT_GO,
	  "Trace goroutines of the --pid processes (default: when they are Go programs)",
	  "Goroutine tracing is on for Go programs by default (detected from the executable), "
	  "with --pid or system-wide; --go (with --pid) makes a failure to attach an error." },
	{ "no-go", OPT_NO_GO, NULL, OG_COLLECT, ALT_GO,
	  "Do not trace goroutines",
	  "Do not trace goroutines (not with --go or --leak-min-pile)." },
	{ "no-python", OPT_NO_PYTHON, NULL, OG_COLLECT, 0,
	  "Keep the interpreter's native frames instead of Python frames in user stacks",
	  "Keep the interpreter's native frames instead of Python frames in user stacks (not with "
	  "--no-stacks or --kernel-stacks-only)." },
	{ "precise", OPT_PRECISE, NULL, OG_COLLECT, 0,
	  "Exact park times and wake-up counts from programs on every context switch (costs ~2 "
	  "BPF runs per switch)",
	  "Exact park times and wake-up counts from programs on sched_switch and sched_wakeup, at "
	  "a cost on every context switch (about 3 BPF runs per pipe round trip). The default "
	  "mode puts nothing on the context-switch path." },
	{ "memory-budget", OPT_MEMORY_BUDGET, "SIZE", OG_COLLECT, 0,
	  "Bytes the per-process caches (unwinder, symbols, perf maps, Go symbol files) may hold, "
	  "least recently used evicted: 256M, 1G (default 60% of the cgroup's memory limit, else "
	  "256M)",
	  "Bytes the per-process caches (unwinder state, symbol tables, perf maps, Go symbol "
	  "files) may hold; the least recently used entries are evicted beyond it and rebuilt when "
	  "needed. Decimal with K, M or G (binary multiples), at least 16M. Default: 60% of the "
	  "memory limit of leaktrace's cgroup, 256M without one. A process's entries are freed "
	  "when it exits." },
	{ "no-sandbox", OPT_NO_SANDBOX, NULL, OG_RUN, 0,
	  "Keep every capability and no seccomp filter after start-up (debugging)",
	  "Keep every capability and install no seccomp filter after start-up (for debugging). By "
	  "default leaktrace keeps only the capabilities its reports need, sets no_new_privs and "
	  "allows only the system calls of its steady state; any other call kills it with a "
	  "message naming the call." },
	{ "verbose", 'v', NULL, OG_RUN, 0,
	  "Verbose debug output, including libbpf's log",
	  "Diagnostics, including libbpf's log and the BPF verifier's." },
	{ "help", 'h', NULL, OG_RUN, ALT_INFO, "Show this help",
	  "Print the options and exit 0." },
	{ "version", 'V', NULL, OG_RUN, ALT_INFO, "Print the version", "Print the version and exit 0." },
	/* the man page's SYNOPSIS and OPTIONS from this table (tools/gen-man.sh) */
	{ "help-man", OPT_HELP_MAN, NULL, OG_RUN, 0, NULL, NULL },
};

const size_t option_table_len = sizeof(option_table) / sizeof(option_table[0]);

const struct option_spec *option_find(int key)
{
	for (size_t i = 0; i < option_table_len; i++)
		if (option_table[i].key == key)
			return &option_table[i];
	return NULL;
}

const char *option_text(const char *text)
{
	static char out[2][512];
	static int which;
	const char *at = text ? strstr(text, FORMATS) : NULL;
	char *buf;

	if (!at)
		return text;
	buf = out[which++ % 2];
	snprintf(buf, sizeof(out[0]), "%.*s%s%s", (int)(at - text), text, sink_format_names(),
		 at + strlen(FORMATS));
	return buf;
}

/* argp's table, built from option_table: a title entry per group, then its rows. */
static const struct argp_option *argp_options(void)
{
	static struct argp_option out[sizeof(option_table) / sizeof(option_table[0]) + OG_N + 1];
	size_t n = 0;

	if (out[0].name || out[0].doc)
		return out;
	for (int g = 1; g < OG_N; g++) {
		out[n++] = (struct argp_option){ .doc = option_groups[g].title, .group = g };
		for (size_t i = 0; i < option_table_len; i++) {
			const struct option_spec *s = &option_table[i];
			const char *help;

			if ((int)s->group != g)
				continue;
			help = option_text(s->help);

			/* argp keeps the text: a filled one gets its own copy, made once */
			if (help != s->help)
				help = strdup(help);
			out[n++] = (struct argp_option){
				.name = s->name, .key = s->key, .arg = s->arg, .doc = help,
				.flags = s->help ? 0 : OPTION_HIDDEN, .group = g,
			};
		}
	}
	return out;
}

static void usage_error(struct argp_state *state, const char *fmt, const char *arg)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg);
	lt_err(NULL, "%s (try 'leaktrace --help')", msg);
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
		lt_err(NULL, "invalid --%s '%s' (%d-1000000) (try 'leaktrace --help')",
			name, arg, lo);
		*(int *)state->input = 1;
		return;
	}
	*out = v;
}

/* One parser per group of option_table: each sets the options of its group
 * and says false for a key that is none of them. */

static bool parse_target(struct argp_state *state, int key, char *arg)
{
	struct lt_options *o = ((struct parse_state *)state->input)->opts;
	int err;

	switch (key) {
	case 'p':
		err = parse_pid_list(arg, o);
		if (err == -E2BIG)
			usage_error(state, "too many pids (max %s)", "1024");
		else if (err)
			usage_error(state, "invalid pid '%s'", arg);
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
	case OPT_KTHREADS:
		o->kernel_threads = true;
		break;
	default:
		return false;
	}
	return true;
}

static bool parse_report(struct argp_state *state, int key, char *arg)
{
	struct lt_options *o = ((struct parse_state *)state->input)->opts;

	switch (key) {
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
	default:
		return false;
	}
	return true;
}

static bool parse_output(struct argp_state *state, int key, char *arg)
{
	struct parse_state *ps = state->input;
	struct lt_options *o = ps->opts;
	struct sockaddr_storage ss;
	socklen_t len;

	switch (key) {
	case 'f':
		if (!sink_format_find(arg)) {
			lt_err(NULL, "invalid format '%s': use %s (try 'leaktrace --help')",
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
	case OPT_ROWS:
		count_option(state, "rows", arg, 0, &o->rows);
		break;
	case OPT_FOLDED_VERDICT:
		o->folded_verdict = true;
		break;
	case OPT_SUMMARY:
		o->summary_only = true;
		break;
	case 'o':
		if (!*arg)
			usage_error(state, "empty output file name%s", "");
		o->output = arg;
		break;
	case OPT_PROMETHEUS:
		if (prom_parse_listen(arg, &ss, &len))
			usage_error(state, "invalid --prometheus address '%s' (use [ADDR]:PORT)", arg);
		o->prometheus = arg;
		break;
	case OPT_PROMETHEUS_PID:
		o->prometheus_pid = true;
		break;
	case OPT_SYSLOG:
		o->syslog = true;
		break;
	default:
		return false;
	}
	return true;
}

static bool parse_verdict(struct argp_state *state, int key, char *arg)
{
	struct lt_options *o = ((struct parse_state *)state->input)->opts;
	enum verdict v;
	uint64_t ns;

	switch (key) {
	case OPT_FAIL_ON_LEAK:
		o->fail_on_leak = true;
		break;
	case OPT_MIN_VERDICT:
		if (verdict_parse(arg, &v))
			usage_error(state, "invalid verdict '%s': use idle, stuck, leak or deadlock", arg);
		else
			o->min_verdict = v;
		break;
	case OPT_LEAK_MIN_THREADS:
		count_option(state, "leak-min-threads", arg, 2, &o->leak_min_threads);
		break;
	case OPT_LEAK_MIN_ARRIVALS:
		count_option(state, "leak-min-arrivals", arg, 1, &o->leak_min_arrivals);
		break;
	case OPT_LEAK_MIN_PILE:
		count_option(state, "leak-min-pile", arg, 2, &o->leak_min_pile);
		break;
	case OPT_LEAK_MIN_SPAN:
		if (parse_duration(arg, &ns))
			usage_error(state, "invalid --leak-min-span '%s'", arg);
		o->leak_min_span_s = ns / 1e9;
		break;
	case OPT_BASELINE:
		o->baseline = true;
		break;
	case OPT_BASELINE_AFTER:
		if (parse_duration(arg, &o->baseline_after_ns))
			usage_error(state, "invalid --baseline-after '%s'", arg);
		o->baseline = true;
		break;
	case OPT_STATE_DIR:
		o->state_dir = arg;
		break;
	default:
		return false;
	}
	return true;
}

static bool parse_collect(struct argp_state *state, int key, char *arg)
{
	struct lt_options *o = ((struct parse_state *)state->input)->opts;

	switch (key) {
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
	case OPT_GO:
		o->go_mode = 1;
		break;
	case OPT_NO_GO:
		o->go_mode = -1;
		break;
	case OPT_NO_PYTHON:
		o->no_python = true;
		break;
	case OPT_PRECISE:
		o->precise = true;
		break;
	case OPT_MEMORY_BUDGET:
		if (parse_size(arg, &o->memory_budget) || o->memory_budget < MEMORY_BUDGET_MIN)
			usage_error(state, "invalid --memory-budget '%s' (16M or more: a number, K, M or G)", arg);
		break;
	default:
		return false;
	}
	return true;
}

static bool parse_run(struct argp_state *state, int key, char *arg)
{
	struct parse_state *ps = state->input;

	(void)arg;
	switch (key) {
	case OPT_NO_SANDBOX:
		ps->opts->no_sandbox = true;
		break;
	case 'v':
		ps->opts->verbose = true;
		break;
	case 'h':
		/* argp_state_help() is silent under ARGP_NO_ERRS */
		argp_help(state->root_argp, stdout, ARGP_HELP_STD_HELP, "leaktrace");
		ps->done = true;
		break;
	case 'V':
		printf("%s\n", version_str);
		ps->done = true;
		break;
	case OPT_HELP_MAN:
		options_write_man(stdout);
		ps->done = true;
		break;
	default:
		return false;
	}
	return true;
}

/* Each sets the options of its group; false: key is none of them. */
static bool (*const group_parsers[OG_N])(struct argp_state *, int, char *) = {
	[OG_TARGET] = parse_target, [OG_REPORT] = parse_report, [OG_OUTPUT] = parse_output,
	[OG_VERDICT] = parse_verdict, [OG_COLLECT] = parse_collect, [OG_RUN] = parse_run,
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct parse_state *ps = state->input;
	const struct option_spec *spec = option_find(key);

	if (spec) {
		if (key >= OPT_KTHREADS && key - OPT_KTHREADS < OPT_SEEN_MAX)
			ps->seen[key - OPT_KTHREADS] = true;
		if (!group_parsers[spec->group](state, key, arg)) {
			/* a row of option_table without its case */
			lt_err(NULL, "--%s: no parser for this option", spec->name);
			ps->failed = 1;
		}
		return 0;
	}
	switch (key) {
	case ARGP_KEY_ERROR:
		if (!ps->failed && state->next > 0 && state->next <= state->argc)
			usage_error(state, "invalid or incomplete option '%s'",
				    state->argv[state->next - 1]);
		return 0;
	case ARGP_KEY_ARG:
		usage_error(state, "unexpected argument '%s'", arg);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static bool given(const struct parse_state *ps, int key)
{
	return ps->seen[key - OPT_KTHREADS];
}

static const char *long_name(int key)
{
	const struct option_spec *s = option_find(key);

	return s ? s->name : "?";
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
	{ OPT_ROWS, "text", 0 },
	{ OPT_FOLDED_VERDICT, "folded", 0 },
	{ OPT_SUMMARY, "text", 0 },
	{ OPT_PROMETHEUS_PID, NULL, OPT_PROMETHEUS },
};

/* One line and LT_EXIT_USAGE for the first combination that means nothing. */
static int check_combinations(const struct parse_state *ps, const struct lt_options *o)
{
	for (size_t i = 0; i < sizeof(conflicts) / sizeof(conflicts[0]); i++) {
		if (given(ps, conflicts[i].a) && given(ps, conflicts[i].b)) {
			lt_err(NULL, "--%s and --%s cannot be used together",
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
			lt_err(NULL, "--%s needs -f %s", long_name(key), fmt);
			return LT_EXIT_USAGE;
		}
		if (!fmt && !given(ps, requirements[i].with)) {
			lt_err(NULL, "--%s needs --%s", long_name(key),
				long_name(requirements[i].with));
			return LT_EXIT_USAGE;
		}
	}
	if (o->go_mode > 0 && !o->n_pids) {
		lt_err(NULL, "--go needs --pid (goroutines are traced per process)");
		return LT_EXIT_USAGE;
	}
	/* --baseline-after implies --baseline */
	if (o->state_dir && !o->baseline && !o->events && !o->syslog) {
		lt_err(NULL, "--state-dir needs --baseline, --events or --syslog "
			"(it keeps their state)");
		return LT_EXIT_USAGE;
	}
	return 0;
}

int options_parse(int argc, char **argv, struct lt_options *opts)
{
	const struct argp argp = {
		.options = argp_options(),
		.parser = parse_arg,
		.doc = doc,
	};
	struct parse_state ps = { .opts = opts };
	int idx = 0;

	/* ARGP_NO_EXIT: we own exit codes; ARGP_NO_ERRS: one-line errors */
	if (argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_ERRS | ARGP_NO_HELP, &idx, &ps)) {
		if (!ps.failed)
			lt_err(NULL, "invalid arguments (try 'leaktrace --help')");
		ps.failed = 1;
	}
	if (ps.failed)
		return LT_EXIT_USAGE;
	if (ps.done)
		return -1;
	if (idx < argc) {
		lt_err(NULL, "unexpected argument '%s' (try 'leaktrace --help')", argv[idx]);
		return LT_EXIT_USAGE;
	}
	return check_combinations(&ps, opts);
}
