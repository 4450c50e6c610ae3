// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* -f pprof: a report as a gzipped profile.proto (github.com/google/pprof,
 * proto/profile.proto), readable by go tool pprof, Pyroscope and Grafana.
 * One sample per parked thread or goroutine, values [1 thread, parked ns]. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "sinks/escape.h"
#include "sinks/frame.h"
#include "sinks/out_file.h"
#include "sinks/output.h"
#include "sinks/protobuf.h"
#include "sinks/sink.h"
#include "util/array.h"
#include "util/hash.h"

/* profile.proto field numbers */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9, PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12, PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
	LABEL_KEY = 1, LABEL_STR = 2, LABEL_NUM = 3,
	LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_LINE = 4,
	MAPPING_ID = 1, MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6, MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8, MAPPING_HAS_LINE_NUMBERS = 9,
	LINE_FUNCTION_ID = 1, LINE_LINE = 2,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
};

/* Distinct byte strings numbered in order of arrival: the string table,
 * and the keys of functions and locations. */
struct intern {
	char **keys;
	size_t *lens;
	size_t n, cap_keys, cap_lens;
	uint32_t *slots;	/* open addressing: index + 1, 0 = empty */
	size_t n_slots;
};

static void intern_free(struct intern *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->keys[i]);
	free(in->keys);
	free(in->lens);
	free(in->slots);
	memset(in, 0, sizeof(*in));
}

static int intern_grow(struct intern *in)
{
	size_t n_slots = in->n_slots ? in->n_slots * 2 : 256;
	uint32_t *slots = calloc(n_slots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < in->n; i++) {
		size_t h = hash_bytes(HASH_SEED, in->keys[i], in->lens[i]) & (n_slots - 1);

		while (slots[h])
			h = (h + 1) & (n_slots - 1);
		slots[h] = i + 1;
	}
	free(in->slots);
	in->slots = slots;
	in->n_slots = n_slots;
	return 0;
}

/* The number of s[0..len), added if new; -1 when out of memory. *added
 * says whether it is new. */
static int64_t intern(struct intern *in, const char *s, size_t len, bool *added)
{
	size_t h;
	char *copy;

	*added = false;
	if ((in->n + 1) * 2 > in->n_slots && intern_grow(in))
		return -1;
	h = hash_bytes(HASH_SEED, s, len) & (in->n_slots - 1);
	for (; in->slots[h]; h = (h + 1) & (in->n_slots - 1)) {
		size_t i = in->slots[h] - 1;

		if (in->lens[i] == len && !memcmp(in->keys[i], s, len))
			return i;
	}
	if (ARRAY_RESERVE(in->keys, in->cap_keys, in->n + 1) ||
	    ARRAY_RESERVE(in->lens, in->cap_lens, in->n + 1) || !(copy = malloc(len + 1)))
		return -1;
	memcpy(copy, s, len);
	copy[len] = '\0';
	in->keys[in->n] = copy;
	in->lens[in->n] = len;
	in->slots[h] = ++in->n;
	*added = true;
	return in->n - 1;
}

struct profile {
	struct pb out;
	struct intern strings, functions, locations, mappings;
	struct pb sub, line, packed;	/* scratch */
	bool failed;
};

/* String table index of s (at most len bytes), made valid UTF-8. */
static uint64_t str(struct profile *p, const char *s, size_t len)
{
	char buf[1024];
	size_t n = escape_copy(buf, sizeof(buf), s, len, ESCAPE_UTF8);
	bool added;
	int64_t id = intern(&p->strings, buf, n, &added);

	if (id < 0) {
		p->failed = true;
		return 0;
	}
	if (added)
		pb_bytes(&p->out, PROFILE_STRING_TABLE, buf, n);
	return id;
}

static uint64_t cstr(struct profile *p, const char *s)
{
	return str(p, s, SIZE_MAX);
}

static void value_type(struct profile *p, uint32_t field, const char *type, const char *unit)
{
	struct pb vt = {};

	pb_uint(&vt, VALUE_TYPE_TYPE, cstr(p, type));
	pb_uint(&vt, VALUE_TYPE_UNIT, cstr(p, unit));
	pb_message(&p->out, field, &vt);
	pb_free(&vt);
}

/* The id (1-based) of the key printed by fmt in table; *added says it is
 * new. 0 when out of memory. */
__attribute__((format(printf, 4, 5)))
static uint64_t key_id(struct profile *p, struct intern *table, bool *added, const char *fmt, ...)
{
	char key[1024];
	va_list ap;
	int64_t id;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(key, sizeof(key), fmt, ap);
	va_end(ap);
	id = intern(table, key, n < (int)sizeof(key) ? (size_t)n : sizeof(key) - 1, added);
	if (id < 0) {
		p->failed = true;
		*added = false;
		return 0;
	}
	return id + 1;
}

/* What pprof calls a function: the frame's function, or without one its
 * module and offset (all that tells such frames apart), or its address;
 * kernel functions marked "_[k]" as perf and flame graphs do. */
static const char *function_name(const struct frame *f, char *buf, size_t size)
{
	const char *mark = f->kind == FRAME_KERNEL ? "_[k]" : "";

	if (f->function)
		snprintf(buf, size, "%s%s", f->function, mark);
	else if (f->module)
		snprintf(buf, size, "%s+0x%" PRIx64 "%s", frame_module_base(f), f->offset, mark);
	else if (f->kind == FRAME_JIT)
		snprintf(buf, size, "[jit]");	/* its address differs in every process */
	else
		snprintf(buf, size, "0x%" PRIx64 "%s", f->pc, mark);
	return buf;
}

/* Function id of a frame (by name and source file), written when new. */
static uint64_t function_id(struct profile *p, const struct frame *f)
{
	char name[600];
	bool added;
	uint64_t id, sname;

	function_name(f, name, sizeof(name));
	id = key_id(p, &p->functions, &added, "%s\n%s", name, f->file ? f->file : "");
	if (!added)
		return id;
	sname = cstr(p, name);
	pb_reset(&p->sub);
	pb_uint(&p->sub, FUNCTION_ID, id);
	pb_uint(&p->sub, FUNCTION_NAME, sname);
	pb_uint(&p->sub, FUNCTION_SYSTEM_NAME, sname);
	if (f->file)
		pb_uint(&p->sub, FUNCTION_FILENAME, cstr(p, f->file));
	pb_message(&p->out, PROFILE_FUNCTION, &p->sub);
	return id;
}

/* Mapping id of a module (by path), written when new; 0 for none. */
static uint64_t mapping_id(struct profile *p, const char *module, const char *build_id)
{
	bool added;
	uint64_t id;

	if (!module)
		return 0;
	id = key_id(p, &p->mappings, &added, "%s", module);
	if (!added)
		return id;
	pb_reset(&p->sub);
	pb_uint(&p->sub, MAPPING_ID, id);
	pb_uint(&p->sub, MAPPING_FILENAME, cstr(p, module));
	if (build_id)
		pb_uint(&p->sub, MAPPING_BUILD_ID, cstr(p, build_id));
	/* frames come symbolized: pprof must not look the addresses up again */
	pb_uint(&p->sub, MAPPING_HAS_FUNCTIONS, 1);
	pb_uint(&p->sub, MAPPING_HAS_FILENAMES, 1);
	pb_uint(&p->sub, MAPPING_HAS_LINE_NUMBERS, 1);
	pb_message(&p->out, PROFILE_MAPPING, &p->sub);
	return id;
}

/* Location id of one frame, written when new: one per function and line
 * (not per address), so equal functions merge. */
static uint64_t location_id(struct profile *p, const struct frame *f)
{
	char name[600];
	bool added;
	uint64_t id, fn, map;

	function_name(f, name, sizeof(name));
	id = key_id(p, &p->locations, &added, "%s\n%s\n%" PRIu32 "\n%s", name,
		    f->file ? f->file : "", f->line, f->module ? f->module : "");
	if (!added)
		return id;
	/* both write their own message through p->sub: before this one */
	fn = function_id(p, f);
	map = mapping_id(p, f->module, f->build_id);
	pb_reset(&p->line);
	pb_uint(&p->line, LINE_FUNCTION_ID, fn);
	if (f->line)
		pb_uint(&p->line, LINE_LINE, f->line);
	pb_reset(&p->sub);
	pb_uint(&p->sub, LOCATION_ID, id);
	if (map)
		pb_uint(&p->sub, LOCATION_MAPPING_ID, map);
	pb_message(&p->sub, LOCATION_LINE, &p->line);
	pb_message(&p->out, PROFILE_LOCATION, &p->sub);
	return id;
}

static void label_str(struct profile *p, struct pb *sample, const char *key, const char *v,
		      size_t len)
{
	struct pb l = {};

	pb_uint(&l, LABEL_KEY, cstr(p, key));
	pb_uint(&l, LABEL_STR, str(p, v, len));
	pb_message(sample, SAMPLE_LABEL, &l);
	pb_free(&l);
}

static void label_num(struct profile *p, struct pb *sample, const char *key, uint64_t v)
{
	struct pb l = {};

	pb_uint(&l, LABEL_KEY, cstr(p, key));
	pb_uint(&l, LABEL_NUM, v);
	pb_message(sample, SAMPLE_LABEL, &l);
	pb_free(&l);
}

/* The one place per-process identity becomes labels. */
static void process_labels(struct profile *p, struct pb *sample, uint32_t pid, const char *comm)
{
	label_num(p, sample, "pid", pid);
	label_str(p, sample, "comm", comm, LT_COMM_LEN);
}

/* What both kinds of sample share: locations, values, verdict and site. */
struct unit {
	struct unit_frames frames;
	uint64_t parked_ns;
	enum verdict verdict;
	uint64_t site;
	const char *wait;
};

/* Locations, values and the labels of every kind into the sample s. */
static void sample_begin(struct profile *p, struct pb *s, const struct unit *u)
{
	char site[17];

	pb_reset(&p->packed);
	for (int i = 0; i < unit_frames_count(&u->frames); i++)
		pb_varint(&p->packed, location_id(p, unit_frame(&u->frames, i)));
	pb_message(s, SAMPLE_LOCATION_ID, &p->packed);
	pb_reset(&p->packed);
	pb_varint(&p->packed, 1);
	pb_varint(&p->packed, u->parked_ns);
	pb_message(s, SAMPLE_VALUE, &p->packed);
	snprintf(site, sizeof(site), "%016" PRIx64, u->site);
	label_str(p, s, "verdict", verdict_name(u->verdict), SIZE_MAX);
	label_str(p, s, "site", site, SIZE_MAX);
	label_str(p, s, "wait", u->wait, SIZE_MAX);
}

static void sample_end(struct profile *p, struct pb *s)
{
	pb_message(&p->out, PROFILE_SAMPLE, s);
	pb_free(s);
}

static void thread_sample(struct profile *p, const struct report *r, const struct thread_report *t)
{
	struct unit u = { .parked_ns = t->parked_ns, .verdict = t->verdict, .site = t->group };
	struct pb s = {};
	char wait[64];

	unit_frames_of_thread(t, &u.frames);
	if (t->wait.kind == WAIT_SYSCALL && wait_syscall_name(t->wait.syscall_nr))
		snprintf(wait, sizeof(wait), "%s", wait_syscall_name(t->wait.syscall_nr));
	else
		snprintf(wait, sizeof(wait), "%s", wait_kind_name(t->wait.kind));
	u.wait = wait;
	sample_begin(p, &s, &u);
	process_labels(p, &s, t->pid, t->comm);
	label_num(p, &s, "tid", t->tid);
	label_str(p, &s, "thread", t->thread, sizeof(t->thread));
	sample_end(p, &s);
}

static void goroutine_sample(struct profile *p, const struct report *r,
			     const struct goroutine_report *gr)
{
	const struct proc_report *proc = report_find_proc(r, gr->pid);
	struct unit u = {
		.parked_ns = (uint64_t)(gr->parked_seconds * 1e9), .verdict = gr->verdict,
		.site = gr->site, .wait = gr->wait_reason,
	};
	struct pb s = {};

	unit_frames_of_goroutine(gr, &u.frames);
	sample_begin(p, &s, &u);
	process_labels(p, &s, gr->pid, proc ? proc->comm : "");
	label_num(p, &s, "goid", gr->goid);
	sample_end(p, &s);
}

static void profile_free(struct profile *p)
{
	pb_free(&p->out);
	pb_free(&p->sub);
	pb_free(&p->line);
	pb_free(&p->packed);
	intern_free(&p->strings);
	intern_free(&p->functions);
	intern_free(&p->locations);
	intern_free(&p->mappings);
}

static int build(struct profile *p, const struct report *r)
{
	struct pb period = {};

	cstr(p, "");	/* string_table[0] must be "" */
	value_type(p, PROFILE_SAMPLE_TYPE, "threads", "count");
	value_type(p, PROFILE_SAMPLE_TYPE, "parked", "nanoseconds");
	for (size_t i = 0; i < r->n_threads; i++)
		if (r->threads[i].verdict >= r->min_verdict)
			thread_sample(p, r, &r->threads[i]);
	for (size_t i = 0; i < r->n_goroutines; i++)
		if (r->goroutines[i].verdict >= r->min_verdict)
			goroutine_sample(p, r, &r->goroutines[i]);
	pb_uint(&p->out, PROFILE_TIME_NANOS, r->real_ns);
	pb_uint(&p->out, PROFILE_DURATION_NANOS, r->interval_ns);
	pb_uint(&period, VALUE_TYPE_TYPE, cstr(p, "threads"));
	pb_uint(&period, VALUE_TYPE_UNIT, cstr(p, "count"));
	pb_message(&p->out, PROFILE_PERIOD_TYPE, &period);
	pb_free(&period);
	pb_uint(&p->out, PROFILE_PERIOD, 1);
	pb_uint(&p->out, PROFILE_DEFAULT_SAMPLE_TYPE, cstr(p, "threads"));
	return p->failed || p->out.failed ? -ENOMEM : 0;
}

/* gzip n bytes to f */
static int write_gzip(FILE *f, const uint8_t *data, size_t n)
{
	z_stream z = {};
	uint8_t chunk[16384];
	int ret;

	/* 16 + MAX_WBITS: a gzip header and trailer, as pprof expects */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)data;
	z.avail_in = n;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		ret = deflate(&z, Z_FINISH);
		if (ret == Z_STREAM_ERROR)
			break;
		fwrite(chunk, 1, sizeof(chunk) - z.avail_out, f);
	} while (ret != Z_STREAM_END);
	deflateEnd(&z);
	return ret == Z_STREAM_END && !ferror(f) ? 0 : -EIO;
}

int output_pprof(FILE *f, const struct report *r)
{
	struct profile p = {};
	int err = build(&p, r);

	if (!err)
		err = write_gzip(f, p.out.buf, p.out.len);
	profile_free(&p);
	fflush(f);
	return err;
}

/* -f pprof: with -o, each report replaces the file; to a pipe, only the
 * final report is written (profiles do not concatenate). */
static int pprof_open(const struct lt_options *o, void **state, char *msg, size_t size)
{
	int code;

	if (!o->output && isatty(STDOUT_FILENO)) {
		snprintf(msg, size, "-f pprof writes a binary profile: use -o FILE or a pipe");
		return LT_EXIT_USAGE;
	}
	*state = out_file_sink_new(sizeof(struct out_file), o->output, true, &code, msg, size);
	return code;
}

static int pprof_emit(void *state, const struct report *r)
{
	struct out_file *of = state;
	FILE *f;
	int err;

	if (!of->path && !r->final)
		return 0;
	f = out_file__begin(of);
	if (!f)
		return -EIO;
	err = output_pprof(f, r);
	if (err == -ENOMEM) {
		/* best effort: the file keeps the previous profile */
		fprintf(stderr, "leaktrace: warning: out of memory building the profile\n");
		out_file__abort(of);
		return 0;
	}
	return out_file__commit(of) ?: err;
}

const struct sink_type sink_pprof = {
	.name = "pprof", .is_format = true, .open = pprof_open, .emit = pprof_emit,
	.close = out_file_sink_free,
};
