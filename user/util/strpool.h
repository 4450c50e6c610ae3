/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A growing pool of NUL-terminated strings addressed by offset (the buffer
 * moves while it grows): symbol names of kallsyms and ELF tables. */
#ifndef LT_UTIL_STRPOOL_H
#define LT_UTIL_STRPOOL_H

#include <stddef.h>

struct strpool {
	char *buf;
	size_t len, cap;
};

/* Copy s[0..len) plus a NUL; its offset in *off. 0 or -ENOMEM. */
int strpool_add(struct strpool *p, const char *s, size_t len, size_t *off);

/* Hand the buffer over (the caller frees it); the pool is empty after. */
char *strpool_take(struct strpool *p);

void strpool_free(struct strpool *p);

#endif
