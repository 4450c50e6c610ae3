// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/strpool.h"

int strpool_add(struct strpool *p, const char *s, size_t len, size_t *off)
{
	if (array_reserve((void **)&p->buf, &p->cap, p->len + len + 1, 1, 4096))
		return -ENOMEM;
	memcpy(p->buf + p->len, s, len);
	p->buf[p->len + len] = '\0';
	*off = p->len;
	p->len += len + 1;
	return 0;
}

char *strpool_take(struct strpool *p)
{
	char *b = p->buf;

	*p = (struct strpool){ 0 };
	return b;
}

void strpool_free(struct strpool *p)
{
	free(strpool_take(p));
}
