// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The procfs module (collect/procfs/): /proc file reads on ourselves, a
 * child and a reaped pid; the shared parsers on real and forged texts;
 * the memory reader's batches, with unmapped spans among mapped ones, a
 * gone process, the pread path and the seam. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collect/procfs/procfs.h"
#include "collect/procfs/procmem.h"

/* A pid that was ours and is reaped: nothing under /proc names it. */
static int reaped_pid(void)
{
	pid_t child = fork();

	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	return child;
}

static void test_paths(void **state)
{
	char buf[PROCFS_PATH_MAX];

	assert_int_equal(procfs__path(buf, sizeof(buf), 42, 0, "status"), 15);
	assert_string_equal(buf, "/proc/42/status");
	procfs__path(buf, sizeof(buf), 42, 43, "syscall");
	assert_string_equal(buf, "/proc/42/task/43/syscall");
	procfs__path(buf, sizeof(buf), 0, 0, "status");
	assert_string_equal(buf, "/proc/self/status");
	assert_int_equal(procfs__path(buf, 12, 42, 0, "status"), -ENAMETOOLONG);
}

static void test_small_files(void **state)
{
	char buf[4096], *text;
	int pid = getpid(), gone = reaped_pid();
	size_t len;
	FILE *f;

	assert_true(procfs__read_buf(pid, 0, "status", buf, sizeof(buf)) > 0);
	assert_int_equal(procfs__status_tgid(buf), pid);
	assert_true(procfs__status_alive(buf));
	assert_int_equal(procfs__status_nspid(buf), pid);	/* tests run in the host pid ns */
	/* a short buffer cuts, NUL-terminated */
	assert_int_equal(procfs__read_buf(pid, pid, "status", buf, 6), 5);
	assert_string_equal(buf, "Name:");
	assert_int_equal(procfs__read(pid, 0, "maps", &text, &len), 0);
	assert_int_equal(strlen(text), len);
	assert_non_null(strstr(text, "[stack]"));
	free(text);
	f = procfs__fopen(pid, 0, "cgroup");
	assert_non_null(f);
	fclose(f);
	assert_true(procfs__readlink(pid, 0, "exe", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "test_procfs"));
	assert_true(procfs__task_exists(pid, pid));
	/* gone: one value, -ESRCH, whatever the call */
	assert_int_equal(procfs__read_buf(gone, 0, "status", buf, sizeof(buf)), -ESRCH);
	assert_int_equal(procfs__read(gone, 0, "maps", &text, &len), -ESRCH);
	assert_null(text);
	assert_null(procfs__fopen(gone, 0, "maps"));
	assert_int_equal(errno, ESRCH);
	assert_int_equal(procfs__readlink(gone, 0, "exe", buf, sizeof(buf)), -ESRCH);
	assert_false(procfs__task_exists(pid, gone));
}

static void test_parsers(void **state)
{
	uint64_t v = 0;

	assert_int_equal(procfs__status_nspid("Name:\tx\nNSpid:\t4242\t17\n"), 17);
	assert_int_equal(procfs__status_nspid("NSpid:\t4242\n"), 4242);
	assert_int_equal(procfs__status_nspid("NSpid:\t\n"), -EINVAL);
	assert_int_equal(procfs__status_nspid("NSpid:\t99999999999999\n"), -EINVAL);
	assert_int_equal(procfs__status_nspid("Name:\tNSpid:\t5\n"), -EINVAL);
	assert_null(procfs__status_field("Name:\tTgid:\t5\n", "Tgid"));
	assert_false(procfs__status_alive("State:\tZ (zombie)\nThreads:\t1\n"));
	assert_true(procfs__status_alive("State:\tZ (zombie)\nThreads:\t3\n"));
	assert_true(procfs__status_alive("Name:\tZ\nState:\tS (sleeping)\n"));
	/* a comm of ") 9 9" cannot shift the fields */
	assert_int_equal(procfs__stat_field("7 (a) 9 9) S 1 7 7 0 -1 4194560 0\n", 9, &v), 0);
	assert_int_equal(v, 4194560);
}

static void test_memory_batch(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	uint64_t a = 0x1111, b = 0x2222, got[3] = { 0 };
	struct procmem m;
	struct procmem_span s[3];

	assert_true(map != MAP_FAILED);
	memcpy(map, &a, 8);
	memcpy(map + 2 * page, &b, 8);
	munmap(map + page, page);	/* a hole between two mapped words */
	s[0] = (struct procmem_span){ .addr = (uintptr_t)map, .buf = &got[0], .len = 8 };
	s[1] = (struct procmem_span){ .addr = (uintptr_t)(map + page), .buf = &got[1], .len = 8 };
	s[2] = (struct procmem_span){ .addr = (uintptr_t)(map + 2 * page), .buf = &got[2],
				      .len = 8 };
	for (int flags = 0; flags <= PROCMEM_PREAD; flags += PROCMEM_PREAD) {
		assert_int_equal(procmem__open(&m, getpid(), flags), 0);
		memset(got, 0, sizeof(got));
		procmem__read_batch(&m, s, 3);
		/* the hole fails alone: the spans after it are still read */
		assert_int_equal(s[0].err, 0);
		assert_int_equal(s[1].err, -EFAULT);
		assert_int_equal(s[2].err, 0);
		assert_int_equal(got[0], a);
		assert_int_equal(got[2], b);
		assert_true(procmem__same_mm(&m, (uintptr_t)map));
		procmem__close(&m);
	}
	procmem__init(&m, getpid());
	assert_false(procmem__same_mm(&m, (uintptr_t)map));
	assert_int_equal(procmem__read_once(getpid(), (uintptr_t)map, &got[0], 8), 0);
	assert_int_equal(procmem__read_once(getpid(), (uintptr_t)(map + page), &got[1], 8),
			 -EFAULT);
	assert_int_equal(procmem__read_once(getpid(), 0, &got[1], 8), -EFAULT);
	munmap(map, page);
	munmap(map + 2 * page, page);
}

static void test_memory_gone(void **state)
{
	uint64_t word = 7, got;
	struct procmem m;
	struct procmem_span s[2] = {
		{ .addr = (uintptr_t)&word, .buf = &got, .len = 8 },
		{ .addr = (uintptr_t)&word, .buf = &got, .len = 8 },
	};
	int pid = reaped_pid();

	assert_int_equal(procmem__open(&m, pid, 0), -ESRCH);
	/* still a reader: process_vm_readv says the process is gone */
	procmem__read_batch(&m, s, 2);
	assert_int_equal(s[0].err, -ESRCH);
	assert_int_equal(s[1].err, -ESRCH);
	assert_int_equal(procmem__read_once(pid, (uintptr_t)&word, &got, 8), -ESRCH);
	procmem__close(&m);
}

/* The seam: a batch function of the caller's reads every span. */
static void fake_batch(const struct procmem *m, struct procmem_span *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memset(s[i].buf, m->pid, s[i].len);
		s[i].err = 0;
	}
}

static void test_memory_seam(void **state)
{
	struct procmem m = { .pid = 0x5a, .fd = -1, .read_batch = fake_batch };
	uint8_t b[4];

	assert_int_equal(procmem__read(&m, 0x1000, b, sizeof(b)), 0);
	assert_int_equal(b[3], 0x5a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_small_files),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_memory_batch),
		cmocka_unit_test(test_memory_gone),
		cmocka_unit_test(test_memory_seam),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
