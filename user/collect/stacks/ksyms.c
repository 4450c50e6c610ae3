// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/kallsyms: sorted once, then binary searched. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "collect/stacks/ksyms.h"
#include "util/array.h"
#include "util/foreign_file.h"
#include "util/strpool.h"

struct ksyms {
	struct ksym *syms;
	size_t nr, cap;
	struct strpool names;
};

/* Text symbols only: a stack address never resolves to data. */
static int is_text_type(char t)
{
	return t == 't' || t == 'T' || t == 'w' || t == 'W';
}

static int ksyms__add(struct ksyms *ks, __u64 addr, const char *name, size_t len)
{
	size_t off;

	if (array_reserve((void **)&ks->syms, &ks->cap, ks->nr + 1, sizeof(*ks->syms), 16384) ||
	    strpool_add(&ks->names, name, len, &off))
		return -ENOMEM;
	/* names move while loading: keep the offset, fix up at the end */
	ks->syms[ks->nr].name = (const char *)(uintptr_t)off;
	ks->syms[ks->nr].addr = addr;
	ks->nr++;
	return 0;
}

/* "ffffffff81000000 T _stext\t[module]": returns 1 when the line is a text
 * symbol, 0 to skip it. */
static int parse_line(char *line, __u64 *addr, const char **name, size_t *len)
{
	char *end, *p;
	unsigned long long a;

	errno = 0;
	a = strtoull(line, &end, 16);
	if (errno || end == line || (*end != ' ' && *end != '\t'))
		return 0;
	p = end + strspn(end, " \t");
	if (!is_text_type(*p) || (p[1] != ' ' && p[1] != '\t'))
		return 0;
	p += 1 + strspn(p + 1, " \t");
	*len = strcspn(p, " \t\r\n");
	if (*len == 0)
		return 0;
	*addr = a;
	*name = p;
	return 1;
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* keep the order stable for aliases: first listed wins */
	return (uintptr_t)x->name < (uintptr_t)y->name ? -1 : 1;
}

void ksyms__free(struct ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	strpool_free(&ks->names);
	free(ks);
}

struct ksyms *ksyms__load_file(const char *path)
{
	struct ksyms *ks;
	char *line = NULL;
	size_t linesz = 0, i, w;
	int err = 0, any_addr = 0;
	FILE *f;

	f = foreign_fopen(path, FOREIGN_PROC_TEXT, FOREIGN_FOLLOW);
	if (!f)
		return NULL;
	/* 5 MB of text: stdio's 1 KiB default means 5000 reads */
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	ks = calloc(1, sizeof(*ks));
	if (!ks) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	while (getline(&line, &linesz, f) > 0) {
		const char *name;
		size_t len;
		__u64 addr;

		if (!parse_line(line, &addr, &name, &len))
			continue;
		any_addr |= addr != 0;
		err = ksyms__add(ks, addr, name, len);
		if (err)
			break;
	}
	free(line);
	fclose(f);
	if (!err && ks->nr && !any_addr)
		err = -EPERM;
	if (err) {
		ksyms__free(ks);
		errno = -err;
		return NULL;
	}
	if (ks->nr)	/* syms is NULL when nothing was read */
		qsort(ks->syms, ks->nr, sizeof(*ks->syms), ksym_cmp);
	/* drop aliases: the first name at an address is the one kept */
	for (i = 0, w = 0; i < ks->nr; i++) {
		if (w && ks->syms[w - 1].addr == ks->syms[i].addr)
			continue;
		ks->syms[w++] = ks->syms[i];
	}
	ks->nr = w;
	for (i = 0; i < ks->nr; i++)
		ks->syms[i].name = ks->names.buf + (uintptr_t)ks->syms[i].name;
	return ks;
}

struct ksyms *ksyms__load(void)
{
	return ksyms__load_file("/proc/kallsyms");
}

const struct ksym *ksyms__resolve(const struct ksyms *ks, __u64 addr)
{
	size_t lo = 0, hi;

	if (!ks || !ks->nr || addr < ks->syms[0].addr)
		return NULL;
	hi = ks->nr;
	/* last symbol with sym.addr <= addr */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return &ks->syms[lo];
}

int ksyms__format(const struct ksyms *ks, __u64 addr, char *buf, size_t size)
{
	const struct ksym *s = ksyms__resolve(ks, addr);

	if (!s)
		return snprintf(buf, size, "0x%llx", (unsigned long long)addr);
	return snprintf(buf, size, "%s+0x%llx", s->name,
			(unsigned long long)(addr - s->addr));
}

size_t ksyms__count(const struct ksyms *ks)
{
	return ks ? ks->nr : 0;
}
