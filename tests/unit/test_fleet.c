// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of fleet mode: Prometheus rendering and its escaping, the
 * listen address parser, findings diffing and syslog lines. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sinks/findings.h"
#include "sinks/escape.h"
#include "run/options.h"
#include "sinks/prom_exporter.h"
#include "sinks/prom_format.h"
#include "model/report.h"
#include "sinks/syslog_out.h"

/* h " q \ b <LF> n } <0xff> z: the hostile_name workload's default */
static const char hostile[] = "h\"q\\b\nn}\xffz";

struct mem {
	char *buf;
	size_t len;
	FILE *f;
};

static void mem_open(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
}

static char *mem_close(struct mem *m)
{
	fclose(m->f);
	return m->buf;
}

static void test_label_value_escaping(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "", "\"\"" },
		{ "a\"b", "\"a\\\"b\"" },
		{ "a\\b", "\"a\\\\b\"" },
		{ "a\nb", "\"a\\nb\"" },
		{ "a}b{c,d=", "\"a}b{c,d=\"" },
		{ "\xff", "\"\xc3\xbf\"" },		/* invalid byte: its Latin-1 reading */
		{ "\xc3\xa9t\xc3\xa9", "\"\xc3\xa9t\xc3\xa9\"" },	/* valid UTF-8 passes */
		/* truncated sequence, surrogate: Latin-1, but 0x80..0x9f are C1
		 * controls, written as the text \xNN */
		{ "\xe2\x82", "\"\xc3\xa2\\\\x82\"" },
		{ "\xed\xa0\x80", "\"\xc3\xad\xc2\xa0\\\\x80\"" },
		{ "\x1b[31m\t", "\"\\\\x1b[31m\\\\x09\"" },	/* no raw control byte */
		{ hostile, "\"h\\\"q\\\\b\\nn}\xc3\xbfz\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mem m;
		char *s;

		mem_open(&m);
		prom_write_label_value(m.f, cases[i].in, SIZE_MAX);
		s = mem_close(&m);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

static struct thread_report *add_thread(struct report *r, uint32_t pid, uint32_t tid,
					const char *comm, uint64_t parked_s, enum verdict v)
{
	struct thread_report *t = report_add_thread(r);
	struct proc_report *p = report_proc(r, pid);

	assert_non_null(t);
	assert_non_null(p);
	t->pid = pid;
	t->tid = tid;
	strncpy(t->comm, comm, sizeof(t->comm) - 1);
	strncpy(t->thread, comm, sizeof(t->thread) - 1);
	strncpy(p->comm, comm, sizeof(p->comm) - 1);
	t->state = 'S';
	t->parked_ns = parked_s * 1000000000ULL;
	t->age_ns = (parked_s + 1) * 1000000000ULL;
	t->verdict = v;
	t->wait.kind = WAIT_FUTEX;
	t->wait.timeout = TIMEOUT_NONE;
	t->wait.syscall_nr = 202;
	t->site_index = SIZE_MAX;
	p->parked++;
	p->alive = true;
	return t;
}

/* Every sample line is name{labels} value or name value, every byte valid
 * UTF-8, and HELP/TYPE come once per family. */
static void check_exposition(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = strlen(text);

	for (size_t i = 0; i < n;) {
		size_t seq = utf8_seq_len(s + i, n - i);

		assert_true(seq > 0);
		i += seq;
	}
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');

		assert_non_null(nl);
		if (line[0] != '#') {
			const char *sp = memrchr(line, ' ', nl - line);
			char *end;

			assert_non_null(sp);
			strtod(sp + 1, &end);
			assert_ptr_equal(end, nl);
			assert_true(line[0] >= 'a' && line[0] <= 'z');
		}
		line = nl + 1;
	}
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

#define NOID ",unit=\"\",container_id=\"\",pod_uid=\"\""

static char *render_pid(const struct report *r, const struct prom_totals *t, bool pid_label)
{
	struct prom_self self = { .cpu_seconds = 1.5, .rss_bytes = 4096, .kernel = "6.1.0-\"x\"",
				  .mode = "precise" };
	struct mem m;

	mem_open(&m);
	assert_int_equal(prom_render(m.f, r, t, &self, pid_label), 0);
	return mem_close(&m);
}

static char *render(const struct report *r, const struct prom_totals *t)
{
	return render_pid(r, t, false);
}

static void test_prom_render(void **state)
{
	struct prom_totals tot = {};
	struct report r = {};
	struct site_report *site;
	struct thread_report *t;
	char *s;

	r.mono_ns = 100000000000ULL;
	r.real_ns = 1700000000ULL * 1000000000ULL;
	r.drops[DROP_CAPTURE] = 7;
	r.capture_failures = 2;
	r.drops[DROP_SITES_EVICTED] = 3;
	r.drops[DROP_CAPTURE_CAP] = 5;
	r.drops[DROP_DEADLINE_CUT] = 10;
	add_thread(&r, 10, 11, "svc", 30, VERDICT_LEAK);
	add_thread(&r, 10, 12, "svc", 20, VERDICT_LEAK);
	t = add_thread(&r, 20, 21, hostile, 5, VERDICT_STUCK);
	site = report_add_site(&r);
	site->pid = 10;
	site->n_units = 2;
	site->verdict = VERDICT_LEAK;
	site->first_unit = 0;
	site = report_add_site(&r);
	site->pid = 20;
	site->n_units = 1;
	t->site_index = 1;
	/* two connections of pid 10 awaiting their peer */
	report_add_conn(&r)->pid = 10;
	report_add_conn(&r)->pid = 10;
	report_proc(&r, 10)->live_threads = 9;
	report_proc(&r, 10)->created_total = 100;
	report_proc(&r, 10)->exited_total = 91;
	/* a process without parked threads gets no series system-wide */
	report_proc(&r, 30)->live_threads = 1;
	prom_totals_add(&tot, &r);
	prom_totals_add(&tot, &r);

	s = render(&r, &tot);
	check_exposition(s);
	assert_non_null(strstr(s, "# TYPE leaktrace_parked_threads gauge\n"));
	assert_non_null(strstr(s, "leaktrace_parked_threads{comm=\"svc\"" NOID ",verdict=\"leak\"} 2\n"));
	assert_non_null(strstr(s, "leaktrace_parked_threads{comm=\"svc\"" NOID ",verdict=\"idle\"} 0\n"));
	assert_non_null(strstr(s, "leaktrace_parked_threads{comm=\"h\\\"q\\\\b\\nn}\xc3\xbfz\"" NOID ",verdict=\"stuck\"} 1\n"));
	assert_non_null(strstr(s, "leaktrace_oldest_parked_seconds{comm=\"svc\"" NOID "} 30.000\n"));
	assert_non_null(strstr(s, "leaktrace_parked_sites{comm=\"svc\"" NOID "} 1\n"));
	assert_non_null(strstr(s, "leaktrace_live_threads{comm=\"svc\"" NOID "} 9\n"));
	assert_non_null(strstr(s, "# TYPE leaktrace_threads_created_total counter\n"));
	assert_non_null(strstr(s, "leaktrace_threads_created_total{comm=\"svc\"" NOID "} 100\n"));
	assert_non_null(strstr(s, "leaktrace_threads_exited_total{comm=\"svc\"" NOID "} 91\n"));
	assert_null(strstr(s, "pid="));
	assert_int_equal(count(s, "leaktrace_live_threads{"), 2);
	assert_non_null(strstr(s, "leaktrace_drops_total{kind=\"capture\"} 7\n"));
	assert_non_null(strstr(s, "leaktrace_drops_total{kind=\"task_storage\"} 0\n"));
	assert_non_null(strstr(s, "leaktrace_drops_total{kind=\"sites_evicted\"} 3\n"));
	assert_non_null(strstr(s, "leaktrace_drops_total{kind=\"capture_cap\"} 5\n"));
	/* one series per drop_table row */
	assert_int_equal(count(s, "leaktrace_drops_total{"), DROP_MAX);
	assert_non_null(strstr(s, "leaktrace_capture_failures_total 4\n"));
	assert_non_null(strstr(s, "leaktrace_drops_total{kind=\"deadline_cut\"} 10\n"));
	assert_non_null(strstr(s, "leaktrace_reports_total 2\n"));
	assert_non_null(strstr(s, "leaktrace_last_report_timestamp_seconds 1700000000.000\n"));
	assert_non_null(strstr(s, "leaktrace_series_truncated 0\n"));
	assert_non_null(strstr(s, "process_cpu_seconds_total 1.500000\n"));
	assert_non_null(strstr(s, "process_resident_memory_bytes 4096\n"));
	assert_non_null(strstr(s, "leaktrace_stalled_connections{comm=\"svc\"" NOID "} 2\n"));
	assert_non_null(strstr(s, "leaktrace_stalled_connections{comm=\"h\\\"q\\\\b\\nn}\xc3\xbfz\"" NOID "} 0\n"));
	/* the leak site by its culprit (no stack here: the wait); the stuck one not */
	assert_non_null(strstr(s, "leaktrace_leaking_site_units{comm=\"svc\"" NOID
			       ",kind=\"thread\",verdict=\"leak\",frame=\"futex\"} 2\n"));
	assert_int_equal(count(s, "leaktrace_leaking_site_units{"), 1);
	assert_non_null(strstr(s, "# TYPE leaktrace_build_info gauge\n"));
	assert_non_null(strstr(s, "leaktrace_build_info{version=\"" LEAKTRACE_VERSION
			       "\",kernel=\"6.1.0-\\\"x\\\"\",mode=\"precise\"} 1\n"));
	/* no tid or address labels: cardinality stays bounded */
	assert_null(strstr(s, "tid="));
	assert_int_equal(count(s, "# TYPE leaktrace_parked_threads "), 1);
	free(s);

	/* with --pid every traced process gets series */
	r.summarize_all = true;
	s = render(&r, &tot);
	assert_non_null(strstr(s, "leaktrace_live_threads{comm=\"\"" NOID "} 1\n"));
	free(s);
	report_free(&r);

	/* before the first report: global series only, at zero */
	s = render(&r, &(struct prom_totals){});
	check_exposition(s);
	assert_non_null(strstr(s, "leaktrace_reports_total 0\n"));
	assert_non_null(strstr(s, "leaktrace_last_report_timestamp_seconds 0.000\n"));
	assert_null(strstr(s, "pid="));
	free(s);
}

static void test_prom_render_truncates(void **state)
{
	struct prom_totals tot = {};
	struct report r = {};
	char *s;

	/* pid p has p % 7 + 1 parked threads; 250 processes */
	for (uint32_t pid = 1; pid <= 250; pid++)
		for (uint32_t k = 0; k <= pid % 7; k++)
			add_thread(&r, pid, pid * 100 + k, "p", 10, VERDICT_NONE);
	s = render_pid(&r, &tot, true);
	check_exposition(s);
	assert_int_equal(count(s, "leaktrace_live_threads{"), PROM_MAX_PROCS);
	assert_int_equal(count(s, "leaktrace_parked_threads{"), PROM_MAX_PROCS * 5);
	assert_non_null(strstr(s, "leaktrace_series_truncated 150\n"));
	/* the kept ones are those with most parked threads: 7 (pid % 7 == 6) */
	assert_non_null(strstr(s, "leaktrace_parked_threads{comm=\"p\"" NOID ",pid=\"6\",verdict=\"none\"} 7\n"));
	assert_null(strstr(s, "pid=\"7\""));
	free(s);
	report_free(&r);
}

static void test_parse_listen(void **state)
{
	static const struct {
		const char *in;
		int family;
		const char *addr;
		int port;
	} ok[] = {
		{ "127.0.0.1:9464", AF_INET, "127.0.0.1", 9464 },
		{ ":9464", AF_INET, "127.0.0.1", 9464 },
		{ "9464", AF_INET, "127.0.0.1", 9464 },
		{ "0.0.0.0:80", AF_INET, "0.0.0.0", 80 },
		{ "[::1]:9464", AF_INET6, "::1", 9464 },
		{ "[::]:1", AF_INET6, "::", 1 },
	};
	static const char *const bad[] = {
		"", ":", "0", ":0", "65536", "abc", "localhost:9464", "1.2.3:80", "1.2.3.4:",
		"1.2.3.4:80x", "[::1]", "[::1]9464", "[zz]:1", "::1:9464", "1.2.3.4:-1", "[]:1",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct sockaddr_storage ss;
		char buf[INET6_ADDRSTRLEN];
		socklen_t len;

		assert_int_equal(prom_parse_listen(ok[i].in, &ss, &len), 0);
		assert_int_equal(ss.ss_family, ok[i].family);
		if (ok[i].family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			assert_int_equal(len, sizeof(*sin));
			inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
			assert_int_equal(ntohs(sin->sin_port), ok[i].port);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			assert_int_equal(len, sizeof(*sin6));
			inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
			assert_int_equal(ntohs(sin6->sin6_port), ok[i].port);
		}
		assert_string_equal(buf, ok[i].addr);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sockaddr_storage ss;
		socklen_t len;

		if (prom_parse_listen(bad[i], &ss, &len) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
	}
}

static void test_prometheus_option(void **state)
{
	char *ok[] = { "leaktrace", "--prometheus", ":9464", "--syslog" };
	char *bad[] = { "leaktrace", "--prometheus", "nowhere" };
	struct lt_options o;

	options_defaults(&o);
	assert_int_equal(options_parse(4, ok, &o), 0);
	assert_string_equal(o.prometheus, ":9464");
	assert_true(o.syslog);
	options_defaults(&o);
	assert_int_equal(options_parse(3, bad, &o), LT_EXIT_USAGE);
}

/* findings: record events as "E pid tid" strings */
struct events {
	char log[64][96];
	int n;
};

static void record(enum finding_event ev, const struct finding *f, const struct thread_report *t,
		   void *ctx)
{
	struct events *e = ctx;

	assert_true(e->n < 64);
	assert_true((ev == FINDING_GONE) == (t == NULL));
	if (t)
		assert_int_equal(t->tid, f->tid);
	snprintf(e->log[e->n++], sizeof(e->log[0]), "%c %u %u %u %s",
		 ev == FINDING_NEW ? 'N' : ev == FINDING_CHANGED ? 'C' : 'G', f->pid, f->tid,
		 f->site_threads, verdict_name(f->verdict));
}

/* The findings a run followed, saved and taken by the next run of the
 * same boot: it announces only what changed meanwhile. */
static void test_findings_save_load(void **state)
{
	struct findings *fs = findings__new(), *next = findings__new();
	struct events e = {};
	struct report r = {};
	struct site_report *site;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	r.mono_ns = 1000ULL * 1000000000ULL;
	site = report_add_site(&r);
	site->pid = 10;
	site->n_units = 2;
	site->group = 0xabc;
	strcpy(site->comm, "s\"v c");
	add_thread(&r, 10, 11, "s\"v c", 9, VERDICT_LEAK)->site_index = 0;
	add_thread(&r, 10, 12, "s\"v c", 5, VERDICT_LEAK)->site_index = 0;
	assert_int_equal(findings__update(fs, &r, record, &e), 0);
	assert_int_equal(e.n, 2);
	assert_true(findings__changed(fs));
	assert_false(findings__changed(fs));
	f = open_memstream(&text, &len);
	assert_int_equal(findings__save(fs, f, "boot-1"), 0);
	fclose(f);
	assert_true(!strncmp(text, "leaktrace-findings 1 boot-1\n", 28));

	/* a site finding in a table that follows threads only, another boot,
	 * another version, garbage: refused whole */
	assert_int_equal(findings__load(next, "leaktrace-findings 1 boot-1\n"
					"2 10 0 0 0 abc 2 0 3 - -\n", 50, "boot-1"), -EINVAL);
	assert_int_equal(findings__load(next, text, len, "boot-2"), -EINVAL);
	assert_int_equal(findings__load(next, "leaktrace-findings 2 boot-1\n", 28, "boot-1"), -EINVAL);
	assert_int_equal(findings__load(next, "leaktrace-findings 1 boot-1\n0 1 2 3\n", 36, "boot-1"),
			 -EINVAL);
	assert_int_equal(findings__load(next, "leaktrace-findings 1 boot-1\n"
					"0 10 11 0 0 0 2 0 3 zz -\n", 53, "boot-1"), -EINVAL);
	assert_int_equal(findings__count(next), 0);

	/* the next run of this boot: the same report announces nothing; a
	 * thread gone meanwhile is announced gone */
	assert_int_equal(findings__load(next, text, len, "boot-1"), 0);
	assert_int_equal(findings__count(next), 2);
	e.n = 0;
	assert_int_equal(findings__update(next, &r, record, &e), 0);
	assert_int_equal(e.n, 0);
	assert_false(findings__changed(next));
	report_reset(&r);
	r.mono_ns = 1001ULL * 1000000000ULL;
	site = report_add_site(&r);
	site->pid = 10;
	site->n_units = 1;
	site->group = 0xabc;
	add_thread(&r, 10, 11, "s\"v c", 10, VERDICT_LEAK)->site_index = 0;
	assert_int_equal(findings__update(next, &r, record, &e), 0);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.log[0], "G 10 12 2 leak");
	free(text);
	report_free(&r);
	findings__free(fs);
	findings__free(next);
}

static void test_findings_diff(void **state)
{
	struct findings *fs = findings__new();
	struct events e = {};
	struct report r = {};
	struct site_report *site;
	struct thread_report *t;

	assert_non_null(fs);
	/* report 1: two threads, one site of 2 */
	r.mono_ns = 1000ULL * 1000000000ULL;
	site = report_add_site(&r);
	site->pid = 10;
	site->n_units = 2;
	add_thread(&r, 10, 12, "svc", 5, VERDICT_STUCK)->site_index = 0;
	add_thread(&r, 10, 11, "svc", 9, VERDICT_STUCK)->site_index = 0;
	assert_int_equal(findings__update(fs, &r, record, &e), 0);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.log[0], "N 10 11 2 stuck");
	assert_string_equal(e.log[1], "N 10 12 2 stuck");
	assert_int_equal(findings__count(fs), 2);

	/* report 2: same, a second later (ages grow with the clock): nothing */
	report_reset(&r);
	r.mono_ns += 1000000000ULL;
	site = report_add_site(&r);
	site->pid = 10;
	site->n_units = 2;
	add_thread(&r, 10, 11, "svc", 10, VERDICT_STUCK)->site_index = 0;
	add_thread(&r, 10, 12, "svc", 6, VERDICT_STUCK)->site_index = 0;
	e.n = 0;
	assert_int_equal(findings__update(fs, &r, record, &e), 0);
	assert_int_equal(e.n, 0);

	/* report 3: a third thread joins the site -> verdict leak, count 3 */
	report_reset(&r);
	r.mono_ns += 1000000000ULL;
	site = report_add_site(&r);
	site->pid = 10;
	site->n_units = 3;
	add_thread(&r, 10, 11, "svc", 11, VERDICT_LEAK)->site_index = 0;
	add_thread(&r, 10, 12, "svc", 7, VERDICT_LEAK)->site_index = 0;
	add_thread(&r, 10, 13, "svc", 1, VERDICT_LEAK)->site_index = 0;
	e.n = 0;
	assert_int_equal(findings__update(fs, &r, record, &e), 0);
	assert_int_equal(e.n, 3);
	assert_string_equal(e.log[0], "C 10 11 3 leak");
	assert_string_equal(e.log[1], "C 10 12 3 leak");
	assert_string_equal(e.log[2], "N 10 13 3 leak");

	/* report 4: 11 woke; 12's tid was reused by a new thread (younger) */
	report_reset(&r);
	r.mono_ns += 1000000000ULL;
	t = add_thread(&r, 10, 12, "svc", 1, VERDICT_LEAK);
	t->age_ns = 1000000000ULL;
	add_thread(&r, 10, 13, "svc", 2, VERDICT_LEAK);
	e.n = 0;
	assert_int_equal(findings__update(fs, &r, record, &e), 0);
	/* 13 only lost site mates: not a thread change (the site line says it) */
	assert_int_equal(e.n, 3);
	assert_string_equal(e.log[0], "G 10 11 3 leak");
	/* same (pid, tid), different start: gone then new, in key order */
	assert_true(!strcmp(e.log[1], "N 10 12 0 leak") || !strcmp(e.log[1], "G 10 12 3 leak"));
	assert_true(!strcmp(e.log[2], "N 10 12 0 leak") || !strcmp(e.log[2], "G 10 12 3 leak"));
	assert_string_not_equal(e.log[1], e.log[2]);
	assert_int_equal(findings__count(fs), 2);

	/* --min-verdict above theirs: they are not findings any more */
	r.min_verdict = VERDICT_DEADLOCK;
	e.n = 0;
	assert_int_equal(findings__update(fs, &r, record, &e), 0);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.log[0][0], 'G');
	assert_int_equal(findings__count(fs), 0);
	r.min_verdict = VERDICT_NONE;
	e.n = 0;
	assert_int_equal(findings__update(fs, &r, record, &e), 0);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.log[0][0], 'N');

	/* report 5: empty: everything gone */
	report_reset(&r);
	r.mono_ns += 1000000000ULL;
	e.n = 0;
	assert_int_equal(findings__update(fs, &r, record, &e), 0);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.log[0][0], 'G');
	assert_int_equal(e.log[1][0], 'G');
	assert_int_equal(findings__count(fs), 0);
	assert_int_equal(findings__dropped(fs), 0);
	findings__free(fs);
	report_free(&r);
}

static void count_events(enum finding_event ev, const struct finding *f,
			 const struct thread_report *t, void *ctx)
{
	((size_t *)ctx)[ev]++;
}

static void test_findings_bounded(void **state)
{
	struct findings *fs = findings__new();
	size_t n[3] = {};
	struct report r = {};

	r.mono_ns = 1000ULL * 1000000000ULL;
	for (uint32_t i = 0; i < FINDINGS_MAX + 10; i++)
		add_thread(&r, 1 + i / 1000, 100000 + i, "big", 5, VERDICT_NONE);
	assert_int_equal(findings__update(fs, &r, count_events, n), 0);
	assert_int_equal(n[FINDING_NEW], FINDINGS_MAX);
	assert_int_equal(findings__count(fs), FINDINGS_MAX);
	assert_int_equal(findings__dropped(fs), 10);
	/* the same report again: no events, the table does not grow */
	memset(n, 0, sizeof(n));
	assert_int_equal(findings__update(fs, &r, count_events, n), 0);
	assert_int_equal(n[FINDING_NEW] + n[FINDING_CHANGED] + n[FINDING_GONE], 0);
	assert_int_equal(findings__count(fs), FINDINGS_MAX);
	assert_int_equal(findings__dropped(fs), 20);
	findings__free(fs);
	report_free(&r);
}

/* printable ASCII only, and key=value pairs outside quotes are the expected keys */
static void check_syslog_line(const char *line, const char *const *keys, size_t n_keys)
{
	size_t k = 0;
	int quoted = 0;

	for (const char *p = line; *p; p++) {
		assert_true(*p >= 0x20 && *p < 0x7f);
		if (*p == '\\' && quoted) {
			p++;
			assert_true(*p == '"' || *p == '\\' || *p == 'x');
			continue;
		}
		if (*p == '"')
			quoted = !quoted;
		if (!quoted && (p == line || p[-1] == ' ')) {
			assert_true(k < n_keys);
			assert_int_equal(strncmp(p, keys[k], strlen(keys[k])), 0);
			assert_int_equal(p[strlen(keys[k])], '=');
			k++;
		}
	}
	assert_false(quoted);
	assert_int_equal(k, n_keys);
}

static void test_syslog_line(void **state)
{
	static const char *const new_keys[] = {
		"finding", "pid", "tid", "comm", "thread", "state", "parked_seconds", "wait",
		"syscall", "timeout", "verdict", "site", "site_threads",
	};
	static const char *const gone_keys[] = {
		"finding", "pid", "tid", "comm", "thread", "verdict", "site", "site_threads",
	};
	struct thread_report t = {
		.pid = 123, .tid = 456, .state = 'S', .parked_ns = 12500000000ULL,
		.wait = { .kind = WAIT_FUTEX, .timeout = TIMEOUT_NONE, .syscall_nr = LT_NR_futex },
	};
	struct finding f = {
		.pid = 123, .tid = 456, .site = 0xdeadbeef, .site_threads = 3,
		.verdict = VERDICT_LEAK,
	};
	char line[512], tiny[16];
	size_t n;

	memcpy(f.comm, "svc", 4);
	memcpy(f.thread, hostile, sizeof(hostile));
	n = syslog_format_finding(line, sizeof(line), FINDING_NEW, &f, &t, NULL);
	assert_int_equal(n, strlen(line));
	assert_string_equal(line, "finding=new pid=123 tid=456 comm=\"svc\" "
			    "thread=\"h\\\"q\\\\b\\x0an}\\xffz\" state=S parked_seconds=12 "
			    "wait=futex syscall=futex timeout=false verdict=leak "
			    "site=00000000deadbeef site_threads=3");
	check_syslog_line(line, new_keys, sizeof(new_keys) / sizeof(new_keys[0]));

	/* a name made to look like more keys stays inside its quotes */
	memcpy(f.comm, "x\" finding=gone", 16);
	memcpy(f.thread, "\r\n\t\x1b[31m\x7f\x80", 10);
	n = syslog_format_finding(line, sizeof(line), FINDING_GONE, &f, NULL, NULL);
	assert_string_equal(line, "finding=gone pid=123 tid=456 comm=\"x\\\" finding=gone\" "
			    "thread=\"\\x0d\\x0a\\x09\\x1b[31m\\x7f\\x80\" verdict=leak "
			    "site=00000000deadbeef site_threads=3");
	check_syslog_line(line, gone_keys, sizeof(gone_keys) / sizeof(gone_keys[0]));

	/* truncation keeps a terminated line */
	n = syslog_format_finding(tiny, sizeof(tiny), FINDING_CHANGED, &f, &t, NULL);
	assert_int_equal(n, sizeof(tiny) - 1);
	assert_string_equal(tiny, "finding=changed");
}

static void test_syslog_site_line(void **state)
{
	struct site_report s = { .pid = 7, .group = 0x12ccb6684ffc18b1ULL, .reason = "why" };
	char line[512];

	memcpy(s.comm, "a\"b\n\xff", 5);
	syslog_format_site(line, sizeof(line), "changed", &s, 37, VERDICT_LEAK, NULL);
	assert_string_equal(line, "site=changed pid=7 comm=\"a\\\"b\\x0a\\xff\" kind=thread "
			    "id=12ccb6684ffc18b1 threads=37 verdict=leak reason=\"why\"");
	s.kind = UNIT_GOROUTINE;
	syslog_format_site(line, sizeof(line), "gone", &s, 0, VERDICT_LEAK, NULL);
	assert_non_null(strstr(line, "kind=goroutine"));
	assert_non_null(strstr(line, "goroutines=0"));
	assert_null(strstr(line, "reason="));
	assert_null(strchr(line, '\n'));
}

/* /healthz: alive within 3 intervals and 30 s of the last report cycle */
static void test_report_loop_alive(void **state)
{
	const uint64_t s = 1000000000ULL, i = 5 * s;

	(void)state;
	assert_true(prom_report_loop_alive(100 * s, 100 * s, i));
	assert_true(prom_report_loop_alive(145 * s, 100 * s, i));		/* 3 x 5 s + 30 s */
	assert_false(prom_report_loop_alive(145 * s + 1, 100 * s, i));
	assert_false(prom_report_loop_alive(1000 * s, 100 * s, i));
	assert_true(prom_report_loop_alive(90 * s, 100 * s, i));		/* a report after now */
	assert_true(prom_report_loop_alive(3630 * s, 100 * s, 1200 * s));	/* -i 20m */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_loop_alive),
		cmocka_unit_test(test_findings_save_load),
		cmocka_unit_test(test_syslog_site_line),
		cmocka_unit_test(test_label_value_escaping),
		cmocka_unit_test(test_prom_render),
		cmocka_unit_test(test_prom_render_truncates),
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_prometheus_option),
		cmocka_unit_test(test_findings_diff),
		cmocka_unit_test(test_findings_bounded),
		cmocka_unit_test(test_syslog_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
