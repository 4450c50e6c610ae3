// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the outputs: the escaper's rules per format, the sink list,
 * JSON events, folded stacks, and the pprof encoder decoded back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "run/options.h"
#include "model/report.h"
#include "sinks/escape.h"
#include "sinks/findings.h"
#include "sinks/frame.h"
#include "sinks/output.h"
#include "sinks/prom_format.h"
#include "sinks/sink.h"
#include "sinks/syslog_out.h"

/* h " q \ b <LF> n } <0xff> z: the hostile_name workload's default */
static const char hostile[] = "h\"q\\b\nn}\xffz";

static void test_escape_styles(void **state)
{
	static const struct {
		enum escape_style style;
		const char *in, *out;
	} cases[] = {
		{ ESCAPE_JSON, hostile, "h\\\"q\\\\b\\nn}\\u00ffz" },
		{ ESCAPE_JSON, "\x01\x7f\t\xc3\xa9", "\\u0001\\u007f\\t\xc3\xa9" },
		{ ESCAPE_PROM, hostile, "h\\\"q\\\\b\\nn}\xc3\xbfz" },
		{ ESCAPE_PROM, "\t", "\\\\x09" },
		{ ESCAPE_UTF8, hostile, "h\"q\\b\\x0an}\xc3\xbfz" },
		{ ESCAPE_UTF8, "\xe2\x82\xac\xe2\x82", "\xe2\x82\xac\xc3\xa2\\x82" },
		{ ESCAPE_SYSLOG, hostile, "h\\\"q\\\\b\\x0an}\\xffz" },
		{ ESCAPE_SYSLOG, "\xc3\xa9", "\\xc3\\xa9" },
		{ ESCAPE_TEXT, hostile, "h\"q\\\\b\\x0an}\\xffz" },
		{ ESCAPE_FOLDED, hostile, "h\"q\\x5cb\\x0an}\\xffz" },
		{ ESCAPE_FOLDED, "a;b c\xc3\xa9", "a\\x3bb c\xc3\xa9" },
		{ ESCAPE_FOLDED, "", "" },
		/* a terminal's escape (ESC, 0x1b), DEL and C1 controls (U+009B is
		 * CSI: "\xc2\x9b" in UTF-8, 0x9b alone read as Latin-1) never pass */
		{ ESCAPE_JSON, "\x1b[31m\x7f\xc2\x9b\x9b", "\\u001b[31m\\u007f\\u009b\\u009b" },
		{ ESCAPE_PROM, "\x1b[31m\x7f\xc2\x9b\x9b",
		  "\\\\x1b[31m\\\\x7f\\\\xc2\\\\x9b\\\\x9b" },
		{ ESCAPE_UTF8, "\x1b[31m\x7f\xc2\x9b\x9b\xc2\xa0", "\\x1b[31m\\x7f\\xc2\\x9b\\x9b\xc2\xa0" },
		{ ESCAPE_SYSLOG, "\x1b[31m\x7f\xc2\x9b", "\\x1b[31m\\x7f\\xc2\\x9b" },
		{ ESCAPE_TEXT, "\x1b[31m\x7f\xc2\x9b", "\\x1b[31m\\x7f\\xc2\\x9b" },
		{ ESCAPE_FOLDED, "\x1b[31m\x7f\xc2\x9b\x9b", "\\x1b[31m\\x7f\\xc2\\x9b\\x9b" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *buf = NULL, copy[64];
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		escape_write(f, cases[i].in, SIZE_MAX, cases[i].style);
		fclose(f);
		if (strcmp(buf, cases[i].out))
			fail_msg("case %zu: got '%s' want '%s'", i, buf, cases[i].out);
		/* the buffer variant gives the same bytes */
		assert_int_equal(escape_copy(copy, sizeof(copy), cases[i].in, SIZE_MAX,
					     cases[i].style), strlen(cases[i].out));
		assert_string_equal(copy, cases[i].out);
		free(buf);
	}
}

static void test_escape_copy_never_cuts_an_escape(void **state)
{
	char out[6];

	/* "\x0a" needs 4 bytes: after "ab" only 3 are left, so it is dropped whole */
	assert_int_equal(escape_copy(out, sizeof(out), "ab\ncd", 16, ESCAPE_SYSLOG), 2);
	assert_string_equal(out, "ab");
	/* a UTF-8 sequence is not split either */
	assert_int_equal(escape_copy(out, 3, "a\xc3\xa9", 16, ESCAPE_FOLDED), 1);
	assert_int_equal(escape_copy(out, 0, "abc", 16, ESCAPE_TEXT), 0);
}

static void test_sink_list(void **state)
{
	assert_ptr_equal(sink_format_find("text"), &sink_text);
	assert_ptr_equal(sink_format_find("json"), &sink_json);
	assert_ptr_equal(sink_format_find("folded"), &sink_folded);
	assert_ptr_equal(sink_format_find("pprof"), &sink_pprof);
	/* not formats: selected by their own options */
	assert_null(sink_format_find("syslog"));
	assert_null(sink_format_find("prometheus"));
	assert_null(sink_format_find("JSON"));
	assert_string_equal(sink_format_names(), "text, json, folded or pprof");
}

static void test_format_options(void **state)
{
	char *events[] = { "leaktrace", "-f", "json", "--events" };
	char *events_text[] = { "leaktrace", "--events" };
	char *folded[] = { "leaktrace", "-f", "folded", "--folded-value", "seconds" };
	char *bad_value[] = { "leaktrace", "-f", "folded", "--folded-value", "bytes" };
	char *bad[] = { "leaktrace", "-f", "xml" };
	struct lt_options o;

	options_defaults(&o);
	assert_string_equal(o.format, "text");
	assert_int_equal(options_parse(4, events, &o), 0);
	assert_true(o.events);
	options_defaults(&o);
	assert_int_equal(options_parse(2, events_text, &o), LT_EXIT_USAGE);
	options_defaults(&o);
	assert_int_equal(options_parse(5, folded, &o), 0);
	assert_string_equal(o.format, "folded");
	assert_true(o.folded_seconds);
	options_defaults(&o);
	assert_int_equal(options_parse(5, bad_value, &o), LT_EXIT_USAGE);
	options_defaults(&o);
	assert_int_equal(options_parse(3, bad, &o), LT_EXIT_USAGE);
}

#define LIBC "/usr/lib/x86_64-linux-gnu/libc.so.6"

/* Each kind of frame in its display form and its culprit text. */
static void test_frame_display(void **state)
{
	static const struct {
		struct frame f;
		const char *display, *culprit;
	} cases[] = {
		{ { .function = "leak_worker", .offset = 0x1a, .module = "/usr/bin/leaky" },
		  "leak_worker+0x1a", "leak_worker" },
		{ { .function = "worker", .offset = 0x1a, .module = "/usr/bin/leaky",
		    .file = "/src/leaky.c", .line = 42 },
		  "worker+0x1a (leaky.c:42)", "worker (leaky.c:42)" },
		{ { .kind = FRAME_GO, .function = "main.leak", .file = "/src/leak.go", .line = 42 },
		  "main.leak (leak.go:42)", "main.leak (leak.go:42)" },
		{ { .kind = FRAME_GO, .function = "main.(*T).run", .file = "/src/t.go", .line = 7,
		    .inlined = true, .module = "/usr/bin/t" },
		  "main.(*T).run (t.go:7, inlined)", "main.(*T).run (t.go:7)" },
		{ { .kind = FRAME_PYTHON, .function = "wait_for_payment", .file = "/srv/orders.py",
		    .line = 12 },
		  "wait_for_payment (/srv/orders.py:12)", "wait_for_payment (orders.py:12)" },
		{ { .module = LIBC, .offset = 0x1234, .build_id = "ab12" },
		  "libc.so.6+0x1234 [build-id ab12]", "libc.so.6+0x1234 [build-id ab12]" },
		{ { .kind = FRAME_JIT, .pc = 0x7f0012345678 }, "0x7f0012345678", "0x7f0012345678" },
		{ { .kind = FRAME_JIT, .pc = 0x7010, .function = "JS:*hot", .offset = 0x10 },
		  "JS:*hot+0x10", "JS:*hot" },
		{ { .kind = FRAME_MARKER, .function = "[python frames]" }, "[python frames]",
		  "[python frames]" },
		{ { .kind = FRAME_KERNEL, .function = "futex_wait", .offset = 5 }, "futex_wait+0x5",
		  "futex_wait" },
	};
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(frame__display(&cases[i].f, buf, sizeof(buf)), cases[i].display);
		assert_string_equal(frame__culprit_text(&cases[i].f, buf, sizeof(buf)),
				    cases[i].culprit);
	}
	/* truncated, still terminated */
	assert_string_equal(frame__display(&cases[1].f, buf, 8), "worker+");
}

/* The culprit: the first frame past libc, the interpreter and the runtimes. */
static void test_culprit(void **state)
{
	const struct frame python[] = {
		{ .function = "__futex_abstimed_wait_common", .module = LIBC },
		{ .function = "PyThread_acquire_lock_timed", .module = "/usr/bin/python3.11" },
		{ .kind = FRAME_PYTHON, .function = "Condition.wait",
		  .file = "/usr/lib/python3.11/threading.py", .line = 320 },
		{ .kind = FRAME_PYTHON, .function = "Queue.get", .file = "/usr/lib/python3.11/queue.py" },
		{ .kind = FRAME_PYTHON, .function = "wait_for_payment", .file = "/srv/orders.py",
		  .line = 12 },
		{ .kind = FRAME_PYTHON, .function = "Thread.run",
		  .file = "/usr/lib/python3.11/threading.py" },
	};
	const struct frame go[] = {
		{ .kind = FRAME_GO, .function = "runtime.gopark" },
		{ .kind = FRAME_GO, .function = "runtime.chanrecv1" },
		{ .kind = FRAME_GO, .function = "net/http.(*persistConn).roundTrip" },
		{ .kind = FRAME_GO, .function = "main.handler" },
	};
	const struct frame gomod[] = {
		{ .kind = FRAME_GO, .function = "sync.(*WaitGroup).Wait" },
		{ .kind = FRAME_GO, .function = "github.com/acme/app/pool.(*P).get" },
	};
	const struct frame c[] = {
		{ .function = "pthread_cond_wait", .module = LIBC },
		{ .function = "worker", .module = "/usr/bin/leaky", .file = "/src/leaky.c", .line = 9 },
	};
	const struct frame runtime_only[] = {
		{ .kind = FRAME_KERNEL, .function = "futex_wait" },
		{ .function = "epoll_wait", .module = LIBC },
		{ .module = "/usr/lib/jvm/lib/server/libjvm.so", .offset = 0x10 },
	};

	(void)state;
	assert_int_equal(frames__culprit(python, 6), 4);
	assert_int_equal(frames__culprit(go, 4), 3);
	assert_int_equal(frames__culprit(gomod, 2), 1);
	assert_int_equal(frames__culprit(c, 2), 1);
	assert_int_equal(frames__culprit(runtime_only, 3), -1);
}

/* A report of one process: n_leak threads at a leak site with a stack, one
 * stuck thread without a stack, named hostile. */
static struct frame user_frames[] = {
	{ .function = "pthread_cond_wait", .offset = 0x10, .module = LIBC },
	{ .function = "leak_worker", .offset = 0x1a, .module = "/usr/bin/leaky" },
	{ .function = "start_thread", .offset = 0x9, .module = LIBC },
};
static struct frame kernel_frames[] = { { .kind = FRAME_KERNEL, .function = "futex_wait", .offset = 5 } };

static void build_report(struct report *r, int n_leak)
{
	struct site_report *s;

	memset(r, 0, sizeof(*r));
	r->mono_ns = 1000ULL * 1000000000ULL;
	r->real_ns = 1700000000ULL * 1000000000ULL;
	r->interval_ns = 5000000000ULL;
	for (int i = 0; i <= n_leak; i++) {
		struct thread_report *t = report_add_thread(r);
		struct proc_report *p = report_proc(r, 42);

		t->pid = 42;
		t->tid = 100 + i;
		memcpy(t->comm, hostile, sizeof(hostile));
		memcpy(p->comm, hostile, sizeof(hostile));
		memcpy(t->thread, i < n_leak ? "worker" : "lonely", 7);
		t->state = 'S';
		t->parked_ns = (10ULL + i) * 1000000000ULL;
		t->age_ns = t->parked_ns + 1;
		t->wait.kind = WAIT_FUTEX;
		t->wait.syscall_nr = -1;
		t->verdict = i < n_leak ? VERDICT_LEAK : VERDICT_STUCK;
		t->site_index = i < n_leak ? 0 : 1;
		t->group = i < n_leak ? 0xaaaa : 0xbbbb;
		if (i < n_leak) {
			t->user_stack = user_frames;
			t->n_user = 3;
			t->kernel_stack = kernel_frames;
			t->n_kernel = 1;
			t->stacks_borrowed = true;
		}
		p->parked++;
		p->alive = true;
	}
	s = report_add_site(r);
	*s = (struct site_report){ .pid = 42, .group = 0xaaaa, .n_units = n_leak,
				   .verdict = VERDICT_LEAK, .reason = "grows", .first_unit = 0 };
	memcpy(s->comm, hostile, sizeof(hostile));
	s = report_add_site(r);
	*s = (struct site_report){ .pid = 42, .group = 0xbbbb, .n_units = 1,
				   .verdict = VERDICT_STUCK, .reason = "alone", .first_unit = n_leak };
	memcpy(s->comm, hostile, sizeof(hostile));
}

static void test_folded(void **state)
{
	struct report r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	build_report(&r, 3);
	f = open_memstream(&buf, &len);
	output_folded(f, &r, false, false);
	fclose(f);
	assert_string_equal(buf,
		"h\"q\\x5cb\\x0an}\\xffz;start_thread;leak_worker;pthread_cond_wait;futex_wait_[k] 3\n"
		"h\"q\\x5cb\\x0an}\\xffz;[futex] 1\n");
	free(buf);
	/* seconds: 10 + 11 + 12 at the leak site, 13 for the lonely one */
	f = open_memstream(&buf, &len);
	output_folded(f, &r, true, false);
	fclose(f);
	assert_non_null(strstr(buf, "futex_wait_[k] 33\n"));
	assert_non_null(strstr(buf, "[futex] 13\n"));
	free(buf);
	/* --folded-verdict: the verdict is each stack's root frame */
	f = open_memstream(&buf, &len);
	output_folded(f, &r, false, true);
	fclose(f);
	assert_string_equal(buf,
		"leak;h\"q\\x5cb\\x0an}\\xffz;start_thread;leak_worker;pthread_cond_wait;futex_wait_[k] 3\n"
		"stuck;h\"q\\x5cb\\x0an}\\xffz;[futex] 1\n");
	free(buf);
	/* --min-verdict leak: the stuck site is left out */
	r.min_verdict = VERDICT_LEAK;
	f = open_memstream(&buf, &len);
	output_folded(f, &r, false, false);
	fclose(f);
	assert_null(strstr(buf, "[futex]"));
	free(buf);
	report_free(&r);
}

/* --events: one record per change, none for an unchanged interval */
static size_t count_lines(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *nl = strchr(line, '\n');
		size_t l = nl ? (size_t)(nl - line) : strlen(line);

		n += memmem(line, l, needle, strlen(needle)) != NULL;
	}
	return n;
}

static char *events_of(struct findings *fs, struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(output_json_events(f, r, fs), 0);
	fclose(f);
	return buf;
}

/* r again, seconds later: the same threads have aged as much */
static void build_later_report(struct report *r, int n_leak, int seconds)
{
	report_free(r);
	build_report(r, n_leak);
	r->mono_ns += seconds * 1000000000ULL;
	for (size_t i = 0; i < r->n_threads; i++)
		r->threads[i].age_ns += seconds * 1000000000ULL;
}

static void test_json_events(void **state)
{
	struct findings *fs = findings__new_kinds(FINDINGS_ALL);
	struct report r;
	char *out;

	build_report(&r, 2);
	r.drops[DROP_DEADLINE_CUT] = 4;
	out = events_of(fs, &r);
	assert_int_equal(count_lines(out, "\"event\":\"new\""), 5);
	assert_int_equal(count_lines(out, "\"deadline_cut\":4,\"java_walks_failed\":0,\"go_reach_cut\":0,\"java_frames_unavailable\":0,\"python_names_failed\":0},\"capture_failures\":0,"), 1);
	assert_int_equal(count_lines(out, "\"type\":\"thread\",\"event\":\"new\""), 3);
	assert_int_equal(count_lines(out, "\"type\":\"site\",\"event\":\"new\""), 2);
	assert_int_equal(count_lines(out, "\"type\":\"summary\""), 1);
	assert_int_equal(count_lines(out, "\"type\":\"report\""), 1);
	/* the hostile comm is escaped in every record */
	assert_int_equal(count_lines(out, "\"comm\":\"h\\\"q\\\\b\\nn}\\u00ffz\""), 6);
	free(out);

	/* the same report a second later: the heartbeat only */
	build_later_report(&r, 2, 1);
	out = events_of(fs, &r);
	assert_int_equal(count_lines(out, "\"event\""), 0);
	assert_int_equal(count_lines(out, "\"type\":"), 2);
	free(out);

	/* a third thread at the leak site: thread new, site changed (count) */
	build_later_report(&r, 3, 2);
	r.threads[3].age_ns = 1;	/* tid 103: was the lonely one, now a new thread */
	r.threads[2].age_ns = 1;
	r.threads[2].tid = 102;
	out = events_of(fs, &r);
	assert_int_equal(count_lines(out, "\"type\":\"site\",\"event\":\"changed\""), 1);
	assert_int_equal(count_lines(out, "\"type\":\"thread\",\"event\":\"gone\""), 1);
	assert_int_equal(count_lines(out, "\"type\":\"thread\",\"event\":\"new\""), 2);
	free(out);

	/* everything gone */
	report_free(&r);
	memset(&r, 0, sizeof(r));
	out = events_of(fs, &r);
	assert_int_equal(count_lines(out, "\"event\":\"gone\""), 6);
	assert_int_equal(count_lines(out, "\"type\":\"site\",\"event\":\"gone\",\"time\""), 2);
	free(out);
	findings__free(fs);
}

/* ---- a minimal profile.proto reader, to check the encoder ---- */
struct pbr {
	const uint8_t *p, *end;
};

static uint64_t rd_varint(struct pbr *b)
{
	uint64_t v = 0;

	for (int shift = 0; b->p < b->end && shift < 64; shift += 7) {
		uint8_t c = *b->p++;

		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	fail_msg("bad varint");
	return 0;
}

/* Next field: its number, wire type, varint value or bytes. 0 at the end. */
static int rd_field(struct pbr *b, int *wire, uint64_t *v, struct pbr *sub)
{
	uint64_t key;

	if (b->p >= b->end)
		return 0;
	key = rd_varint(b);
	*wire = key & 7;
	if (*wire == 0) {
		*v = rd_varint(b);
	} else if (*wire == 2) {
		uint64_t n = rd_varint(b);

		assert_true(n <= (uint64_t)(b->end - b->p));
		sub->p = b->p;
		sub->end = b->p + n;
		b->p += n;
	} else {
		fail_msg("unexpected wire type %d", *wire);
	}
	return (int)(key >> 3);
}

struct decoded {
	char *strings[256];
	int n_strings;
	int n_samples;
	uint64_t values[16][2];
	uint64_t leaf_loc[16];
	int n_locs[16];
	uint64_t label[16][8][3];	/* key, str, num (string table indexes) */
	int n_labels[16];
	uint64_t loc_func[64];		/* location id -> function id */
	uint64_t func_name[64];		/* function id -> string index */
	uint64_t sample_type[2];
};

static void decode_sample(struct decoded *d, struct pbr s)
{
	int n = d->n_samples++, wire, field;
	struct pbr sub;
	uint64_t v;

	assert_true(n < 16);
	while ((field = rd_field(&s, &wire, &v, &sub))) {
		if (field == 1) {
			while (sub.p < sub.end) {
				uint64_t id = rd_varint(&sub);

				if (!d->n_locs[n]++)
					d->leaf_loc[n] = id;
			}
		} else if (field == 2) {
			d->values[n][0] = rd_varint(&sub);
			d->values[n][1] = rd_varint(&sub);
		} else if (field == 3) {
			struct pbr l = sub, x;
			uint64_t key = 0, str = 0, num = 0;
			int w, fl;

			while ((fl = rd_field(&l, &w, &v, &x)))
				*(fl == 1 ? &key : fl == 2 ? &str : &num) = v;
			assert_true(d->n_labels[n] < 8);
			d->label[n][d->n_labels[n]][0] = key;
			d->label[n][d->n_labels[n]][1] = str;
			d->label[n][d->n_labels[n]++][2] = num;
		}
	}
}

static void decode(struct decoded *d, const uint8_t *data, size_t n)
{
	struct pbr b = { data, data + n }, sub;
	int wire, field, n_types = 0;
	uint64_t v;

	memset(d, 0, sizeof(*d));
	/* strings first: samples refer to them */
	while ((field = rd_field(&b, &wire, &v, &sub)))
		if (field == 6) {
			assert_true(d->n_strings < 256);
			d->strings[d->n_strings++] = strndup((const char *)sub.p, sub.end - sub.p);
		}
	assert_true(d->n_strings > 0);
	assert_string_equal(d->strings[0], "");
	b.p = data;
	while ((field = rd_field(&b, &wire, &v, &sub))) {
		struct pbr x;
		uint64_t id = 0, ref = 0;
		int w, fl;

		if (field == 2) {
			decode_sample(d, sub);
		} else if (field == 1) {
			while ((fl = rd_field(&sub, &w, &v, &x)))
				if (fl == 1)
					d->sample_type[n_types++] = v;
		} else if (field == 4) {
			while ((fl = rd_field(&sub, &w, &v, &x))) {
				if (fl == 1)
					id = v;
				else if (fl == 4) {
					struct pbr line = x, y;

					while ((fl = rd_field(&line, &w, &v, &y)))
						if (fl == 1)
							ref = v;
				}
			}
			assert_true(id > 0 && id < 64);
			d->loc_func[id] = ref;
		} else if (field == 5) {
			while ((fl = rd_field(&sub, &w, &v, &x))) {
				if (fl == 1)
					id = v;
				else if (fl == 2)
					ref = v;
			}
			assert_true(id > 0 && id < 64);
			d->func_name[id] = ref;
		}
	}
}

static void decoded_free(struct decoded *d)
{
	for (int i = 0; i < d->n_strings; i++)
		free(d->strings[i]);
}

static int string_index(const struct decoded *d, const char *s)
{
	for (int i = 0; i < d->n_strings; i++)
		if (!strcmp(d->strings[i], s))
			return i;
	return -1;
}

/* Sample n has label key = str (or = num when str is NULL). */
static bool has_label(const struct decoded *d, int n, const char *key, const char *str, uint64_t num)
{
	for (int i = 0; i < d->n_labels[n]; i++) {
		const uint64_t *l = d->label[n][i];

		if (strcmp(d->strings[l[0]], key))
			continue;
		return str ? l[1] && !strcmp(d->strings[l[1]], str) : !l[1] && l[2] == num;
	}
	return false;
}

static void test_pprof_roundtrip(void **state)
{
	struct report r;
	char *gz = NULL;
	size_t gz_len = 0, raw_len;
	uint8_t raw[65536];
	struct decoded d;
	z_stream z = {};
	FILE *f;

	build_report(&r, 3);
	f = open_memstream(&gz, &gz_len);
	assert_int_equal(output_pprof(f, &r), 0);
	fclose(f);
	/* gzip: magic bytes, then inflate */
	assert_true(gz_len > 18);
	assert_int_equal((uint8_t)gz[0], 0x1f);
	assert_int_equal((uint8_t)gz[1], 0x8b);
	assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
	z.next_in = (Bytef *)gz;
	z.avail_in = gz_len;
	z.next_out = raw;
	z.avail_out = sizeof(raw);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	raw_len = sizeof(raw) - z.avail_out;
	inflateEnd(&z);

	decode(&d, raw, raw_len);
	assert_string_equal(d.strings[d.sample_type[0]], "threads");
	assert_string_equal(d.strings[d.sample_type[1]], "parked");
	assert_int_equal(d.n_samples, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(d.values[i][0], 1);
		assert_int_equal(d.values[i][1], (10ULL + i) * 1000000000ULL);
		assert_true(has_label(&d, i, "pid", NULL, 42));
		assert_true(has_label(&d, i, "tid", NULL, 100 + i));
		/* invalid UTF-8 becomes its Latin-1 reading, controls \xNN */
		assert_true(has_label(&d, i, "comm", "h\"q\\b\\x0an}\xc3\xbfz", 0));
	}
	assert_true(has_label(&d, 0, "verdict", "leak", 0));
	assert_true(has_label(&d, 0, "site", "000000000000aaaa", 0));
	assert_true(has_label(&d, 0, "wait", "futex", 0));
	assert_true(has_label(&d, 3, "verdict", "stuck", 0));
	/* the leaf of a stack is its innermost (kernel) frame; 4 frames */
	assert_int_equal(d.n_locs[0], 4);
	assert_string_equal(d.strings[d.func_name[d.loc_func[d.leaf_loc[0]]]], "futex_wait_[k]");
	assert_int_equal(d.n_locs[3], 0);
	/* functions are shared: three samples, one leak_worker */
	assert_true(string_index(&d, "leak_worker") > 0);
	decoded_free(&d);
	free(gz);
	report_free(&r);
}

/* The bytes a terminal or a log viewer acts on: C0 but the line ends a
 * format uses, DEL, and C1 (raw 0x80..0x9f outside UTF-8, or U+0080..U+009F
 * in it). */
static const char *first_control(const char *buf, size_t len, bool utf8)
{
	const unsigned char *b = (const unsigned char *)buf;

	for (size_t i = 0; i < len; i++) {
		if ((b[i] < 0x20 && b[i] != '\n') || b[i] == 0x7f)
			return buf + i;
		if (!utf8 && b[i] >= 0x80 && b[i] <= 0x9f)
			return buf + i;
		if (utf8 && b[i] == 0xc2 && i + 1 < len && b[i + 1] >= 0x80 && b[i + 1] <= 0x9f)
			return buf + i;
	}
	return NULL;
}

static void assert_no_control(const char *what, const char *buf, size_t len, bool utf8)
{
	const char *c = first_control(buf, len, utf8);

	if (c)
		fail_msg("%s: control byte 0x%02x at %zu: ...%.60s", what, (unsigned char)*c,
			 (size_t)(c - buf), c > buf + 20 ? c - 20 : buf);
}

/* A symbol name as objcopy --redefine-sym can make one: terminal colour
 * escapes, a newline, the folded separator, a quote, C1 CSI. */
static char evil_frame[] = "\x1b[31mevil\x1b[0m\n;\"\xc2\x9b" "2J";
static struct frame evil_frames[] = {
	{ .function = "pthread_cond_wait", .offset = 0x10, .module = LIBC },
	{ .function = evil_frame, .offset = 0x10, .module = "/usr/bin/evil" },
	{ .function = "start_thread", .offset = 0x9, .module = LIBC },
};
static const char evil_name[] = "\x1b]0;pwn\x07\x9b";

static void build_evil_report(struct report *r)
{
	build_report(r, 1);
	for (size_t i = 0; i < r->n_threads; i++) {
		memcpy(r->threads[i].thread, evil_name, sizeof(evil_name));
		memcpy(r->threads[i].comm, evil_name, sizeof(evil_name));
	}
	r->threads[0].user_stack = evil_frames;
	memcpy(r->procs[0].comm, evil_name, sizeof(evil_name));
	for (size_t i = 0; i < r->n_sites; i++)
		memcpy(r->sites[i].comm, evil_name, sizeof(evil_name));
}

/* Every sink's output of a report whose names and frames carry control
 * bytes: none of them raw, the name still recognisable. */
static void test_no_control_byte_in_any_output(void **state)
{
	struct prom_totals totals = {};
	struct prom_self self = {};
	struct report r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	build_evil_report(&r);

	f = open_memstream(&buf, &len);
	output_text(f, &r);
	fclose(f);
	assert_no_control("text", buf, len, false);
	/* the site's "at FRAME" line and the stack: the name as \xNN */
	assert_non_null(strstr(buf, "at \\x1b[31mevil\\x1b[0m\\x0a;\"\\xc2\\x9b2J: grows"));
	assert_non_null(strstr(buf, "<- \\x1b[31mevil"));
	free(buf);

	f = open_memstream(&buf, &len);
	output_json(f, &r);
	fclose(f);
	assert_no_control("json", buf, len, true);
	assert_non_null(strstr(buf, "\"\\u001b[31mevil\\u001b[0m\\n;\\\"\\u009b2J+0x10\""));
	free(buf);

	f = open_memstream(&buf, &len);
	output_folded(f, &r, false, false);
	fclose(f);
	assert_no_control("folded", buf, len, true);
	/* one line per site, "frames VALUE": the ';' of the name escaped */
	assert_non_null(strstr(buf, ";\\x1b[31mevil\\x1b[0m\\x0a\\x3b\"\\xc2\\x9b2J;"));
	assert_int_equal(count_lines(buf, " "), 2);
	free(buf);

	f = open_memstream(&buf, &len);
	assert_int_equal(prom_render(f, &r, &totals, &self, false), 0);
	fclose(f);
	assert_no_control("prometheus", buf, len, true);
	/* the value reads \x1b]0;pwn\x07\x9b (the format escapes only \\ \" \n) */
	assert_non_null(strstr(buf, "{comm=\"\\\\x1b]0;pwn\\\\x07\\\\x9b\""));
	free(buf);

	{
		struct finding fd = { .kind = FINDING_THREAD, .pid = 42, .tid = 100 };
		char line[SYSLOG_LINE_MAX];
		size_t n;

		memcpy(fd.comm, evil_name, sizeof(evil_name));
		memcpy(fd.thread, evil_name, sizeof(evil_name));
		n = syslog_format_finding(line, sizeof(line), FINDING_NEW, &fd, &r.threads[0], NULL);
		assert_no_control("syslog", line, n, false);
		assert_non_null(strstr(line, "thread=\"\\x1b]0;pwn\\x07\\x9b\""));
	}
	report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_styles),
		cmocka_unit_test(test_escape_copy_never_cuts_an_escape),
		cmocka_unit_test(test_no_control_byte_in_any_output),
		cmocka_unit_test(test_sink_list),
		cmocka_unit_test(test_format_options),
		cmocka_unit_test(test_frame_display),
		cmocka_unit_test(test_culprit),
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_json_events),
		cmocka_unit_test(test_pprof_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
