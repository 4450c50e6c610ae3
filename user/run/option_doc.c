// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The man page's SYNOPSIS and OPTIONS, written in roff from the option
 * table, so the page says what the parser accepts. */
#include <stdio.h>
#include <string.h>

#include "run/options.h"

/* Plain text as roff: '-' as \- (so options copy and paste), '\' as \e,
 * and no line starting with '.' or '\'' (a request). Lines wrap at ~78
 * columns on blanks; a sentence gets its full stop. */
static void roff_text(FILE *f, const char *s)
{
	size_t col = 0, len = strlen(s);
	bool stop = len && s[len - 1] != '.';

	for (; *s; s++) {
		if (*s == ' ' && col > 72) {
			fputc('\n', f);
			col = 0;
			continue;
		}
		if (col == 0 && (*s == '.' || *s == '\''))
			col += fprintf(f, "\\&");
		if (*s == '-')
			col += fprintf(f, "\\-");
		else if (*s == '\\')
			col += fprintf(f, "\\e");
		else
			col += fputc(*s, f) != EOF;
	}
	fputs(stop ? ".\n" : "\n", f);
}

/* Text in a font (B or I), dashes and backslashes escaped, on the line. */
static void roff_font(FILE *f, char font, const char *s)
{
	fprintf(f, "\\f%c", font);
	for (; *s; s++) {
		if (*s == '-')
			fputs("\\-", f);
		else if (*s == '\\')
			fputs("\\e", f);
		else
			fputc(*s, f);
	}
	fputs("\\fR", f);
}

/* "-p" or "--pid", in bold, with " ARG" in italics when it takes one. */
static void roff_usage(FILE *f, const struct option_spec *s, bool prefer_short)
{
	char flag[64];

	if (prefer_short && s->key > 0 && s->key < 0x100)
		snprintf(flag, sizeof(flag), "-%c", s->key);
	else
		snprintf(flag, sizeof(flag), "--%s", s->name);
	roff_font(f, 'B', flag);
	if (s->arg) {
		fputc(' ', f);
		roff_font(f, 'I', s->arg);
	}
}

static void write_synopsis(FILE *f)
{
	fputs(".SH SYNOPSIS\n.B leaktrace\n", f);
	for (size_t i = 0; i < option_table_len; i++) {
		const struct option_spec *s = &option_table[i];

		if (!s->help)
			continue;
		/* alternatives: written once, at the first of them */
		if (s->alt && i > 0 && option_table[i - 1].alt == s->alt)
			continue;
		fputc('[', f);
		roff_usage(f, s, true);
		for (size_t j = i + 1; s->alt && j < option_table_len && option_table[j].alt == s->alt; j++) {
			fputs(" | ", f);
			roff_usage(f, &option_table[j], true);
		}
		fputs("]\n", f);
	}
}

static void write_options(FILE *f)
{
	fputs(".SH OPTIONS\n", f);
	for (int g = 1; g < OG_N; g++) {
		fprintf(f, ".SS %s\n", option_groups[g].title);
		for (size_t i = 0; i < option_table_len; i++) {
			const struct option_spec *s = &option_table[i];

			if ((int)s->group != g || !s->help)
				continue;
			fputs(".TP\n", f);
			if (s->key > 0 && s->key < 0x100)
				fprintf(f, "\\fB\\-%c\\fR, ", s->key);
			roff_usage(f, s, false);
			fputc('\n', f);
			roff_text(f, option_text(s->man ? s->man : s->help));
		}
	}
}

void options_write_man(FILE *f)
{
	write_synopsis(f);
	write_options(f);
}
