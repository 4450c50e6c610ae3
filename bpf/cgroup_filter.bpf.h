/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --cgroup (and --unit, --container, which resolve to a cgroup): trace the
 * tasks in one cgroup v2 subtree, present and future. Checked where a task
 * is first seen (fork handler, scan iterator), never on the hot path: a
 * task outside the subtree gets no state, and the hot path only acts on
 * tasks with state.
 */
#ifndef LT_CGROUP_FILTER_BPF_H
#define LT_CGROUP_FILTER_BPF_H

/* Set by userspace before load (user/collect/threads/cgroup_filter.c). */
const volatile __u64 filter_cgroup_id = 0;	/* 0 = no cgroup filter */
const volatile __u32 filter_cgroup_level = 0;	/* its depth below the v2 root */

/* Before 6.2 a cgroup kept the ids of its ancestors, not pointers. */
struct cgroup___ancestor_ids {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

/* True when task's cgroup v2 is the filter's cgroup or below it: its
 * ancestor at the filter's level is the filter's cgroup. */
static __always_inline bool in_filter_cgroup(struct task_struct *task)
{
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	__u32 level = filter_cgroup_level;
	struct cgroup *anc = NULL;

	if (!cg || BPF_CORE_READ(cg, level) < (int)level)
		return false;
	if (bpf_core_field_exists(cg->ancestors)) {
		bpf_core_read(&anc, sizeof(anc), &cg->ancestors[level]);
		return anc && BPF_CORE_READ(anc, kn, id) == filter_cgroup_id;
	} else {
		struct cgroup___ancestor_ids *old = (void *)cg;
		__u64 id = 0;

		bpf_core_read(&id, sizeof(id), &old->ancestor_ids[level]);
		return id == filter_cgroup_id;
	}
}

#endif
