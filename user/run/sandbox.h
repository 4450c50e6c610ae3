/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Least privilege after start-up: once the BPF objects are loaded and
 * attached and the outputs are open, leaktrace keeps only the capabilities
 * its reports need, clears the bounding and ambient sets, sets no_new_privs
 * and installs a seccomp allowlist of the system calls of its steady state
 * (docs/security.md). */
#ifndef LT_CORE_SANDBOX_H
#define LT_CORE_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>

/* Capabilities kept for the rest of the run, as a CapEff bit mask:
 * CAP_BPF, CAP_PERFMON (Go processes attached later: programs, uprobes),
 * CAP_SYS_PTRACE (/proc/PID/mem, maps of other users' processes),
 * CAP_DAC_READ_SEARCH (their binaries), CAP_SYSLOG (/proc/kallsyms),
 * CAP_CHECKPOINT_RESTORE (/proc/PID/map_files: deleted binaries; 5.9+).
 * Plus CAP_SYS_ADMIN when ATTACH_LATER (system-wide goroutine tracing
 * attaches uprobes to Go processes that start later, and perf_event_open()
 * of a uprobe wants it) or on kernels without CAP_BPF (before 5.8). */
uint64_t sandbox_kept_caps(bool attach_later);

/* Enter the sandbox, for every thread of the process (the Prometheus
 * listener's thread is already running). Returns 0 or -errno, with one line
 * on stderr; a process that failed half way keeps running with what was
 * dropped. Anything outside the allowlist afterwards kills the process with
 * one line naming the system call. With LEAKTRACE_SANDBOX_SELFTEST=1 in the
 * environment, leaktrace makes one forbidden call right after (tests). */
int sandbox_enter(bool attach_later);

/* Size of the seccomp allowlist (system calls, some with argument rules). */
int sandbox_allowlist_size(void);

#endif
