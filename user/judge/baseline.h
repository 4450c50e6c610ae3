/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A service's normal (--baseline): the sites its processes show at their
 * first report (once at least --baseline-after old) are its baseline; later
 * reports are read against it. A site of the baseline that did not grow is
 * the service at rest, whatever it looks like; a new site, or one with more
 * units than in the baseline, is a change. Baselines are kept per
 * (service, executable): the service is the systemd unit, else the
 * container, else the cgroup, with the process name; the executable is its
 * GNU build-id, else its file (device, inode, size, mtime). A restarted
 * process finds its service's baseline again within one leaktrace run, and
 * across runs when they are saved to a state directory (--state-dir). */
#ifndef LT_JUDGE_BASELINE_H
#define LT_JUDGE_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/report.h"

/* Where a site stands against its service's baseline (JSON evidence
 * "baseline"). */
enum site_baseline {
	BASELINE_OFF = 0,	/* no --baseline */
	BASELINE_PENDING,	/* the process is younger than --baseline-after,
				 * or its service is not known */
	BASELINE_NORMAL,	/* in the baseline, not more units than there */
	BASELINE_NEW,		/* not in the baseline */
	BASELINE_GREW,		/* in it, with more units */
};

/* Key of a process's service and executable, 0 when unknown. */
typedef uint64_t (*service_key_fn)(void *ctx, const struct report *r, uint32_t pid,
				   uint64_t *age_ns);

struct baseline_opts {
	uint64_t after_ns;	/* a process this young forms no baseline yet */
	size_t max_services;	/* baselines kept (1024) */
	size_t max_sites;	/* sites per baseline (1024) */
	service_key_fn key;	/* NULL = proc_service_key */
	void *key_ctx;
};

struct baselines;

struct baselines *baselines__new(const struct baseline_opts *o);
void baselines__free(struct baselines *b);

/* Call once per report before baselines__site. */
void baselines__begin(struct baselines *b, const struct report *r);
/* Where site s (of unit kind `kind`) stands; a service whose first report
 * this is records its sites. */
enum site_baseline baselines__site(struct baselines *b, const struct report *r,
				   const struct site_report *s, uint8_t kind);
/* After the last site of the report: the services first seen in it now
 * have their baseline. */
void baselines__commit(struct baselines *b);

/* The formed baselines as text, for the state file (--state-dir): a line
 * "leaktrace-baselines 1", then per service "service KEY N" and its N sites
 * "site KIND GROUP UNITS" (KEY and GROUP in hex). 0 or -errno. */
int baselines__save(const struct baselines *b, FILE *f);
/* Take the baselines of a saved text (len bytes at buf) in place of those
 * formed so far. All or nothing: -EINVAL for a text that is not a whole
 * version-1 file within the bounds (nothing is taken), -ENOMEM. */
int baselines__load(struct baselines *b, const char *buf, size_t len);
/* True when a baseline was formed since the last call: time to save. */
bool baselines__changed(struct baselines *b);

/* The default key: the identity and the executable (exe_key) of pid in r,
 * facts the collectors filled before judging; age from the process's start
 * time in the report (unknown: old enough). */
uint64_t proc_service_key(void *ctx, const struct report *r, uint32_t pid, uint64_t *age_ns);

const char *site_baseline_name(enum site_baseline b);

#endif
