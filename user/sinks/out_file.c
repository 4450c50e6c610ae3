// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/config.h"
#include "sinks/out_file.h"
#include "util/safe_open.h"
#include "util/log.h"

int out_file__open(struct out_file *of, const char *path, bool replace, char *err, size_t errlen)
{
	memset(of, 0, sizeof(*of));
	of->path = path;
	of->replace = replace;
	if (!path) {
		of->f = stdout;
		return 0;
	}
	/* the same rules for every format, now, not at the first report */
	if (safe_output_check(path, err, errlen)) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "cannot %s %s", replace ? "write" : "open", why);
		return LT_EXIT_USAGE;
	}
	if (replace) {
		char why[512];
		FILE *probe;

		/* fail now, not at the first report, when the place is wrong */
		probe = safe_open_replace(path, why, sizeof(why));
		if (!probe) {
			snprintf(err, errlen, "cannot write %s", why);
			return LT_EXIT_USAGE;
		}
		fclose(probe);
		safe_replace_abort(path);
		return 0;
	}
	of->f = safe_open_append(path, err, errlen);
	if (!of->f) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "cannot open %s", why);
		return LT_EXIT_USAGE;
	}
	return 0;
}

FILE *out_file__begin(struct out_file *of)
{
	if (!of->replace || !of->path)
		return of->f;
	char why[512];

	of->f = safe_open_replace(of->path, why, sizeof(why));
	if (!of->f)
		lt_err(NULL, "cannot write %s", why);
	return of->f;
}

int out_file__commit(struct out_file *of)
{
	char why[512];
	int err = 0;

	if (!of->f)
		return -EIO;
	if (fflush(of->f) || ferror(of->f))
		err = -EIO;
	if (!of->replace || !of->path) {
		if (err)
			lt_err(NULL, "cannot write report: %s", strerror(errno));
		return err;
	}
	if (fclose(of->f))
		err = -EIO;
	of->f = NULL;
	if (err)
		snprintf(why, sizeof(why), "%s: %s", of->path, strerror(-err));
	else
		err = safe_replace_commit(of->path, why, sizeof(why));
	if (err) {
		lt_err(NULL, "cannot write %s", why);
		safe_replace_abort(of->path);
	}
	return err;
}

void out_file__abort(struct out_file *of)
{
	if (!of->replace || !of->path || !of->f)
		return;
	fclose(of->f);
	of->f = NULL;
	safe_replace_abort(of->path);
}

void out_file__reopen(struct out_file *of)
{
	FILE *f;

	if (!of->path || of->replace)
		return;
	char why[512];

	f = safe_open_append(of->path, why, sizeof(why));
	if (!f) {
		lt_err(NULL, "cannot reopen %s", why);
		return;
	}
	fclose(of->f);
	of->f = f;
}

void out_file__close(struct out_file *of)
{
	if (of->f && of->f != stdout)
		fclose(of->f);
	of->f = NULL;
}

void *out_file_sink__new(size_t state_size, const char *path, bool replace, int *code, char *err,
			size_t errlen)
{
	struct out_file *of = calloc(1, state_size);

	*code = LT_EXIT_FAILURE;
	if (!of) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*code = out_file__open(of, path, replace, err, errlen);
	if (*code) {
		out_file__close(of);
		free(of);
		return NULL;
	}
	return of;
}

void out_file_sink__reopen(void *state)
{
	out_file__reopen(state);
}

void out_file_sink__free(void *state)
{
	if (!state)
		return;
	out_file__close(state);
	free(state);
}
