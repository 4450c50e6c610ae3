/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Privilege checks and /proc lookups needed before loading anything (the
 * status parsers are collect/procfs/procfs.h). */
#ifndef LT_PRIVILEGES_H
#define LT_PRIVILEGES_H

#include <stdbool.h>
#include <stdint.h>

/* True when the effective capabilities allow BPF tracing: CAP_SYS_ADMIN,
 * or CAP_BPF together with CAP_PERFMON. */
bool have_bpf_privileges(void);

/* The tgid of a live thread id, or -ESRCH. */
int process_of_tid(int tid);

#endif
