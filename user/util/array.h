/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Growable arrays and sorted-array lookups, written once. */
#ifndef LT_UTIL_ARRAY_H
#define LT_UTIL_ARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Make room for need elements of size in *arr (capacity *cap, doubling,
 * at least min_cap). 0, or -ENOMEM with *arr unchanged. */
int array_reserve(void **arr, size_t *cap, size_t need, size_t size, size_t min_cap);

/* Append one zeroed element to *arr of *n (capacity *cap); NULL on ENOMEM. */
void *array_push(void **arr, size_t *n, size_t *cap, size_t size);

#define ARRAY_PUSH(arr, n, cap) \
	((__typeof__(arr))array_push((void **)&(arr), &(n), &(cap), sizeof(*(arr))))
#define ARRAY_RESERVE(arr, cap, need) \
	array_reserve((void **)&(arr), &(cap), (need), sizeof(*(arr)), 8)

/* Index of the first element of base[0..n) not less than key (n if none),
 * by cmp(key, element). */
size_t sorted_lower_bound(const void *base, size_t n, size_t size, const void *key,
			  int (*cmp)(const void *key, const void *elem));

/* The element equal to key, or NULL. */
void *sorted_find(const void *base, size_t n, size_t size, const void *key,
		  int (*cmp)(const void *key, const void *elem));

/* qsort/bsearch comparators of plain numbers. */
int cmp_u32(const void *a, const void *b);
int cmp_u64(const void *a, const void *b);

#endif
