/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Supervision by systemd (Type=notify, WatchdogSec=): readiness once the
 * BPF programs are attached, watchdog pings from the report loop, stopping.
 * Not under systemd (no NOTIFY_SOCKET) every call does nothing. */
#ifndef LT_SUPERVISOR_H
#define LT_SUPERVISOR_H

/* READY=1: loaded, attached, outputs open, sandbox entered. */
void supervisor__ready(void);

/* WATCHDOG=1 when half the watchdog period has passed since the last
 * ping. Called from the report loop only, so a loop stuck in a report
 * stops the pings and systemd restarts the service. */
void supervisor__alive(void);

/* STOPPING=1: the final report is being written. */
void supervisor__stopping(void);

#endif
