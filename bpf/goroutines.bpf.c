// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Goroutine parking in Go programs, from uprobes that userspace attaches by
 * file offset for each traced pid (one object for all of them, maps keyed
 * by pid), each placed on the jbe after the stack-bound
 * check (function+4): there the kernel emulates instead of single-stepping,
 * and the register arguments (Go's ABIInternal) are still untouched.
 *
 * Only runtime.gopark is on the hot path, with one map lookup: the wake-up
 * side (runtime.execute) is not probed, userspace reads the g's status
 * from memory instead.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "arch.h"
#include "goroutines.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GO_MAX_PARKED);
	__type(key, struct go_key);
	__type(value, struct go_park);
} go_parked SEC(".maps");

/* per traced process; only processes userspace attached to have an entry */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GO_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct go_counts);
} go_counts SEC(".maps");

static __always_inline __u32 current_pid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline void count(__u32 pid, int idx)
{
	struct go_counts *c = bpf_map_lookup_elem(&go_counts, &pid);

	if (c)
		__sync_fetch_and_add(&c->c[idx], 1);
}

/*
 * runtime.gopark(unlockf, lock, reason, ...): the parking g is in the g
 * register, the reason is the third argument (one byte; arch.h). A park
 * that first grows the stack passes here twice: the second time just
 * refreshes the timestamp.
 */
SEC("uprobe")
int BPF_KPROBE(go_gopark)
{
	struct go_key key = { .pid = current_pid(), .g = ctx->LT_GO_G_REG };
	struct go_park *p, rec = {
		.parked_ns = bpf_ktime_get_ns(),
		.reason = ctx->LT_GO_ARG3_REG & 0xff,
	};

	count(key.pid, GO_CNT_PARKS);
	p = bpf_map_lookup_elem(&go_parked, &key);
	if (p) {
		p->parked_ns = rec.parked_ns;
		p->reason = rec.reason;
		return 0;
	}
	if (bpf_map_update_elem(&go_parked, &key, &rec, BPF_ANY))
		count(key.pid, GO_CNT_DROP_PARKED);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(go_newproc1)
{
	count(current_pid(), GO_CNT_CREATED);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(go_goexit0)
{
	count(current_pid(), GO_CNT_EXITED);
	return 0;
}
