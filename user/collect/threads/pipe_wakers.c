// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collector.h"
#include "collect/procfs/procfs.h"
#include "collect/threads/pipe_wakers.h"
#include "arch.h"

#define PIPE_READERS_MAX 16	/* readers looked into per report */
#define PIPE_HOLDERS_MAX 16	/* processes holding one pipe's write end */
#define PIPE_FDS_BUDGET 200000	/* fd links read per report, all of /proc */
#define PIPE_WAKERS_MAX 256	/* threads of a pipe's holders */

struct pipe_reader {
	size_t thread;		/* index in r->threads */
	uint64_t inode;
	uint32_t holders[PIPE_HOLDERS_MAX];
	size_t n_holders;
	bool incomplete;	/* a holder not counted: no edge */
};

struct pipe_scan {
	struct pipe_reader readers[PIPE_READERS_MAX];
	size_t n;
	unsigned budget;
};

uint64_t pipe_inode(const char *link)
{
	char *end;
	unsigned long long ino;

	if (strncmp(link, "pipe:[", 6) || !isdigit((unsigned char)link[6]))
		return 0;
	errno = 0;
	ino = strtoull(link + 6, &end, 10);
	return errno || strcmp(end, "]") ? 0 : ino;
}

/* The pipe inode fd of pid names, 0 if none. */
static uint64_t fd_pipe(uint32_t pid, int fd)
{
	char name[32], link[64];

	snprintf(name, sizeof(name), "fd/%d", fd);
	return procfs__readlink((int)pid, 0, name, link, sizeof(link)) > 0 ? pipe_inode(link) : 0;
}

/* Whether fd of pid is open for writing: fdinfo's flags (octal). */
static bool fd_writes(uint32_t pid, int fd)
{
	char name[32], buf[512];
	const char *v;

	snprintf(name, sizeof(name), "fdinfo/%d", fd);
	if (procfs__read_buf((int)pid, 0, name, buf, sizeof(buf)) <= 0 ||
	    !(v = procfs__status_field(buf, "flags")))
		return true;	/* unknown: counted as a writer (no proof) */
	return (strtoul(v, NULL, 8) & O_ACCMODE) != O_RDONLY;
}

static void note_holder(struct pipe_reader *p, uint32_t pid)
{
	for (size_t k = 0; k < p->n_holders; k++)
		if (p->holders[k] == pid)
			return;
	if (p->n_holders < PIPE_HOLDERS_MAX)
		p->holders[p->n_holders++] = pid;
	else
		p->incomplete = true;
}

static void scan_fd(struct pipe_scan *s, uint32_t pid, int fd)
{
	uint64_t ino = fd_pipe(pid, fd);

	for (size_t i = 0; ino && i < s->n; i++)
		if (s->readers[i].inode == ino && fd_writes(pid, fd))
			note_holder(&s->readers[i], pid);
}

/* Every fd of pid; false when they could not all be read. */
static bool scan_proc(struct pipe_scan *s, uint32_t pid)
{
	char path[PROCFS_PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (procfs__path(path, sizeof(path), (int)pid, 0, "fd") < 0)
		return false;
	if (!(d = opendir(path)))
		return errno == ENOENT;	/* exited: its fds are closed */
	while ((de = readdir(d)) && s->budget) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		s->budget--;
		scan_fd(s, pid, (int)strtol(de->d_name, NULL, 10));
	}
	closedir(d);
	return s->budget > 0;
}

/* Every process's fds: false when the scan is not complete. */
static bool scan_all(struct pipe_scan *s)
{
	struct dirent *de;
	bool complete = true;
	DIR *d = opendir("/proc");

	if (!d)
		return false;
	while (complete && (de = readdir(d)))
		if (isdigit((unsigned char)de->d_name[0]))
			complete = scan_proc(s, (uint32_t)strtoul(de->d_name, NULL, 10));
	closedir(d);
	return complete;
}

/* The threads of every holder of p as OWNER_PIPE edges: 0, or -ENOMEM. */
static int add_reader_edges(struct report *r, const struct pipe_reader *p)
{
	const struct thread_report *t = &r->threads[p->thread];
	struct owner_edge *e = calloc(PIPE_WAKERS_MAX, sizeof(*e));
	size_t n = 0;
	bool complete = !p->incomplete && p->n_holders;
	int err = 0;

	if (!e)
		return -ENOMEM;
	for (size_t h = 0; complete && h < p->n_holders; h++) {
		char path[PROCFS_PATH_MAX];
		struct dirent *de;
		DIR *d;

		if (procfs__path(path, sizeof(path), (int)p->holders[h], 0, "task") < 0 ||
		    !(d = opendir(path)))
			continue;	/* exited since: closed its ends */
		while (complete && (de = readdir(d))) {
			if (!isdigit((unsigned char)de->d_name[0]))
				continue;
			if (n == PIPE_WAKERS_MAX) {
				complete = false;
				break;
			}
			e[n++] = (struct owner_edge){ .waiter = { t->pid, UNIT_THREAD, t->tid },
				.owner_kind = UNIT_THREAD, .kind = OWNER_PIPE,
				.owner = strtoul(de->d_name, NULL, 10), .owner_pid = p->holders[h],
				.object = p->inode };
		}
		closedir(d);
	}
	for (size_t k = 0; complete && k < n && !err; k++)
		if (!report_add_owner(r, &e[k]))
			err = -ENOMEM;
	free(e);
	return err;
}

/* r's threads blocked reading a pipe, without timeout. */
static void find_readers(struct pipe_scan *s, const struct report *r)
{
	for (size_t i = 0; i < r->n_threads && s->n < PIPE_READERS_MAX; i++) {
		const struct wait_info *w = &r->threads[i].wait;
		uint64_t ino;

		if (w->kind != WAIT_SYSCALL || w->timeout != TIMEOUT_NONE ||
		    (w->syscall_nr != LT_NR_read && w->syscall_nr != LT_NR_readv) ||
		    !wait_has(w, WAIT_F_HAS_OBJECT) || w->object > INT32_MAX)
			continue;
		if ((ino = fd_pipe(r->threads[i].pid, (int)w->object)))
			s->readers[s->n++] = (struct pipe_reader){ .thread = i, .inode = ino };
	}
}

int pipe_wakers_collect(struct report *r)
{
	struct pipe_scan *s = calloc(1, sizeof(*s));
	int err = 0;

	if (!s)
		return -ENOMEM;
	s->budget = PIPE_FDS_BUDGET;
	find_readers(s, r);
	if (s->n && scan_all(s))
		for (size_t i = 0; i < s->n && !err; i++)
			err = add_reader_edges(r, &s->readers[i]);
	free(s);
	return err;
}

static int pipe_wakers_open(const struct collect_env *env, void **state, char *msg,
			    size_t size)
{
	(void)env, (void)msg, (void)size;
	*state = (void *)1;	/* nothing kept between reports */
	return 0;
}

static int pipe_wakers_run(void *state, struct report *r)
{
	(void)state;
	return pipe_wakers_collect(r);
}

static void pipe_wakers_close(void *state)
{
	(void)state;
}

const struct collector_type collector_pipe_wakers = {
	.name = "reading pipe writers",
	.open = pipe_wakers_open,
	.collect = pipe_wakers_run,
	.close = pipe_wakers_close,
};
