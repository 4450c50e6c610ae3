// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the pure userspace logic: parsing, escaping, wait
 * classification, report aggregation and formatting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sinks/escape.h"
#include "run/options.h"
#include "sinks/output.h"
#include "collect/procfs/procfs.h"
#include "collect/threads/privileges.h"
#include "model/frame.h"
#include "model/report.h"
#include "collect/stacks/stack_capture.h"
#include "model/wait.h"

static void test_parse_duration_ok(void **state)
{
	static const struct {
		const char *in;
		uint64_t ns;
	} cases[] = {
		{ "500ms", 500000000ULL }, { "2s", 2000000000ULL }, { "1m", 60000000000ULL },
		{ "1h", 3600000000000ULL }, { "10", 10000000000ULL }, { "1.5s", 1500000000ULL },
		{ "250us", 250000ULL }, { "100ns", 100ULL }, { "1d", 86400000000000ULL },
		{ "2min", 120000000000ULL }, { "0.5s", 500000000ULL }, { "1.5m", 90000000000ULL },
		{ "0.25", 250000000ULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t ns = 0;

		assert_int_equal(parse_duration(cases[i].in, &ns), 0);
		assert_int_equal(ns, cases[i].ns);
	}
}

static void test_parse_duration_bad(void **state)
{
	static const char *const bad[] = {
		"", "s", "-1s", "0", "0s", "abc", "10x", "1e400", "nan", "inf", "1 s", " 1s",
		"5ss", "+3s", "1000d", "0.1ns",
		/* decimal only: no hex, octal-looking, exponent, blank or bare dot */
		"0x10", "0x1p3s", "010", "010s", "1e3", "1e3s", "5 ", "5s ", "\t5", ".5s", "5.s", "1..5s",
	};
	uint64_t ns = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_duration(bad[i], &ns), -EINVAL);
	assert_int_equal(parse_duration(NULL, &ns), -EINVAL);
	assert_int_equal(ns, 42);
}

static void test_parse_pid_list(void **state)
{
	struct lt_options o;

	options_defaults(&o);
	assert_int_equal(parse_pid_list("12", &o), 0);
	assert_int_equal(parse_pid_list("3,4,5", &o), 0);
	assert_int_equal(o.n_pids, 4);
	assert_int_equal(o.pids[0], 12);
	assert_int_equal(o.pids[3], 5);
	assert_int_equal(parse_pid_list("", &o), -EINVAL);
	assert_int_equal(parse_pid_list("1,", &o), -EINVAL);
	assert_int_equal(parse_pid_list(",1", &o), -EINVAL);
	assert_int_equal(parse_pid_list("-1", &o), -EINVAL);
	assert_int_equal(parse_pid_list("0", &o), -EINVAL);
	assert_int_equal(parse_pid_list("12a", &o), -EINVAL);
	assert_int_equal(parse_pid_list("99999999999", &o), -EINVAL);
	assert_int_equal(parse_pid_list("010", &o), -EINVAL);
	assert_int_equal(parse_pid_list("0x10", &o), -EINVAL);
	assert_int_equal(parse_pid_list("+5", &o), -EINVAL);
	assert_int_equal(parse_pid_list(" 5", &o), -EINVAL);
	assert_int_equal(parse_pid_list("5 ", &o), -EINVAL);
	assert_int_equal(parse_pid_list("1e3", &o), -EINVAL);
	assert_int_equal(parse_pid_list("3, 4", &o), -EINVAL);
	o.n_pids = LT_MAX_PIDS;
	assert_int_equal(parse_pid_list("7", &o), -E2BIG);
}

static void test_options_parse(void **state)
{
	char *ok[] = { "leaktrace", "-p", "1,2", "--pid", "3", "-t", "500ms", "-i", "2s",
		       "-d", "1m", "-f", "json", "-o", "/tmp/x", "--no-stacks", NULL };
	char *bad_fmt[] = { "leaktrace", "-f", "xml", NULL };
	char *bad_thr[] = { "leaktrace", "--threshold", "10q", NULL };
	char *bad_opt[] = { "leaktrace", "--bogus", NULL };
	char *extra[] = { "leaktrace", "stray", NULL };
	struct lt_options o;

	options_defaults(&o);
	assert_int_equal(options_parse(16, ok, &o), 0);
	assert_int_equal(o.n_pids, 3);
	assert_int_equal(o.threshold_ns, 500000000ULL);
	assert_int_equal(o.interval_ns, 2000000000ULL);
	assert_int_equal(o.duration_ns, 60000000000ULL);
	assert_string_equal(o.format, "json");
	assert_string_equal(o.output, "/tmp/x");
	assert_false(o.stacks_user);
	options_defaults(&o);
	assert_int_equal(options_parse(3, bad_fmt, &o), LT_EXIT_USAGE);
	options_defaults(&o);
	assert_int_equal(options_parse(3, bad_thr, &o), LT_EXIT_USAGE);
	options_defaults(&o);
	assert_int_equal(options_parse(2, bad_opt, &o), LT_EXIT_USAGE);
	options_defaults(&o);
	assert_int_equal(options_parse(2, extra, &o), LT_EXIT_USAGE);
}

static void test_parse_uint(void **state)
{
	static const char *const bad[] = {
		"", "0x10", "010", "00", "1e3", "+5", "-5", " 5", "5 ", "5\n", "1.0", "18446744073709551616",
	};
	uint64_t v = 42;

	assert_int_equal(parse_uint("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_uint("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(parse_uint("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_uint("11", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_uint("1", 2, 10, &v), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_uint(bad[i], 0, UINT64_MAX, &v), -EINVAL);
	assert_true(v == UINT64_MAX);
}

/* options_parse on argv (after "leaktrace"): its exit code, and its
 * stderr in err. */
static int parse_capturing(const char *const *args, char *err, size_t errlen)
{
	char *argv[16] = { "leaktrace" };
	struct lt_options o;
	int argc = 1, saved, code;
	FILE *tmp = tmpfile();
	size_t n;

	assert_non_null(tmp);
	for (; args[argc - 1]; argc++)
		argv[argc] = (char *)args[argc - 1];
	options_defaults(&o);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fileno(tmp), STDERR_FILENO);
	code = options_parse(argc, argv, &o);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(err, 1, errlen - 1, tmp);
	err[n] = '\0';
	fclose(tmp);
	return code;
}

/* Every command line that cannot mean anything: refused with exit 2 and
 * one line saying why (README "Usage"). */
static void test_options_refused(void **state)
{
	static const struct {
		const char *args[8];
		const char *msg;	/* the start of the one line */
	} cases[] = {
		/* intervals and thresholds below their floors */
		{ { "-i", "1ns" }, "leaktrace: interval '1ns' below the minimum of 100ms" },
		{ { "-i", "99ms" }, "leaktrace: interval '99ms' below the minimum of 100ms" },
		{ { "-i", "0.09" }, "leaktrace: interval '0.09' below the minimum of 100ms" },
		{ { "-t", "999us" }, "leaktrace: threshold '999us' below the minimum of 1ms" },
		/* numbers in decimal only */
		{ { "-t", "0x10" }, "leaktrace: invalid threshold '0x10'" },
		{ { "-t", "010" }, "leaktrace: invalid threshold '010'" },
		{ { "-t", "1e3" }, "leaktrace: invalid threshold '1e3'" },
		{ { "-t", "+5" }, "leaktrace: invalid threshold '+5'" },
		{ { "-t", " 5" }, "leaktrace: invalid threshold ' 5'" },
		{ { "-t", "5 " }, "leaktrace: invalid threshold '5 '" },
		{ { "-i", "0x1p3" }, "leaktrace: invalid interval '0x1p3'" },
		{ { "-d", "1e1s" }, "leaktrace: invalid duration '1e1s'" },
		{ { "-p", "0x10" }, "leaktrace: invalid pid '0x10'" },
		{ { "-p", "010" }, "leaktrace: invalid pid '010'" },
		{ { "-p", "+5" }, "leaktrace: invalid pid '+5'" },
		{ { "-p", " 5" }, "leaktrace: invalid pid ' 5'" },
		{ { "-p", "5 " }, "leaktrace: invalid pid '5 '" },
		{ { "--stack-depth", "010" }, "leaktrace: invalid stack depth '010'" },
		{ { "--stack-depth", "+5" }, "leaktrace: invalid stack depth '+5'" },
		{ { "--stack-depth", " 5" }, "leaktrace: invalid stack depth ' 5'" },
		{ { "--stack-depth", "0x10" }, "leaktrace: invalid stack depth '0x10'" },
		{ { "--leak-min-threads", "1e3" }, "leaktrace: invalid --leak-min-threads '1e3'" },
		{ { "--leak-min-arrivals", "5 " }, "leaktrace: invalid --leak-min-arrivals '5 '" },
		{ { "--leak-min-pile", "010" }, "leaktrace: invalid --leak-min-pile '010'" },
		{ { "--leak-min-span", "0x1" }, "leaktrace: invalid --leak-min-span '0x1'" },
		{ { "--baseline-after", "+1s" }, "leaktrace: invalid --baseline-after '+1s'" },
		{ { "--prometheus", ":0x50" }, "leaktrace: invalid --prometheus address ':0x50'" },
		{ { "--prometheus", ":080" }, "leaktrace: invalid --prometheus address ':080'" },
		{ { "--prometheus", "127.0.0.1:+80" }, "leaktrace: invalid --prometheus address" },
		/* options that cannot be used together */
		{ { "-p", "1", "--go", "--no-go" }, "leaktrace: --go and --no-go cannot be used together" },
		{ { "--no-go", "-p", "1", "--go" }, "leaktrace: --go and --no-go cannot be used together" },
		{ { "--no-stacks", "--user-stacks-only" },
		  "leaktrace: --no-stacks and --user-stacks-only cannot be used together" },
		{ { "--kernel-stacks-only", "--no-stacks" },
		  "leaktrace: --no-stacks and --kernel-stacks-only cannot be used together" },
		{ { "--no-stacks", "--stack-depth", "8" },
		  "leaktrace: --no-stacks and --stack-depth cannot be used together" },
		{ { "--user-stacks-only", "--kernel-stacks-only" },
		  "leaktrace: --user-stacks-only and --kernel-stacks-only cannot be used together" },
		{ { "--no-python", "--no-stacks" },
		  "leaktrace: --no-python and --no-stacks cannot be used together" },
		{ { "--no-python", "--kernel-stacks-only" },
		  "leaktrace: --no-python and --kernel-stacks-only cannot be used together" },
		{ { "--leak-min-pile", "5", "--no-go" },
		  "leaktrace: --leak-min-pile and --no-go cannot be used together" },
		/* options that mean something only with another */
		{ { "--events" }, "leaktrace: --events needs -f json" },
		{ { "--events", "-f", "text" }, "leaktrace: --events needs -f json" },
		{ { "--folded-value", "seconds" }, "leaktrace: --folded-value needs -f folded" },
		{ { "--folded-value", "threads", "-f", "json" }, "leaktrace: --folded-value needs -f folded" },
		{ { "--prometheus-pid" }, "leaktrace: --prometheus-pid needs --prometheus" },
		{ { "--state-dir", "/tmp" }, "leaktrace: --state-dir needs --baseline, --events or --syslog" },
		{ { "--memory-budget", "0x10M" }, "leaktrace: invalid --memory-budget" },
		{ { "--memory-budget", "8M" }, "leaktrace: invalid --memory-budget" },
		{ { "--go" }, "leaktrace: --go needs --pid" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int code = parse_capturing(cases[i].args, err, sizeof(err));
		const char *nl = strchr(err, '\n');

		if (code != LT_EXIT_USAGE || strncmp(err, cases[i].msg, strlen(cases[i].msg)) ||
		    !nl || nl[1])
			fail_msg("case %zu (%s %s ...): exit %d, stderr '%s', want exit 2 and one line "
				 "'%s...'", i, cases[i].args[0], cases[i].args[1] ? cases[i].args[1] : "",
				 code, err, cases[i].msg);
	}
}

/* What stays accepted next to them. */
static void test_options_accepted(void **state)
{
	static const char *const ok[][8] = {
		{ "-i", "100ms" }, { "-i", "0.1" }, { "-t", "1ms" }, { "-t", "1.5m" }, { "-d", "1ns" },
		{ "-p", "1", "--go" }, { "--no-go" }, { "--user-stacks-only", "--stack-depth", "8" },
		{ "-f", "json", "--events" }, { "-f", "folded", "--folded-value", "seconds" },
		{ "--prometheus", ":9464", "--prometheus-pid" }, { "--no-python", "--user-stacks-only" },
		{ "--leak-min-pile", "5" }, { "--prometheus", "127.0.0.1:8080" },
		{ "--baseline-after", "5m", "--state-dir", "/tmp" }, { "--syslog", "--state-dir", "/tmp" },
		{ "--memory-budget", "64M" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int code = parse_capturing(ok[i], err, sizeof(err));

		if (code != 0 || err[0])
			fail_msg("case %zu (%s ...): exit %d, stderr '%s'", i, ok[i][0], code, err);
	}
}

/* Write with json_write_string into a memory buffer. */
static char *json_of(const char *s, size_t len)
{
	static char buf[512];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	json_write_string(f, s, len);
	fclose(f);
	return buf;
}

static void test_json_escape(void **state)
{
	assert_string_equal(json_of("plain", 16), "\"plain\"");
	assert_string_equal(json_of("a\"b\\c", 16), "\"a\\\"b\\\\c\"");
	assert_string_equal(json_of("x\ny\r\tz", 16), "\"x\\ny\\r\\tz\"");
	assert_string_equal(json_of("\x01\x1f\x7f", 16), "\"\\u0001\\u001f\\u007f\"");
	/* valid UTF-8 passes through, invalid bytes are escaped */
	assert_string_equal(json_of("caf\xc3\xa9", 16), "\"caf\xc3\xa9\"");
	assert_string_equal(json_of("\xff\xc3", 16), "\"\\u00ff\\u00c3\"");
	assert_string_equal(json_of("\xed\xa0\x80", 16), "\"\\u00ed\\u00a0\\u0080\"");
	/* a hostile thread name cannot close the record or inject a key */
	assert_string_equal(json_of("\"}\n{\"type\":", 16), "\"\\\"}\\n{\\\"type\\\":\"");
	/* a comm without NUL is cut at its length */
	assert_string_equal(json_of("0123456789abcdefXYZ", 16), "\"0123456789abcdef\"");
}

static void test_text_escape(void **state)
{
	char out[64];

	text_escape(out, sizeof(out), "ok-name", 16);
	assert_string_equal(out, "ok-name");
	text_escape(out, sizeof(out), "a\nb\\\xff", 16);
	assert_string_equal(out, "a\\x0ab\\\\\\xff");
	text_escape(out, 4, "abcdef", 16);
	assert_string_equal(out, "abc");
	text_escape(out, 4, "\n\n", 16);
	assert_string_equal(out, "");
}

static void test_wait_futex(void **state)
{
	uint64_t args[6] = { 0x7f0000001000, 0 | 128, 0, 0, 0, 0 };
	struct wait_info w;

	wait_classify(202, args, &w);
	assert_int_equal(w.kind, WAIT_FUTEX);
	assert_int_equal(w.futex_addr, 0x7f0000001000);
	assert_string_equal(wait_futex_op_name(&w), "FUTEX_WAIT_PRIVATE");
	assert_int_equal(w.timeout, TIMEOUT_NONE);
	args[1] = 9 | 128 | 256;	/* WAIT_BITSET, private, realtime clock */
	args[3] = 0x7ffc0000;
	wait_classify(202, args, &w);
	assert_string_equal(wait_futex_op_name(&w), "FUTEX_WAIT_BITSET_PRIVATE");
	assert_int_equal(w.timeout, TIMEOUT_SET);
	args[1] = 1;	/* WAKE: no timeout semantics */
	wait_classify(202, args, &w);
	assert_int_equal(w.timeout, TIMEOUT_UNKNOWN);
	args[1] = 99;
	wait_classify(202, args, &w);
	assert_string_equal(wait_futex_op_name(&w), "FUTEX_UNKNOWN");
}

static void test_wait_syscalls(void **state)
{
	uint64_t args[6] = { 0 };
	struct wait_info w;

	wait_classify(-1, args, &w);
	assert_int_equal(w.kind, WAIT_KERNEL);
	wait_classify(0, args, &w);
	assert_int_equal(w.kind, WAIT_SYSCALL);
	assert_string_equal(wait_syscall_name(w.syscall_nr), "read");
	assert_int_equal(w.timeout, TIMEOUT_NONE);
	args[3] = (uint64_t)-1;	/* epoll_wait(..., -1) */
	wait_classify(232, args, &w);
	assert_true(wait_has(&w, WAIT_F_EVENT_LOOP));
	assert_int_equal(w.timeout, TIMEOUT_NONE);
	args[3] = 1000;
	wait_classify(232, args, &w);
	assert_int_equal(w.timeout, TIMEOUT_SET);
	args[2] = 0xffffffff;	/* poll(..., -1) as a 32-bit int */
	wait_classify(7, args, &w);
	assert_int_equal(w.timeout, TIMEOUT_NONE);
	wait_classify(230, args, &w);
	assert_int_equal(w.timeout, TIMEOUT_SET);
	wait_classify(100000, args, &w);
	assert_null(wait_syscall_name(w.syscall_nr));
	assert_int_equal(w.timeout, TIMEOUT_UNKNOWN);
}

static struct lt_thread_rec thread_rec(uint32_t tgid, uint32_t tid, uint32_t state, uint64_t parked)
{
	struct lt_thread_rec r = { .type = LT_REC_THREAD, .tgid = tgid, .tid = tid,
				   .state = state, .parked_ns = parked, .nr_threads = 3,
				   .start_ns = 1000, .syscall_nr = -1 };

	snprintf(r.comm, sizeof(r.comm), "t%u", tid);
	snprintf(r.pcomm, sizeof(r.pcomm), "proc%u", tgid);
	return r;
}

static void test_report_threshold(void **state)
{
	struct report r = { .mono_ns = 100000000000ULL, .real_ns = 1700000000000000000ULL,
			    .threshold_ns = 10000000000ULL };
	struct lt_thread_rec recs[] = {
		thread_rec(10, 10, LT_STATE_SLEEPING, 50000000000ULL),	/* parked 50 s */
		thread_rec(10, 11, LT_STATE_SLEEPING, 95000000000ULL),	/* parked 5 s: below */
		thread_rec(10, 12, LT_STATE_RUNNING, 0),		/* busy */
		thread_rec(20, 20, LT_STATE_DISK, 1000000000ULL),	/* D, 99 s */
		thread_rec(10, 13, LT_STATE_SLEEPING, 200000000000ULL),	/* future: clamp */
		thread_rec(10, 14, LT_STATE_STOPPED, 1000000000ULL),	/* stopped (SIGSTOP), 99 s */
		thread_rec(10, 15, LT_STATE_OTHER, 1000000000ULL),	/* traced, dead...: not parked */
	};

	recs[0].flags = LT_F_IN_SYSCALL | LT_F_PARK_SEEN | LT_F_CREATOR_KNOWN;
	recs[0].creator_tid = 10;
	recs[0].syscall_nr = 202;
	recs[0].args[0] = 0x1234;
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		assert_int_equal(report_add_record(&r, &recs[i]), 0);
	report_sort(&r);
	assert_int_equal(r.n_threads, 3);
	const struct thread_report *t10 = report_find_thread(&r, 10, 10);
	const struct thread_report *t14 = report_find_thread(&r, 10, 14);
	const struct thread_report *t20 = report_find_thread(&r, 20, 20);

	assert_non_null(t10);
	assert_non_null(t14);
	assert_non_null(t20);
	assert_int_equal(t10->parked_ns, 50000000000ULL);
	assert_int_equal(t10->wait.kind, WAIT_FUTEX);
	assert_int_equal(t10->wait.futex_addr, 0x1234);
	assert_int_equal(t10->creator_tid, 10);
	assert_true(t10->park_seen);
	assert_int_equal(t10->state, 'S');
	assert_int_equal(t14->state, 'T');
	assert_int_equal(t20->state, 'D');
	assert_int_equal(t20->wait.kind, WAIT_KERNEL);
	assert_int_equal(r.n_procs, 2);
	assert_int_equal(r.procs[0].pid, 10);
	assert_int_equal(r.procs[0].parked, 2);
	assert_int_equal(r.procs[0].live_threads, 3);
	assert_string_equal(r.procs[0].comm, "proc10");
	report_reset(&r);
	assert_int_equal(r.n_threads, 0);
	report_free(&r);
}

static void test_report_order(void **state)
{
	struct report r = { .mono_ns = 1000000000000ULL, .threshold_ns = 1 };
	uint64_t parked[] = { 900, 100, 500 };

	for (int i = 0; i < 3; i++) {
		struct lt_thread_rec rec = thread_rec(5, 50 + i, LT_STATE_SLEEPING,
						      parked[i] * 1000000000ULL);

		assert_int_equal(report_add_record(&r, &rec), 0);
	}
	report_sort(&r);
	/* longest parked first: parked since 100 s, then 500 s, then 900 s */
	assert_int_equal(r.threads[0].tid, 51);
	assert_int_equal(r.threads[1].tid, 52);
	assert_int_equal(r.threads[2].tid, 50);
	report_free(&r);
}

static void test_format_duration(void **state)
{
	char buf[32];

	format_duration(buf, sizeof(buf), 450000000ULL);
	assert_string_equal(buf, "450ms");
	format_duration(buf, sizeof(buf), 3200000000ULL);
	assert_string_equal(buf, "3.2s");
	format_duration(buf, sizeof(buf), 3720ULL * 1000000000ULL);
	assert_string_equal(buf, "1h02m");
	format_duration(buf, sizeof(buf), 125ULL * 1000000000ULL);
	assert_string_equal(buf, "2m05s");
	format_duration(buf, sizeof(buf), 90000ULL * 1000000000ULL);
	assert_string_equal(buf, "1d01h");
}

static void test_json_output_records(void **state)
{
	struct report r = { .mono_ns = 100000000000ULL, .real_ns = 1700000000000000000ULL,
			    .threshold_ns = 1000000000ULL, .summarize_all = true };
	struct lt_thread_rec rec = thread_rec(7, 8, LT_STATE_SLEEPING, 10000000000ULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	memcpy(rec.comm, "a\"b\n}{", 7);
	rec.flags = LT_F_IN_SYSCALL;
	rec.syscall_nr = 0;
	assert_int_equal(report_add_record(&r, &rec), 0);
	report_sort(&r);
	f = open_memstream(&buf, &len);
	output_json(f, &r);
	fclose(f);
	/* three records, one per line: thread, summary, report */
	assert_non_null(strstr(buf, "{\"type\":\"thread\""));
	assert_non_null(strstr(buf, "\"thread\":\"a\\\"b\\n}{\""));
	assert_non_null(strstr(buf, "\"parked_seconds\":90.000"));
	assert_non_null(strstr(buf, "\"wait\":{\"kind\":\"syscall\",\"syscall_nr\":0,\"syscall\":\"read\",\"timeout\":false}"));
	assert_non_null(strstr(buf, "{\"type\":\"summary\""));
	assert_non_null(strstr(buf, "{\"type\":\"report\""));
	{
		int lines = 0;

		for (char *p = buf; *p; p++)
			lines += *p == '\n';
		assert_int_equal(lines, 3);
	}
	free(buf);
	report_free(&r);
}

/* The threshold filter BPF applies is report_park_cutoff: a thread parked
 * exactly at it is in, one ns later is out; the task-clock lag moves it. */
static void test_report_park_cutoff(void **state)
{
	struct report r = { .mono_ns = 100000000000ULL, .threshold_ns = 10000000000ULL,
			    .clock_lag_ns = 2000000000LL };
	struct lt_thread_rec in = thread_rec(10, 11, LT_STATE_SLEEPING, 88000000000ULL);
	struct lt_thread_rec out = thread_rec(10, 12, LT_STATE_SLEEPING, 88000000001ULL);
	struct lt_proc_rec proc = { .type = LT_REC_PROC, .tgid = 30, .nr_threads = 7 };

	assert_int_equal(report_park_cutoff(&r), 88000000000ULL);
	assert_int_equal(report_add_record(&r, &in), 0);
	assert_int_equal(report_add_record(&r, &out), 0);
	assert_int_equal(r.n_threads, 1);
	assert_int_equal(r.threads[0].parked_ns, 10000000000ULL);
	assert_false(r.threads[0].wakeups_known);
	/* a process none of whose threads passed the filter is summarised */
	memcpy(proc.comm, "svc", 4);
	assert_int_equal(report_add_proc_record(&r, &proc), 0);
	report_sort(&r);
	assert_int_equal(r.n_procs, 2);
	assert_int_equal(r.procs[1].pid, 30);
	assert_true(r.procs[1].alive);
	assert_int_equal(r.procs[1].live_threads, 7);
	assert_int_equal(r.procs[1].parked, 0);
	assert_string_equal(r.procs[1].comm, "svc");
	/* nothing can be parked longer than the time since boot */
	r.threshold_ns = r.mono_ns + 1;
	assert_int_equal(report_park_cutoff(&r), 0);
	report_free(&r);
}

/* report_find_thread by (pid, tid), indexed by report_sort. */
static void test_report_find_thread(void **state)
{
	struct report r = { .mono_ns = 1000000000000ULL, .threshold_ns = 1 };

	for (uint32_t i = 0; i < 100; i++) {
		struct lt_thread_rec rec = thread_rec(5 + i % 2, 1000 - i, LT_STATE_SLEEPING,
						      (1 + i) * 1000000000ULL);

		assert_int_equal(report_add_record(&r, &rec), 0);
	}
	assert_int_equal(report_find_thread(&r, 6, 999)->tid, 999);	/* unsorted: linear */
	report_sort(&r);
	for (uint32_t i = 0; i < 100; i++) {
		const struct thread_report *t = report_find_thread(&r, 5 + i % 2, 1000 - i);

		assert_non_null(t);
		assert_int_equal(t->tid, 1000 - i);
		assert_int_equal(t->pid, 5 + i % 2);
	}
	assert_null(report_find_thread(&r, 5, 999));	/* tid 999 is in pid 6 */
	assert_null(report_find_thread(&r, 7, 1000));
	report_free(&r);
}

/* wakeups are counted in precise mode only: absent, not 0, otherwise */
static void test_json_wakeups_absent(void **state)
{
	struct report r = { .mono_ns = 100000000000ULL, .real_ns = 1700000000000000000ULL,
			    .threshold_ns = 1000000000ULL };
	struct lt_thread_rec rec = thread_rec(7, 8, LT_STATE_SLEEPING, 10000000000ULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(report_add_record(&r, &rec), 0);
	rec.tid = 9;
	rec.flags = LT_F_WAKEUPS_KNOWN;
	rec.wakeups = 3;
	assert_int_equal(report_add_record(&r, &rec), 0);
	report_sort(&r);
	f = open_memstream(&buf, &len);
	output_json(f, &r);
	fclose(f);
	assert_non_null(strstr(buf, "\"tid\":9,"));
	assert_non_null(strstr(buf, "\"wakeups\":3"));
	/* tid 8 comes first (parked as long, lower tid) and has no field */
	assert_true(strstr(buf, "\"tid\":8,") < strstr(buf, "\"tid\":9,"));
	assert_true(strstr(buf, "\"wakeups\"") > strstr(buf, "\"tid\":9,"));
	assert_null(strstr(strstr(buf, "\"wakeups\"") + 1, "\"wakeups\""));
	free(buf);
	report_free(&r);
}

static void test_privileges_parsers(void **state)
{
	uint64_t caps = 0;

	assert_int_equal(procfs__status_cap_eff("Name:\tx\nCapEff:\t000001ffffffffff\n", &caps), 0);
	assert_int_equal(caps, 0x1ffffffffffULL);
	assert_int_equal(procfs__status_cap_eff("CapEff:\tzz\n", &caps), -EINVAL);
	assert_int_equal(procfs__status_cap_eff("Name:\tCapEff:\t1\n", &caps), -EINVAL);
	assert_int_equal(procfs__status_tgid("Name:\ta\nTgid:\t4242\nPid:\t4243\n"), 4242);
	assert_int_equal(procfs__status_tgid("Tgid:\t-3\n"), -EINVAL);
	assert_int_equal(procfs__status_tgid("Tgid:\t\n"), -EINVAL);
	assert_int_equal(procfs__status_tgid("garbage"), -EINVAL);
}

static void test_site_id(void **state)
{
	const struct frame a[] = {
		{ .function = "pthread_cond_wait", .offset = 0x1c9, .module = "/lib/libc.so.6" },
		{ .function = "leak_condvar_worker", .offset = 0x12, .module = "/usr/bin/leaky" },
	};
	/* the same functions at other offsets (another call site, another build) */
	const struct frame a2[] = {
		{ .function = "pthread_cond_wait", .offset = 0x1d0, .module = "/lib/libc.so.6" },
		{ .function = "leak_condvar_worker", .offset = 0x40, .module = "/opt/bin/leaky" },
	};
	const struct frame b[] = {
		{ .function = "pthread_cond_wait", .offset = 0x1c9, .module = "/lib/libc.so.6" },
		{ .function = "leak_other", .offset = 0x12, .module = "/usr/bin/leaky" },
	};
	const struct frame split1[] = { { .function = "ab" }, { .function = "c" } };
	const struct frame split2[] = { { .function = "a" }, { .function = "bc" } };
	const struct frame k[] = { { .kind = FRAME_KERNEL, .function = "futex_wait_queue" } };
	/* JIT code: every isolate's at its own address, named or not */
	const struct frame jit1[] = {
		{ .function = "futex_wait", .module = "/lib/libc.so.6" },
		{ .kind = FRAME_JIT, .pc = 0x7f0000001000 },
		{ .kind = FRAME_JIT, .pc = 0x7f0000002000 },
		{ .function = "main", .module = "/usr/bin/node" },
	};
	const struct frame jit2[] = {
		{ .function = "futex_wait", .module = "/lib/libc.so.6" },
		{ .kind = FRAME_JIT, .pc = 0x7f9900005000, .function = "JS:*blockForever" },
		{ .function = "main", .module = "/usr/bin/node" },
	};
	const struct frame unnamed1[] = { { .module = "/usr/bin/python3.11", .offset = 0x1899af } };
	const struct frame unnamed2[] = { { .module = "/usr/bin/python3.11", .offset = 0x1899b0 } };

	(void)state;
	assert_int_equal(stack_site_id(a, 2, k, 1), stack_site_id(a, 2, k, 1));
	assert_int_equal(stack_site_id(a, 2, k, 1), stack_site_id(a2, 2, k, 1));
	assert_int_not_equal(stack_site_id(a, 2, k, 1), stack_site_id(b, 2, k, 1));
	assert_int_not_equal(stack_site_id(split1, 2, NULL, 0), stack_site_id(split2, 2, NULL, 0));
	assert_int_not_equal(stack_site_id(a, 2, NULL, 0), stack_site_id(NULL, 0, a, 2));
	assert_int_equal(stack_site_id(jit1, 4, k, 1), stack_site_id(jit2, 3, k, 1));
	assert_int_not_equal(stack_site_id(unnamed1, 1, NULL, 0), stack_site_id(unnamed2, 1, NULL, 0));
	assert_int_equal(stack_site_id(NULL, 0, NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_duration_ok),
		cmocka_unit_test(test_parse_duration_bad),
		cmocka_unit_test(test_parse_pid_list),
		cmocka_unit_test(test_options_parse),
		cmocka_unit_test(test_parse_uint),
		cmocka_unit_test(test_options_refused),
		cmocka_unit_test(test_options_accepted),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_text_escape),
		cmocka_unit_test(test_wait_futex),
		cmocka_unit_test(test_wait_syscalls),
		cmocka_unit_test(test_report_threshold),
		cmocka_unit_test(test_report_order),
		cmocka_unit_test(test_format_duration),
		cmocka_unit_test(test_json_output_records),
		cmocka_unit_test(test_report_park_cutoff),
		cmocka_unit_test(test_report_find_thread),
		cmocka_unit_test(test_json_wakeups_absent),
		cmocka_unit_test(test_privileges_parsers),
		cmocka_unit_test(test_site_id),
	};

	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
