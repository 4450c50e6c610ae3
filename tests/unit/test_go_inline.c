// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the inline-table reader of go_binary.c (go_binary__frames,
 * and go_binary__go_target through an inlining wrapper) on a small synthetic
 * Go-like ELF: one function with two nested inlined calls, in the Go 1.20+
 * and the 1.18-1.19 layouts, the funcdata base found through .symtab or
 * through the moduledata; then loops, out-of-range records, truncated and
 * garbled copies: frames or a clean error, never a crash.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "collect/go/go_binary.h"
#include "synth_go.h"

#define OFF_MODDATA	0x600	/* runtime.firstmoduledata */
#define TREE_OFF	0x10
#define FUNC_SIZE	0x40

/*
 * The function (FUNC) runs, by ranges of 16 bytes: its own code (line 10),
 * main.inner inlined into main.mid inlined into it (line 100), main.mid's
 * own code around its call to inner (line 50), its own code at the call of
 * main.mid (line 12). Tree: 0 = main.mid called at +0x30, 1 = main.inner
 * called at +0x20.
 */
static const int32_t lines[] = { 10, 100, 50, 12 };
static const int32_t inl_index[] = { -1, 1, 0, -1 };

struct layout {
	bool old;		/* Go 1.18-1.19: magic 0xfffffff0, 40-byte _func, 20-byte records */
	bool symtab;		/* go:func.* in .symtab; else only the moduledata gives it */
	const char *func;	/* the physical function's name */
};

static size_t func_off;	/* file offset of the _func record */


static void put_inl_call(uint8_t *p, bool old, uint32_t name_off, uint32_t parent_pc)
{
	if (old) {
		put32(p + 12, name_off);
		put32(p + 16, parent_pc);
	} else {
		put32(p + 4, name_off);
		put32(p + 8, parent_pc);
	}
}

static void build_image(uint8_t *img, const struct layout *l)
{
	static const int32_t files[] = { 0, 0, 0, 0 };
	uint8_t *pcln = img + OFF_PCLN, *pctab, *fn;
	size_t names = 72, flen = strlen(l->func) + 1, hdr = l->old ? 40 : 44;
	uint32_t mid = flen, inner = flen + 9, pcfile, pcln_off, inl;
	size_t cutab = names + 32 + 8, filetab = cutab + 4, pct = filetab + 16, functab;

	synth_elf_header(img, IMG_SIZE, BASE, OFF_SHDRS, l->symtab ? 7 : 5);

	/* pclntab: header, funcnames, cutab, filetab, pctab, functab */
	put32(pcln, l->old ? 0xfffffff0 : 0xfffffff1);
	pcln[6] = 1;
	pcln[7] = 8;
	put64(pcln + 8, 1);			/* nfunc */
	put64(pcln + 24, BASE + OFF_TEXT);	/* textStart */
	memcpy(pcln + names, l->func, flen);
	memcpy(pcln + names + mid, "main.mid", 9);
	memcpy(pcln + names + inner, "main.inner", 11);
	memcpy(pcln + filetab, "/src/main.go", 13);
	pctab = pcln + pct;
	pcfile = 1;
	pcln_off = pcfile + synth_pc_table(pctab + pcfile, files, 4);
	inl = pcln_off + synth_pc_table(pctab + pcln_off, lines, 4);
	functab = (pct + inl + synth_pc_table(pctab + inl, inl_index, 4) + 7) & ~7UL;
	put64(pcln + 32, names);
	put64(pcln + 40, cutab);
	put64(pcln + 48, filetab);
	put64(pcln + 56, pct);
	put64(pcln + 64, functab);
	put32(pcln + functab, 0);		/* entry 0 */
	put32(pcln + functab + 4, 16);		/* its _func, functab-relative */
	put32(pcln + functab + 8, FUNC_SIZE);	/* end of text */
	fn = pcln + functab + 16;
	func_off = fn - img;
	put32(fn + 20, pcfile);
	put32(fn + 24, pcln_off);
	put32(fn + 28, 3);			/* npcdata */
	fn[hdr - 1] = 4;			/* nfuncdata */
	put32(fn + hdr + 8, inl);		/* pcdata[InlTreeIndex] */
	for (int i = 0; i < 3; i++)
		put32(fn + hdr + 12 + 4 * i, UINT32_MAX);
	put32(fn + hdr + 24, TREE_OFF);		/* funcdata[InlTree] */
	assert_true(OFF_PCLN + functab + 16 + hdr + 28 <= OFF_TEXT);

	put_inl_call(img + OFF_GOFUNC + TREE_OFF, l->old, mid, 0x30);
	put_inl_call(img + OFF_GOFUNC + TREE_OFF + (l->old ? 20 : 16), l->old, inner, 0x20);

	/* moduledata: pcHeader, funcnametab.ptr, ..., gofunc */
	put64(img + OFF_MODDATA, BASE + OFF_PCLN);
	put64(img + OFF_MODDATA + 8, BASE + OFF_PCLN + names);
	put64(img + OFF_MODDATA + (l->old ? 304 : 320), BASE + OFF_GOFUNC);

	synth_go_sections(img, FUNC_SIZE, l->symtab);
}

static void expect_frame(const struct go_frame *f, const char *func, int line, bool inlined)
{
	assert_string_equal(f->func, func);
	assert_string_equal(f->file, "/src/main.go");
	assert_int_equal(f->line, line);
	assert_int_equal(f->inlined, inlined);
	assert_int_equal(f->entry, BASE + OFF_TEXT);
}

static void check_layout(const struct layout *l)
{
	uint8_t img[IMG_SIZE];
	struct go_frame f[8];
	struct go_binary *b;
	uint64_t pc = BASE + OFF_TEXT;

	build_image(img, l);
	b = synth_go_open(img, sizeof(img));
	assert_non_null(b);
	/* inside both inlined calls: inner, mid, then the function at mid's call site */
	assert_int_equal(go_binary__frames(b, pc + 0x14, false, f, 8), 3);
	expect_frame(&f[0], "main.inner", 100, true);
	expect_frame(&f[1], "main.mid", 50, true);
	expect_frame(&f[2], l->func, 12, false);
	/* a return address is looked up one byte back */
	assert_int_equal(go_binary__frames(b, pc + 0x20, true, f, 8), 3);
	assert_int_equal(go_binary__frames(b, pc + 0x20, false, f, 8), 2);
	assert_int_equal(go_binary__frames(b, pc + 0x21, true, f, 8), 2);
	expect_frame(&f[0], "main.mid", 50, true);
	expect_frame(&f[1], l->func, 12, false);
	/* the function's own code */
	assert_int_equal(go_binary__frames(b, pc + 0x4, false, f, 8), 1);
	expect_frame(&f[0], l->func, 10, false);
	assert_int_equal(go_binary__frames(b, pc + 0x34, false, f, 8), 1);
	expect_frame(&f[0], l->func, 12, false);
	/* too few slots: the innermost frames and always the physical one */
	assert_int_equal(go_binary__frames(b, pc + 0x14, false, f, 2), 2);
	expect_frame(&f[0], "main.inner", 100, true);
	expect_frame(&f[1], l->func, 12, false);
	assert_int_equal(go_binary__frames(b, pc + 0x14, false, f, 1), 1);
	expect_frame(&f[0], l->func, 12, false);
	assert_int_equal(go_binary__frames(b, pc + 0x14, false, f, 0), -EINVAL);
	/* outside any function */
	assert_int_equal(go_binary__frames(b, pc + FUNC_SIZE, false, f, 8), -ENOENT);
	assert_int_equal(go_binary__frames(b, 0, false, f, 8), -ENOENT);
	go_binary__close(b);
}

static void test_frames_symtab(void **state)
{
	check_layout(&(struct layout){ .symtab = true, .func = "main.outer" });
}

static void test_frames_moduledata(void **state)
{
	check_layout(&(struct layout){ .symtab = false, .func = "main.outer" });
}

static void test_frames_go118(void **state)
{
	check_layout(&(struct layout){ .old = true, .symtab = true, .func = "main.outer" });
	check_layout(&(struct layout){ .old = true, .symtab = false, .func = "main.outer" });
}

/* `go mid(x)` with mid inlined into the go statement's wrapper */
static void test_go_target_inlined(void **state)
{
	const struct layout l = { .symtab = false, .func = "main.f.gowrap1" };
	uint8_t img[IMG_SIZE];
	struct go_binary *b;
	const char *name = NULL;

	build_image(img, &l);
	b = synth_go_open(img, sizeof(img));
	assert_non_null(b);
	assert_int_equal(go_binary__go_target(b, BASE + OFF_TEXT, &name), 0);
	assert_string_equal(name, "main.mid");
	go_binary__close(b);
	/* without a readable tree: the wrapper itself */
	build_image(img, &l);
	put64(img + OFF_MODDATA + 320, 0xdead0000);
	b = synth_go_open(img, sizeof(img));
	assert_non_null(b);
	assert_int_equal(go_binary__go_target(b, BASE + OFF_TEXT, &name), 0);
	assert_string_equal(name, "main.f.gowrap1");
	go_binary__close(b);
}

/* frames of every pc of the function: sane, whatever the image holds */
static int frames_of(const uint8_t *img, size_t len, int *most)
{
	struct go_binary *b = synth_go_open(img, len);
	struct go_frame f[4];

	*most = 0;
	if (!b)
		return -1000;
	for (uint64_t pc = BASE + OFF_TEXT - 1; pc <= BASE + OFF_TEXT + FUNC_SIZE; pc++) {
		int n = go_binary__frames(b, pc, pc & 1, f, 4);

		assert_true(n == -ENOENT || (n >= 1 && n <= 4));
		for (int i = 0; i < n; i++) {
			assert_non_null(f[i].func);
			assert_non_null(f[i].file);
			assert_true(f[i].line >= 0);
			assert_int_equal(f[i].inlined, i < n - 1);
		}
		if (n > *most)
			*most = n;
	}
	go_binary__close(b);
	return 0;
}

static void test_bad_trees(void **state)
{
	const struct layout l = { .symtab = true, .func = "main.outer" };
	uint8_t img[IMG_SIZE];
	int most;

	/* a call site outside the function: that record is not followed */
	build_image(img, &l);
	put_inl_call(img + OFF_GOFUNC + TREE_OFF + 16, false, 20, 0x7fffffff);
	assert_int_equal(frames_of(img, sizeof(img), &most), 0);
	assert_int_equal(most, 2);
	/* a name outside the name table, a negative one */
	build_image(img, &l);
	put_inl_call(img + OFF_GOFUNC + TREE_OFF, false, 0x7ffffff0, 0x30);
	put_inl_call(img + OFF_GOFUNC + TREE_OFF + 16, false, UINT32_MAX, 0x20);
	assert_int_equal(frames_of(img, sizeof(img), &most), 0);
	assert_int_equal(most, 1);
	/* a loop: mid's call site inside inner's range; bounded, at most max frames */
	build_image(img, &l);
	put_inl_call(img + OFF_GOFUNC + TREE_OFF, false, 11, 0x14);
	assert_int_equal(frames_of(img, sizeof(img), &most), 0);
	assert_int_equal(most, 4);
	/* a funcdata offset far outside the file; pcdata and funcdata counts past the table */
	build_image(img, &l);
	put32(img + func_off + 44 + 24, 0x7fff0000);
	assert_int_equal(frames_of(img, sizeof(img), &most), 0);
	assert_int_equal(most, 1);
	build_image(img, &l);
	put32(img + func_off + 28, 0x40000000);
	assert_int_equal(frames_of(img, sizeof(img), &most), 0);
	assert_int_equal(most, 1);
	/* no moduledata and no symbol: the physical frame alone */
	build_image(img, &(struct layout){ .symtab = false, .func = "main.outer" });
	memset(img + OFF_MODDATA, 0, 16);
	assert_int_equal(frames_of(img, sizeof(img), &most), 0);
	assert_int_equal(most, 1);
}

static void test_truncated_and_garbled(void **state)
{
	uint8_t img[IMG_SIZE];
	unsigned int seed = 777;
	int most;

	for (int v = 0; v < 4; v++) {
		const struct layout l = { .old = v & 1, .symtab = v & 2, .func = "main.outer" };

		for (size_t len = 0; len < IMG_SIZE; len += 53) {
			build_image(img, &l);
			(void)frames_of(img, len, &most);
		}
		for (int round = 0; round < 200; round++) {
			build_image(img, &l);
			/* a few bytes anywhere past the ELF header */
			for (int k = 0; k < 6; k++)
				img[64 + rand_r(&seed) % (IMG_SIZE - 64)] = (uint8_t)rand_r(&seed);
			(void)frames_of(img, sizeof(img), &most);
		}
		for (int round = 0; round < 100; round++) {
			build_image(img, &l);
			/* the inline tree, the pc tables or the _func all random */
			int lo = round % 3 == 0 ? OFF_GOFUNC : OFF_PCLN + 100;
			int hi = round % 3 == 0 ? OFF_GOFUNC + 0x40 : OFF_TEXT;

			for (int i = lo; i < hi; i++)
				if (round % 3 != 2 || rand_r(&seed) % 4 == 0)
					img[i] = (uint8_t)rand_r(&seed);
			(void)frames_of(img, sizeof(img), &most);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_symtab),
		cmocka_unit_test(test_frames_moduledata),
		cmocka_unit_test(test_frames_go118),
		cmocka_unit_test(test_go_target_inlined),
		cmocka_unit_test(test_bad_trees),
		cmocka_unit_test(test_truncated_and_garbled),
	};

	return cmocka_run_group_tests_name("go_inline", tests, NULL, NULL);
}
