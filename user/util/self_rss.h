/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* leaktrace's own resident memory now (not the peak getrusage gives). */
#ifndef LT_UTIL_SELF_RSS_H
#define LT_UTIL_SELF_RSS_H

#include <stdint.h>

/* Resident bytes from /proc/self/statm, 0 when unreadable. */
uint64_t self_rss_bytes(void);

#endif
