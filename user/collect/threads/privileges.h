/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Privilege checks and /proc lookups needed before loading anything. */
#ifndef LT_PRIVILEGES_H
#define LT_PRIVILEGES_H

#include <stdbool.h>
#include <stdint.h>

/* True when the effective capabilities allow BPF tracing: CAP_SYS_ADMIN,
 * or CAP_BPF together with CAP_PERFMON. */
bool have_bpf_privileges(void);

/* Parse the CapEff line of a /proc/PID/status text. Returns 0 or -EINVAL. */
int parse_cap_eff(const char *status, uint64_t *caps);

/* The tgid of a live thread id, or -ESRCH. */
int process_of_tid(int tid);

/* Parse the Tgid line of a /proc/PID/status text. Returns the tgid or -EINVAL. */
int parse_status_tgid(const char *status);

/* True when a /proc/PID/status text describes a process with a live
 * thread: not a zombie, or a zombie leader whose other threads run. */
bool status_alive(const char *status);

#endif
