// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the stack map reader (go_binary__frame_info, go_stackmap.c)
 * on a small synthetic Go-like ELF (Go 1.20+ layout): main.f, a frame of 4
 * local words under its saved frame pointer, 2 argument words, a stack
 * object, and stack maps that change at its two calls; runtime.goexit, the
 * TOPFRAME bottom. A stack is built by hand and the live words checked per
 * call site, with a PIE bias; then every way of being unsure (no bottom,
 * an index out of range, a map missing, assembly, garbled bytes) must fall
 * back to every word. LT_STACKMAP_SEED=PATH writes the image (the seed
 * tests/fuzz/corpus/go_binary/stackmap-go120).
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
#include "collect/go/go_stackmap.h"
#include "synth_go.h"

#define HDR		44	/* _func, Go 1.20+ */
#define SP		0x7f0000001000ULL
#define NWORDS		12

static size_t fn_off[2];	/* file offsets of the two _func records */

static void put_func(uint8_t *fn, uint32_t entry, uint32_t name, int32_t args, uint32_t pcsp,
		     uint32_t smi, uint8_t flag, bool funcdata)
{
	put32(fn, entry);
	put32(fn + 4, name);
	put32(fn + 8, (uint32_t)args);
	put32(fn + 16, pcsp);
	put32(fn + 28, 2);			/* npcdata: UnsafePoint, StackMapIndex */
	put32(fn + 32, UINT32_MAX);		/* no CU */
	fn[HDR - 3] = flag;
	fn[HDR - 1] = funcdata ? 4 : 0;
	put32(fn + HDR + 4, smi);
	if (funcdata) {
		put32(fn + HDR + 8, 0x00);	/* ArgsPointerMaps */
		put32(fn + HDR + 12, 0x20);	/* LocalsPointerMaps */
		put32(fn + HDR + 16, 0x40);	/* StackObjects */
		put32(fn + HDR + 20, 0x60);	/* InlTree: how the funcdata base is validated */
	}
}

static void put_maps(uint8_t *gofunc)
{
	/* args: 2 maps of 2 bits; locals: 2 maps of 4 bits */
	put32(gofunc, 2), put32(gofunc + 4, 2), gofunc[8] = 0x3, gofunc[9] = 0x2;
	put32(gofunc + 0x20, 2), put32(gofunc + 0x24, 4), gofunc[0x28] = 0x1, gofunc[0x29] = 0x4;
	/* one stack object: 8 bytes at varp - 8 */
	put64(gofunc + 0x40, 1);
	put32(gofunc + 0x48, (uint32_t)-8);
	put32(gofunc + 0x4c, 8);
	/* an inlined call of main.f at +0x10 (inlinedCall, Go 1.20+) */
	put32(gofunc + 0x64, 0);
	put32(gofunc + 0x68, 0x10);
}

static void build_image(uint8_t *img)
{
	static const int32_t f_sp[] = { 0, 40, 40, 40 }, f_smi[] = { -1, 0, 1, 1 }, g_sp[] = { 0 };
	uint8_t *pcln = img + OFF_PCLN;
	size_t names = 72, pct = 120, functab = 192;
	uint32_t a = 1, b, c, d;

	synth_elf_header(img, IMG_SIZE, BASE, OFF_SHDRS, 7);
	put32(pcln, 0xfffffff1);
	pcln[6] = 1;
	pcln[7] = 8;
	put64(pcln + 8, 2);
	put64(pcln + 24, BASE + OFF_TEXT);
	memcpy(pcln + names, "main.f\0runtime.goexit", 22);
	b = a + synth_pc_table(pcln + pct + a, f_sp, 4);
	c = b + synth_pc_table(pcln + pct + b, f_smi, 4);
	d = c + synth_pc_table(pcln + pct + c, g_sp, 1);
	assert_true(pct + d < functab);
	put64(pcln + 32, names);
	put64(pcln + 40, names + 24);
	put64(pcln + 48, names + 28);
	put64(pcln + 56, pct);
	put64(pcln + 64, functab);
	put32(pcln + functab, 0), put32(pcln + functab + 4, 24);
	put32(pcln + functab + 8, 0x40), put32(pcln + functab + 12, 96);
	put32(pcln + functab + 16, 0x50);
	fn_off[0] = OFF_PCLN + functab + 24;
	fn_off[1] = OFF_PCLN + functab + 96;
	put_func(img + fn_off[0], 0, 0, 16, a, b, 0, true);
	put_func(img + fn_off[1], 0x40, 7, 0, c, 0, GO_FUNCFLAG_TOPFRAME | GO_FUNCFLAG_ASM, false);
	put_maps(img + OFF_GOFUNC);

	synth_go_sections(img, 0x50, true);
}

/*
 * main.f parked at ret (a return address in it): words 0-3 its locals,
 * 4 the saved frame pointer, 5 the return address into goexit, 6-7 its
 * arguments, then goexit's empty frame and newproc's slack. Returns the
 * live words as a mask, *precise the frames mapped.
 */
static unsigned live_mask(const uint8_t *img, uint64_t bias, uint64_t ret, uint64_t back,
			  int *precise)
{
	struct go_binary *b = synth_go_open(img, IMG_SIZE);
	uint64_t stack[NWORDS];
	uint8_t live[(NWORDS + 7) / 8] = { 0 };
	struct go_stackmap_stats st = { 0 };
	unsigned mask = 0;

	assert_non_null(b);
	for (int i = 0; i < NWORDS; i++)
		stack[i] = 0xc000000000ULL + 8 * i;
	stack[4] = SP + 0x100;
	stack[5] = back;
	*precise = go_stackmap__live_words(b, bias, ret + bias, SP, (const uint8_t *)stack,
					   sizeof(stack), live, &st);
	for (int i = 0; i < NWORDS; i++)
		mask |= ((live[i / 8] >> (i % 8)) & 1u) << i;
	assert_int_equal(st.words, NWORDS);
	go_binary__close(b);
	return mask;
}

#define F(off)		(BASE + OFF_TEXT + (off))
#define ALL		((1u << NWORDS) - 1)

static void test_frame_info(void **state)
{
	uint8_t img[IMG_SIZE];
	struct go_frame_info fi;
	struct go_binary *b;

	(void)state;
	build_image(img);
	b = synth_go_open(img, sizeof(img));
	assert_non_null(b);
	assert_int_equal(go_binary__frame_info(b, F(0x30), &fi), 0);
	assert_string_equal(fi.name, "main.f");
	assert_int_equal(fi.spdelta, 40);
	assert_int_equal(fi.args, 16);
	assert_int_equal(fi.stackmap_idx, 1);
	assert_int_equal(fi.locals_map, BASE + OFF_GOFUNC + 0x20);
	/* a return address right after a call in the first range: the index there */
	assert_int_equal(go_binary__frame_info(b, F(0x20), &fi), 0);
	assert_int_equal(fi.stackmap_idx, 0);
	/* at the entry: no index (the runtime uses map 0) */
	assert_int_equal(go_binary__frame_info(b, F(0), &fi), 0);
	assert_int_equal(fi.stackmap_idx, -1);
	assert_int_equal(fi.spdelta, 0);
	assert_int_equal(go_binary__frame_info(b, F(0x44), &fi), 0);
	assert_string_equal(fi.name, "runtime.goexit");
	assert_true(fi.flag & GO_FUNCFLAG_TOPFRAME);
	assert_int_equal(go_binary__frame_info(b, F(0x50), &fi), -ENOENT);
	go_binary__close(b);
}

static void test_live_words(void **state)
{
	uint8_t img[IMG_SIZE];
	int precise;

	(void)state;
	build_image(img);
	/* map 1: local word 2, the stack object (word 3), argument word 7 */
	assert_int_equal(live_mask(img, 0, F(0x30), F(0x41), &precise), 1u << 2 | 1u << 3 | 1u << 7);
	assert_int_equal(precise, 2);
	/* map 0: local word 0, the stack object, both arguments */
	assert_int_equal(live_mask(img, 0, F(0x20), F(0x41), &precise),
			 1u << 0 | 1u << 3 | 1u << 6 | 1u << 7);
	/* a PIE: runtime pcs moved by the bias, the return address too */
	assert_int_equal(live_mask(img, 0x5000000000ULL, F(0x30), F(0x41) + 0x5000000000ULL,
				   &precise), 1u << 2 | 1u << 3 | 1u << 7);
	assert_int_equal(precise, 2);
}

static void test_unsure_is_whole(void **state)
{
	uint8_t img[IMG_SIZE];
	int precise;

	(void)state;
	build_image(img);
	/* the unwind does not reach goexit: a return address in nothing */
	assert_int_equal(live_mask(img, 0, F(0x30), 0x1234, &precise), ALL);
	assert_int_equal(precise, 0);
	/* the wrong bias: pcs in no function */
	assert_int_equal(live_mask(img, 0x1000, F(0x30), F(0x41), &precise), ALL);
	/* an index past the maps' count */
	put32(img + OFF_GOFUNC + 0x20, 1);
	assert_int_equal(live_mask(img, 0, F(0x30), F(0x41), &precise), ALL);
	build_image(img);
	/* no locals map for a frame with locals */
	put32(img + fn_off[0] + HDR + 12, UINT32_MAX);
	assert_int_equal(live_mask(img, 0, F(0x30), F(0x41), &precise), ALL);
	build_image(img);
	/* assembly, unknown argument size, a stack object out of the stack */
	img[fn_off[0] + HDR - 3] = GO_FUNCFLAG_ASM;
	assert_int_equal(live_mask(img, 0, F(0x30), F(0x41), &precise), ALL);
	build_image(img);
	put32(img + fn_off[0] + 8, (uint32_t)INT32_MIN);
	assert_int_equal(live_mask(img, 0, F(0x30), F(0x41), &precise), ALL);
	build_image(img);
	put32(img + OFF_GOFUNC + 0x4c, 0x10000);
	assert_int_equal(live_mask(img, 0, F(0x30), F(0x41), &precise), ALL);
	build_image(img);
	/* a frame bigger than the stack read */
	put32(img + OFF_GOFUNC + 0x24, 200);
	assert_int_equal(live_mask(img, 0, F(0x30), F(0x41), &precise), ALL);
}

/* Every byte of the tables and maps garbled in turn: an answer, never a
 * crash (under ASan: never a read out of bounds). */
static void test_garbled(void **state)
{
	uint8_t img[IMG_SIZE];
	int precise;

	(void)state;
	for (size_t off = OFF_PCLN + 72; off < OFF_GOFUNC + 0x60; off++) {
		if (off >= OFF_TEXT && off < OFF_GOFUNC)
			continue;
		for (int v = 0; v < 3; v++) {
			build_image(img);
			img[off] = v == 0 ? 0xff : v == 1 ? 0x80 : (uint8_t)(img[off] ^ 0x5a);
			(void)live_mask(img, 0, F(0x30), F(0x41), &precise);
			assert_true(precise >= 0 && precise <= 2);
		}
	}
}

int main(void)
{
	uint8_t img[IMG_SIZE];
	const char *seed = getenv("LT_STACKMAP_SEED");	/* writes the fuzz seed */
	FILE *f;

	if (seed && (f = fopen(seed, "wb"))) {
		build_image(img);
		fwrite(img, 1, sizeof(img), f);
		fclose(f);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_info),
		cmocka_unit_test(test_live_words),
		cmocka_unit_test(test_unsure_is_whole),
		cmocka_unit_test(test_garbled),
	};

	return cmocka_run_group_tests_name("go_stackmap", tests, NULL, NULL);
}
