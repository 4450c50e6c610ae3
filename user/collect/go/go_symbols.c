// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Go function names for native frames, from .gopclntab, with a small file cache. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* asprintf */
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collect/go/go_binary.h"
#include "collect/go/go_symbols.h"
#include "util/mem_budget.h"

#define GO_SYMBOLS_FILES 8
#define GO_SYMBOLS_FRAMES_MAX 16

struct cached_file {
	char path[256];
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct go_binary *bin;	/* NULL: not Go */
	uint64_t used;
	bool valid;
	struct mem_entry mem;	/* the file, mapped whole, in the shared budget */
};

static struct cached_file files[GO_SYMBOLS_FILES];
static uint64_t clock_tick;
static int budget_id = -1;

static void slot_close(struct cached_file *f)
{
	if (f->valid)
		mem_budget__remove(mem_budget__shared(), &f->mem);
	go_binary__close(f->bin);
	*f = (struct cached_file){ 0 };
}

static void evict_file(struct mem_entry *me, void *ctx)
{
	slot_close((struct cached_file *)((char *)me - offsetof(struct cached_file, mem)));
}

static bool same_file(const struct cached_file *f, const char *path, const struct stat *st)
{
	return f->valid && f->dev == st->st_dev && f->ino == st->st_ino &&
	       f->size == st->st_size && f->mtime.tv_sec == st->st_mtim.tv_sec &&
	       f->mtime.tv_nsec == st->st_mtim.tv_nsec && !strcmp(f->path, path);
}

static struct go_binary *lookup(const char *path)
{
	struct cached_file *slot = &files[0];
	char err[256];
	struct stat st;

	if (strlen(path) >= sizeof(slot->path) || stat(path, &st) || !S_ISREG(st.st_mode))
		return NULL;
	for (int i = 0; i < GO_SYMBOLS_FILES; i++) {
		if (same_file(&files[i], path, &st)) {
			files[i].used = ++clock_tick;
			mem_budget__touch(mem_budget__shared(), &files[i].mem);
			return files[i].bin;
		}
		if (files[i].used < slot->used)
			slot = &files[i];
	}
	slot_close(slot);
	if (budget_id < 0)
		budget_id = mem_budget__register(mem_budget__shared(), "gosyms", evict_file, NULL);
	*slot = (struct cached_file){
		.dev = st.st_dev, .ino = st.st_ino, .size = st.st_size, .mtime = st.st_mtim,
		.bin = go_binary__open(path, err, sizeof(err)), .used = ++clock_tick, .valid = true,
	};
	snprintf(slot->path, sizeof(slot->path), "%s", path);
	mem_budget__add(mem_budget__shared(), &slot->mem, budget_id,
			slot->bin ? (uint64_t)st.st_size : 0);
	return slot->bin;
}

int go_symbols__frames(const char *path, uint64_t vaddr, uint64_t ret_delta, uint64_t pc,
		       struct frame_builder *b, int max)
{
	struct go_binary *bin = lookup(path);
	struct go_frame f[GO_SYMBOLS_FRAMES_MAX];
	int n;

	if (max <= 0 || !bin)
		return -ENOENT;
	n = go_binary__frames(bin, vaddr, false, f, max < GO_SYMBOLS_FRAMES_MAX ? max : GO_SYMBOLS_FRAMES_MAX);
	if (n < 0)
		return -ENOENT;
	for (int i = 0; i < n; i++) {
		struct frame fr = {
			.module = path, .function = f[i].func, .file = f[i].file,
			.line = f[i].line > 0 ? (uint32_t)f[i].line : 0, .kind = FRAME_GO,
			.inlined = f[i].inlined, .pc = pc,
			/* an inlined call has no code, hence no offset, of its own */
			.offset = f[i].inlined ? 0 : vaddr - f[i].entry + ret_delta,
		};

		if (frame_builder__push(b, &fr))
			return -ENOMEM;
	}
	return n;
}

void go_symbols__flush(void)
{
	for (int i = 0; i < GO_SYMBOLS_FILES; i++)
		slot_close(&files[i]);
}

void go_symbols__forget(int pid)
{
	char prefix[32];
	size_t n = (size_t)snprintf(prefix, sizeof(prefix), "/proc/%d/", pid);

	for (int i = 0; i < GO_SYMBOLS_FILES; i++)
		if (files[i].valid && !strncmp(files[i].path, prefix, n))
			slot_close(&files[i]);
}

bool go_symbols__is_outermost(const struct frame *f)
{
	static const char *const tops[] = {
		"runtime.mstart", "runtime.mcall", "runtime.goexit", "runtime.rt0_go",
		/* switches to g0 as mcall does (it writes SP): above it a frame
		 * pointer chain reads the goroutine's stack mid-growth */
		"runtime.morestack",
	};

	for (size_t i = 0; f->function && i < sizeof(tops) / sizeof(tops[0]); i++) {
		size_t n = strlen(tops[i]);

		/* "runtime.mcall", "runtime.mcall.abi0" */
		if (!strncmp(f->function, tops[i], n) &&
		    (!f->function[n] || !strcmp(f->function + n, ".abi0")))
			return true;
	}
	return false;
}
