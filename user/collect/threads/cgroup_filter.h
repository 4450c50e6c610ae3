/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --cgroup, --unit, --container: the cgroup v2 directory whose subtree is
 * traced, as the id and depth the BPF side compares (cgroup_filter.bpf.h). */
#ifndef LT_CGROUP_FILTER_H
#define LT_CGROUP_FILTER_H

#include <stddef.h>
#include <stdint.h>

struct cgroup_target {
	uint64_t id;		/* kernfs id of the directory (its inode number) */
	uint32_t level;		/* depth below the v2 root: 0 = the root */
	char path[4096];	/* relative to the v2 root, starting with '/' */
};

/* Where cgroup v2 is mounted: BASE/unified (hybrid hosts) or BASE, where
 * BASE is /sys/fs/cgroup or $LEAKTRACE_CGROUP2_ROOT (the node's hierarchy
 * mounted elsewhere, as in a container); NULL when neither is cgroup2. */
const char *cgroup2_root(void);

/*
 * Resolve one of:
 *   cgroup:    a path below the v2 root ("/system.slice/x.service"), or an
 *              absolute path into the v2 mount ("/sys/fs/cgroup/...");
 *   unit:      a systemd unit name ("nginx" means "nginx.service"), the
 *              shallowest cgroup of that name;
 *   container: a prefix of a container id (hex), the shallowest cgroup of
 *              the one container whose id starts with it.
 * Exactly one of them is non-NULL. Returns 0; -ENOENT when it does not
 * exist; -EINVAL for a malformed name; -ENOTUNIQ when a container prefix
 * matches several containers; -EOPNOTSUPP without cgroup v2. A one-line
 * reason goes to err.
 */
int cgroup_target_resolve(const char *cgroup, const char *unit, const char *container,
			  struct cgroup_target *t, char *err, size_t errlen);

#endif
