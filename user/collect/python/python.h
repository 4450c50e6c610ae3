/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Python frames in user stacks: for a thread whose native stack runs the
 * CPython interpreter, its evaluation frames are replaced by the Python
 * frames they execute ("function (file.py:line)"). Keeps what it learned
 * per process (interpreter address, offsets, thread states, code objects).
 * A walk that fails leaves "[python frames unavailable: reason]" before the
 * native eval frames, which stay. */
#ifndef LT_PYTHON_H
#define LT_PYTHON_H

#include <stdbool.h>
#include <stdint.h>

#include "model/frame.h"

struct python_stacks;

struct python_stacks *python_stacks__new(void);
void python_stacks__free(struct python_stacks *ps);

/* Merge the Python frames of thread tid of pid into b (its native frames,
 * replaced by the merged stack).
 * truncated: the native stack stopped at the depth limit (Python frames of
 * the eval frames beyond it are appended).
 * Returns 0 (merged, or no interpreter frame in the stack), 1 when the walk
 * failed and a marker frame was inserted, 2 when merged but the Python
 * frames were cut at PY_MAX_FRAMES (the outermost lost), -ENOMEM. */
int python_stacks__merge(struct python_stacks *ps, int pid, int tid, struct frame_builder *b,
			 bool truncated);

/* The name `threading` gives thread tid of pid (Thread.name, "" when it
 * has none), into out (size bytes). Only for a process whose frames a merge
 * already read; read once per thread (start_ns, its start, tells a reused
 * tid apart), then kept. 0 (named or not), -ENOMEM, or -errno when a read
 * failed or found garbage (out ""). Versions without the layout (3.10,
 * 3.12) and threads threading does not know are no failure. */
#define PY_THREAD_NAME_LEN	64
int python_stacks__thread_name(struct python_stacks *ps, int pid, int tid, uint64_t start_ns,
			       char *out, size_t size);

/* Drop what is known about pid (exited). */
void python_stacks__forget(struct python_stacks *ps, int pid);

#endif
