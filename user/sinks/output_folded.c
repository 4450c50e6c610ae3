// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* -f folded: Brendan Gregg's folded stacks, the input of flamegraph.pl,
 * inferno and speedscope: one line per site, "comm;root;...;leaf VALUE". */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "judge/units.h"
#include "sinks/escape.h"
#include "sinks/frame.h"
#include "sinks/out_file.h"
#include "sinks/output.h"
#include "sinks/sink.h"

/* A folded frame: the function (no offset, so equal functions merge),
 * else module+offset, else the address; "_[k]" marks kernel frames (as
 * flamegraph.pl colours them). */
static void write_frame(FILE *f, const struct frame *fr)
{
	char buf[64];

	fputc(';', f);
	if (fr->function) {
		escape_write(f, fr->function, SIZE_MAX, ESCAPE_FOLDED);
	} else if (fr->module) {
		escape_write(f, frame_module_base(fr), SIZE_MAX, ESCAPE_FOLDED);
		fprintf(f, "+0x%" PRIx64, fr->offset);
	} else if (fr->kind == FRAME_JIT) {
		fputs("[jit]", f);	/* its address differs in every process */
	} else {
		snprintf(buf, sizeof(buf), "0x%" PRIx64, fr->pc);
		fputs(buf, f);
	}
	if (fr->kind == FRAME_KERNEL)
		fputs("_[k]", f);
}

static void write_frames(FILE *f, const struct unit_frames *u)
{
	for (int i = unit_frames_count(u); i-- > 0;)
		write_frame(f, unit_frame(u, i));
}

/* Parked seconds of the threads or goroutines of site si, whole seconds. */
static uint64_t site_seconds(const struct report *r, size_t si)
{
	double sum = 0;

	for (size_t i = 0; i < r->n_threads; i++)
		if (r->threads[i].site_index == si)
			sum += r->threads[i].parked_ns / 1e9;
	for (size_t i = 0; i < r->n_goroutines; i++)
		if (r->goroutines[i].site_index == si)
			sum += r->goroutines[i].parked_seconds;
	return (uint64_t)(sum + 0.5);
}

void output_folded(FILE *f, const struct report *r, bool seconds)
{
	for (size_t si = 0; si < r->n_sites; si++) {
		const struct site_report *s = &r->sites[si];
		struct unit_frames u;

		if (s->verdict < r->min_verdict || s->kind == UNIT_CONNECTION)
			continue;	/* connections have no stack */
		escape_write(f, s->comm, sizeof(s->comm), ESCAPE_FOLDED);
		if (s->kind == UNIT_GOROUTINE)
			unit_frames_of_goroutine(&r->goroutines[s->first_unit], &u);
		else
			unit_frames_of_thread(&r->threads[s->first_unit], &u);
		if (unit_frames_count(&u))
			write_frames(f, &u);
		else if (s->kind == UNIT_THREAD)	/* no stack: the wait is the leaf */
			fprintf(f, ";[%s]", wait_kind_name(r->threads[s->first_unit].wait.kind));
		fprintf(f, " %" PRIu64 "\n", seconds ? site_seconds(r, si) : (uint64_t)s->n_units);
	}
	fflush(f);
}

/* To a file, each report replaces the last: flame graph tools add up equal
 * lines, so a file of several reports would count a thread once per report. */
struct folded_sink {
	struct out_file of;		/* first: out_file_sink_* use it */
	bool seconds;
};

static int folded_open(const struct lt_options *o, void **state, char *msg, size_t size)
{
	struct folded_sink *fs;
	int code;

	fs = out_file_sink_new(sizeof(*fs), o->output, true, &code, msg, size);
	if (fs)
		fs->seconds = o->folded_seconds;
	*state = fs;
	return code;
}

static int folded_emit(void *state, const struct report *r)
{
	struct folded_sink *fs = state;
	FILE *f = out_file__begin(&fs->of);

	if (!f)
		return -EIO;
	output_folded(f, r, fs->seconds);
	return out_file__commit(&fs->of);
}

const struct sink_type sink_folded = {
	.name = "folded", .is_format = true, .open = folded_open, .emit = folded_emit,
	.close = out_file_sink_free,
};
