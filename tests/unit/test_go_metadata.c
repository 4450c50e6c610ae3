// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the readers of Go runtime metadata (go_binary.c): the wait
 * reason table runtime.waitReasonStrings, found through .symtab or from
 * the code of runtime.waitReason.String, and the go-statement wrapper
 * resolution. Each is fed a small synthetic Go-like ELF, then truncated and
 * garbled copies of it: a valid table or a clean error, never a crash.
 */
#include <errno.h>
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "collect/go/go_binary.h"
#include "synth_elf.h"

#define BASE		0x400000ULL
#define IMG_SIZE	0x1000
#define OFF_PCLN	0x100	/* .gopclntab */
#define OFF_TEXT	0x200	/* runtime.waitReason.String */
#define OFF_TABLE	0x300	/* runtime.waitReasonStrings: 16-byte string headers */
#define OFF_STRS	0x700	/* the names */
#define OFF_SYMTAB	0x900
#define OFF_STRTAB	0x940
#define OFF_SHSTR	0x980
#define OFF_SHDRS	0xa00

static const char *const names[] = {
	"", "GC assist marking", "IO wait", "chan receive", "chan send", "select",
	"sleep", "semacquire", "sync.Mutex.Lock", "sync.Cond.Wait", "dumping heap",
	"garbage collection", "panicwait", "GC sweep wait", "finalizer wait",
	"force gc (idle)", "preempted", "debug call",
};
#define NNAMES (sizeof(names) / sizeof(names[0]))


/* A Go-like ELF: pclntab with one function, its code, the table, optional .symtab. */
static void build_image(uint8_t *img, bool with_symtab)
{
	static const char shstr[] = "\0.gopclntab\0.text\0.data\0.symtab\0.strtab\0.shstrtab";
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + OFF_SHDRS);
	uint8_t *pcln = img + OFF_PCLN, *code = img + OFF_TEXT;
	uint64_t str = OFF_STRS;
	int32_t rel;

	synth_elf_header(img, IMG_SIZE, BASE, OFF_SHDRS, with_symtab ? 7 : 5);

	/* pclntab (1.20 layout): header, funcnames, cutab, filetab, pctab, functab */
	put32(pcln, 0xfffffff1);
	pcln[6] = 1;
	pcln[7] = 8;
	put64(pcln + 8, 1);			/* nfunc */
	put64(pcln + 24, BASE + OFF_TEXT);	/* textStart */
	put64(pcln + 32, 72);			/* funcnames */
	put64(pcln + 40, 100);			/* cutab */
	put64(pcln + 48, 104);			/* filetab */
	put64(pcln + 56, 108);			/* pctab */
	put64(pcln + 64, 112);			/* functab */
	memcpy(pcln + 72, "runtime.waitReason.String", 26);
	put32(pcln + 112, 0);			/* entry 0 */
	put32(pcln + 116, 16);			/* its _func, functab-relative */
	put32(pcln + 120, 0x40);		/* end of text */
	/* _func at functab+16: entryoff, nameoff 0, the rest zero */

	/* cmp $N,%al; jb +0; lea table(%rip),%rdx; ret */
	code[0] = 0x3c;
	code[1] = NNAMES;
	code[2] = 0x72;
	code[3] = 0x00;
	code[4] = 0x48;
	code[5] = 0x8d;
	code[6] = 0x15;
	rel = (int32_t)(OFF_TABLE - (OFF_TEXT + 11));
	memcpy(code + 7, &rel, 4);
	code[11] = 0xc3;

	for (size_t i = 0; i < NNAMES; i++) {
		size_t len = strlen(names[i]);

		memcpy(img + str, names[i], len);
		put64(img + OFF_TABLE + 16 * i, BASE + str);
		put64(img + OFF_TABLE + 16 * i + 8, len);
		str += len;
	}

	memcpy(img + OFF_SHSTR, shstr, sizeof(shstr));
	sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_PROGBITS, .sh_addr = BASE + OFF_PCLN,
			      .sh_offset = OFF_PCLN, .sh_size = 0x100 };
	sh[2] = (Elf64_Shdr){ .sh_name = 12, .sh_type = SHT_PROGBITS, .sh_addr = BASE + OFF_TEXT,
			      .sh_offset = OFF_TEXT, .sh_size = 0x40 };
	sh[3] = (Elf64_Shdr){ .sh_name = 18, .sh_type = SHT_PROGBITS, .sh_addr = BASE + OFF_TABLE,
			      .sh_offset = OFF_TABLE, .sh_size = 0x600 };
	sh[4] = (Elf64_Shdr){ .sh_name = 40, .sh_type = SHT_STRTAB, .sh_offset = OFF_SHSTR,
			      .sh_size = sizeof(shstr) };
	if (with_symtab) {
		Elf64_Sym *sym = (Elf64_Sym *)(img + OFF_SYMTAB);

		memcpy(img + OFF_STRTAB, "\0runtime.waitReasonStrings", 27);
		sym[1] = (Elf64_Sym){ .st_name = 1, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
				      .st_value = BASE + OFF_TABLE, .st_size = 16 * NNAMES };
		sh[5] = (Elf64_Shdr){ .sh_name = 24, .sh_type = SHT_SYMTAB, .sh_offset = OFF_SYMTAB,
				      .sh_size = 2 * sizeof(Elf64_Sym), .sh_link = 6,
				      .sh_entsize = sizeof(Elf64_Sym) };
		sh[6] = (Elf64_Shdr){ .sh_name = 32, .sh_type = SHT_STRTAB, .sh_offset = OFF_STRTAB,
				      .sh_size = 27 };
	}
}

static char *write_temp(const void *data, size_t len)
{
	char *path = synth_write_temp(data, len);

	assert_non_null(path);
	return path;
}

/* Opens a copy of img; returns the wait reason count (or -errno, or -1000 if not opened). */
static int wait_reasons_of(const uint8_t *img, size_t len, const char **source, bool check_names)
{
	char err[256], *path = write_temp(img, len);
	struct go_binary *b = go_binary__open(path, err, sizeof(err));
	const char *const *got;
	int n;

	unlink(path);
	if (!b)
		return -1000;
	n = go_binary__wait_reasons(b, &got, source);
	if (n > 0) {
		/* whatever was accepted is a table with "" first and printable names */
		assert_string_equal(got[0], "");
		for (int i = 1; i < n; i++)
			assert_true(got[i][0] != '\0');
		if (check_names)
			for (int i = 0; i < n; i++)
				assert_string_equal(got[i], names[i]);
	}
	go_binary__close(b);
	return n;
}

static void test_from_symtab(void **state)
{
	uint8_t img[IMG_SIZE];
	const char *src = NULL;

	build_image(img, true);
	assert_int_equal(wait_reasons_of(img, sizeof(img), &src, true), (int)NNAMES);
	assert_string_equal(src, "symtab");
}

static void test_from_code(void **state)
{
	uint8_t img[IMG_SIZE];
	const char *src = NULL;

	build_image(img, false);
	assert_int_equal(wait_reasons_of(img, sizeof(img), &src, true), (int)NNAMES);
	assert_string_equal(src, "runtime.waitReason.String");
	/* without the bound check, the table ends at the first non-name */
	img[OFF_TEXT] = 0x90;
	assert_int_equal(wait_reasons_of(img, sizeof(img), &src, true), (int)NNAMES);
}

static void test_wrong_tables_rejected(void **state)
{
	uint8_t img[IMG_SIZE];
	const char *src;

	/* no "chan receive": not the table */
	build_image(img, false);
	memcpy(img + OFF_STRS + strlen("GC assist marking") + strlen("IO wait"), "CHAN", 4);
	assert_true(wait_reasons_of(img, sizeof(img), &src, false) < 0);
	/* entry 0 not empty */
	build_image(img, true);
	put64(img + OFF_TABLE + 8, 3);
	assert_true(wait_reasons_of(img, sizeof(img), &src, false) < 0);
	/* a name pointing outside the file */
	build_image(img, true);
	put64(img + OFF_TABLE + 16 * 3, 0xdead0000);
	assert_true(wait_reasons_of(img, sizeof(img), &src, false) < 0);
	/* a huge length */
	build_image(img, true);
	put64(img + OFF_TABLE + 16 * 3 + 8, 1ULL << 40);
	assert_true(wait_reasons_of(img, sizeof(img), &src, false) < 0);
	/* a symbol size that is no table: the code still leads to the right one */
	build_image(img, true);
	((Elf64_Sym *)(img + OFF_SYMTAB))[1].st_size = 16 * 1000;
	assert_int_equal(wait_reasons_of(img, sizeof(img), &src, true), (int)NNAMES);
	assert_string_equal(src, "runtime.waitReason.String");
}

static void test_truncated_and_garbled(void **state)
{
	uint8_t img[IMG_SIZE];
	unsigned int seed = 4242;
	const char *src;

	for (int symtab = 0; symtab < 2; symtab++) {
		for (size_t len = 0; len < IMG_SIZE; len += 61) {
			build_image(img, symtab);
			(void)wait_reasons_of(img, len, &src, false);
		}
		for (int round = 0; round < 300; round++) {
			build_image(img, symtab);
			/* garble a few bytes anywhere past the ELF header */
			for (int k = 0; k < 8; k++)
				img[64 + rand_r(&seed) % (IMG_SIZE - 64)] = (uint8_t)rand_r(&seed);
			(void)wait_reasons_of(img, sizeof(img), &src, false);
		}
		/* the whole table area random */
		for (int round = 0; round < 50; round++) {
			build_image(img, symtab);
			for (int i = OFF_TABLE; i < OFF_SYMTAB; i++)
				img[i] = (uint8_t)rand_r(&seed);
			assert_true(wait_reasons_of(img, sizeof(img), &src, false) < 0);
		}
	}
}

static void test_go_target(void **state)
{
	uint8_t img[IMG_SIZE];
	char err[256], *path;
	struct go_binary *b;
	const char *name = NULL;

	build_image(img, false);
	path = write_temp(img, sizeof(img));
	b = go_binary__open(path, err, sizeof(err));
	unlink(path);
	assert_non_null(b);
	/* not a wrapper: the function itself; not an entry: an error */
	assert_int_equal(go_binary__go_target(b, BASE + OFF_TEXT, &name), 0);
	assert_string_equal(name, "runtime.waitReason.String");
	assert_int_equal(go_binary__go_target(b, BASE + OFF_TEXT + 1, &name), -ENOENT);
	assert_int_equal(go_binary__go_target(b, 0, &name), -ENOENT);
	go_binary__close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_symtab),
		cmocka_unit_test(test_from_code),
		cmocka_unit_test(test_wrong_tables_rejected),
		cmocka_unit_test(test_truncated_and_garbled),
		cmocka_unit_test(test_go_target),
	};

	return cmocka_run_group_tests_name("go_metadata", tests, NULL, NULL);
}
