/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* FNV-1a: the one hash of leaktrace (site ids, wait shapes, caches). */
#ifndef LT_UTIL_HASH_H
#define LT_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_SEED 0xcbf29ce484222325ULL

/* FNV-1a of len bytes, continuing from h. */
uint64_t hash_bytes(uint64_t h, const void *p, size_t len);

/* FNV-1a of s plus a separator byte, chained over strings (so "ab","c"
 * differs from "a","bc"): the site ids of stacks and goroutines. */
uint64_t hash_string(uint64_t h, const char *s);

#endif
