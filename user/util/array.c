// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"

int array_reserve(void **arr, size_t *cap, size_t need, size_t size, size_t min_cap)
{
	size_t c = *cap ? *cap : min_cap;
	void *p;

	if (need <= *cap)
		return 0;
	while (c < need) {
		if (c > SIZE_MAX / 2 / size)
			return -ENOMEM;
		c *= 2;
	}
	p = realloc(*arr, c * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

void *array_push(void **arr, size_t *n, size_t *cap, size_t size)
{
	char *e;

	if (array_reserve(arr, cap, *n + 1, size, 8))
		return NULL;
	e = (char *)*arr + *n * size;
	memset(e, 0, size);
	(*n)++;
	return e;
}

size_t sorted_lower_bound(const void *base, size_t n, size_t size, const void *key,
			  int (*cmp)(const void *key, const void *elem))
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(key, (const char *)base + mid * size) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void *sorted_find(const void *base, size_t n, size_t size, const void *key,
		  int (*cmp)(const void *key, const void *elem))
{
	size_t i = sorted_lower_bound(base, n, size, key, cmp);

	if (i < n && !cmp(key, (const char *)base + i * size))
		return (char *)base + i * size;
	return NULL;
}

int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}
