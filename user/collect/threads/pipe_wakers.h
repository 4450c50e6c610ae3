/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Who can wake a thread reading a pipe: the threads of every process that
 * holds one of its write ends (found by inode in /proc/PID/fd, write
 * access from /proc/PID/fdinfo), any process, the reader's own included.
 * One OWNER_PIPE edge (model/facts.h) per such thread; the judge proves
 * the reader never wakes when all of them never wake (judge/wakers.c).
 * All or nothing per reader: a scan over its budget or that failed to read
 * a process adds no edge, so a missed writer never makes a proof. Only
 * anonymous pipes: any process may open a FIFO by its path later. */
#ifndef LT_PIPE_WAKERS_H
#define LT_PIPE_WAKERS_H

#include <stdint.h>

#include "model/report.h"

/* The inode of an fd link text "pipe:[123]", 0 if it is none. */
uint64_t pipe_inode(const char *link);

/* Add the pipe edges of r's threads blocked reading an anonymous pipe
 * with no timeout. 0 or -ENOMEM. */
int pipe_wakers_collect(struct report *r);

#endif
