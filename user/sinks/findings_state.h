/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The findings of --events and --syslog kept across restarts in the state
 * directory (--state-dir, util/state_dir.h): a restarted daemon does not
 * announce again as new what it had announced before, and says what went
 * away while it was down. Nothing happens without --state-dir. */
#ifndef LT_SINKS_FINDINGS_STATE_H
#define LT_SINKS_FINDINGS_STATE_H

#include "sinks/findings.h"

/* Follow the findings saved under NAME by a former run of this boot; a
 * foreign, corrupt or other boot's file is one warning and ignored. */
void findings_state__load(struct findings *fs, const char *name);

/* Save fs under NAME when an update announced something since the last
 * save; a failure is one warning per cause. */
void findings_state__save(struct findings *fs, const char *name);

#endif
