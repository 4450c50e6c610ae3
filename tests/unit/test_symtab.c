// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ELF symbol tables (symtab.c) and kallsyms (ksyms.c): lookups at and around
 * function bounds of a tiny library built at test time, separate debug files
 * found by build-id, the per-file cache, and garbage input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collect/stacks/ksyms.h"
#include "collect/stacks/symtab.h"
#include "util/foreign_file.h"

/* A known build-id makes the debug file path predictable. */
#define BUILD_ID	"0123456789abcdef0123456789abcdef01234567"

static const char lib_src[] =
	"__attribute__((noinline)) static int hidden_fn(int x)\n"
	"{ return x * 7 + (x >> 3); }\n"
	"__attribute__((noinline)) int f1(int x)\n"
	"{ return hidden_fn(x) * 3 + 1; }\n"
	"__attribute__((noinline, aligned(256))) int f2(int x)\n"
	"{ return f1(x) ^ 0x55; }\n"
	/* two labels typed as functions but without .size: st_size 0 */
	"__asm__(\".text\\n.p2align 8\\n.globl zsym\\n.type zsym,@function\\n"
	"zsym:\\n nop\\n nop\\n nop\\n nop\\n"
	".globl zsym2\\n.type zsym2,@function\\nzsym2:\\n ret\\n\");\n";

struct fixture {
	char dir[64];
	char lib[128];		/* with .symtab */
	char stripped[128];	/* .dynsym only */
	char debug_root[128];	/* holds .build-id/01/23...debug */
};

static struct fixture fx;

struct nm_sym {
	const char *name;
	unsigned long long addr, size;
};

static struct nm_sym want[] = {
	{ "hidden_fn", 0, 0 }, { "f1", 0, 0 }, { "f2", 0, 0 },
	{ "zsym", 0, 0 }, { "zsym2", 0, 0 },
};

static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static struct nm_sym *want_sym(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strcmp(want[i].name, name))
			return &want[i];
	return NULL;
}

/* Addresses and sizes as nm sees them: the independent oracle. */
static int read_nm(const char *lib)
{
	char cmd[256], line[512];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "nm -S --defined-only %s", lib);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, s = 0;
		char name[256], t;
		struct nm_sym *w;

		if (sscanf(line, "%llx %llx %c %255s", &a, &s, &t, name) != 4) {
			s = 0;
			if (sscanf(line, "%llx %c %255s", &a, &t, name) != 3)
				continue;
		}
		w = want_sym(name);
		if (w) {
			w->addr = a;
			w->size = s;
		}
	}
	return pclose(f);
}

static int setup_all(void **state)
{
	char src[160], dbg[256];
	FILE *f;

	strcpy(fx.dir, "/tmp/lt-symtab-XXXXXX");
	if (!mkdtemp(fx.dir))
		return -1;
	snprintf(src, sizeof(src), "%s/t.c", fx.dir);
	snprintf(fx.lib, sizeof(fx.lib), "%s/t.so", fx.dir);
	snprintf(fx.stripped, sizeof(fx.stripped), "%s/t-stripped.so", fx.dir);
	snprintf(fx.debug_root, sizeof(fx.debug_root), "%s/debug", fx.dir);
	f = fopen(src, "w");
	if (!f)
		return -1;
	fputs(lib_src, f);
	fclose(f);
	if (run("cc -O2 -shared -fPIC -Wl,--build-id=0x%s -o %s %s", BUILD_ID,
		fx.lib, src))
		return -1;
	snprintf(dbg, sizeof(dbg), "%s/.build-id/%.2s", fx.debug_root, BUILD_ID);
	if (run("mkdir -p %s && objcopy --only-keep-debug %s %s/%s.debug && "
		"strip --strip-all -o %s %s", dbg, fx.lib, dbg, BUILD_ID + 2,
		fx.stripped, fx.lib))
		return -1;
	return read_nm(fx.lib);
}

static int teardown_all(void **state)
{
	if (fx.dir[0])
		run("rm -rf %s", fx.dir);
	return 0;
}

static const char *name_at(const struct symtab *st, unsigned long long addr)
{
	const struct sym *s = symtab__find(st, addr);

	return s ? s->name : NULL;
}

static void test_bounds(void **state)
{
	struct nm_sym *f1 = want_sym("f1"), *f2 = want_sym("f2");
	struct symtab *st;

	assert_true(f1->addr && f1->size && f2->addr);
	/* f2 is 256-aligned, so past f1 there is a gap of padding */
	assert_true(f1->addr + f1->size < f2->addr);
	assert_int_equal(symtab__open(fx.lib, "", &st), 0);

	assert_string_equal(name_at(st, f1->addr), "f1");
	assert_string_equal(name_at(st, f1->addr + f1->size / 2), "f1");
	assert_string_equal(name_at(st, f1->addr + f1->size - 1), "f1");
	assert_null(name_at(st, f1->addr + f1->size));		/* one past end */
	assert_null(name_at(st, f2->addr - 1));			/* in the gap */
	assert_string_equal(name_at(st, f2->addr), "f2");
	assert_int_equal(symtab__find(st, f1->addr + 2)->addr, f1->addr);
	assert_int_equal(symtab__find(st, f1->addr)->size, f1->size);
	assert_null(name_at(st, 0x10));				/* below the first */
	assert_null(name_at(st, 0));
	assert_string_equal(name_at(st, want_sym("hidden_fn")->addr), "hidden_fn");
	symtab__put(st);
}

static void test_size_zero(void **state)
{
	struct nm_sym *z = want_sym("zsym"), *z2 = want_sym("zsym2");
	struct symtab *st;

	assert_int_equal(z->size, 0);
	assert_int_equal(z2->addr, z->addr + 4);
	assert_int_equal(symtab__open(fx.lib, "", &st), 0);
	assert_string_equal(name_at(st, z->addr), "zsym");
	assert_string_equal(name_at(st, z->addr + 3), "zsym");	/* up to the next */
	assert_string_equal(name_at(st, z2->addr), "zsym2");
	assert_int_equal(symtab__find(st, z->addr)->size, 0);
	symtab__put(st);
}

static void test_build_id_and_offsets(void **state)
{
	struct nm_sym *f1 = want_sym("f1");
	struct symtab *st;
	__u64 vaddr = 0;

	assert_int_equal(symtab__open(fx.lib, "", &st), 0);
	assert_string_equal(symtab__build_id(st), BUILD_ID);
	assert_false(symtab__has_debug_file(st));
	/* ld gives .text the same file offset as address in a shared object */
	assert_int_equal(symtab__off_to_vaddr(st, f1->addr, &vaddr), 0);
	assert_int_equal(vaddr, f1->addr);
	assert_int_equal(symtab__off_to_vaddr(st, 1ULL << 40, &vaddr), -ENOENT);
	symtab__put(st);
}

static void test_stripped_and_debug_file(void **state)
{
	struct nm_sym *h = want_sym("hidden_fn"), *f1 = want_sym("f1");
	struct symtab *st;

	/* .dynsym only: exported f1 resolves, the static function does not
	 * (a size-0 label before it may claim it: that is all we know) */
	assert_int_equal(symtab__open(fx.stripped, "", &st), 0);
	assert_string_equal(symtab__build_id(st), BUILD_ID);
	assert_string_equal(name_at(st, f1->addr + 1), "f1");
	assert_true(!name_at(st, h->addr) || strcmp(name_at(st, h->addr), "hidden_fn"));
	symtab__put(st);

	/* the debug file found by build-id brings the static one back */
	assert_int_equal(symtab__open(fx.stripped, fx.debug_root, &st), 0);
	assert_true(symtab__has_debug_file(st));
	assert_string_equal(name_at(st, h->addr), "hidden_fn");
	assert_string_equal(name_at(st, f1->addr), "f1");
	symtab__put(st);
}

/* Debian's libc has .dynsym only; its internals come from libc6-dbg. */
static void test_glibc(void **state)
{
	void *fn = dlsym(RTLD_DEFAULT, "pthread_cond_wait");
	struct symtab *st;
	const struct sym *s;
	struct timespec t0, t1;
	volatile const void *sink;
	Dl_info info;
	__u64 vaddr;
	int i, n = 1000000;

	assert_non_null(fn);
	assert_true(dladdr(fn, &info));
	assert_int_equal(symtab__open(info.dli_fname, NULL, &st), 0);
	vaddr = (uintptr_t)fn - (uintptr_t)info.dli_fbase;
	s = symtab__find(st, vaddr + 0x10);
	assert_non_null(s);
	assert_string_equal(s->name, "pthread_cond_wait");
	if (symtab__has_debug_file(st)) {
		bool seen = false;

		for (i = 0; i < 0x400000 && !seen; i += 16) {
			s = symtab__find(st, i);
			seen = s && !strcmp(s->name, "__futex_abstimed_wait_common");
		}
		assert_true(seen);
	} else {
		print_message("no libc debug file: internal names not checked\n");
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		sink = symtab__find(st, (vaddr * 7 + (__u64)i * 4099) % 0x200000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	(void)sink;
	print_message("libc: %zu symbols, %.3f us per lookup\n", symtab__count(st),
		      ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / n);
	symtab__put(st);
}

static void test_cache(void **state)
{
	struct symtab_cache *c = symtab_cache__new(2, "");
	struct symtab *a, *b, *d, *e;
	char copy[160];
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 12345, 0 } };

	assert_non_null(c);
	assert_int_equal(symtab_cache__open(c, fx.lib, FOREIGN_FOLLOW, &a), 0);
	assert_int_equal(symtab_cache__open(c, fx.lib, FOREIGN_FOLLOW, &b), 0);
	assert_ptr_equal(a, b);			/* parsed once */
	assert_int_equal(symtab_cache__count(c), 1);

	snprintf(copy, sizeof(copy), "%s/copy.so", fx.dir);
	assert_int_equal(run("cp %s %s", fx.lib, copy), 0);
	assert_int_equal(symtab_cache__open(c, copy, FOREIGN_FOLLOW, &d), 0);
	assert_ptr_not_equal(d, a);		/* another inode */
	/* rewritten in place (same inode, new mtime): parsed again */
	assert_int_equal(utimensat(AT_FDCWD, copy, ts, 0), 0);
	assert_int_equal(symtab_cache__open(c, copy, FOREIGN_FOLLOW, &e), 0);
	assert_ptr_not_equal(e, d);
	assert_true(symtab_cache__count(c) <= 2);
	/* evicted tables stay valid while referenced */
	assert_string_equal(name_at(a, want_sym("f1")->addr), "f1");
	assert_string_equal(name_at(d, want_sym("f1")->addr), "f1");
	assert_int_equal(symtab_cache__open(c, "/nonexistent/x.so", FOREIGN_FOLLOW, &e) < 0, 1);
	symtab__put(a);
	symtab__put(b);
	symtab__put(d);
	symtab_cache__free(c);
	/* e outlives its cache */
	assert_string_equal(name_at(e, want_sym("f2")->addr), "f2");
	symtab__put(e);
}

static int write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, buf, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -1;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat sb;
	unsigned char *b;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &sb))
		return NULL;
	b = malloc(sb.st_size);
	if (b && read(fd, b, sb.st_size) != sb.st_size) {
		free(b);
		b = NULL;
	}
	close(fd);
	*len = sb.st_size;
	return b;
}

/* Garbage, truncated and corrupted files fail cleanly or give a usable
 * (maybe empty) table, never a crash: run under ASan to mean it. */
static void test_garbage(void **state)
{
	unsigned char junk[4096], *img, *mut;
	struct symtab *st;
	char path[160];
	size_t len = 0, cut, i;
	int round;

	snprintf(path, sizeof(path), "%s/garbage", fx.dir);
	srand(42);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = rand();
	assert_int_equal(write_file(path, junk, sizeof(junk)), 0);
	assert_int_equal(symtab__open(path, "", &st), -ENOEXEC);
	assert_int_equal(write_file(path, "", 0), 0);
	assert_int_equal(symtab__open(path, "", &st), -ENOEXEC);
	assert_int_equal(symtab__open("/nonexistent", "", &st), -ENOENT);
	assert_int_equal(symtab__open(fx.dir, "", &st) < 0, 1);	/* a directory */

	img = slurp(fx.lib, &len);
	assert_non_null(img);
	for (cut = 0; cut < len; cut += 61) {
		assert_int_equal(write_file(path, img, cut), 0);
		if (!symtab__open(path, "", &st)) {
			symtab__find(st, want_sym("f1")->addr);
			symtab__put(st);
		}
	}
	mut = malloc(len);
	assert_non_null(mut);
	for (round = 0; round < 300; round++) {
		memcpy(mut, img, len);
		for (i = 0; i < 8; i++) {
			/* aim at the headers half the time: that is where parsers trust */
			size_t at = rand() % 2 ? rand() % 64 + (rand() % 2) * (len - 2048)
					       : (size_t)rand() % len;
			mut[at % len] = rand();
		}
		assert_int_equal(write_file(path, mut, len), 0);
		if (!symtab__open(path, fx.debug_root, &st)) {
			symtab__find(st, want_sym("f1")->addr);
			symtab__build_id(st);
			symtab__put(st);
		}
	}
	free(mut);
	free(img);
}

static void test_ksyms_file(void **state)
{
	static const char text[] =
		"ffffffff81000000 T _stext\n"
		"ffffffff81000100 t alpha\n"
		"ffffffff81000100 T alpha_alias\n"
		"garbage line without fields\n"
		"zzzz T notanaddress\n"
		"ffffffff81000200 D some_data\n"
		"ffffffff81000300 W weak_fn\n"
		"ffffffff81000400\n"
		"ffffffff81000500 T\n"
		"ffffffffc0001000 t mod_fn\t[some_mod]\n";
	char path[160], buf[64];
	struct ksyms *ks;
	const struct ksym *k;

	snprintf(path, sizeof(path), "%s/kallsyms", fx.dir);
	assert_int_equal(write_file(path, text, sizeof(text) - 1), 0);
	ks = ksyms__load_file(path);
	assert_non_null(ks);
	assert_int_equal(ksyms__count(ks), 4);	/* _stext alpha weak_fn mod_fn */
	assert_null(ksyms__resolve(ks, 0xffffffff80ffffffULL));
	k = ksyms__resolve(ks, 0xffffffff81000100ULL);
	assert_string_equal(k->name, "alpha");	/* first alias wins */
	k = ksyms__resolve(ks, 0xffffffff81000250ULL);
	assert_string_equal(k->name, "alpha");	/* data is not a text symbol */
	k = ksyms__resolve(ks, 0xffffffffc0001010ULL);
	assert_string_equal(k->name, "mod_fn");
	ksyms__format(ks, 0xffffffff81000355ULL, buf, sizeof(buf));
	assert_string_equal(buf, "weak_fn+0x55");
	ksyms__format(ks, 0x10, buf, sizeof(buf));
	assert_string_equal(buf, "0x10");
	ksyms__free(ks);

	/* kptr_restrict: every address 0 */
	assert_int_equal(write_file(path, "0000000000000000 T a\n0000000000000000 T b\n", 42), 0);
	assert_null(ksyms__load_file(path));
	assert_int_equal(errno, EPERM);
	assert_null(ksyms__load_file("/nonexistent"));
}

static void test_ksyms_proc(void **state)
{
	struct timespec t0, t1;
	struct ksyms *ks;
	const struct ksym *k;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ks = ksyms__load();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!ks) {
		print_message("kallsyms unreadable (%d), skipped\n", errno);
		return;
	}
	print_message("kallsyms: %zu text symbols loaded in %.1f ms\n", ksyms__count(ks),
		      ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e6);
	assert_true(ksyms__count(ks) > 1000);
	k = ksyms__resolve(ks, ~0ULL);
	assert_non_null(k);
	ksyms__free(ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_size_zero),
		cmocka_unit_test(test_build_id_and_offsets),
		cmocka_unit_test(test_stripped_and_debug_file),
		cmocka_unit_test(test_glibc),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_ksyms_file),
		cmocka_unit_test(test_ksyms_proc),
	};

	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
