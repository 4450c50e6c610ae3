/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One finding per cause: the judged sites of one process that share a
 * cause (the same socket, the same unanswering peer, the same wait object)
 * grouped under a primary site, the others `related`. Facts only. */
#ifndef LT_JUDGE_RELATED_H
#define LT_JUDGE_RELATED_H

#include "model/report.h"

/* After every site of r is judged: set related_to on the sites grouped
 * under another, n_related on their primary (the worst verdict; ties: the
 * one whose culprit is the program's own code, then the most units).
 * Sites judged idle are never grouped. -ENOMEM when out of memory (r is
 * left ungrouped). */
int related__group(struct report *r);

#endif
