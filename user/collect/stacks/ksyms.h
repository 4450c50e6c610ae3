/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kernel symbols from /proc/kallsyms, loaded once into a sorted array. */
#ifndef LT_KSYMS_H
#define LT_KSYMS_H

#include <stddef.h>
#include <linux/types.h>

struct ksym {
	const char *name;
	__u64 addr;
};

struct ksyms;

/* Load the text symbols of /proc/kallsyms. NULL with errno set on failure;
 * EPERM when kptr_restrict hides the addresses (all zero). */
struct ksyms *ksyms__load(void);
/* Same from another file in kallsyms format (tests). */
struct ksyms *ksyms__load_file(const char *path);
void ksyms__free(struct ksyms *ks);

/* The symbol at or below addr, NULL when addr is below the first one. */
const struct ksym *ksyms__resolve(const struct ksyms *ks, __u64 addr);

/* "func+0xoff" (or "0xADDR" when unknown) into buf; returns the length
 * snprintf would have written. */
int ksyms__format(const struct ksyms *ks, __u64 addr, char *buf, size_t size);

size_t ksyms__count(const struct ksyms *ks);

#endif
