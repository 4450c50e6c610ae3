// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/sink.h"
#include "util/log.h"

/* Every output, formats first (their order is the one --help names). */
static const struct sink_type *const sink_types[] = {
	&sink_text,
	&sink_json,
	&sink_folded,
	&sink_pprof,
	&sink_prometheus,
	&sink_syslog,
};

#define N_TYPES (sizeof(sink_types) / sizeof(sink_types[0]))

struct sink {
	const struct sink_type *type;
	void *state;
};

struct sinks {
	struct sink sink[N_TYPES];
	size_t n;
};

const struct sink_type *sink_format_find(const char *name)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (sink_types[i]->is_format && !strcmp(sink_types[i]->name, name))
			return sink_types[i];
	return NULL;
}

const char *sink_format_names(void)
{
	static char names[128];
	size_t n = 0, k = 0, left;

	if (names[0])
		return names;
	for (size_t i = 0; i < N_TYPES; i++)
		n += sink_types[i]->is_format;
	for (size_t i = 0; i < N_TYPES; i++) {
		if (!sink_types[i]->is_format)
			continue;
		k++;
		left = sizeof(names) - strlen(names);
		snprintf(names + strlen(names), left, "%s%s", sink_types[i]->name,
			 k == n ? "" : k == n - 1 ? " or " : ", ");
	}
	return names;
}

static bool wanted(const struct sink_type *t, const struct lt_options *o)
{
	if (t->is_format)
		return !strcmp(t->name, o->format);
	return t->wanted(o);
}

struct sinks *sinks__open(const struct lt_options *o, int *exit_code)
{
	struct sinks *ss = calloc(1, sizeof(*ss));
	char msg[256];

	*exit_code = LT_EXIT_FAILURE;
	if (!ss) {
		lt_err(NULL, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < N_TYPES; i++) {
		struct sink *sk = &ss->sink[ss->n];
		int code;

		if (!wanted(sink_types[i], o))
			continue;
		msg[0] = '\0';
		code = sink_types[i]->open(o, &sk->state, msg, sizeof(msg));
		if (code) {
			lt_err(NULL, "%s", msg[0] ? msg : "cannot open an output");
			*exit_code = code;
			sinks__close(ss);
			return NULL;
		}
		sk->type = sink_types[i];
		ss->n++;
	}
	*exit_code = LT_EXIT_OK;
	return ss;
}

int sinks__emit(struct sinks *ss, const struct report *r)
{
	int first = 0;

	for (size_t i = 0; i < ss->n; i++) {
		int err = ss->sink[i].type->emit(ss->sink[i].state, r);

		if (err && !first)
			first = err;
	}
	return first;
}

void sinks__reopen(struct sinks *ss)
{
	for (size_t i = 0; ss && i < ss->n; i++)
		if (ss->sink[i].type->reopen)
			ss->sink[i].type->reopen(ss->sink[i].state);
}

void sinks__close(struct sinks *ss)
{
	if (!ss)
		return;
	for (size_t i = ss->n; i-- > 0;)
		ss->sink[i].type->close(ss->sink[i].state);
	free(ss);
}
