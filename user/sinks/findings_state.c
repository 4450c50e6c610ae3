// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/findings_state.h"
#include "util/state_dir.h"
#include "util/log.h"

/* 65,536 findings of ~90 bytes each, with room */
#define FINDINGS_FILE_MAX (16u << 20)

/* The kernel's id of this boot: thread start times are CLOCK_MONOTONIC,
 * findings of another boot name other threads. "" when unreadable. */
static const char *boot_id(void)
{
	static char id[64];
	FILE *f;

	if (id[0])
		return id;
	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (f) {
		if (!fgets(id, sizeof(id), f))
			id[0] = 0;
		id[strcspn(id, "\n")] = 0;
		fclose(f);
	}
	return id;
}

void findings_state__load(struct findings *fs, const char *name)
{
	char *buf;
	size_t len;
	int err;

	if (state_dir_fd() < 0 || !boot_id()[0])
		return;
	err = state_dir_read(name, &buf, &len, FINDINGS_FILE_MAX);
	if (!err)
		err = findings__load(fs, buf, len, boot_id());
	free(buf);
	if (err && err != -ENOENT)
		lt_warn(NULL, "state %s ignored: %s", name,
			err == -EINVAL ? "not findings of this version and boot, or corrupt" :
			strerror(-err));
}

static int fill(void *ctx, FILE *f)
{
	return findings__save(ctx, f, boot_id());
}

void findings_state__save(struct findings *fs, const char *name)
{
	static int last_err;
	int err;

	if (state_dir_fd() < 0 || !boot_id()[0] || !findings__changed(fs))
		return;
	err = state_dir_write(name, fill, fs);
	if (err && err != last_err)
		lt_warn(NULL, "cannot save %s to the state directory: %s",
			name, strerror(-err));
	last_err = err;
}
