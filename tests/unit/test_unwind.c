// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* User stack unwinding (unwind.c, stacks.c) without BPF: the registers and
 * stack bytes a capture would give are taken from this process itself, by
 * an inline-asm snapshot or from the signal frame of a thread interrupted in
 * pthread_cond_wait (the same saved user registers the kernel keeps). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "collect/stacks/proc_stacks.h"
#include "collect/stacks/stacks.h"
#include "collect/threads/lockgraph.h"
#include "collect/stacks/unwind.h"
#include "sinks/frame.h"

#define MAX_FRAMES	64

static double elapsed_us(const struct timespec *a, const struct timespec *b)
{
	return ((b->tv_sec - a->tv_sec) * 1e9 + (b->tv_nsec - a->tv_nsec)) / 1e3;
}

/* End of the mapping holding addr, from /proc/self/maps: the copy of the
 * stack must not run past it. */
static uintptr_t mapping_end(uintptr_t addr)
{
	char line[512];
	uintptr_t end = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && addr >= s && addr < e) {
			end = e;
			break;
		}
	}
	if (f)
		fclose(f);
	return end;
}

static int self_mem_fd = -1;

/* Through /proc/self/mem, as BPF copies it: a plain memcpy of other frames
 * trips ASan's redzones and valgrind's never-written stack slots. Safe in a
 * signal handler. */
static void copy_stack(struct lt_stack_rec *rec, uintptr_t sp, uintptr_t stack_end)
{
	size_t len = stack_end > sp ? stack_end - sp : 0;
	ssize_t n;

	if (len > LT_USTACK_BYTES)
		len = LT_USTACK_BYTES;
	n = pread(self_mem_fd, rec->ustack, len, (off_t)sp);
	rec->ustack_len = n > 0 ? n : 0;
}

/* Registers at label 1: rsp there is the rsp stored, so the CFI of this
 * function describes the snapshot exactly. Callee-saved registers are all
 * an unwinder needs beyond ip/sp. */
static __attribute__((noinline, noclone)) void snapshot_regs(struct lt_stack_rec *rec,
						    uintptr_t stack_end)
{
	__u64 r[8];

	__asm__ volatile("lea 1f(%%rip), %%rax\n\t"
			 "mov %%rax, 0(%0)\n\t"
			 "mov %%rsp, 8(%0)\n\t"
			 "mov %%rbp, 16(%0)\n\t"
			 "mov %%rbx, 24(%0)\n\t"
			 "mov %%r12, 32(%0)\n\t"
			 "mov %%r13, 40(%0)\n\t"
			 "mov %%r14, 48(%0)\n\t"
			 "mov %%r15, 56(%0)\n"
			 "1:\n\t"
			 : : "r"(r) : "rax", "memory");
	rec->ip = r[0];
	rec->sp = r[1];
	rec->bp = r[2];
	rec->bx = r[3];
	rec->r12 = r[4];
	rec->r13 = r[5];
	rec->r14 = r[6];
	rec->r15 = r[7];
	copy_stack(rec, rec->sp, stack_end);
}

static __attribute__((noinline, noclone)) int unit_snapshot_fn(struct lt_stack_rec *rec)
{
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);

	snapshot_regs(rec, mapping_end((uintptr_t)&here));
	/* no tail call: this frame must be on the snapshot's stack */
	__asm__ volatile("" ::: "memory");
	return (int)(here & 1);
}

static struct lt_stack_rec *self_rec(void)
{
	struct lt_stack_rec *rec = calloc(1, sizeof(*rec));

	if (!rec)
		return NULL;
	rec->type = LT_REC_STACK;
	rec->tgid = getpid();
	rec->tid = gettid();
	unit_snapshot_fn(rec);
	return rec;
}

/* The stacks in their display form (sinks/frame.h), as malloc'ed strings:
 * what the assertions below read. The file:line of frames of this -g
 * build is checked on the structured frames (test_self_snapshot). */
static struct frame_builder last;

static int to_texts(int n, char **frames)
{
	char buf[512];

	for (int i = 0; n > 0 && i < last.n; i++)
		frames[i] = strdup(frame_display(&last.frames[i], buf, sizeof(buf)));
	return n > 0 ? last.n : n;
}

static int user_stack_text(struct stack_resolver *r, const struct lt_stack_rec *rec, char **frames,
			   int max)
{
	frame_builder__reset(&last);
	return to_texts(stack_resolver__user_stack(r, rec, &last, max), frames);
}

static int kernel_stack_text(struct stack_resolver *r, const struct lt_stack_rec *rec,
			     char **frames, int max)
{
	frame_builder__reset(&last);
	return to_texts(stack_resolver__kernel_stack(r, rec, &last, max), frames);
}

static void stack_frames__free(char **frames, int n)
{
	for (int i = 0; i < n; i++)
		free(frames[i]);
}

static bool has_frame(char **frames, int n, const char *func)
{
	size_t len = strlen(func);
	int i;

	for (i = 0; i < n; i++)
		if (!strncmp(frames[i], func, len) && frames[i][len] == '+')
			return true;
	return false;
}

static void print_frames(const char *what, char **frames, int n)
{
	int i;

	print_message("%s: %d frames\n", what, n);
	for (i = 0; i < n; i++)
		print_message("  #%-2d %s\n", i, frames[i]);
}

static void test_self_snapshot(void **state)
{
	struct stack_resolver_opts opts = { .max_depth = MAX_FRAMES };
	struct stack_resolver *r = stack_resolver__new(&opts);
	struct lt_stack_rec *rec = self_rec();
	struct timespec t0, t1;
	char *frames[MAX_FRAMES];
	int n, i, iters = 2000;

	assert_non_null(r);
	assert_non_null(rec);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = user_stack_text(r, rec, frames, MAX_FRAMES);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_frames("self", frames, n);
	print_message("first unwind+symbolize of a process: %.1f us\n", elapsed_us(&t0, &t1));
	assert_true(n >= 3);
	assert_true(has_frame(frames, n, "snapshot_regs"));
	assert_true(has_frame(frames, n, "unit_snapshot_fn"));
	assert_true(has_frame(frames, n, "test_self_snapshot"));
	assert_true(has_frame(frames, n, "main"));
	stack_frames__free(frames, n);
	/* this file is built with -g: its frames carry file and line (DWARF) */
	for (i = 0; i < last.n && strcmp(last.frames[i].function ?: "", "unit_snapshot_fn"); i++)
		;
	assert_true(i < last.n);
	assert_non_null(last.frames[i].file);
	assert_non_null(strstr(last.frames[i].file, "test_unwind.c"));
	assert_true(last.frames[i].line > 0);
	assert_non_null(last.frames[i].module);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < iters; i++) {
		n = user_stack_text(r, rec, frames, MAX_FRAMES);
		assert_true(n > 0);
		stack_frames__free(frames, n);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("warm unwind+symbolize: %.2f us per stack of %d frames\n",
		      elapsed_us(&t0, &t1) / iters, n);
	if (getenv("LT_BENCH_LOOPS")) {
		iters = atoi(getenv("LT_BENCH_LOOPS"));
		for (i = 0; i < iters; i++) {
			n = user_stack_text(r, rec, frames, MAX_FRAMES);
			stack_frames__free(frames, n);
		}
	}
	stack_resolver__free(r);
	free(rec);
}

/* A thread parked in pthread_cond_wait, its registers taken by a signal
 * handler from the ucontext the kernel saved: what pt_regs gives BPF. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool ready, done;
static uintptr_t blocked_stack_end;
static struct lt_stack_rec *blocked_rec;
static volatile sig_atomic_t captured;

static void capture_handler(int sig, siginfo_t *si, void *uc_)
{
	const greg_t *g = ((ucontext_t *)uc_)->uc_mcontext.gregs;
	struct lt_stack_rec *rec = blocked_rec;

	if (captured)
		return;
	rec->ip = g[REG_RIP];
	rec->sp = g[REG_RSP];
	rec->bp = g[REG_RBP];
	rec->bx = g[REG_RBX];
	rec->r12 = g[REG_R12];
	rec->r13 = g[REG_R13];
	rec->r14 = g[REG_R14];
	rec->r15 = g[REG_R15];
	rec->ax = g[REG_RAX];
	rec->cx = g[REG_RCX];
	rec->dx = g[REG_RDX];
	rec->si = g[REG_RSI];
	rec->di = g[REG_RDI];
	rec->r8 = g[REG_R8];
	rec->r9 = g[REG_R9];
	rec->r10 = g[REG_R10];
	rec->r11 = g[REG_R11];
	rec->tid = gettid();
	copy_stack(rec, rec->sp, blocked_stack_end);
	captured = 1;
}

static __attribute__((noinline, noclone)) void unit_blocked_fn(void)
{
	pthread_mutex_lock(&mu);
	ready = true;
	while (!done)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	__asm__ volatile("" ::: "memory");
}

static __attribute__((noinline, noclone)) void *blocked_thread(void *arg)
{
	pthread_attr_t attr;
	void *lo;
	size_t size;

	if (!pthread_getattr_np(pthread_self(), &attr)) {
		if (!pthread_attr_getstack(&attr, &lo, &size))
			blocked_stack_end = (uintptr_t)lo + size;
		pthread_attr_destroy(&attr);
	}
	unit_blocked_fn();
	return NULL;
}

/* In the futex syscall: /proc/.../syscall starts with its number, 202. */
static bool in_futex(pid_t tid)
{
	char path[64], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return !strncmp(buf, "202 ", 4);
}

static pid_t thread_tid;

static void *tid_thread(void *arg)
{
	thread_tid = gettid();
	return blocked_thread(arg);
}

/* ---- stacks from /proc (kernels before 5.18) ---- */

static int proc_pipe[2];
static pid_t proc_tid;

static __attribute__((noinline, noclone)) void unit_proc_parked_fn(void)
{
	char c;

	proc_tid = gettid();
	while (read(proc_pipe[0], &c, 1) < 0)
		;
	__asm__ volatile("" ::: "memory");
}

static void *proc_parked_thread(void *arg)
{
	(void)arg;
	unit_proc_parked_fn();
	return NULL;
}

static uint64_t task_nvcsw_of(pid_t tid)
{
	char path[64], line[128];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "voluntary_ctxt_switches:", 24))
			v = strtoull(line + 24, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

struct proc_seen {
	struct stack_resolver *r;
	char *user[MAX_FRAMES];
	int n_user, n_kernel;
	bool kernel_read;
};

static void on_proc_stack(void *ctx, const struct lt_stack_rec *rec, const struct frame *kframes,
			  int n)
{
	struct proc_seen *s = ctx;

	s->n_kernel = n;
	for (int i = 0; i < n; i++)
		s->kernel_read |= kframes[i].kind == FRAME_KERNEL && kframes[i].function &&
				  strstr(kframes[i].function, "read");
	s->n_user = user_stack_text(s->r, rec, s->user, MAX_FRAMES);
}

/* A thread of ours parked in read(): its user stack unwound from the sp
 * and pc of /proc/self/task/TID/syscall, its kernel stack read as text;
 * a wrong switch count (it ran) gives no stack. */
static void test_proc_stacks(void **state)
{
	struct stack_resolver_opts opts = { .max_depth = MAX_FRAMES };
	struct proc_seen seen = {};
	struct proc_stack_want w;
	struct frame_builder b = {};
	uint64_t sp = 0, pc = 0;
	pthread_t th;
	int miss = 0;
	bool ok = false;

	(void)state;
	assert_int_equal(parse_syscall_sp_pc("0 0x3 0x7f 0x1 0x0 0x0 0x0 0x7ffd10 0x7f0040\n",
					     &sp, &pc), 0);
	assert_true(sp == 0x7ffd10 && pc == 0x7f0040);
	assert_int_equal(parse_syscall_sp_pc("-1 0x7ffd20 0x7f0050\n", &sp, &pc), 0);
	assert_true(sp == 0x7ffd20 && pc == 0x7f0050);
	assert_int_equal(parse_syscall_sp_pc("running\n", &sp, &pc), -EAGAIN);
	assert_int_equal(parse_syscall_sp_pc("202 0x1 0x2\n", &sp, &pc), -EINVAL);
	assert_int_equal(proc_kstack_parse("[<0>] pipe_read+0x2e3/0x4a0\nnoise\n[<0>] +0x1/0x2\n"
					   "[<0>] ksys_read+0x5f/0xe0\n", &b, 4), 2);
	assert_string_equal(b.frames[0].function, "pipe_read");
	assert_true(b.frames[0].offset == 0x2e3 && b.frames[0].kind == FRAME_KERNEL);
	assert_string_equal(b.frames[1].function, "ksys_read");
	assert_true(b.frames[1].offset == 0x5f);
	frame_builder__free(&b);

	assert_int_equal(pipe(proc_pipe), 0);
	assert_int_equal(pthread_create(&th, NULL, proc_parked_thread, NULL), 0);
	for (int tries = 0; tries < 2000 && !ok; tries++) {
		char path[64], buf[16] = "";
		FILE *f;

		usleep(1000);
		snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", proc_tid);
		f = proc_tid ? fopen(path, "r") : NULL;
		if (f && fgets(buf, sizeof(buf), f))
			ok = !strncmp(buf, "0 ", 2);
		if (f)
			fclose(f);
	}
	assert_true(ok);
	seen.r = stack_resolver__new(&opts);
	assert_non_null(seen.r);
	w = (struct proc_stack_want){ .pid = getpid(), .tid = proc_tid,
				      .nvcsw = task_nvcsw_of(proc_tid) };
	assert_int_equal(proc_stacks_read(&w, 1, true, MAX_FRAMES, on_proc_stack, &seen, &miss), 0);
	assert_int_equal(miss, 0);
	print_frames("from /proc", seen.user, seen.n_user);
	assert_true(has_frame(seen.user, seen.n_user, "unit_proc_parked_fn"));
	assert_true(has_frame(seen.user, seen.n_user, "proc_parked_thread"));
	/* root reads /proc/PID/task/TID/stack (CAP_SYS_ADMIN) */
	if (geteuid() == 0)
		assert_true(seen.n_kernel > 0 && seen.kernel_read);
	stack_frames__free(seen.user, seen.n_user);

	w.nvcsw++;	/* a park it has left: no stack */
	seen.n_user = -1;
	assert_int_equal(proc_stacks_read(&w, 1, true, MAX_FRAMES, on_proc_stack, &seen, &miss), 0);
	assert_int_equal(miss, -ESTALE);
	assert_int_equal(seen.n_user, -1);

	assert_int_equal(write(proc_pipe[1], "x", 1), 1);
	pthread_join(th, NULL);
	close(proc_pipe[0]);
	close(proc_pipe[1]);
	stack_resolver__free(seen.r);
}

static void test_blocked_thread(void **state)
{
	struct stack_resolver_opts opts = { .max_depth = MAX_FRAMES };
	struct sigaction sa = { .sa_sigaction = capture_handler, .sa_flags = SA_SIGINFO };
	struct stack_resolver *r;
	struct timespec t0, t1;
	char *frames[MAX_FRAMES];
	pthread_t th;
	int n, i, tries, iters = 2000;
	bool ok;

	blocked_rec = calloc(1, sizeof(*blocked_rec));
	assert_non_null(blocked_rec);
	blocked_rec->tgid = getpid();
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	assert_int_equal(pthread_create(&th, NULL, tid_thread, NULL), 0);
	for (tries = 0, ok = false; tries < 2000 && !ok; tries++) {
		pthread_mutex_lock(&mu);
		ok = ready;
		pthread_mutex_unlock(&mu);
		ok = ok && thread_tid && in_futex(thread_tid);
		if (!ok)
			usleep(1000);
	}
	assert_true(ok);
	pthread_kill(th, SIGUSR1);
	for (tries = 0; tries < 2000 && !captured; tries++)
		usleep(1000);
	assert_true(captured);

	r = stack_resolver__new(&opts);
	assert_non_null(r);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = user_stack_text(r, blocked_rec, frames, MAX_FRAMES);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_frames("blocked thread", frames, n);
	print_message("first unwind+symbolize: %.1f us\n", elapsed_us(&t0, &t1));
	assert_true(has_frame(frames, n, "pthread_cond_wait"));
	assert_true(has_frame(frames, n, "unit_blocked_fn"));
	assert_true(has_frame(frames, n, "blocked_thread"));
	if (access("/usr/lib/debug/.build-id", F_OK) == 0) {
		/* libc6-dbg: glibc internals have names */
		assert_true(has_frame(frames, n, "__futex_abstimed_wait_common"));
		assert_true(has_frame(frames, n, "start_thread"));
	}
	stack_frames__free(frames, n);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < iters; i++) {
		n = user_stack_text(r, blocked_rec, frames, MAX_FRAMES);
		assert_true(n > 0);
		stack_frames__free(frames, n);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("warm unwind+symbolize: %.2f us per stack of %d frames\n",
		      elapsed_us(&t0, &t1) / iters, n);

	/* frames that are only addresses: no CFI walk past a zeroed stack */
	memset(blocked_rec->ustack, 0, sizeof(blocked_rec->ustack));
	blocked_rec->ip = 0x1000;	/* in no mapping */
	n = user_stack_text(r, blocked_rec, frames, MAX_FRAMES);
	assert_int_equal(n, 1);
	assert_string_equal(frames[0], "0x1000");
	stack_frames__free(frames, n);

	stack_resolver__free(r);
	pthread_mutex_lock(&mu);
	done = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(th, NULL);
	free(blocked_rec);
}

/* Random registers and stack bytes: frames so far, never a crash. */
static void test_garbage_stacks(void **state)
{
	struct unwinder *u = unwinder__new(NULL);
	struct lt_stack_rec *good = self_rec(), *rec = calloc(1, sizeof(*rec));
	struct uframe f[MAX_FRAMES];
	int round, n;
	size_t i;

	assert_non_null(u);
	assert_non_null(good);
	assert_non_null(rec);
	srand(7);
	for (round = 0; round < 300; round++) {
		*rec = *good;
		switch (round % 3) {
		case 0:	/* scrambled stack copy */
			for (i = 0; i < rec->ustack_len; i++)
				rec->ustack[i] = rand();
			break;
		case 1:	/* scrambled registers */
			rec->sp = ((__u64)rand() << 32) | rand();
			rec->bp = ((__u64)rand() << 32) | rand();
			rec->bx = rand();
			break;
		default: /* ip anywhere near real code, odd lengths */
			rec->ip += rand() % 4096 - 2048;
			rec->ustack_len = rand() % (LT_USTACK_BYTES + 100);
			break;
		}
		n = unwinder__unwind(u, rec, f, MAX_FRAMES);
		assert_true(n >= 1 && n <= MAX_FRAMES);
		assert_int_equal(f[0].pc, rec->ip);
	}
	assert_int_equal(unwinder__unwind(u, NULL, f, MAX_FRAMES), -EINVAL);
	assert_int_equal(unwinder__unwind(u, rec, f, 0), -EINVAL);
	unwinder__free(u);
	free(rec);
	free(good);
}

/* A child forked from us has our address space: our snapshot unwinds in it
 * too. After its exec the cached state must not be used any more, and after
 * its death the unwind fails with -ESRCH. */
static void test_exec_and_exit(void **state)
{
	struct stack_resolver *r = stack_resolver__new(NULL);
	struct lt_stack_rec *rec = self_rec();
	char *frames[MAX_FRAMES], exe[256];
	int go[2], n, tries;
	pid_t child;

	assert_non_null(r);
	assert_non_null(rec);
	assert_int_equal(pipe(go), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) == 1)
			execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(0);
	}
	close(go[0]);
	rec->tgid = child;
	rec->tid = child;
	n = user_stack_text(r, rec, frames, MAX_FRAMES);
	assert_true(has_frame(frames, n, "unit_snapshot_fn"));
	stack_frames__free(frames, n);

	assert_int_equal(write(go[1], "x", 1), 1);
	for (tries = 0; tries < 2000; tries++) {
		char path[64];
		ssize_t l;

		snprintf(path, sizeof(path), "/proc/%d/exe", child);
		l = readlink(path, exe, sizeof(exe) - 1);
		if (l > 0 && (exe[l] = '\0', strstr(exe, "sleep")))
			break;
		usleep(1000);
	}
	usleep(20000);
	n = user_stack_text(r, rec, frames, MAX_FRAMES);
	/* our addresses mean nothing in sleep: whatever comes back is not us */
	assert_true(n >= 0);
	assert_false(has_frame(frames, n, "unit_snapshot_fn"));
	stack_frames__free(frames, n);

	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(go[1]);
	assert_int_equal(user_stack_text(r, rec, frames, MAX_FRAMES), -ESRCH);
	stack_resolver__forget(r, child);
	stack_resolver__free(r);
	free(rec);
}

/* The process cache stays under max_procs; forget drops one. */
static void test_lru_and_forget(void **state)
{
	struct unwind_opts opts = { .max_procs = 2 };
	struct unwinder *u = unwinder__new(&opts);
	struct lt_stack_rec *rec = self_rec();
	struct uframe f[MAX_FRAMES];
	pid_t kids[4];
	int i, n;

	assert_non_null(u);
	assert_non_null(rec);
	for (i = 0; i < 4; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			pause();
			_exit(0);
		}
		assert_true(kids[i] > 0);
	}
	for (i = 0; i < 4; i++) {
		rec->tgid = rec->tid = kids[i];
		n = unwinder__unwind(u, rec, f, MAX_FRAMES);
		assert_true(n >= 3);
		assert_true(unwinder__nr_procs(u) <= 2);
	}
	assert_int_equal(unwinder__nr_procs(u), 2);
	unwinder__forget(u, kids[3]);
	assert_int_equal(unwinder__nr_procs(u), 1);
	unwinder__forget(u, kids[0]);	/* already evicted: nothing to do */
	assert_int_equal(unwinder__nr_procs(u), 1);
	for (i = 0; i < 4; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	unwinder__free(u);
	free(rec);
}

/* A library mapped after the process was first seen is found on a miss. */
static void test_new_library(void **state)
{
	static const char *const cand[][2] = {
		{ "libm.so.6", "cos" }, { "libresolv.so.2", "ns_initparse" },
		{ "libanl.so.1", "getaddrinfo_a" }, { "libmvec.so.1", "_ZGVbN2v_cos" },
	};
	struct stack_resolver *r = stack_resolver__new(NULL);
	struct lt_stack_rec *rec = self_rec();
	char *frames[MAX_FRAMES];
	void *h = NULL, *fn = NULL;
	size_t i;
	int n;

	assert_non_null(r);
	assert_non_null(rec);
	n = user_stack_text(r, rec, frames, MAX_FRAMES);
	stack_frames__free(frames, n);
	for (i = 0; i < sizeof(cand) / sizeof(cand[0]) && !fn; i++) {
		h = dlopen(cand[i][0], RTLD_NOW | RTLD_NOLOAD);
		if (h) {	/* already mapped: proves nothing */
			dlclose(h);
			continue;
		}
		h = dlopen(cand[i][0], RTLD_NOW);
		fn = h ? dlsym(h, cand[i][1]) : NULL;
		if (h && !fn)
			dlclose(h);
	}
	if (!fn) {
		print_message("no unmapped library to load, skipped\n");
		goto out;
	}
	usleep(150000);		/* past the maps re-read rate limit */
	rec->ip = (uintptr_t)fn;
	n = user_stack_text(r, rec, frames, MAX_FRAMES);
	assert_true(n >= 1);
	print_message("frame 0 in %s: %s\n", cand[i - 1][0], frames[0]);
	assert_true(strncmp(frames[0], "0x", 2) != 0);
	assert_non_null(strstr(frames[0], "+0x0"));
	stack_frames__free(frames, n);
	dlclose(h);
out:
	stack_resolver__free(r);
	free(rec);
}

static void test_kernel_stack(void **state)
{
	struct stack_resolver *r = stack_resolver__new(NULL);
	struct lt_stack_rec *rec = calloc(1, sizeof(*rec));
	char *frames[LT_KSTACK_DEPTH], line[512];
	unsigned long long addr = 0;
	FILE *f;
	int n;

	assert_non_null(r);
	assert_non_null(rec);
	/* a real kernel text address: schedule() */
	f = fopen("/proc/kallsyms", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char name[256], t;

		if (sscanf(line, "%llx %c %255s", &addr, &t, name) == 3 &&
		    !strcmp(name, "schedule"))
			break;
		addr = 0;
	}
	if (f)
		fclose(f);
	rec->kstack[0] = addr + 0x10;
	rec->kstack[1] = 0x10;
	rec->kstack_len = 2;
	n = kernel_stack_text(r, rec, frames, LT_KSTACK_DEPTH);
	assert_int_equal(n, 2);
	print_message("kernel: %s | %s\n", frames[0], frames[1]);
	if (addr)
		assert_string_equal(frames[0], "schedule+0x10");
	assert_string_equal(frames[1], "0x10");
	stack_frames__free(frames, n);
	rec->kstack_len = 1000;		/* garbage length is clamped */
	n = kernel_stack_text(r, rec, frames, LT_KSTACK_DEPTH);
	assert_int_equal(n, LT_KSTACK_DEPTH);
	stack_frames__free(frames, n);
	rec->kstack_err = -EFAULT;
	assert_int_equal(kernel_stack_text(r, rec, frames, 4), -EFAULT);
	stack_resolver__free(r);
	free(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_snapshot),
		cmocka_unit_test(test_blocked_thread),
		cmocka_unit_test(test_garbage_stacks),
		cmocka_unit_test(test_exec_and_exit),
		cmocka_unit_test(test_lru_and_forget),
		cmocka_unit_test(test_new_library),
		cmocka_unit_test(test_kernel_stack),
		cmocka_unit_test(test_proc_stacks),
	};

	self_mem_fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	if (self_mem_fd < 0) {
		perror("/proc/self/mem");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
