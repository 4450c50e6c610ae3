// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "collect/procfs/procfs.h"
#include "collect/threads/privileges.h"

#define CAP_SYS_ADMIN	21
#define CAP_PERFMON	38
#define CAP_BPF		39

bool have_bpf_privileges(void)
{
	char status[4096];
	uint64_t caps;

	if (procfs__read_buf(0, 0, "status", status, sizeof(status)) < 0 ||
	    procfs__status_cap_eff(status, &caps))
		return geteuid() == 0;
	if (caps & (1ULL << CAP_SYS_ADMIN))
		return true;
	return (caps & (1ULL << CAP_BPF)) && (caps & (1ULL << CAP_PERFMON));
}

int process_of_tid(int tid)
{
	char status[4096];
	int tgid;

	if (tid <= 0 || procfs__read_buf(tid, 0, "status", status, sizeof(status)) < 0)
		return -ESRCH;
	tgid = procfs__status_tgid(status);
	if (tgid < 0 || !procfs__status_alive(status))
		return -ESRCH;
	return tgid;
}
